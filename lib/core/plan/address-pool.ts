/**
 * An ExternalIP address pool: the cluster's `spec.externalIP.autoAssignCIDRs` range, checked
 * against the docs' /24 limit, with deterministic, collision-free hand-out of its addresses.
 */
import * as ipaddr from 'ipaddr.js';
import type { Issue, Problem } from '../model/issues';
import { isProblem } from '../model/issues';
import { MAX_CLUSTER_GROUPS, MAX_RANGE_ADDRESSES } from '../model/limits';
import { fnv1a } from '../support/hash';
import { parseAddress, vipProblem } from '../rules/vip-range';

/** The smallest prefix a pool may have: IPv4 /24 (the docs' limit), IPv6 /120 (as many addresses). */
const MIN_PREFIX = { ipv4: 24, ipv6: 120 } as const;

/** A parsed pool range. */
export interface PoolRange {
  /** Canonical CIDR, e.g. `192.0.2.0/26`. */
  readonly cidr: string;
  /** The host addresses a VIP may take, in address order. */
  readonly addresses: readonly string[];
}

/**
 * Parses a pool CIDR: network-aligned, at most /24 (IPv4) or /120 (IPv6) because the cluster
 * holds at most 254 VRRP groups. The first and last address are not handed out: an IPv4
 * range's network and broadcast addresses, and an IPv6 range's subnet-router anycast and its
 * last, so a /120 has 254 addresses as a /24 has, one VRRP group each within the cluster's limit.
 * A range holding addresses no VIP may have (loopback, multicast, …) is refused once, as a whole.
 */
export function parsePoolCidr(cidr: unknown): PoolRange | Problem {
  const bad = (problem: string, fix: string): Problem => ({ value: cidr, problem, fix });
  if (typeof cidr !== 'string' || !/^[0-9A-Fa-f.:]+\/\d{1,3}$/.test(cidr))
    return bad('is not a CIDR', 'write network/prefix, for example 192.0.2.0/24');
  const [text, prefixText] = cidr.split('/') as [string, string];
  const network = parseAddress(text);
  if (isProblem(network)) return { ...network, value: cidr };
  const kind = network.kind();
  const prefix = Number(prefixText);
  const bits = kind === 'ipv4' ? 32 : 128;
  if (prefix > bits)
    return bad(`has a prefix longer than /${bits}`, `use a prefix from /${MIN_PREFIX[kind]} to /${bits}`);
  if (prefix < MIN_PREFIX[kind]) {
    return bad(
      `is larger than /${MIN_PREFIX[kind]}, more addresses than the cluster's ${MAX_CLUSTER_GROUPS} VRRP groups can serve`,
      `use a /${MIN_PREFIX[kind]} or smaller range`,
    );
  }
  const aligned = ipaddr.parseCIDR(`${network.toString()}/${prefix}`);
  const base = kind === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : networkOfV6(network as ipaddr.IPv6, prefix);
  if (base.toString() !== aligned[0].toString()) {
    return bad('has host bits set', `write ${base.toString()}/${prefix}`);
  }
  const size = 2 ** (bits - prefix);
  const skipEnds = size > 2;
  const addresses: string[] = [];
  for (let i = 0; i < Math.min(size, MAX_RANGE_ADDRESSES); i++) {
    if (skipEnds && (i === 0 || i === size - 1)) continue;
    // An IPv6 /127 or /128 still leaves out the subnet-router anycast.
    if (kind === 'ipv6' && i === 0 && size > 1) continue;
    const address = offsetAddress(base, i);
    const notVip = vipProblem(address, address.toString());
    if (notVip)
      return bad(
        `holds ${address.toString()}, ${notVip.problem.replace(/^is /, '')}`,
        'use a range of addresses reachable from outside the cluster',
      );
    addresses.push(address.toString());
  }
  return { cidr: `${base.toString()}/${prefix}`, addresses };
}

function networkOfV6(address: ipaddr.IPv6, prefix: number): ipaddr.IPv6 {
  const bytes = address.toByteArray();
  for (let bit = prefix; bit < 128; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return ipaddr.fromByteArray(bytes) as ipaddr.IPv6;
}

function offsetAddress(base: ipaddr.IPv4 | ipaddr.IPv6, offset: number): ipaddr.IPv4 | ipaddr.IPv6 {
  const bytes = base.toByteArray();
  let carry = offset;
  for (let i = bytes.length - 1; i >= 0 && carry > 0; i--) {
    const sum = bytes[i]! + (carry & 0xff);
    bytes[i] = sum & 0xff;
    carry = (carry >> 8) + (sum >> 8);
  }
  return ipaddr.fromByteArray(bytes);
}

/**
 * Hands out the addresses of one pool. A name always gets the same addresses: each starts at a
 * position hashed (FNV-1a, stable everywhere) from the name and probes forward past taken ones, so removing or adding an
 * unrelated service moves nobody unless it collided; explicit claims are checked instead.
 */
export class AddressAllocator {
  private readonly owner = new Map<string, string>();
  private readonly byName = new Map<string, readonly string[]>();

  constructor(readonly range: PoolRange) {}

  /** Addresses handed out so far, by name, in declaration order. */
  get allocations(): ReadonlyMap<string, readonly string[]> {
    return this.byName;
  }

  /** Addresses not handed out yet. */
  get free(): number {
    return this.range.addresses.length - this.owner.size;
  }

  /** `count` addresses for `name`; the same name gets the same answer again. */
  allocate(name: string, count = 1): readonly string[] | Problem {
    const known = this.byName.get(name);
    if (known)
      return known.length === count
        ? known
        : {
            value: count,
            problem: `differs from the ${known.length} addresses '${name}' already has`,
            fix: 'ask for the same count each time',
          };
    if (!Number.isInteger(count) || count < 1)
      return { value: count, problem: 'is not a number of addresses', fix: 'ask for 1 or more' };
    if (count > this.free)
      return {
        value: count,
        problem: `addresses do not fit: ${this.free} of ${this.range.cidr} are free`,
        fix: 'ask for fewer or use a larger pool',
      };
    const { addresses } = this.range;
    const picked: string[] = [];
    for (let k = 0; k < count; k++) {
      let i = fnv1a(`${name}#${k}`) % addresses.length;
      while (this.owner.has(addresses[i]!)) i = (i + 1) % addresses.length;
      this.owner.set(addresses[i]!, name);
      picked.push(addresses[i]!);
    }
    this.byName.set(name, picked);
    return picked;
  }

  /** Claims explicit addresses for `name`: each must be in the pool and not taken by another name. */
  claim(name: string, addresses: readonly string[]): Problem[] {
    const inPool = new Set(this.range.addresses);
    const problems: Problem[] = [];
    for (const address of addresses) {
      const owner = this.owner.get(address);
      if (!inPool.has(address))
        problems.push({
          value: address,
          problem: `is outside the pool ${this.range.cidr}`,
          fix: 'use an address of the pool, or leave it out to be allocated one',
        });
      else if (owner !== undefined && owner !== name)
        problems.push({
          value: address,
          problem: `is already allocated to '${owner}'`,
          fix: 'use another address of the pool, or leave it out to be allocated one',
        });
    }
    if (problems.length === 0) {
      for (const address of addresses) this.owner.set(address, name);
      this.byName.set(name, [...addresses]);
    }
    return problems;
  }
}

/**
 * The cluster network settings that make the pool the ExternalIP range: auto-assigned to
 * LoadBalancer services and allowed for services that set `externalIPs` themselves.
 * OpenShift's `Network` named `cluster` takes a single auto-assign CIDR.
 */
export function clusterNetworkPatch(range: PoolRange): {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: unknown;
} {
  return {
    apiVersion: 'config.openshift.io/v1',
    kind: 'Network',
    metadata: { name: 'cluster' },
    spec: { externalIP: { autoAssignCIDRs: [range.cidr], policy: { allowedCIDRs: [range.cidr] } } },
  };
}

/**
 * The issue of a second pool in one stack: the cluster takes one auto-assign range. Both front
 * ends report it with these words.
 */
export function secondPoolIssue(path: string, cidr: unknown, earlierPath: string): Issue {
  return {
    path,
    field: 'cidr',
    value: cidr,
    problem: `is a second ExternalIP pool; the cluster takes one auto-assign range and '${earlierPath}' is it`,
    fix: 'use one ExternalIpPool per app',
  };
}

import * as ipaddr from 'ipaddr.js';
import { MAX_RANGE_ADDRESSES } from '../model/limits';
import { isProblem, type Problem } from '../model/issues';

/** IP address family of a VIP or peer. */
export type IpFamily = 'ipv4' | 'ipv6';

/** What parsing a VIP list gives: the addresses in canonical form, or the problems found. */
export interface VipListParse {
  /** Canonical addresses, in the order given, each once (later duplicates are dropped). */
  readonly vips: readonly string[];
  /** One problem per bad item; when there is any, `vips` holds only the good items. */
  readonly problems: readonly Problem[];
}

/** Address ranges that can never be a VIP reachable from outside the cluster, by name. */
const NOT_A_VIP: Record<string, Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>> = {
  unspecified: [ipaddr.parseCIDR('0.0.0.0/8'), ipaddr.parseCIDR('::/128')],
  broadcast: [ipaddr.parseCIDR('255.255.255.255/32')],
  multicast: [ipaddr.parseCIDR('224.0.0.0/4'), ipaddr.parseCIDR('ff00::/8')],
  loopback: [ipaddr.parseCIDR('127.0.0.0/8'), ipaddr.parseCIDR('::1/128')],
  linkLocal: [ipaddr.parseCIDR('169.254.0.0/16'), ipaddr.parseCIDR('fe80::/10')],
};

/** ipaddr.js's own test for the four-part decimal form, which it applies after a full parse. */
const FOUR_PART_DECIMAL = /^(0|[1-9]\d*)(\.(0|[1-9]\d*)){3}$/;
const DOT = '.'.charCodeAt(0);
const ZERO = '0'.charCodeAt(0);

function notAnAddress(text: string): Problem {
  return {
    value: text,
    problem: 'is not an IP address',
    fix: 'write a dotted IPv4 address without leading zeros (192.0.2.10) or an IPv6 address',
  };
}

/** Parses one address strictly: four-part decimal IPv4 or IPv6, no zone, no CIDR. */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | Problem {
  if (FOUR_PART_DECIMAL.test(text)) {
    // The octets are plain decimals here, so no parse by ipaddr.js (which matches the text with
    // its own patterns again, then refuses only an octet over 255), and no split: read digit by
    // digit, this is a quarter of the time.
    const octets = [0, 0, 0, 0];
    for (let i = 0, part = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === DOT) part++;
      else octets[part] = octets[part]! * 10 + (code - ZERO);
    }
    return octets.every((octet) => octet <= 255) ? new ipaddr.IPv4(octets) : notAnAddress(text);
  }
  if (!text.includes('.') && ipaddr.IPv6.isValid(text)) {
    const address = ipaddr.IPv6.parse(text);
    if (address.zoneId !== undefined) {
      return { value: text, problem: 'has an IPv6 zone', fix: 'write the address without %zone' };
    }
    return address;
  }
  if (ipaddr.IPv6.isValid(text) && ipaddr.IPv6.parse(text).isIPv4MappedAddress()) {
    return { value: text, problem: 'is an IPv4-mapped IPv6 address', fix: 'write the IPv4 address' };
  }
  return notAnAddress(text);
}

/** The family of a parsed address. */
export function familyOf(address: ipaddr.IPv4 | ipaddr.IPv6): IpFamily {
  return address.kind() as IpFamily;
}

/** The family of a canonical address string. */
export function familyOfText(text: string): IpFamily {
  return text.includes(':') ? 'ipv6' : 'ipv4';
}

/** Refuses addresses that cannot serve as a VIP (loopback, multicast, …). */
export function vipProblem(address: ipaddr.IPv4 | ipaddr.IPv6, item: string): Problem | undefined {
  // Only these five ranges matter; address.range() would walk every special range there is.
  const range = ipaddr.subnetMatch(address, NOT_A_VIP, 'unicast');
  if (range === 'unicast') return undefined;
  return {
    value: item,
    problem: `is a ${range} address, which cannot be a VIP`,
    fix: 'use an address reachable from outside the cluster',
  };
}

/** Parses the end of a range: a last octet / last group, or a whole address sharing the prefix. */
function parseRangeEnd(start: ipaddr.IPv4 | ipaddr.IPv6, endText: string, item: string): number | Problem {
  const bad = (problem: string, fix: string): Problem => ({ value: item, problem, fix });
  if (start.kind() === 'ipv4') {
    const octets = (start as ipaddr.IPv4).octets;
    if (/^(0|[1-9]\d{0,2})$/.test(endText)) {
      const end = Number(endText);
      return end <= 255 ? end : bad(`ends past .255 (at .${end})`, 'split it at the /24 boundary');
    }
    if (ipaddr.IPv4.isValidFourPartDecimal(endText)) {
      const end = ipaddr.IPv4.parse(endText).octets;
      if (end.slice(0, 3).join('.') !== octets.slice(0, 3).join('.')) {
        return bad('spans more than the last octet', 'split it into one range per /24');
      }
      return end[3]!;
    }
    return bad('has a range end that is not a last octet', 'write a.b.c.d-e, for example 192.0.2.4-6');
  }
  const parts = (start as ipaddr.IPv6).parts;
  if (/^[0-9a-f]{1,4}$/i.test(endText)) return parseInt(endText, 16);
  if (!endText.includes('.') && ipaddr.IPv6.isValid(endText)) {
    const end = ipaddr.IPv6.parse(endText).parts;
    if (end.slice(0, 7).some((part, i) => part !== parts[i])) {
      return bad('spans more than the last IPv6 group', 'split it into ranges of the last group');
    }
    return end[7]!;
  }
  return bad('has a range end that is not a hex group', 'write 2001:db8::a-f');
}

/** Expands one item (`a.b.c.d`, `a.b.c.d-e`, `2001:db8::a-f`) into canonical addresses. */
function expandItem(item: string): string[] | Problem {
  const bad = (problem: string, fix: string): Problem => ({ value: item, problem, fix });
  if (item === '') return bad('is empty', 'remove the extra comma');
  if (item.includes('/')) return bad('is a CIDR', 'list addresses or ranges, or use ExternalIpPool for a CIDR');
  if (/\s/.test(item)) return bad('contains whitespace', 'separate items with commas');
  // indexOf rather than split: this runs for every VIP.
  const dash = item.indexOf('-');
  if (dash >= 0 && item.includes('-', dash + 1)) return bad('has more than one "-"', 'write a.b.c.d-e');
  const startText = dash < 0 ? item : item.slice(0, dash);
  const endText = dash < 0 ? undefined : item.slice(dash + 1);
  const start = parseAddress(startText);
  if (isProblem(start))
    return endText === undefined
      ? { ...start, value: item }
      : bad(`starts with ${start.problem.replace(/^is /, '')}`, start.fix);
  const startProblem = vipProblem(start, item);
  if (startProblem) return startProblem;
  // A four-part decimal IPv4 that parsed is already canonical; IPv6 is written in RFC 5952 form.
  if (endText === undefined) return [start.kind() === 'ipv4' ? startText : start.toString()];
  const end = parseRangeEnd(start, endText, item);
  if (isProblem(end)) return end;
  const isV4 = start.kind() === 'ipv4';
  const first = isV4 ? (start as ipaddr.IPv4).octets[3]! : (start as ipaddr.IPv6).parts[7]!;
  if (end < first) {
    const low = isV4 ? String(end) : end.toString(16);
    const high = isV4 ? String(first) : first.toString(16);
    const prefix = startText.slice(0, startText.lastIndexOf(isV4 ? '.' : ':') + 1);
    return bad('ends before it starts', `write ${prefix}${low}-${high}`);
  }
  if (end - first + 1 > MAX_RANGE_ADDRESSES) {
    return bad(`covers ${end - first + 1} addresses`, `keep a range to ${MAX_RANGE_ADDRESSES} addresses or fewer`);
  }
  const addresses: string[] = [];
  for (let n = first; n <= end; n++) {
    const bytes = start.toByteArray();
    if (isV4) bytes[3] = n;
    else [bytes[14], bytes[15]] = [n >> 8, n & 0xff];
    const address = ipaddr.fromByteArray(bytes);
    const problem = vipProblem(address, item);
    if (problem) return problem;
    addresses.push(address.toString());
  }
  return addresses;
}

/**
 * Parses `OPENSHIFT_HA_VIRTUAL_IPS` syntax — comma-separated addresses and last-octet (IPv4) or
 * last-group (IPv6, any case) ranges — or a list of such strings. Strict where Red Hat's image
 * is lenient: every bad item is reported, none is silently dropped.
 */
export function parseVirtualIps(input: string | readonly string[]): VipListParse {
  const items: string[] = [];
  for (const part of typeof input === 'string' ? [input] : input) {
    // Most parts are one item: no split for them.
    if (!part.includes(',')) items.push(part.trim());
    else for (const item of part.split(',')) items.push(item.trim());
  }
  if (items.every((item) => item === '')) {
    return {
      vips: [],
      problems: [{ value: input, problem: 'lists no address', fix: 'give at least one VIP, for example "192.0.2.10"' }],
    };
  }
  const vips: string[] = [];
  const problems: Problem[] = [];
  for (const item of items) {
    const expanded = expandItem(item);
    if (isProblem(expanded)) problems.push(expanded);
    else for (const vip of expanded) vips.push(vip);
  }
  // A Set keeps the first of each address in order; a single VIP, the common case, needs none.
  return { vips: vips.length > 1 ? [...new Set(vips)] : vips, problems };
}

/**
 * Writes canonical addresses back in the documented syntax, runs of consecutive IPv4 addresses in
 * one /24 as `a.b.c.d-e`. IPv6 addresses are written one by one, because Red Hat's image mangles
 * IPv6 ranges written in lower case; the output must mean the same to both agents.
 */
export function formatVirtualIps(vips: readonly string[]): string {
  const items: string[] = [];
  let run: { prefix: string; first: number; last: number } | undefined;
  const flush = (): void => {
    if (run) items.push(run.first === run.last ? `${run.prefix}${run.first}` : `${run.prefix}${run.first}-${run.last}`);
    run = undefined;
  };
  for (const vip of vips) {
    if (familyOfText(vip) === 'ipv6') {
      flush();
      items.push(vip);
      continue;
    }
    const cut = vip.lastIndexOf('.') + 1;
    const prefix = vip.slice(0, cut);
    const octet = Number(vip.slice(cut));
    if (run && run.prefix === prefix && run.last + 1 === octet) {
      run.last = octet;
    } else {
      flush();
      run = { prefix, first: octet, last: octet };
    }
  }
  flush();
  return items.join(',');
}

/**
 * Packs VIPs into `groups` VRRP groups in order, as the docs and Red Hat's image do: the first
 * `n mod groups` groups take one VIP more (7 VIPs in 3 groups → 3, 2, 2). Asking for more
 * groups than VIPs gives one group per VIP.
 */
export function groupVips(vips: readonly string[], groups: number): string[][] {
  const count = Math.max(1, Math.min(groups, vips.length));
  const base = Math.floor(vips.length / count);
  const extra = vips.length % count;
  const result: string[][] = [];
  let next = 0;
  for (let g = 0; g < count; g++) {
    const size = base + (g < extra ? 1 : 0);
    result.push(vips.slice(next, next + size));
    next += size;
  }
  return result;
}

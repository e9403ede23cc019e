/**
 * Where `ipfailover status` finds the agents: the failover pods as `kubectl get pods -o json`
 * (or `oc`, or `-o yaml`) lists them — each running pod's `status.hostIP` and its container's
 * hostPort — and `--endpoint HOST:PORT` options. Both come from outside: every value is checked
 * (an address, a port number), and what cannot be used is said, never guessed.
 */
import { CONTAINER_NAME } from '../core/model/object-names';
import { isProblem } from '../core/model/issues';
import { parseAddress } from '../core/rules/vip-range';
import { InputError } from './manifest-input';

/** One agent to scrape. */
export interface Target {
  /** An IP address or a DNS name. */
  readonly host: string;
  readonly port: number;
  /** The pod's name, when it came from a pod list. */
  readonly pod?: string;
  /** The pod's node, when it came from a pod list. */
  readonly node?: string;
}

/** A pod that cannot be scraped, and why (not running yet, no host IP). */
export interface Skipped {
  readonly pod: string;
  readonly node?: string;
  readonly reason: string;
}

/** At most this many agents are scraped in one run (a cluster has far fewer nodes per instance). */
export const MAX_TARGETS = 512;

const DNS_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function text(x: unknown): string | undefined {
  return typeof x === 'string' && x.length <= 253 ? x : undefined;
}

function portOf(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 65535 ? x : undefined;
}

/** `HOST:PORT` or `[IPv6]:PORT`, as `--endpoint` takes it. */
export function parseEndpoint(value: string): Target {
  const found = /^\[([^\]]+)\]:(\d{1,5})$/.exec(value) ?? /^([^:[\]]+):(\d{1,5})$/.exec(value);
  const port = found ? portOf(Number(found[2])) : undefined;
  const host = found?.[1];
  const address = host === undefined ? undefined : parseAddress(host);
  const hostOk = host !== undefined && (!isProblem(address) || (!host.includes(':') && DNS_NAME.test(host)));
  if (port === undefined || !hostOk)
    throw new InputError(
      `--endpoint ${JSON.stringify(value)} is not HOST:PORT; give the node's address and the instance's port, such as 192.0.2.1:63010 or [2001:db8::1]:63010`,
    );
  return { host: isProblem(address) ? host : address!.toString(), port };
}

/** The port the failover container declares: its hostPort (the agent's), on the documented container first. */
function containerPort(spec: Record<string, unknown>): number | undefined {
  const containers = Array.isArray(spec.containers) ? spec.containers.filter(isRecord) : [];
  const ordered = [
    ...containers.filter((c) => c.name === CONTAINER_NAME),
    ...containers.filter((c) => c.name !== CONTAINER_NAME),
  ];
  for (const container of ordered) {
    const ports = Array.isArray(container.ports) ? container.ports.filter(isRecord) : [];
    const port = ports.map((p) => portOf(p.hostPort)).find((p) => p !== undefined);
    if (port !== undefined) return port;
  }
  return undefined;
}

/** One pod: a target, or why it is skipped; `undefined` for an object that is no Pod. */
function podTarget(object: unknown): Target | Skipped | undefined {
  if (!isRecord(object) || object.kind !== 'Pod') return undefined;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const spec = isRecord(object.spec) ? object.spec : {};
  const status = isRecord(object.status) ? object.status : {};
  const pod = text(metadata.name) ?? '(unnamed)';
  const node = text(spec.nodeName);
  const where = node === undefined ? {} : { node };
  const phase = text(status.phase) ?? 'Unknown';
  if (phase !== 'Running') return { pod, ...where, reason: `${phase}, not running` };
  const hostIp = text(status.hostIP);
  const address = hostIp === undefined ? undefined : parseAddress(hostIp);
  if (address === undefined || isProblem(address)) return { pod, ...where, reason: 'has no valid status.hostIP' };
  const port = containerPort(spec);
  if (port === undefined) return { pod, ...where, reason: 'declares no hostPort (not a failover pod?)' };
  return { host: address.toString(), port, pod, ...where };
}

/** The targets and skipped pods of a pod list (`kind: List`/`PodList` items, or single Pods). */
export function targetsOfPods(objects: readonly unknown[]): { targets: Target[]; skipped: Skipped[] } {
  const targets: Target[] = [];
  const skipped: Skipped[] = [];
  for (const object of objects) {
    const found = podTarget(object);
    if (found === undefined) continue;
    if ('reason' in found) skipped.push(found);
    else targets.push(found);
  }
  return { targets, skipped };
}

/** Each host and port once (a pod list and an --endpoint may name the same agent), the first kept. */
export function uniqueTargets(targets: readonly Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.host}|${t.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The instance's nodes as last listed, kept in the state directory, so an agent restarted while
 * the Kubernetes API does not answer (keepalived crashed, the liveness probe restarted the
 * container) starts with the nodes it ran with instead of none: `clusterUnicast` then has peers to
 * send adverts to, and `cluster` the same priorities as the nodes that kept running. The
 * constructs put the state directory on an `emptyDir`, which outlives a container's restarts (a
 * new pod lists its nodes anyway: creating it took an API server that answers).
 *
 * The file is read back like anything else that reaches `keepalived.conf`: bounded, and every
 * name and address checked; a file that does not pass is ignored.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ipaddr from 'ipaddr.js';
import type { Member } from './membership';

/** The cache's file name in the state directory. */
export const NODES_CACHE_FILE = 'nodes.json';

/** Largest cache read back: 1000 nodes with long names fit in well under this. */
const MAX_CACHE_BYTES = 512 * 1024;
/** Most nodes read back (as the API client lists at most). */
const MAX_NODES = 1000;

const NODE_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/** The cache's path in a state directory. */
export function nodesCachePath(stateDir: string): string {
  return join(stateDir, NODES_CACHE_FILE);
}

/** The text written for these members. */
export function nodesCacheText(members: readonly Member[]): string {
  return `${JSON.stringify({ nodes: members })}\n`;
}

const canonical = (address: unknown): address is string =>
  typeof address === 'string' && ipaddr.isValid(address) && ipaddr.parse(address).toString() === address;

/** The members a cache text holds, or `undefined` when it is not one this agent wrote. */
export function parseNodesCache(text: string): Member[] | undefined {
  if (text.length > MAX_CACHE_BYTES) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const nodes = (data as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0 || nodes.length > MAX_NODES) return undefined;
  const members: Member[] = [];
  for (const node of nodes) {
    const { name, address } = (node ?? {}) as { name?: unknown; address?: unknown };
    if (typeof name !== 'string' || !NODE_NAME.test(name)) return undefined;
    if (address !== undefined && !canonical(address)) return undefined;
    members.push(address === undefined ? { name } : { name, address });
  }
  return members;
}

/** Reads the cache of a state directory; `undefined` when there is none or it does not pass. */
export function readNodesCache(stateDir: string, read: (path: string) => string = readSmall): Member[] | undefined {
  try {
    return parseNodesCache(read(nodesCachePath(stateDir)));
  } catch {
    return undefined;
  }
}

function readSmall(path: string): string {
  const data = readFileSync(path);
  if (data.length > MAX_CACHE_BYTES) throw new Error('too large');
  return data.toString('utf8');
}

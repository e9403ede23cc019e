/**
 * Balanced VRRP priorities. Red Hat's image picks priorities from the last octet and `$RANDOM`,
 * so some groups are decided by chance and several can land on one node. Here every node of the
 * failover computes, on its own and deterministically, a rank among the nodes and from it one
 * priority per group, such that the nodes' preferences rotate over the groups:
 *
 * - with all `n` nodes up, group `g` prefers node `g mod n`, so no node is the first choice of
 *   more than `ceil(groups / n)` groups;
 * - the second choices of the groups a node is first for rotate over the other nodes, so when
 *   one node is down its groups are spread over the rest rather than piled onto one neighbour.
 *
 * Spacing (254, 209, 164 for three nodes) balances two RFC 5798 timings. At start every instance
 * is BACKUP and the first choice wins the race to MASTER by `(p1 - p2) / 256` advert intervals of
 * skew, so a wide gap tolerates agents that start a little apart. On a graceful stop the master
 * sends priority 0 and the second choice takes over after its skew, `(256 - p2) / 256` adverts,
 * so a narrow gap hands over fast. A step of 45 gives both about 0.18 advert intervals.
 */
import * as ipaddr from 'ipaddr.js';
import { fnv1a } from '../support/hash';

/** Where a node stands among the nodes of one failover. */
export interface NodeRank {
  /** 0-based rank, `0..nodes-1`. */
  readonly rank: number;
  /** Number of nodes the rotation is over. */
  readonly nodes: number;
}

/** The highest priority a backup may have (255 means "address owner" to keepalived). */
export const TOP_PRIORITY = 254;

/**
 * The rank of a node in multicast mode, where the peers are unknown: a stable hash of the node
 * name modulo the replica count. Two nodes may share a rank; they then tie, and VRRP's own rule
 * (the higher primary address wins) decides between them.
 */
export function rankByName(nodeName: string, replicas: number): NodeRank {
  return { rank: fnv1a(nodeName) % replicas, nodes: replicas };
}

/** Orders addresses numerically (by their bytes, so IPv4 and IPv6 alike) so every node sorts alike. */
function addressKey(address: string): string {
  return ipaddr
    .parse(address)
    .toByteArray()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}

/**
 * The rank of a node in unicast mode: its address's position among the peers in numeric order,
 * or `undefined` when the address is not a peer.
 */
export function rankByAddress(address: string, peers: readonly string[]): NodeRank | undefined {
  const sorted = [...peers].sort((a, b) =>
    addressKey(a) < addressKey(b) ? -1 : addressKey(a) > addressKey(b) ? 1 : 0,
  );
  const rank = sorted.indexOf(address);
  return rank < 0 ? undefined : { rank, nodes: sorted.length };
}

const mod = (a: number, n: number): number => ((a % n) + n) % n;

/**
 * The position of a node in group `g`'s order of preference: 0 for the first choice. The first
 * choice is node `g mod n`; the others follow it in ring order, rotated by `floor(g / n)` so the
 * groups of one node fall back to different neighbours.
 */
export function preferenceOf(group: number, node: NodeRank): number {
  const { rank, nodes: n } = node;
  const first = mod(group, n);
  if (rank === first) return 0;
  const ring = mod(rank - first - 1, n); // 0..n-2: how far after the first choice
  return 1 + mod(ring - Math.floor(group / n), n - 1);
}

/** The largest gap between successive priorities (see the file comment). */
export const PRIORITY_STEP = 45;

/** The VRRP priority of a node for group `g` (0-based): 254 for the first choice, then spaced down. */
export function priorityOf(group: number, node: NodeRank): number {
  const step = Math.max(1, Math.min(PRIORITY_STEP, Math.floor(TOP_PRIORITY / node.nodes)));
  return Math.max(1, TOP_PRIORITY - preferenceOf(group, node) * step);
}

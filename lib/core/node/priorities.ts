/**
 * Balanced VRRP priorities. Red Hat's image picks priorities from the last octet and `$RANDOM`,
 * so some groups are decided by chance and several can land on one node. Here every node of the
 * failover computes, on its own and deterministically, its place in each group's order of
 * preference, and from it one priority per group. Two ways, by what the node knows:
 *
 * - **The members are known** (a unicast peer list, or the instance's nodes read from the
 *   cluster): {@link preferenceOrders} gives every group an order over the members, a function
 *   of the set alone (not of its order, nor of which node computes it). No member is the first
 *   choice of more than `ceil(groups / n)` groups, and when one member is down its groups go to
 *   the others so that none holds more than `ceil(groups / (n - 1))`. Groups are dealt by
 *   rendezvous scores with a cap on each member's share, so adding or removing a member moves
 *   few groups between the others (the rotation below moves most of them).
 * - **Only the replica count is known** (multicast without the cluster's member list): a rank
 *   from a hash of the node name ({@link rankByName}) and a rotation over the ranks
 *   ({@link preferenceOf}). Names can share a rank; then the balance is lost.
 *
 * Spacing (254, 209, 164 for three nodes) balances two RFC 5798 timings. At start every instance
 * is BACKUP and the first choice wins the race to MASTER by `(p1 - p2) / 256` advert intervals of
 * skew, so a wide gap tolerates agents that start a little apart. On a graceful stop the master
 * sends priority 0 and the second choice takes over after its skew, `(256 - p2) / 256` adverts,
 * so a narrow gap hands over fast. A step of 45 gives both about 0.18 advert intervals.
 */
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

/** The largest gap between successive priorities (see the file comment). */
export const PRIORITY_STEP = 45;

/**
 * The VRRP priority of the node at `position` (0 = first choice) in a group's order of
 * preference among `nodes` nodes: 254, then spaced down by at most {@link PRIORITY_STEP}.
 */
export function priorityAt(position: number, nodes: number): number {
  const step = Math.max(1, Math.min(PRIORITY_STEP, Math.floor(TOP_PRIORITY / nodes)));
  return Math.max(1, TOP_PRIORITY - position * step);
}

// ---------------------------------------------------------------------------------------------
// Known members

/** A 32-bit finalizer (MurmurHash3's), so that nearby inputs give unrelated scores. */
function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** One member's claim on one group: the higher the score, the more the group wants the member. */
interface Claim {
  readonly score: number;
  /** Index of the member in the sorted member list (the tie-break). */
  readonly member: number;
  readonly group: number;
}

/** Claims in the order they are granted: score, then member, then group, so every node agrees. */
function byStrength(a: Claim, b: Claim): number {
  return b.score - a.score || a.member - b.member || a.group - b.group;
}

/**
 * Grants each group to one member, strongest claims first, never past a member's room: a
 * bounded-load rendezvous deal. Every group is granted as long as the rooms add up to the groups.
 */
function deal(claims: Claim[], room: number[], owner: Map<number, number>): void {
  claims.sort(byStrength);
  for (const { member, group } of claims) {
    if (owner.has(group) || room[member]! <= 0) continue;
    owner.set(group, member);
    room[member]!--;
  }
}

/**
 * Each group's order of preference over a known set of members (node names, or the addresses of
 * a unicast peer list): the first choice, the member that takes the group when the first is
 * down, then the rest. The same set gives the same orders whatever its order or duplicates.
 *
 * - First choices: every member's rendezvous score for every group (a hash of both), granted
 *   strongest first with at most `ceil(groups / n)` groups a member.
 * - Second choices: for each member, its groups are dealt the same way over the other members,
 *   each taking no more than brings it to `ceil(groups / (n - 1))` with its own groups: with any
 *   one member down, no survivor holds more.
 * - The rest follow by score.
 *
 * Scores depend on the member and the group only, so a member joining takes mostly groups whose
 * score it tops, and one leaving hands its groups on while the others keep most of theirs.
 */
export function preferenceOrders(members: readonly string[], groups: number): string[][] {
  const keys = [...new Set(members)].sort();
  const n = keys.length;
  if (n === 0) return Array.from({ length: groups }, () => []);
  const base = keys.map(fnv1a);
  const score = (member: number, group: number): number => mix32(base[member]! ^ Math.imul(group + 1, 0x9e3779b1));
  const claimsOf = (candidates: readonly number[], of: readonly number[]): Claim[] =>
    candidates.flatMap((member) => of.map((group) => ({ score: score(member, group), member, group })));
  const all = keys.map((_, i) => i);
  const groupList = Array.from({ length: groups }, (_, g) => g);

  const first = new Map<number, number>();
  deal(claimsOf(all, groupList), new Array<number>(n).fill(Math.ceil(groups / n)), first);

  const second = new Map<number, number>();
  if (n > 1) {
    const held = all.map((m) => groupList.filter((g) => first.get(g) === m));
    const ceilOneDown = Math.ceil(groups / (n - 1));
    for (const down of all) {
      const others = all.filter((m) => m !== down);
      const room = all.map((m) => (m === down ? 0 : ceilOneDown - held[m]!.length));
      deal(claimsOf(others, held[down]!), room, second);
    }
  }

  return groupList.map((group) => {
    const top = [first.get(group)!, ...(n > 1 ? [second.get(group)!] : [])];
    const rest = all.filter((m) => !top.includes(m)).sort((a, b) => score(b, group) - score(a, group) || a - b);
    return [...top, ...rest].map((m) => keys[m]!);
  });
}

/**
 * A member's priority in each group, from {@link preferenceOrders}; `undefined` when `self` is
 * not one of the members.
 */
export function memberPriorities(self: string, members: readonly string[], groups: number): number[] | undefined {
  if (!members.includes(self)) return undefined;
  const nodes = new Set(members).size;
  return preferenceOrders(members, groups).map((order) => priorityAt(order.indexOf(self), nodes));
}

// ---------------------------------------------------------------------------------------------
// Only the replica count known

/**
 * The rank of a node in multicast mode when the members are unknown: a stable hash of the node
 * name modulo the replica count. Two nodes may share a rank; they then tie, and VRRP's own rule
 * (the higher primary address wins) decides between them.
 */
export function rankByName(nodeName: string, replicas: number): NodeRank {
  return { rank: fnv1a(nodeName) % replicas, nodes: replicas };
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

/** The VRRP priority of a ranked node for group `g` (0-based): 254 for the first choice, then spaced down. */
export function priorityOf(group: number, node: NodeRank): number {
  return priorityAt(preferenceOf(group, node), node.nodes);
}

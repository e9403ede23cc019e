import fc from 'fast-check';
import {
  preferenceOf,
  priorityOf,
  rankByAddress,
  rankByName,
  TOP_PRIORITY,
  type NodeRank,
} from '../../../lib/core/node/priorities';

/** Which of the given ranks wins group g: the highest priority (ties cannot happen, see below). */
function winner(group: number, ranks: readonly number[], nodes: number): number {
  return ranks.reduce((best, r) =>
    priorityOf(group, { rank: r, nodes }) > priorityOf(group, { rank: best, nodes }) ? r : best,
  );
}

describe('balanced priorities', () => {
  test('with every node up, no node is first choice of more than ceil(groups / nodes) groups', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 254 }), (nodes, groups) => {
        const counts = new Array<number>(nodes).fill(0);
        const all = Array.from({ length: nodes }, (_, r) => r);
        for (let g = 0; g < groups; g++) counts[winner(g, all, nodes)]!++;
        expect(Math.max(...counts)).toBeLessThanOrEqual(Math.ceil(groups / nodes));
        expect(counts.reduce((a, b) => a + b, 0)).toBe(groups);
      }),
    );
  });

  test('with one node down, its groups spread: no survivor takes more than ceil(groups / (nodes - 1)) + 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        fc.integer({ min: 1, max: 254 }),
        fc.nat(),
        (nodes, groups, down) => {
          const alive = Array.from({ length: nodes }, (_, r) => r).filter((r) => r !== down % nodes);
          const counts = new Map<number, number>();
          for (let g = 0; g < groups; g++)
            counts.set(winner(g, alive, nodes), (counts.get(winner(g, alive, nodes)) ?? 0) + 1);
          expect(Math.max(...counts.values())).toBeLessThanOrEqual(Math.ceil(groups / (nodes - 1)) + 1);
        },
      ),
    );
  });

  test('every node has a distinct priority in every group, within 1..254', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 253 }), (nodes, group) => {
        const ranks: NodeRank[] = Array.from({ length: nodes }, (_, rank) => ({ rank, nodes }));
        const prefs = ranks.map((r) => preferenceOf(group, r));
        expect(new Set(prefs).size).toBe(nodes);
        for (const r of ranks) expect(priorityOf(group, r)).toBeGreaterThanOrEqual(1);
        for (const r of ranks) expect(priorityOf(group, r)).toBeLessThanOrEqual(TOP_PRIORITY);
        if (nodes <= 254) expect(new Set(ranks.map((r) => priorityOf(group, r))).size).toBe(nodes);
      }),
    );
  });

  test('priorities are spaced so the first choice wins the start-up race and the second takes over fast', () => {
    expect([0, 1, 2].map((rank) => priorityOf(0, { rank, nodes: 3 }))).toEqual([254, 209, 164]);
    expect([0, 1].map((rank) => priorityOf(1, { rank, nodes: 2 }))).toEqual([209, 254]);
    // Second choice's skew (graceful handover) is under 0.2 advert intervals for any node count.
    for (let n = 2; n <= 255; n++) expect((256 - priorityOf(0, { rank: 1, nodes: n })) / 256).toBeLessThan(0.2);
  });

  test('unicast rank: position among the peers in numeric order, the same on every node', () => {
    const peers = ['192.0.2.10', '192.0.2.9', '192.0.2.100'];
    expect(peers.map((p) => rankByAddress(p, peers)?.rank)).toEqual([1, 0, 2]);
    expect(rankByAddress('192.0.2.10', [...peers].reverse())).toEqual({ rank: 1, nodes: 3 });
    expect(rankByAddress('192.0.2.11', peers)).toBeUndefined();
    expect(['2001:db8::a', '2001:db8::1:0', '2001:db8::9'].map((p, _, all) => rankByAddress(p, all)?.rank)).toEqual([
      1, 2, 0,
    ]);
  });

  test('multicast rank: a stable hash of the node name, within the replica count', () => {
    expect(rankByName('worker-0', 3)).toEqual(rankByName('worker-0', 3));
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 255 }), (name, replicas) => {
        const { rank, nodes } = rankByName(name, replicas);
        expect(nodes).toBe(replicas);
        expect(rank).toBeGreaterThanOrEqual(0);
        expect(rank).toBeLessThan(replicas);
      }),
    );
    // Not constant: different names land on different ranks.
    expect(new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => rankByName(n, 3).rank)).size).toBeGreaterThan(1);
  });
});

import fc from 'fast-check';
import {
  memberPriorities,
  preferenceOf,
  preferenceOrders,
  priorityAt,
  priorityOf,
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

/** How many groups each member is first choice of, with `down` out (the next in order takes over). */
function masters(orders: readonly string[][], down: ReadonlySet<string> = new Set()): Map<string, number> {
  const counts = new Map<string, number>();
  for (const order of orders) {
    const master = order.find((m) => !down.has(m));
    if (master !== undefined) counts.set(master, (counts.get(master) ?? 0) + 1);
  }
  return counts;
}

const most = (counts: Map<string, number>): number => Math.max(0, ...counts.values());

/** Node names as clusters have them, plus any text: sets of 1..16 distinct names. */
const names = (min = 1, max = 16): fc.Arbitrary<string[]> =>
  fc.uniqueArray(
    fc.oneof(
      fc.nat({ max: 99 }).map((i) => `worker-${i}`),
      fc.nat({ max: 99 }).map((i) => `node${i}`),
      fc.string({ minLength: 1, maxLength: 20 }),
    ),
    { minLength: min, maxLength: max },
  );

describe('priorities over a known member set', () => {
  test("the issue's colliding names: 12 groups on 3 nodes are 4-4-4", () => {
    for (const set of [
      ['worker-0', 'worker-1', 'worker-2'],
      ['node1', 'node2', 'node4'],
      ['192.0.2.1', '192.0.2.2', '192.0.2.3'],
    ]) {
      expect([...masters(preferenceOrders(set, 12)).values()]).toEqual([4, 4, 4]);
    }
  });

  test('all up: no member is first choice of more than ceil(groups / n) groups, whatever the names', () => {
    fc.assert(
      fc.property(names(), fc.integer({ min: 1, max: 254 }), (set, groups) => {
        const orders = preferenceOrders(set, groups);
        expect(orders).toHaveLength(groups);
        expect(most(masters(orders))).toBeLessThanOrEqual(Math.ceil(groups / set.length));
      }),
    );
  });

  test('one member down: no survivor holds more than ceil(groups / (n - 1)) groups', () => {
    fc.assert(
      fc.property(names(2), fc.integer({ min: 1, max: 254 }), fc.nat(), (set, groups, pick) => {
        const down = set[pick % set.length]!;
        const counts = masters(preferenceOrders(set, groups), new Set([down]));
        expect(counts.has(down)).toBe(false);
        expect(most(counts)).toBeLessThanOrEqual(Math.ceil(groups / (set.length - 1)));
      }),
    );
  });

  test('a function of the set alone: any order, any duplicates, the same orders on every node', () => {
    fc.assert(
      fc.property(
        names().chain((set) => fc.tuple(fc.constant(set), fc.shuffledSubarray(set, { minLength: set.length }))),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.nat()),
        ([set, shuffled], groups, picks) => {
          const withDuplicates = [...shuffled, ...picks.map((p) => set[p % set.length]!)];
          expect(preferenceOrders(withDuplicates, groups)).toEqual(preferenceOrders(set, groups));
          // Each member's own priorities agree with the shared orders.
          for (const self of set) {
            const mine = memberPriorities(self, withDuplicates, groups)!;
            const ranked = preferenceOrders(set, groups).map((order) => priorityAt(order.indexOf(self), set.length));
            expect(mine).toEqual(ranked);
          }
        },
      ),
    );
  });

  test('every group orders every member once, with distinct priorities in 1..254', () => {
    fc.assert(
      fc.property(names(1, 40), fc.integer({ min: 1, max: 32 }), (set, groups) => {
        const byMember = set.map((m) => memberPriorities(m, set, groups)!);
        for (const [g, order] of preferenceOrders(set, groups).entries()) {
          expect([...order].sort()).toEqual([...set].sort());
          const priorities = byMember.map((p) => p[g]!);
          expect(new Set(priorities).size).toBe(set.length);
          for (const p of priorities) expect(p >= 1 && p <= TOP_PRIORITY).toBe(true);
          // The first choice has the top priority.
          expect(byMember[set.indexOf(order[0]!)]![g]).toBe(TOP_PRIORITY);
        }
      }),
    );
    expect(memberPriorities('worker-9', ['worker-0', 'worker-1'], 3)).toBeUndefined();
  });

  test('a member joining moves few groups between the others (the rotation moves most)', () => {
    /** Groups whose first choice moves from one old member to another when `joiner` joins. */
    const moved = (before: readonly (string | undefined)[], after: readonly (string | undefined)[], joiner: string) =>
      after.filter((m, g) => m !== joiner && m !== before[g]).length;
    const rotation = (set: readonly string[], groups: number): string[] => {
      const sorted = [...set].sort();
      return Array.from({ length: groups }, (_, g) => sorted[g % sorted.length]!);
    };
    let ours = 0;
    let rotated = 0;
    let taken = 0;
    fc.assert(
      fc.property(
        names(2, 8),
        fc.integer({ min: 12, max: 254 }),
        fc.string({ minLength: 1 }),
        (set, groups, joiner) => {
          fc.pre(!set.includes(joiner));
          const before = preferenceOrders(set, groups).map((o) => o[0]);
          const after = preferenceOrders([...set, joiner], groups).map((o) => o[0]);
          const joined = after.filter((m) => m === joiner).length;
          expect(joined).toBeLessThanOrEqual(Math.ceil(groups / (set.length + 1)));
          taken += joined;
          ours += moved(before, after, joiner);
          rotated += moved(rotation(set, groups), rotation([...set, joiner], groups), joiner);
        },
      ),
      { numRuns: 200 },
    );
    // Measured: about 3 groups move between old members per join where the joiner takes about 25
    // (and the rotation moves about 120); a fifth of the rotation's is far above what is seen.
    expect(ours).toBeLessThan(rotated / 5);
    expect(ours).toBeLessThan(taken / 2);
  });

  test('a member leaving for good: the others keep most of their groups', () => {
    let kept = 0;
    let theirs = 0;
    fc.assert(
      fc.property(names(3, 8), fc.integer({ min: 12, max: 254 }), fc.nat(), (set, groups, pick) => {
        const leaver = set[pick % set.length]!;
        const before = preferenceOrders(set, groups).map((o) => o[0]);
        const after = preferenceOrders(
          set.filter((m) => m !== leaver),
          groups,
        ).map((o) => o[0]);
        before.forEach((m, g) => {
          if (m === leaver) return;
          theirs++;
          if (after[g] === m) kept++;
        });
      }),
      { numRuns: 200 },
    );
    expect(kept / theirs).toBeGreaterThan(0.9);
  });
});

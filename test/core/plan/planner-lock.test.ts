/**
 * The planner with a lock: runs one after another, each starting from the lock the one before
 * left, as successive synths or program runs do.
 */
import fc from 'fast-check';
import { failoverObjects } from '../../../lib/core/emit/manifests';
import { fromEnv, toEnv } from '../../../lib/core/env/env-contract';
import { vrrpIdsOf } from '../../../lib/core/env/setting-rules';
import { renderKeepalivedConf } from '../../../lib/core/node/keepalived-conf';
import { formatIssues } from '../../../lib/core/model/issues';
import { EMPTY_LOCK, formatIds, parseLock, serializeLock } from '../../../lib/core/plan/allocation-lock';
import { planManifests } from '../../../lib/core/plan/plan-report';
import { Planner, type PlannerOptions } from '../../../lib/core/plan/planner';
import type { IpFailoverOptions } from '../../../lib/core/model/props';

const NAME = 'ipfailover.lock.json';

/** An instance of a run: its name, VIP count, and any other props. */
type Decl = [name: string, vips: number, props?: Partial<IpFailoverOptions>];

/** VIPs unique to an instance name, so runs can grow and shrink it without clashing. */
function vipsOf(name: string, n: number): string[] {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 200;
  return Array.from({ length: n }, (_, i) => `10.${h}.${i >> 8}.${(i & 255) + 1}`);
}

interface Run {
  readonly planner: Planner;
  /** VRRP IDs per instance name. */
  readonly ids: Record<string, number[]>;
  readonly errors: string;
  /** What the run leaves: the lock file's text. */
  readonly lock: string;
}

/** One synth: the instances in order, against the lock text of an earlier run. */
function run(decls: Decl[], lock?: string, options: Omit<PlannerOptions, 'lock'> & { frozen?: string } = {}): Run {
  const { frozen, ...plannerOptions } = options;
  const read = lock === undefined ? undefined : parseLock(lock, NAME);
  if (read && !read.ok) throw new Error(formatIssues(read.issues));
  const planner = new Planner({
    ...plannerOptions,
    ...(read?.ok && { lock: { allocation: read.lock, name: NAME, ...(frozen && { frozenBecause: frozen }) } }),
  });
  for (const [name, n, props] of decls) {
    planner.add({ virtualIps: vipsOf(name, n), name, namespace: 'ns', ...props }, { path: `app/${name}`, id: name });
  }
  const ids = Object.fromEntries(planner.instances.map((p) => [p.spec.name, [...p.vrrpIds]]));
  return { planner, ids, errors: formatIssues(planner.issues), lock: serializeLock(planner.allocation) };
}

/** The lock's entries as `name: IDs` text. */
function entries(lockText: string): Record<string, string> {
  const read = parseLock(lockText, NAME);
  if (!read.ok) throw new Error(formatIssues(read.issues));
  return Object.fromEntries([...read.lock.vrrpIds].map(([key, ids]) => [key.replace('ns/', ''), formatIds(ids)]));
}
const range = (first: number, last: number): number[] => Array.from({ length: last - first + 1 }, (_, i) => first + i);

const STACK: Decl[] = [
  ['router', 5],
  ['cache', 2],
  ['db', 1],
  ['pool', 2],
];

describe('a first run', () => {
  test('allocates exactly as without a lock, and records room after the last instance only', () => {
    const withLock = run(STACK, serializeLock(EMPTY_LOCK));
    const without = run(STACK);
    expect(withLock.ids).toEqual(without.ids);
    expect(withLock.ids).toEqual({ router: range(1, 5), cache: [6, 7], db: [8], pool: [9, 10] });
    expect(entries(withLock.lock)).toEqual({ router: '1..5', cache: '6..7', db: '8', pool: '9..14' });
  });

  test('room is as many IDs as groups, at least 4 and at most 16, or vrrpIdHeadroom', () => {
    expect(entries(run([['a', 1]]).lock)).toEqual({ a: '1..5' });
    expect(entries(run([['a', 10]]).lock)).toEqual({ a: '1..20' });
    expect(entries(run([['a', 40]]).lock)).toEqual({ a: '1..56' });
    expect(entries(run([['a', 3]], undefined, { vrrpIdHeadroom: 0 }).lock)).toEqual({ a: '1..3' });
    // Room stops at the end of the ID space.
    expect(entries(run([['a', 250]]).lock)).toEqual({ a: '1..255' });
  });
});

describe('later runs never renumber another instance', () => {
  const first = run(STACK).lock;

  test('an unchanged stack changes nothing, in any declaration order', () => {
    const again = run([...STACK].reverse(), first);
    expect(again.ids).toEqual(run(STACK).ids);
    expect(again.lock).toBe(first);
  });

  test('growing an instance keeps its IDs and every other instance’s, taking free IDs above what is held', () => {
    const grown = run([['router', 8], ...STACK.slice(1)], first);
    expect(grown.errors).toBe('');
    expect(grown.ids).toEqual({ router: [...range(1, 5), 15, 16, 17], cache: [6, 7], db: [8], pool: [9, 10] });
    expect(entries(grown.lock)).toEqual({ router: '1..5, 15..25', cache: '6..7', db: '8', pool: '9..14' });
    const router = grown.planner.instances[0]!;
    expect(router.settings.vrrpIdOffset).toBe(0);
    expect(router.settings.excludedVrrpIds).toEqual(range(6, 14));
  });

  test('the agent numbers a grown instance from its env as the planner did (HA_EXCLUDED_VRRP_IDS)', () => {
    const router = run([['router', 8], ...STACK.slice(1)], first).planner.instances[0]!;
    const env = Object.fromEntries(toEnv(router.settings).map((v) => [v.name, v.value]));
    expect(env.HA_EXCLUDED_VRRP_IDS).toBe(range(6, 14).join(' '));
    const read = fromEnv(env);
    if (!read.ok) throw new Error(formatIssues(read.issues));
    expect(vrrpIdsOf(read.settings)).toEqual([...range(1, 5), 15, 16, 17]);
    // What keepalived is given: the old groups on their IDs, the new ones on theirs.
    const out = renderKeepalivedConf(read.settings, { address: '10.0.0.1', name: 'node-0' });
    if (!out.ok) throw new Error(formatIssues(out.issues));
    expect([...out.config.matchAll(/virtual_router_id (\d+)/g)].map((m) => Number(m[1]))).toEqual([
      ...range(1, 5),
      15,
      16,
      17,
    ]);
  });

  test('growing into its own room is in place and leaves the lock as it is', () => {
    const grown = run([...STACK.slice(0, 3), ['pool', 6]], first);
    expect(grown.ids.pool).toEqual(range(9, 14));
    expect(grown.lock).toBe(first);
  });

  test('shrinking keeps every held ID, so growing back gives the same IDs', () => {
    const shrunk = run([['router', 2], ...STACK.slice(1)], first);
    expect(shrunk.ids.router).toEqual([1, 2]);
    expect(shrunk.lock).toBe(first);
    expect(run(STACK, shrunk.lock).ids).toEqual(run(STACK).ids);
  });

  test('a new instance takes IDs no entry holds: after the last one’s room', () => {
    const added = run([['new', 2], ...STACK], first);
    expect(added.ids.new).toEqual([15, 16]);
    expect(entries(added.lock).new).toBe('15..20');
  });

  test('a removed instance keeps its entry and its IDs, until the entry is deleted', () => {
    const removed = run(
      [
        ['router', 5],
        ['cache', 2],
        ['pool', 2],
        ['new', 1],
      ],
      first,
    );
    expect(entries(removed.lock).db).toBe('8');
    expect(removed.ids.new).toEqual([15]);
    // Brought back under its name, it gets its IDs again.
    expect(run([...STACK, ['new', 1]], removed.lock).ids.db).toEqual([8]);
  });

  test('renaming is a new instance: the old name keeps its IDs held', () => {
    const renamed = run([['router', 5], ['cache-v2', 2], ...STACK.slice(2)], first);
    expect(renamed.ids['cache-v2']).toEqual([15, 16]);
    expect(entries(renamed.lock).cache).toBe('6..7');
  });

  test('when nothing above is free, growing fails with every way out', () => {
    const full = run(
      [
        ['router', 5],
        ['big', 245, { vipGroups: 245 }],
      ],
      undefined,
    );
    expect(full.errors).toBe('');
    const grown = run(
      [
        ['router', 7],
        ['big', 245, { vipGroups: 245 }],
      ],
      full.lock,
    );
    expect(grown.errors).toBe(
      "app/router: 'virtualIps' \"7 VIPs\" need 7 VRRP IDs: ipfailover.lock.json holds 1..5 for ns/router, and no ID above 5 is free; use 5 VRRP groups or fewer ('vipGroups'); or free IDs: delete the entries of removed instances from ipfailover.lock.json (ipfailover plan --lock lists them)",
    );
    // Where free IDs lie below it (an entry deleted by hand), the fix names the offset to move to.
    const layout: Decl[] = [
      ['filler', 10],
      ['router', 5],
      ['wall', 1, { vrrpIdOffset: 15 }],
      ['top', 238, { vipGroups: 238, vrrpIdOffset: 17 }],
    ];
    const packed = run(layout);
    expect(entries(packed.lock)).toEqual({ filler: '1..10', router: '11..15', wall: '16', top: '18..255' });
    const read = parseLock(packed.lock, NAME);
    if (!read.ok) throw new Error('bad lock');
    const vrrpIds = new Map(read.lock.vrrpIds);
    vrrpIds.delete('ns/filler');
    const blocked = run([['router', 7], ...layout.slice(2)], serializeLock({ vrrpIds }));
    expect(blocked.errors).toContain(
      "need 7 VRRP IDs: ipfailover.lock.json holds 11..15 for ns/router, and only 1 ID above 15 is free; use 6 VRRP groups or fewer ('vipGroups'); or move it with 'vrrpIdOffset' 0 (IDs 1..7 are free; its groups then change VRRP IDs, so roll it out with strategy 'Recreate')",
    );
  });
});

describe('explicit offsets and the lock', () => {
  const first = run(STACK).lock;

  test('an offset equal to the recorded one changes nothing', () => {
    expect(run([['router', 5, { vrrpIdOffset: 0 }], ...STACK.slice(1)], first).lock).toBe(first);
  });

  test('an offset that differs moves the instance (the prop wins); its old IDs go to nobody in that run', () => {
    const moved = run([['router', 5, { vrrpIdOffset: 100 }], ...STACK.slice(1), ['new', 3]], first);
    expect(moved.errors).toBe('');
    expect(moved.ids.router).toEqual(range(101, 105));
    expect(moved.ids.new).toEqual(range(15, 17));
    expect(entries(moved.lock)).toMatchObject({ router: '101..105' });
    // A later run may use them: the move has been deployed by then, or the lock was not committed.
    expect(run([...STACK.slice(1), ['other', 2]], moved.lock).ids.other).toEqual([1, 2]);
  });

  test('an offset on IDs the lock holds for an instance not declared is refused, naming the lock', () => {
    const removed = run(STACK.slice(1), first);
    const taken = run([...STACK.slice(1), ['x', 2, { vrrpIdOffset: 2 }]], removed.lock);
    expect(taken.errors).toBe(
      "app/x: 'vrrpIdOffset' 2 overlaps the VRRP IDs ipfailover.lock.json holds for 'ns/router' (IDs 1..5); use 14 (first free)",
    );
  });

  test('an offset into the spare room of an instance of the run takes it, shortening that room', () => {
    const taken = run([...STACK, ['x', 2, { vrrpIdOffset: 11 }]], first);
    expect(taken.errors).toBe('');
    expect(entries(taken.lock)).toMatchObject({ pool: '9..11', x: '12..13' });
  });
});

describe('a frozen lock (CI)', () => {
  const first = run(STACK).lock;
  const frozen = { frozen: 'CI=true' };

  test('the stack as recorded, shrunk, or grown into its room, passes', () => {
    expect(run(STACK, first, frozen).errors).toBe('');
    expect(run([['router', 1], ...STACK.slice(1)], first, frozen).errors).toBe('');
    expect(run([...STACK.slice(0, 3), ['pool', 6]], first, frozen).errors).toBe('');
  });

  test('a new, grown or moved instance is an issue of that instance, saying how to update the lock', () => {
    const fix =
      'update ipfailover.lock.json where it may be written (IPFAILOVER_LOCK_MODE=write, or without CI set), review the change and commit it';
    expect(run([...STACK, ['new', 1]], first, frozen).errors).toBe(
      `app/new: 'vrrpIdOffset' (unset) would give ns/new VRRP IDs 15, which ipfailover.lock.json does not record, and ipfailover.lock.json is frozen (CI=true); ${fix}`,
    );
    expect(run([['router', 6], ...STACK.slice(1)], first, frozen).errors).toBe(
      `app/router: 'virtualIps' "6 VIPs" need VRRP IDs 1..5, 15, more than the 1..5 ipfailover.lock.json records for ns/router, and ipfailover.lock.json is frozen (CI=true); ${fix}`,
    );
    expect(run([['router', 5, { vrrpIdOffset: 50 }], ...STACK.slice(1)], first, frozen).errors).toBe(
      `app/router: 'vrrpIdOffset' 50 moves ns/router from the VRRP IDs ipfailover.lock.json records (1..5) to 51..55, and ipfailover.lock.json is frozen (CI=true); ${fix}`,
    );
  });
});

describe('a tight ID space falls back gracefully', () => {
  test('with no free run left, a new instance takes the end of the spare room of one of the run', () => {
    const nearlyFull = run([
      ['a', 200, { vipGroups: 200 }],
      ['b', 40, { vipGroups: 40 }],
    ]);
    expect(entries(nearlyFull.lock)).toEqual({ a: '1..200', b: '201..255' });
    const more = run(
      [
        ['a', 200, { vipGroups: 200 }],
        ['b', 40, { vipGroups: 40 }],
        ['c', 10, { vipGroups: 10 }],
      ],
      nearlyFull.lock,
    );
    expect(more.errors).toBe('');
    expect(more.ids.c).toEqual(range(246, 255));
    expect(entries(more.lock)).toEqual({ a: '1..200', b: '201..245', c: '246..255' });
  });

  test('a recorded instance’s room is never taken while it is not declared (its pods may run)', () => {
    const full = run([
      ['a', 200, { vipGroups: 200 }],
      ['b', 40, { vipGroups: 40 }],
    ]);
    const without = run(
      [
        ['a', 200, { vipGroups: 200 }],
        ['c', 10, { vipGroups: 10 }],
      ],
      full.lock,
    );
    expect(without.errors).toBe(
      "app/c: 'vipGroups' 10 VRRP groups find no run of 10 free VRRP IDs (the largest has 0); set 'vipGroups' to 0 or fewer",
    );
  });
});

test('a lock entry on an ID reserved since is an issue of the lock file', () => {
  const planner = run(STACK, run(STACK).lock, { reservedVrrpIds: [7] }).planner;
  expect(planner.issuesFor(NAME).map((i) => `${i.field} ${i.problem}`)).toEqual([
    'vrrpIds["ns/cache"] holds 7, which reservedVrrpIds reserves for the cluster',
  ]);
});

test('check() finds what add() would, and records nothing', () => {
  const first = run(STACK).lock;
  const read = parseLock(first, NAME);
  if (!read.ok) throw new Error('bad lock');
  const planner = new Planner({ lock: { allocation: read.lock, name: NAME, frozenBecause: 'CI=true' } });
  const props = { virtualIps: vipsOf('router', 6), name: 'router', namespace: 'ns' };
  const checked = planner.check(props, { path: 'app/router', id: 'router' });
  expect(planner.allocation.vrrpIds.get('ns/router')).toEqual(range(1, 5));
  expect(planner.add(props, { path: 'app/router', id: 'router' }).issues).toEqual(checked);
  expect(checked).toHaveLength(1);
});

test('plan reads a grown instance back from its manifests with the IDs it skips', () => {
  const grown = run([['router', 8], ...STACK.slice(1)], run(STACK).lock);
  const deployments = grown.planner.instances.map((p) => failoverObjects(p).find((o) => o.kind === 'Deployment')!);
  const report = planManifests(deployments);
  expect(report.issues).toEqual([]);
  expect(report.instances.find((r) => r.name === 'router')).toMatchObject({
    vrrpIds: { first: 1, last: 17 },
    skippedVrrpIds: range(6, 14),
  });
});

describe('property: growing, shrinking, adding, removing and reordering never renumber a group', () => {
  const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  /** A run: for each name, absent (0) or its VIP count; and the declaration order. */
  const runArb = fc.record({
    sizes: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 })), {
      minLength: NAMES.length,
      maxLength: NAMES.length,
    }),
    order: fc.shuffledSubarray(NAMES, { minLength: NAMES.length }),
  });

  test('once a group of an instance has a VRRP ID, it keeps it in every later run that has the group', () => {
    fc.assert(
      fc.property(fc.array(runArb, { minLength: 2, maxLength: 8 }), (runs) => {
        let lock: string | undefined;
        const given = new Map<string, number[]>();
        for (const { sizes, order } of runs) {
          const decls = order.map((name) => [name, sizes[NAMES.indexOf(name)]!] as Decl).filter(([, n]) => n > 0);
          const result = run(decls, lock);
          // 8 instances of at most 12 groups, plus room, fit in 255 IDs: nothing fails.
          expect(result.errors).toBe('');
          const all = Object.values(result.ids).flat();
          expect(new Set(all).size).toBe(all.length);
          for (const [name, ids] of Object.entries(result.ids)) {
            const before = given.get(name) ?? [];
            for (let i = 0; i < Math.min(before.length, ids.length); i++) expect(ids[i]).toBe(before[i]);
            if (ids.length > before.length) given.set(name, ids);
          }
          lock = result.lock;
        }
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * VRRP IDs kept across runs: 50 failover instances synthesized with cdk8s against a real lock
 * file, then the first grown by 10 VRRP groups and synthesized again; counts the instances whose
 * VRRP IDs moved, against the same two synths first-fit without a lock, in the same run. Also
 * times the planner planning that second run with the lock and without it. Asserts nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App, Chart } from 'cdk8s';
import type * as Cdk8sApi from '../lib/cdk8s';
import type * as LockApi from '../lib/core/plan/allocation-lock';
import type * as PlannerApi from '../lib/core/plan/planner';

/* eslint-disable @typescript-eslint/no-require-imports */
const { IpFailover, configureFailoverPlanner } = require('../dist/cdk8s') as typeof Cdk8sApi;
const { Planner } = require('../dist/core/plan/planner') as typeof PlannerApi;
const { parseLock, serializeLock } = require('../dist/core/plan/allocation-lock') as typeof LockApi;
/* eslint-enable @typescript-eslint/no-require-imports */

const INSTANCES = 50;
const GROWTH = 10;
const TRIALS = 7;

/** Instance i's VIP count: 1 to 4, 125 groups in all (half the cluster's limit). */
const vipCount = (i: number): number => (i % 4) + 1;
const vipsOf = (i: number, n: number): string[] => Array.from({ length: n }, (_, k) => `198.51.${i}.${k + 1}`);

/** One synth of the 50 instances, the first with `extra` more VIPs; each instance's VRRP IDs. */
function synth(lockFile: string, lockMode: 'write' | 'off', extra: number): number[][] {
  const app = new App({ outdir: join(lockFile, '..', 'dist') });
  configureFailoverPlanner(app, { lockFile, lockMode });
  const chart = new Chart(app, 'bench', { namespace: 'bench' });
  const made = Array.from(
    { length: INSTANCES },
    (_, i) => new IpFailover(chart, `vips-${i}`, { virtualIps: vipsOf(i, vipCount(i) + (i === 0 ? extra : 0)) }),
  );
  app.synthYaml();
  return made.map((m) => [...m.vrrpIds]);
}

/** Instances any of whose groups changed VRRP ID between two synths (group by group). */
function renumbered(before: number[][], after: number[][]): number {
  return before.filter((ids, i) => ids.some((id, g) => after[i]![g] !== undefined && after[i]![g] !== id)).length;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The second run's planning alone, with the first run's lock and without one. */
function planTimes(lockText: string): { locked: number; unlocked: number } {
  const read = parseLock(lockText, 'bench.lock.json');
  if (!read.ok) throw new Error('the bench lock does not parse');
  const plan = (withLock: boolean): number => {
    const start = performance.now();
    for (let r = 0; r < 100; r++) {
      const planner = new Planner(withLock ? { lock: { allocation: read.lock, name: 'bench.lock.json' } } : {});
      for (let i = 0; i < INSTANCES; i++) {
        planner.add(
          { virtualIps: vipsOf(i, vipCount(i) + (i === 0 ? GROWTH : 0)), name: `vips-${i}`, namespace: 'bench' },
          { path: `bench/vips-${i}`, id: `vips-${i}` },
        );
      }
      if (withLock) serializeLock(planner.allocation);
    }
    return (performance.now() - start) / 100;
  };
  plan(true);
  plan(false);
  const locked: number[] = [];
  const unlocked: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    locked.push(plan(true));
    unlocked.push(plan(false));
  }
  return { locked: median(locked), unlocked: median(unlocked) };
}

/** The synth bench's 10,000 candidate allocations, optionally against the lock a first pass left. */
function tenThousand(lock?: LockApi.AllocationLock): { ms: number; allocation: LockApi.AllocationLock } {
  const start = performance.now();
  const planner = new Planner(lock ? { lock: { allocation: lock, name: 'bench.lock.json' } } : {});
  for (let i = 0; i < 10_000; i++) {
    planner.add(
      {
        virtualIps: `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255 || 1}`,
        ...(i % 3 === 0 && { vrrpIdOffset: i % 250 }),
      },
      { path: `c/${i}`, id: `v${i}` },
    );
  }
  const allocation = planner.allocation;
  return { ms: performance.now() - start, allocation };
}

/** Runs the lock bench and returns the lines to print. */
export function benchLock(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'ipfailover-bench-lock-'));
  try {
    const lockFile = join(dir, 'ipfailover.lock.json');
    const lockedBefore = synth(lockFile, 'write', 0);
    const lockText = readFileSync(lockFile, 'utf8');
    const lockedAfter = synth(lockFile, 'write', GROWTH);
    const unlockedBefore = synth(join(dir, 'none.json'), 'off', 0);
    const unlockedAfter = synth(join(dir, 'none.json'), 'off', GROWTH);
    const grown = lockedAfter[0]!;
    const times = planTimes(lockText);
    const recorded = tenThousand().allocation;
    const withLock: number[] = [];
    const without: number[] = [];
    for (let t = 0; t < TRIALS; t++) {
      withLock.push(tenThousand(recorded).ms);
      without.push(tenThousand().ms);
    }
    return [
      `grow the first of ${INSTANCES} instances (125 VRRP groups) by ${GROWTH} groups, cdk8s synth twice: ` +
        `${renumbered(lockedBefore, lockedAfter)} instances renumbered with the lock file, ` +
        `${renumbered(unlockedBefore, unlockedAfter)} first-fit without it (goal 0)`,
      `  with the lock the grown instance keeps IDs ${lockedBefore[0]!.join(', ')} and adds ${grown.slice(lockedBefore[0]!.length).join(', ')}`,
      `planner, that second run of ${INSTANCES} instances: ${times.locked.toFixed(3)} ms with the lock (and writing it) vs ` +
        `${times.unlocked.toFixed(3)} ms first-fit without: ${(times.locked / times.unlocked).toFixed(2)}x`,
      `planner, 10,000 candidate allocations against the lock a first pass left: median ${median(withLock).toFixed(1)} ms vs ` +
        `${median(without).toFixed(1)} ms without a lock: ${(median(withLock) / median(without)).toFixed(2)}x`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  for (const line of benchLock()) console.log(line);
}

/**
 * A rolling change on three network-namespace nodes (test/e2e/rolling.ts): the three
 * changes (new image tag, one VIP added, check interval changed) rolled one pod at a time, with
 * every node's addresses sampled all along. Per change, the longest time each VIP it left
 * unchanged was held by no node, beside the graceful handover measured in the same run (one
 * pod's SIGTERM is one graceful handover per VIP it held: the ratio says what the roll adds).
 */
import type { ChildProcess } from 'node:child_process';
import { Cluster, waitFor } from '../test/e2e/cluster';
import { HolderWatch } from '../test/e2e/holders';
import { rollOut, rolloutOf, startAll, threeChanges } from '../test/e2e/rolling';

const PORT = 18084;
const GOAL_MS = 500;

/** What a profile needs here: its name and advert interval. */
export interface RollingProfile {
  readonly name: string;
  readonly advert: number;
}

const ms = (value: number): string => `${(value / 1000).toFixed(3)} s`;

/**
 * Rolls the three changes out once with the profile's advert interval; `gracefulMs` is the
 * median graceful handover of the same profile in this run. A new pod is ready when the
 * Deployment's readiness probe, run as the kubelet runs it, gets a 200 from its agent.
 */
export async function benchRolling(cli: string, profile: RollingProfile, gracefulMs: number): Promise<string[]> {
  const cluster = new Cluster('ipfbench', 3, cli);
  const services: ChildProcess[] = [];
  const watch = new HolderWatch(cluster.nodes);
  try {
    cluster.up();
    for (let i = 0; i < 3; i++) services.push(cluster.startService(i, PORT));
    await waitFor('services', () => [0, 1, 2].every((i) => cluster.listening(i, PORT)));
    const { first, steps } = threeChanges(PORT, { advertIntervalSeconds: profile.advert });
    const agents = await startAll(cluster, first);
    const { reports } = await rollOut(cluster, watch, agents, first, steps);
    const { probe } = rolloutOf(first);
    const lines = reports.map((report) => {
      const longest = [...report.unchanged.values()].map((w) => w.longestUnservedMs).sort((a, b) => a - b);
      const worst = longest.at(-1) ?? 0;
      const doubles = [...report.unchanged.values()].reduce((n, w) => n + w.doubles.length, 0);
      return `${profile.name}, rolling change "${report.name}" (3 pods one at a time, ${(report.durationMs / 1000).toFixed(1)} s): longest unserved per unchanged VIP max ${ms(worst)}, median ${ms(longest[Math.floor(longest.length / 2)] ?? 0)} (${longest.length} VIPs) = ${(worst / gracefulMs).toFixed(2)}x the graceful handover median ${ms(gracefulMs)}; double-holder samples ${doubles}; goal <= ${ms(GOAL_MS)}`;
    });
    lines.push(
      `(rolling change: holders sampled forward and backward over the nodes every ${watch.medianPassMs().toFixed(1)} ms (median pass); the next node's turn when the new pod's ${probe.path} answers the Deployment's probe, every ${probe.periodSeconds} s)`,
    );
    return lines;
  } finally {
    watch.stop();
    for (const s of services) s.kill('SIGKILL');
    cluster.destroy();
  }
}

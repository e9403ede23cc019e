/**
 * A rolling change without an outage: three network-namespace nodes run the built agent with
 * real keepalived, and three changes roll over them one pod at a time, as the Deployment's
 * `RollingUpdate` (maxUnavailable 1, maxSurge 0) rolls them (see rolling.ts): a new image tag (a
 * restart with the same settings), one VIP added, the check interval changed. A sampler reads
 * every node's addresses all along (holders.ts). Asserted: no sample ever saw a VIP on two
 * nodes, and every VIP is held by exactly one node at the end. How long each unchanged VIP went
 * unserved is printed here and measured in `npm run bench` (timings are never asserted).
 */
import type { ChildProcess } from 'node:child_process';
import { Cluster, buildCli, skipReason, waitFor } from './cluster';
import { HolderWatch, heldBoth } from './holders';
import { rollOut, rolloutOf, startAll, threeChanges } from './rolling';

const reason = skipReason();
const suite = reason === undefined ? describe : describe.skip;
if (reason !== undefined) console.warn(`e2e rolling-change test skipped: ${reason}`);

const PORT = 18083;

const { first: FIRST, steps: STEPS } = threeChanges(PORT);

suite(`a rolling change over three network-namespace nodes${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let cli: string;
  let cluster: Cluster;
  let watch: HolderWatch | undefined;
  const services: ChildProcess[] = [];

  beforeAll(() => {
    cli = buildCli();
  }, 60_000);

  afterAll(() => {
    watch?.stop();
    for (const s of services) if (s.exitCode === null) s.kill('SIGKILL');
    cluster?.destroy();
  });

  test('image tag, one VIP added, check interval: no VIP ever on two nodes, every VIP held once at the end', async () => {
    cluster = new Cluster('ipfroll', 3, cli);
    cluster.up();
    for (let i = 0; i < 3; i++) services.push(cluster.startService(i, PORT));
    await waitFor('services listening', () => [0, 1, 2].every((i) => cluster.listening(i, PORT)));
    // The env really changes where the step says it does, and only there.
    const envs = [FIRST, ...STEPS.map((s) => s.props)].map((p) => rolloutOf(p).envOn(cluster, 0));
    expect(envs[1]).toEqual(envs[0]);
    expect(envs[2]!.OPENSHIFT_HA_VIRTUAL_IPS).toBe('192.0.2.101-107');
    expect(envs[3]!.OPENSHIFT_HA_CHECK_INTERVAL).toBe('1');
    expect(envs[2]!.OPENSHIFT_HA_CHECK_INTERVAL).toBe('2');

    watch = new HolderWatch(cluster.nodes);
    const first = await startAll(cluster, FIRST);
    const from = Date.now();
    const { agents, reports } = await rollOut(cluster, watch, first, FIRST, STEPS);
    const finalVips = rolloutOf(STEPS.at(-1)!.props).vips;

    for (const report of reports) {
      const worst = [...report.unchanged].map(
        ([vip, w]) => `${vip.split('.').at(-1)} ${w.longestUnservedMs.toFixed(0)}`,
      );
      console.log(
        `rolling change, ${report.name} (${(report.durationMs / 1000).toFixed(1)} s): longest unserved per unchanged VIP (ms): ${worst.join(', ')}; double-holder samples: ${[...report.unchanged.values()].reduce((n, w) => n + w.doubles.length, 0)}`,
      );
    }
    console.log(`holder samples: ${watch.samples.length}, one pass ${watch.medianPassMs().toFixed(1)} ms (median)`);

    // Every VIP that was there before a step was watched through it, and sampled often.
    expect(reports.map((r) => [...r.unchanged.keys()].length)).toEqual([6, 6, 7]);
    const during = watch.samples.filter((s) => s.start >= from);
    expect(during.length).toBeGreaterThan(100);
    // No sample, in any step, saw a VIP (the added one included) on two nodes.
    const doubles = during.flatMap((s) =>
      finalVips.flatMap((vip) => (heldBoth(s, vip).length > 1 ? [`${vip} on ${heldBoth(s, vip).join('+')}`] : [])),
    );
    expect(doubles).toEqual([]);
    // The old agents handed over and exited 0 (rollOut checks each); the new ones all run.
    expect(agents.every((a) => a.child.exitCode === null)).toBe(true);
    // At the end every VIP, the added one too, is held by exactly one node, as the last sample saw it.
    const last = watch.samples.at(-1)!;
    expect(finalVips.map((vip) => heldBoth(last, vip).length)).toEqual(finalVips.map(() => 1));
    expect(cluster.oneOwnerEach(finalVips)).toBe(true);
  }, 180_000);
});

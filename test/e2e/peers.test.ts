/**
 * Peers from the cluster, end to end: three network-namespace nodes run the built agent with real
 * keepalived, and read their instance's nodes from a local HTTPS STAND-IN for the Kubernetes API
 * (test/support/kube-api-stand-in.ts; no real API server can run here), which serves the
 * instance's pods in the real list and watch wire format. The node names are the issue's
 * `node1`, `node2`, `node4`, which share one rank under the name hash (12 groups gave 12-0-0).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { preferenceOrders } from '../../lib/core/node/priorities';
import { ApiStandIn, startAgentNamed } from './api-stand-in';
import { Cluster, buildCli, collectLines, skipReason, waitFor, type Agent } from './cluster';
import { HolderWatch, vipWindow } from './holders';

const reason = skipReason();
const suite = reason === undefined ? describe : describe.skip;
if (reason !== undefined) console.warn(`e2e peers tests skipped: ${reason}`);

const NAMES = ['node1', 'node2', 'node4'];
const VIPS = Array.from({ length: 12 }, (_, i) => `192.0.2.${101 + i}`);
const LABELS = { ipfailover: 'e2e' };

/** Twelve single-VIP groups; the preempt delay short so a node that starts late soon takes its groups. */
function env(
  peers: 'cluster' | 'clusterUnicast' | 'static',
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    OPENSHIFT_HA_CONFIG_NAME: 'e2e',
    OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.101-112',
    OPENSHIFT_HA_NETWORK_INTERFACE: 'eth0',
    OPENSHIFT_HA_REPLICA_COUNT: '3',
    OPENSHIFT_HA_MONITOR_PORT: '0',
    OPENSHIFT_HA_IPTABLES_CHAIN: '',
    OPENSHIFT_HA_PREEMPTION: 'preempt_delay 2',
    IPFAILOVER_ADVERT_INTERVAL: '0.1',
    IPFAILOVER_PEERS: peers,
    ...ApiStandIn.env(),
    ...extra,
  };
}

/** How many VIPs each node holds. */
const perNode = (cluster: Cluster): number[] =>
  [0, 1, 2].map((i) => {
    const held = new Set(cluster.addresses(i));
    return VIPS.filter((v) => held.has(v)).length;
  });

/** The node (index) each group's first choice is, among these node indexes. */
function firstChoices(nodes: readonly number[]): number[] {
  return preferenceOrders(
    nodes.map((i) => NAMES[i]!),
    VIPS.length,
  ).map((order) => NAMES.indexOf(order[0]!));
}

/** The holder of each VIP (-1 for none, -2 for several). */
function holders(cluster: Cluster): number[] {
  const owners = cluster.owners(VIPS);
  return VIPS.map((v) => {
    const o = owners.get(v)!;
    return o.length === 1 ? o[0]! : o.length === 0 ? -1 : -2;
  });
}

suite(`peers from the cluster, on three network-namespace nodes${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let cli: string;
  let cluster: Cluster;
  let api: ApiStandIn;

  beforeAll(() => {
    cli = buildCli();
  }, 60_000);

  beforeEach(async () => {
    cluster = new Cluster('ipfpe', 3, cli);
    cluster.up();
    api = await ApiStandIn.start(cluster);
  }, 60_000);

  afterEach(() => {
    api?.stop();
    cluster?.destroy();
  });

  /** Node `i`'s pod, by default of an instance that has run for an hour (formed: see forming.ts). */
  const podOf = (i: number, suffix = 'a', createdSecondsAgo = 3600): Parameters<ApiStandIn['addPod']>[0] => ({
    name: `e2e-${suffix}${i}`,
    labels: LABELS,
    nodeName: NAMES[i]!,
    ip: cluster.address(i),
    createdSecondsAgo,
  });

  /** Starts the agents one after another, `gapMs` apart, as the pods of one rollout come up. */
  async function startApart(gapMs: number, e: Record<string, string>): Promise<Agent[]> {
    const agents: Agent[] = [];
    for (const i of [0, 1, 2]) {
      if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
      agents.push(start(i, e));
    }
    return agents;
  }

  const start = (i: number, e: Record<string, string>): Agent =>
    startAgentNamed(cluster, i, e, NAMES[i]!, api.serviceAccountDir);

  const configOf = (i: number): string => readFileSync(join(cluster.stateRoot, `n${i}`, 'keepalived.conf'), 'utf8');
  const reloads = (a: Agent): string[] => a.lines.filter((l) => l.includes('reloading keepalived'));

  /** Waits until every group is on its first choice among `nodes`. */
  const exactPlacement = (nodes: readonly number[], timeoutMs = 30_000): Promise<void> =>
    waitFor('the exact placement', () => holders(cluster).join() === firstChoices(nodes).join(), timeoutMs);

  /** A network that drops multicast (many clouds do), with the three nodes' pods listed. */
  async function dropMulticastAndListPods(): Promise<void> {
    for (const i of [0, 1, 2]) {
      for (const chain of ['INPUT', 'OUTPUT'])
        cluster.exec(i, 'iptables', '-w', '5', '-I', chain, '-d', '224.0.0.0/4', '-j', 'DROP');
      await api.addPod(podOf(i));
    }
  }

  test('multicast, names that collide under the hash: 4-4-4, each group on its first choice', async () => {
    for (const i of [0, 1, 2]) await api.addPod(podOf(i));
    const agents = [0, 1, 2].map((i) => start(i, env('cluster')));
    await exactPlacement([0, 1, 2]);
    await new Promise((r) => setTimeout(r, 1500)); // stable, not a transient
    expect(perNode(cluster)).toEqual([4, 4, 4]);
    expect(holders(cluster)).toEqual(firstChoices([0, 1, 2]));
    for (const a of agents)
      expect(a.lines.join('\n')).toMatch(
        /first choice of 4 of 12 group\(s\) among 3 nodes \(read from the cluster\) \(nodes node1, node2, node4\)/,
      );
    expect((await api.stats()).lists).toBe(3);
  }, 90_000);

  test('a fresh deployment whose nodes start 1 s apart, with the default 300 s preempt delay: 4-4-4 at once', async () => {
    // The first node up takes every group within 0.3 s (0.1 s adverts); without the forming
    // window the later ones would wait 300 s to take theirs back: 12-0-0.
    for (const i of [0, 1, 2]) await api.addPod(podOf(i, 'a', 0));
    const agents = await startApart(1000, env('cluster', { OPENSHIFT_HA_PREEMPTION: 'preempt_delay 300' }));
    await exactPlacement([0, 1, 2], 15_000);
    expect(perNode(cluster)).toEqual([4, 4, 4]);
    for (const a of agents) {
      expect(a.lines).toContainEqual(
        expect.stringMatching(
          /^ipfailover: the instance is forming .* without a preempt delay for 1[12]\d s, then with preempt_delay 300$/,
        ),
      );
      expect(configOf(agents.indexOf(a))).toContain('preempt_delay 0\n');
    }
  }, 90_000);

  test('the window ends: one reload to the delay given, no VIP moves; a node back in the formed instance waits it out', async () => {
    // Pods created 114 s ago: the instance forms for 6 s more.
    for (const i of [0, 1, 2]) await api.addPod(podOf(i, 'a', 114));
    const e = env('cluster', { OPENSHIFT_HA_PREEMPTION: 'preempt_delay 300' });
    const agents = await startApart(1000, e);
    await exactPlacement([0, 1, 2], 15_000);
    const watch = new HolderWatch(cluster.nodes);
    const from = Date.now();
    await waitFor(
      'each node reloaded once the instance formed',
      () => agents.every((a) => a.lines.some((l) => /has formed, so preempt_delay 300 again/.test(l))),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 2500)); // the reload done, and some adverts after it
    watch.stop();
    for (const [i, a] of agents.entries()) {
      expect(reloads(a)).toHaveLength(1);
      expect(configOf(i)).toContain('preempt_delay 300\n');
      expect(configOf(i)).not.toContain('preempt_delay 0\n');
    }
    expect(holders(cluster)).toEqual(firstChoices([0, 1, 2]));
    for (const vip of VIPS) {
      const seen = vipWindow(watch.samples, vip, from, Date.now());
      expect([vip, seen.unservedSamples, seen.doubles]).toEqual([vip, 0, []]);
    }

    // node4 stops (its groups go to the others) and comes back to an instance that has formed:
    // it keeps the delay, so the others keep its groups (for 300 s; watched for 5).
    agents[2]!.child.kill('SIGTERM');
    expect(await agents[2]!.exited).toBe(0);
    await waitFor(
      "node4's groups on the others",
      () => perNode(cluster)[2] === 0 && cluster.oneOwnerEach(VIPS),
      10_000,
    );
    const placed = holders(cluster);
    const back = start(2, e);
    await waitFor('node4 back', () => back.lines.some((l) => l.includes('keepalived running')), 15_000);
    await new Promise((r) => setTimeout(r, 5000));
    expect(holders(cluster)).toEqual(placed);
    expect(back.lines.join('\n')).not.toMatch(/forming/);
    expect(configOf(2)).toContain('preempt_delay 300\n');
  }, 120_000);

  test('automatic unicast where multicast is dropped: 4-4-4; a node lost and back changes no survivor', async () => {
    await dropMulticastAndListPods();
    const agents = [0, 1, 2].map((i) => start(i, env('clusterUnicast')));
    await exactPlacement([0, 1, 2]);
    expect(perNode(cluster)).toEqual([4, 4, 4]);
    expect(configOf(0)).toContain('unicast_peer {\n    192.0.2.2\n    192.0.2.3\n  }');
    const before = [0, 1, 2].map(configOf);

    // node4 goes down hard: link gone, agent and keepalived killed. Its pod stays listed, then is
    // evicted (deleting) and finally replaced by one bound to the same node when it is back.
    cluster.setLink(2, false);
    agents[2]!.child.kill('SIGKILL');
    const pids = spawnSync('pgrep', ['-f', `${cluster.stateRoot}/n2/keepalived.conf`], { encoding: 'utf8' }).stdout;
    for (const pid of pids.split('\n').filter((p) => p !== '')) process.kill(Number(pid), 'SIGKILL');
    await waitFor("node4's VIPs on the survivors", () => perNode(cluster)[0]! + perNode(cluster)[1]! === 12, 20_000);
    expect(holders(cluster).every((h) => h === 0 || h === 1)).toBe(true);
    await api.send({ op: 'updatePod', name: 'e2e-a2', change: { phase: 'Unknown' } });
    await api.send({ op: 'terminatePod', name: 'e2e-a2' });
    await new Promise((r) => setTimeout(r, 1500));

    // Back: the old pod goes, a new one is bound to the same node, the agent starts afresh.
    cluster.setLink(2, true);
    await api.send({ op: 'deletePod', name: 'e2e-a2' });
    await new Promise((r) => setTimeout(r, 500));
    await api.addPod(podOf(2, 'b'));
    start(2, env('clusterUnicast'));
    await waitFor(
      'node4 has its groups back',
      () => holders(cluster).join() === firstChoices([0, 1, 2]).join(),
      30_000,
    );
    // The survivors' configs never changed, and they were never reloaded; the returning node
    // computed the config it had.
    expect([configOf(0), configOf(1)]).toEqual([before[0], before[1]]);
    expect(configOf(2)).toBe(before[2]);
    expect([reloads(agents[0]!), reloads(agents[1]!)]).toEqual([[], []]);
  }, 120_000);

  test('a node joins: the others reload, keep every VIP that stays with them, and hand it its share', async () => {
    for (const i of [0, 1]) await api.addPod(podOf(i));
    const agents = [0, 1].map((i) => start(i, env('clusterUnicast')));
    await waitFor('two-node placement', () => holders(cluster).join() === firstChoices([0, 1]).join(), 30_000);
    // Every address change on the two nodes from now on.
    const events = [0, 1].map((i) => {
      const monitor = spawn('ip', ['-n', cluster.nodes[i]!, 'monitor', 'address'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: string[] = [];
      collectLines(monitor, lines);
      return lines;
    });
    const watch = new HolderWatch(cluster.nodes);
    await new Promise((r) => setTimeout(r, 300));
    const twoNodes = holders(cluster);
    const joined = Date.now();
    await api.addPod(podOf(2));
    start(2, env('clusterUnicast'));
    await waitFor('three-node placement', () => holders(cluster).join() === firstChoices([0, 1, 2]).join(), 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    watch.stop();
    // Never a VIP on two nodes: the newcomer started keepalived only once the others sent it adverts.
    for (const vip of VIPS) expect([vip, vipWindow(watch.samples, vip, joined, Date.now()).doubles]).toEqual([vip, []]);
    for (const a of agents) expect(reloads(a)).toHaveLength(1);
    expect(configOf(0)).toContain('unicast_peer {\n    192.0.2.2\n    192.0.2.3\n  }');
    // A VIP left on its node was never deleted there; each one that moved was deleted once.
    const after = holders(cluster);
    for (const [k, vip] of VIPS.entries()) {
      const was = twoNodes[k]!;
      const deleted = events[was]!.filter((l) => l.startsWith('Deleted') && l.includes(`${vip}/`)).length;
      expect([vip, deleted]).toEqual([vip, after[k] === was ? 0 : 1]);
    }
    const moved = VIPS.filter((_, k) => after[k] !== twoNodes[k] && after[k] !== 2).length;
    console.log(`a node joins: ${after.filter((h) => h === 2).length} groups moved to it, ${moved} between the others`);
  }, 120_000);

  test('a container restarted while the API is down starts with the nodes it kept (unicast: its peers)', async () => {
    await dropMulticastAndListPods();
    const agents = [0, 1, 2].map((i) => start(i, env('clusterUnicast')));
    await exactPlacement([0, 1, 2]);
    const before = configOf(2);
    await api.send({ op: 'pause' });
    agents[2]!.child.kill('SIGTERM');
    expect(await agents[2]!.exited).toBe(0);
    const again = start(2, env('clusterUnicast'));
    await waitFor(
      'node4 has its groups back',
      () => holders(cluster).join() === firstChoices([0, 1, 2]).join(),
      30_000,
    );
    expect(configOf(2)).toBe(before);
    expect(again.lines.filter((l) => l.includes('cannot list the instance'))).toEqual([
      expect.stringMatching(
        /runs with the 3 node\(s\) it listed before it restarted \(.*nodes\.json\) until the list comes/,
      ),
    ]);
  }, 120_000);

  test('the API down at start: the name hash, one line; back: exact ranks; down later: nothing changes', async () => {
    for (const i of [0, 1, 2]) await api.addPod(podOf(i));
    await api.send({ op: 'pause' });
    const agents = [0, 1, 2].map((i) => start(i, env('cluster')));
    await waitFor('every VIP held once', () => cluster.oneOwnerEach(VIPS), 30_000);
    for (const a of agents) {
      expect(a.lines.filter((l) => l.includes('cannot list the instance'))).toEqual([
        expect.stringMatching(
          /no node listed yet, so the node name's hash ranks this node until the list comes; retrying$/,
        ),
      ]);
      expect(a.lines.join('\n')).toMatch(/by the node name's hash/);
    }
    await api.send({ op: 'resume' });
    await exactPlacement([0, 1, 2], 60_000);
    for (const a of agents) expect(a.lines).toContain('ipfailover: the Kubernetes API answers again');
    await api.send({ op: 'pause' });
    await waitFor(
      'each agent says it once',
      () => agents.every((a) => a.lines.filter((l) => l.includes('keeping the 3 node(s)')).length === 1),
      20_000,
    );
    const placed = holders(cluster);
    await new Promise((r) => setTimeout(r, 3000));
    expect(holders(cluster)).toEqual(placed);
    for (const a of agents) {
      expect(a.lines.filter((l) => l.includes('cannot list the instance'))).toHaveLength(2);
      expect(reloads(a)).toHaveLength(1); // the one when the nodes first came
    }
  }, 150_000);
});

/**
 * The agent with IPFAILOVER_PEERS cluster / clusterUnicast, with fakes: the nodes it reads decide
 * the priorities, a change reaches keepalived by a reload, and an API it cannot reach leaves it
 * serving (name-hash ranks) or, for unicast, waiting for the first list.
 */
import { EventEmitter } from 'node:events';
import { runAgent, type AgentDeps } from '../../lib/agent/agent';
import type { ClusterNodes, ClusterNodesOptions } from '../../lib/agent/cluster-nodes';
import type { Member } from '../../lib/agent/membership';
import { memberPriorities } from '../../lib/core/node/priorities';
import { FakeChild, FakeFs, FakeHost, FakeLocks, FakeProcesses } from './fakes';

const ENV = {
  OPENSHIFT_HA_CONFIG_NAME: 'ipf',
  OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.10-15',
  OPENSHIFT_HA_REPLICA_COUNT: '3',
  OPENSHIFT_HA_IPTABLES_CHAIN: '',
  OPENSHIFT_HA_MONITOR_PORT: '0',
  IPFAILOVER_PEERS: 'cluster',
};

const THREE: Member[] = [
  { name: 'worker-0', address: '192.0.2.1' },
  { name: 'worker-1', address: '192.0.2.2' },
  { name: 'worker-2', address: '192.0.2.3' },
];

/** A discovery the test drives: its members, and whether it was stopped. */
class FakeNodes implements ClusterNodes {
  members: Member[] | undefined;
  /** When the instance stops forming, as the first list showed (undefined: it had formed). */
  forming: number | undefined;
  stopped = false;
  asked: ClusterNodesOptions | undefined;
  private readonly listeners: Array<(m: Member[]) => void> = [];
  private resolveListed: () => void = () => undefined;
  private readonly listedPromise = new Promise<void>((r) => (this.resolveListed = r));

  constructor(members?: Member[]) {
    this.members = members;
    if (members) this.resolveListed();
  }
  current = (): Member[] | undefined => this.members;
  onChange = (listener: (m: Member[]) => void): void => void this.listeners.push(listener);
  listed = (): Promise<void> => this.listedPromise;
  formingUntil = (): number | undefined => this.forming;
  stop = async (): Promise<void> => void (this.stopped = true);
  /** The API lists these members now. */
  set(members: Member[]): void {
    this.members = members;
    this.resolveListed();
    for (const l of this.listeners) l(members);
  }
}

function world(
  env: Record<string, string>,
  discovered: FakeNodes | { reason: string },
  files = new Map<string, string>(),
) {
  const host = new FakeHost();
  const child = new FakeChild();
  const signals = new EventEmitter();
  const out: string[] = [];
  const err: string[] = [];
  let spawned = 0;
  const deps: AgentDeps = {
    env,
    run: host.run,
    spawn: () => {
      spawned++;
      return child;
    },
    signals,
    hostname: 'worker-0',
    log: (l) => out.push(l),
    logError: (l) => err.push(l),
    writeFile: (p, t) => files.set(p, t),
    readFile: (p) => {
      const text = files.get(p);
      if (text === undefined) throw new Error(`ENOENT ${p}`);
      return text;
    },
    scriptFs: new FakeFs(),
    lock: new FakeLocks().lock,
    processes: new FakeProcesses(),
    pid: 77,
    joinWaitMs: 100,
    discover: async (options) => {
      if (discovered instanceof FakeNodes) discovered.asked = options;
      return discovered;
    },
  };
  return { deps, child, out, err, files, spawned: () => spawned };
}

const tick = (ms = 10): Promise<void> => new Promise((r) => setTimeout(r, ms));
const priorities = (config: string | undefined): number[] =>
  [...(config ?? '').matchAll(/^ {2}priority (\d+)$/gm)].map((m) => Number(m[1]));

test("cluster: the nodes read decide the priorities; the instance's pods are selected by its label", async () => {
  const nodes = new FakeNodes(THREE);
  const w = world(ENV, nodes);
  const done = runAgent({ stateDir: '/s' }, w.deps);
  await tick();
  expect(priorities(w.files.get('/s/keepalived.conf'))).toEqual(
    memberPriorities(
      'worker-0',
      THREE.map((m) => m.name),
      6,
    ),
  );
  expect(w.files.get('/s/keepalived.conf')).not.toContain('unicast');
  expect(nodes.asked).toMatchObject({ labels: { ipfailover: 'ipf' }, self: 'worker-0', selfAddress: '192.0.2.1' });
  expect(w.out[0]).toBe(
    'ipfailover: node 192.0.2.1 (worker-0) first choice of 2 of 6 group(s) among 3 nodes (read from the cluster) (nodes worker-0, worker-1, worker-2), 6 VRRP group(s), config /s/keepalived.conf',
  );
  w.child.exit(0);
  await done;
  expect(nodes.stopped).toBe(true);
});

test('a change of nodes: the config is rendered again and keepalived reloaded, once it has started', async () => {
  const nodes = new FakeNodes(THREE.slice(0, 2));
  const w = world({ ...ENV, IPFAILOVER_PEERS: 'clusterUnicast' }, nodes);
  const done = runAgent({ stateDir: '/s' }, w.deps);
  await tick(150);
  const before = w.files.get('/s/keepalived.conf')!;
  expect(before).toContain('unicast_peer {\n    192.0.2.2\n  }');
  nodes.set(THREE);
  await tick(1200);
  expect(w.child.signals).toEqual([]); // keepalived has not said it started
  w.child.print('Mon Nov 23 23:53:52 2026: Startup complete');
  await tick();
  expect(w.child.signals).toEqual(['SIGHUP']);
  const after = w.files.get('/s/keepalived.conf')!;
  expect(after).toContain('unicast_peer {\n    192.0.2.2\n    192.0.2.3\n  }');
  expect(priorities(after)).toEqual(
    memberPriorities(
      'worker-0',
      THREE.map((m) => m.name),
      6,
    ),
  );
  expect(w.out).toContainEqual(
    'ipfailover: nodes now worker-0, worker-1, worker-2: first choice of 2 of 6 group(s) among 3 nodes (read from the cluster); reloading keepalived (the VIPs it holds stay)',
  );
  w.child.exit(0);
  await done;
});

test("cluster without an API server: one line, then the node name's hash; keepalived runs", async () => {
  const w = world(ENV, { reason: 'KUBERNETES_SERVICE_HOST is not set (the agent does not run in a pod)' });
  const done = runAgent({ stateDir: '/s' }, w.deps);
  await tick();
  expect(w.err).toEqual([
    "ipfailover agent: cannot read the instance's nodes from the Kubernetes API (KUBERNETES_SERVICE_HOST is not set (the agent does not run in a pod)); the node name's hash ranks this node, as with IPFAILOVER_PEERS static",
  ]);
  expect(w.files.get('/s/keepalived.conf')).toMatch(/rank \d of 3 by the node name's hash/);
  expect(w.spawned()).toBe(1);
  w.child.exit(0);
  await done;
});

test('cluster, API not answering yet: the hash at start, the nodes when they come', async () => {
  const nodes = new FakeNodes();
  const w = world(ENV, nodes);
  const done = runAgent({ stateDir: '/s' }, w.deps);
  await tick();
  expect(w.files.get('/s/keepalived.conf')).toMatch(/by the node name's hash/);
  w.child.print('Startup complete');
  nodes.set(THREE);
  await tick(1200);
  expect(w.child.signals).toEqual(['SIGHUP']);
  expect(w.files.get('/s/keepalived.conf')).toMatch(/among 3 nodes \(read from the cluster\)/);
  w.child.exit(0);
  await done;
});

test('clusterUnicast waits for the first list before starting keepalived; without an API server it refuses', async () => {
  const nodes = new FakeNodes();
  const w = world({ ...ENV, IPFAILOVER_PEERS: 'clusterUnicast' }, nodes);
  const done = runAgent({ stateDir: '/s' }, w.deps);
  await tick(50);
  expect(w.spawned()).toBe(0);
  nodes.set(THREE);
  // Then the join wait: the others add this node to their unicast peers first.
  await tick(50);
  expect(w.spawned()).toBe(0);
  await tick(100);
  expect(w.spawned()).toBe(1);
  expect(w.files.get('/s/keepalived.conf')).toContain('unicast_peer {\n    192.0.2.2\n    192.0.2.3\n  }');
  w.child.exit(0);
  await done;

  const refused = world(
    { ...ENV, IPFAILOVER_PEERS: 'clusterUnicast' },
    { reason: 'KUBERNETES_SERVICE_HOST is not set' },
  );
  expect(await runAgent({ stateDir: '/s' }, refused.deps)).toBe(2);
  expect(refused.err).toEqual([
    `ipfailover agent: 'IPFAILOVER_PEERS' "clusterUnicast" needs the Kubernetes API, but KUBERNETES_SERVICE_HOST is not set; run the agent in the failover pod, or list the peers in OPENSHIFT_HA_UNICAST_PEERS with IPFAILOVER_PEERS static`,
  ]);
});

test('the node name from the downward API (IPFAILOVER_NODE_NAME) names this node among the nodes', async () => {
  const nodes = new FakeNodes([
    { name: 'ip-10-0-0-1.ec2.internal', address: '192.0.2.1' },
    { name: 'ip-10-0-0-2.ec2.internal', address: '192.0.2.2' },
  ]);
  const w = world({ ...ENV, IPFAILOVER_NODE_NAME: 'ip-10-0-0-1.ec2.internal' }, nodes);
  const done = runAgent({ stateDir: '/s' }, w.deps);
  await tick();
  expect(nodes.asked?.self).toBe('ip-10-0-0-1.ec2.internal');
  expect(w.files.get('/s/keepalived.conf')).toMatch(/among 2 nodes/);
  w.child.exit(0);
  await done;
});

test('the nodes listed are kept in the state directory; a restart while the API is away starts with them', async () => {
  const nodes = new FakeNodes(THREE.slice(0, 2));
  const w = world({ ...ENV, IPFAILOVER_PEERS: 'clusterUnicast' }, nodes);
  const done = runAgent({ stateDir: '/s' }, w.deps);
  await tick(150);
  expect(JSON.parse(w.files.get('/s/nodes.json')!)).toEqual({ nodes: THREE.slice(0, 2) });
  nodes.set(THREE);
  await tick();
  expect(JSON.parse(w.files.get('/s/nodes.json')!)).toEqual({ nodes: THREE });
  w.child.exit(1);
  await done;

  // Restarted with the same state directory; the API does not answer: the nodes kept, not a wait.
  const away = new FakeNodes();
  const again = world({ ...ENV, IPFAILOVER_PEERS: 'clusterUnicast' }, away, w.files);
  const restarted = runAgent({ stateDir: '/s' }, again.deps);
  await tick(150);
  expect(again.spawned()).toBe(1);
  expect(again.files.get('/s/keepalived.conf')).toContain('unicast_peer {\n    192.0.2.2\n    192.0.2.3\n  }');
  expect(away.asked?.whileUnlisted).toBe(
    'no node listed yet, so this node runs with the 3 node(s) it listed before it restarted (/s/nodes.json) until the list comes',
  );
  again.child.exit(0);
  await restarted;
});

test('a kept file that does not pass is ignored: cluster ranks by the hash', async () => {
  const files = new Map([['/s/nodes.json', '{"nodes":[{"name":"w}"}]}']]);
  const w = world(ENV, new FakeNodes(), files);
  const done = runAgent({ stateDir: '/s' }, w.deps);
  await tick();
  expect(w.files.get('/s/keepalived.conf')).toMatch(/by the node name's hash/);
  w.child.exit(0);
  await done;
});

describe('an instance still forming (see forming.ts)', () => {
  const delays = (config: string | undefined): string[] => [
    ...new Set([...(config ?? '').matchAll(/^ {2}(preempt_delay \d+|nopreempt)$/gm)].map((m) => m[1]!)),
  ];

  test('no preempt delay until it has formed, then the delay it was given, by one reload', async () => {
    const nodes = new FakeNodes(THREE);
    nodes.forming = Date.now() + 400;
    const w = world(ENV, nodes);
    const done = runAgent({ stateDir: '/s' }, w.deps);
    await tick();
    const before = w.files.get('/s/keepalived.conf')!;
    expect(delays(before)).toEqual(['preempt_delay 0']);
    expect(w.out[0]).toBe(
      'ipfailover: the instance is forming (its pods were all created in the last 120 s), so this node takes its groups without a preempt delay for 1 s, then with preempt_delay 300',
    );
    w.child.print('Mon Nov 24 10:00:00 2026: Startup complete');
    await tick(300);
    expect(w.child.signals).toEqual([]);
    await tick(1300); // the window's end, then the reloader's gathering
    expect(w.child.signals).toEqual(['SIGHUP']);
    const after = w.files.get('/s/keepalived.conf')!;
    expect(delays(after)).toEqual(['preempt_delay 300']);
    // Only the delay changed.
    expect(after.replace(/preempt_delay \d+/g, '')).toBe(before.replace(/preempt_delay \d+/g, ''));
    expect(after).not.toBe(before);
    expect(w.out).toContainEqual(
      'ipfailover: the instance has formed, so preempt_delay 300 again: first choice of 2 of 6 group(s) among 3 nodes (read from the cluster); reloading keepalived (the VIPs it holds stay)',
    );
    w.child.exit(0);
    await done;
  });

  test('nodes that change while it forms are rendered without the delay too', async () => {
    const nodes = new FakeNodes(THREE.slice(0, 2));
    nodes.forming = Date.now() + 60_000;
    const w = world(ENV, nodes);
    const done = runAgent({ stateDir: '/s' }, w.deps);
    await tick();
    w.child.print('Mon Nov 24 10:00:00 2026: Startup complete');
    nodes.set(THREE);
    await tick(1200);
    expect(w.child.signals).toEqual(['SIGHUP']);
    expect(delays(w.files.get('/s/keepalived.conf'))).toEqual(['preempt_delay 0']);
    w.child.exit(0);
    await done; // and the window's timer does not keep the process alive
  });

  test('formed, nopreempt, or stopped before the end: the delay as given, and no reload for it', async () => {
    for (const [forming, preemption] of [
      [undefined, 'preempt_delay 300'],
      [Date.now() + 200, 'nopreempt'],
    ] as const) {
      const nodes = new FakeNodes(THREE);
      nodes.forming = forming;
      const w = world({ ...ENV, OPENSHIFT_HA_PREEMPTION: preemption }, nodes);
      const done = runAgent({ stateDir: '/s' }, w.deps);
      await tick();
      w.child.print('Mon Nov 24 10:00:00 2026: Startup complete');
      expect(delays(w.files.get('/s/keepalived.conf'))).toEqual([preemption]);
      expect(w.out.join('\n')).not.toMatch(/forming|formed/);
      await tick(1500);
      expect(w.child.signals).toEqual([]);
      w.child.exit(0);
      await done;
    }
    const nodes = new FakeNodes(THREE);
    nodes.forming = Date.now() + 300;
    const w = world(ENV, nodes);
    const done = runAgent({ stateDir: '/s' }, w.deps);
    await tick();
    w.child.exit(0);
    await done;
    await tick(400);
    expect(w.out.join('\n')).not.toMatch(/has formed/);
  });
});

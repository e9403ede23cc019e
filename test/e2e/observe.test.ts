/**
 * The agents' endpoints against the truth: three network-namespace nodes run the built agent
 * with real keepalived; `/metrics`, `/readyz` and `ipfailover status` are read over HTTP from
 * inside the nodes' network, and compared with the addresses really on each node's eth0.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMetrics, type Sample } from '../../lib/cli/metrics-text';
import { Cluster, buildCli, peersOf, skipReason, waitFor } from './cluster';

const reason = skipReason();
const suite = reason === undefined ? describe : describe.skip;
if (reason !== undefined) console.warn(`e2e endpoint tests skipped: ${reason}`);

const VIPS = ['192.0.2.101', '192.0.2.102', '192.0.2.103', '192.0.2.104', '192.0.2.105', '192.0.2.106'];
/** Three groups of two VIPs, VRRP IDs 11..13. */
const GROUP_VIPS = [VIPS.slice(0, 2), VIPS.slice(2, 4), VIPS.slice(4, 6)];
const PORT = 63010;
const SERVICE_PORT = 18080;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPENSHIFT_HA_CONFIG_NAME: 'e2e',
    OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.101-106',
    OPENSHIFT_HA_VIP_GROUPS: '3',
    OPENSHIFT_HA_VRRP_ID_OFFSET: '10',
    OPENSHIFT_HA_NETWORK_INTERFACE: 'eth0',
    OPENSHIFT_HA_REPLICA_COUNT: '3',
    OPENSHIFT_HA_USE_UNICAST: 'true',
    OPENSHIFT_HA_UNICAST_PEERS: peersOf(3),
    OPENSHIFT_HA_MONITOR_PORT: String(SERVICE_PORT),
    OPENSHIFT_HA_CHECK_INTERVAL: '1',
    OPENSHIFT_HA_IPTABLES_CHAIN: '',
    IPFAILOVER_ADVERT_INTERVAL: '0.1',
    ...extra,
  };
}

/** A GET from inside node `from`'s network namespace: status and body. */
function httpGet(cluster: Cluster, from: number, url: string): { status: number; body: string } {
  const script = `require('http').get(process.argv[1], (r) => { let b = ''; r.setEncoding('utf8');
    r.on('data', (c) => (b += c)); r.on('end', () => process.stdout.write(JSON.stringify({ status: r.statusCode, body: b }))); })
    .on('error', (e) => process.stdout.write(JSON.stringify({ status: 0, body: e.code })));`;
  const r = spawnSync('ip', ['netns', 'exec', cluster.nodes[from]!, process.execPath, '-e', script, url], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return JSON.parse(r.stdout) as { status: number; body: string };
}

const metricsOf = (cluster: Cluster, node: number): Sample[] =>
  parseMetrics(httpGet(cluster, node, `http://${cluster.address(node)}:${PORT}/metrics`).body, 'ipfailover_');

const readyz = (cluster: Cluster, node: number): { status: number; body: string } =>
  httpGet(cluster, node, `http://${cluster.address(node)}:${PORT}/readyz`);

/** The state each node's metrics give group g (0-based), in node order. */
function reportedStates(cluster: Cluster, g: number): Array<string | undefined> {
  return [0, 1, 2].map(
    (i) =>
      metricsOf(cluster, i).find(
        (s) => s.name === 'ipfailover_vrrp_state' && s.labels.group === String(g + 1) && s.value === 1,
      )?.labels.state,
  );
}

/** The nodes that really hold group g's VIPs (both of them), from `ip addr`. */
function realHolders(cluster: Cluster, g: number): number[] {
  const owners = cluster.owners(GROUP_VIPS[g]!);
  const [a, b] = GROUP_VIPS[g]!.map((v) => owners.get(v)!.join());
  return a === b ? owners.get(GROUP_VIPS[g]![0]!)! : [-1];
}

/** Whether, for every group, the nodes whose metrics say MASTER are exactly the nodes holding its VIPs. */
function metricsAgreeWithAddresses(cluster: Cluster): boolean {
  return [0, 1, 2].every((g) => {
    const masters = reportedStates(cluster, g).flatMap((s, i) => (s === 'MASTER' ? [i] : []));
    return masters.join() === realHolders(cluster, g).join();
  });
}

/** `ipfailover status` run in node 0's namespace; the VIP rows as `vip → holders verdict`. */
function status(
  cluster: Cluster,
  ...args: string[]
): { code: number | null; stdout: string; rows: Map<string, string> } {
  const r = cluster.runCli(0, {}, 'status', ...args);
  const rows = new Map(
    r.stdout
      .split('\n\n')[0]!
      .split('\n')
      .slice(1)
      .map((line) => line.split(/\s{2,}/))
      .map(([vip, , , holder, verdict]) => [vip!, `${holder} ${verdict}`]),
  );
  return { code: r.code, stdout: r.stdout, rows };
}

const ENDPOINT_ARGS = [0, 1, 2].flatMap((i) => ['--endpoint', `192.0.2.${i + 1}:${PORT}`]);

/** Each VIP's real holders as `ipfailover status` names them (node-i). */
function expectedRows(cluster: Cluster): Map<string, string> {
  return new Map(
    [...cluster.owners(VIPS)].map(([vip, owners]) => {
      const verdict = owners.length === 1 ? 'OK' : owners.length === 0 ? 'NO HOLDER' : 'TWO HOLDERS';
      return [vip, `${owners.length === 0 ? '-' : owners.map((i) => `node-${i}`).join(',')} ${verdict}`];
    }),
  );
}

suite(`the agents' /metrics, /readyz and ipfailover status${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let cli: string;
  let cluster: Cluster;
  let services: ChildProcess[] = [];

  beforeAll(() => {
    cli = buildCli();
  }, 60_000);

  beforeEach(async () => {
    cluster = new Cluster('ipfobs', 3, cli);
    cluster.up();
    services = [0, 1, 2].map((i) => cluster.startService(i, SERVICE_PORT));
    await waitFor('services listening', () => [0, 1, 2].every((i) => cluster.listening(i, SERVICE_PORT)));
  });

  afterEach(() => {
    for (const s of services) if (s.exitCode === null) s.kill('SIGKILL');
    cluster?.destroy();
  });

  afterAll(() => cluster?.destroy());

  const startAll = (): void => [0, 1, 2].forEach((i) => cluster.startAgent(i, env()));

  test('metrics and readiness agree with the VIPs on the nodes; status prints the real holders', async () => {
    startAll();
    await waitFor('every VIP owned once', () => cluster.oneOwnerEach(VIPS));
    await waitFor('the metrics agree with ip addr', () => metricsAgreeWithAddresses(cluster), 10_000);
    expect(metricsAgreeWithAddresses(cluster)).toBe(true);
    for (const i of [0, 1, 2]) {
      const samples = metricsOf(cluster, i);
      expect(samples.find((s) => s.name === 'ipfailover_info')!.labels).toMatchObject({
        config: 'e2e',
        node: `node-${i}`,
        interface: 'eth0',
        vrrp_id_offset: '10',
        groups: '3',
      });
      expect(samples.find((s) => s.name === 'ipfailover_keepalived_up')!.value).toBe(1);
      expect(samples.find((s) => s.name === 'ipfailover_check_up')).toMatchObject({
        labels: { config: 'e2e', script: 'chk_e2e' },
        value: 1,
      });
      expect(readyz(cluster, i)).toEqual({
        status: 200,
        body: expect.stringMatching(/^ready: \d MASTER, \d BACKUP of 3 group\(s\)\n$/),
      });
    }
    // Nowhere but the pod's address: not on a VIP the node holds.
    const holder = cluster.owners([VIPS[0]!]).get(VIPS[0]!)![0]!;
    expect(httpGet(cluster, holder, `http://${VIPS[0]}:${PORT}/readyz`)).toEqual({ status: 0, body: 'ECONNREFUSED' });

    const scrape = httpGet(cluster, 0, `http://${cluster.address(0)}:${PORT}/metrics`).body;
    console.log(`/metrics of node-0:\n${scrape}`);

    const byEndpoint = status(cluster, ...ENDPOINT_ARGS);
    console.log(`ipfailover status (exit ${byEndpoint.code}):\n${byEndpoint.stdout}`);
    expect(byEndpoint.rows).toEqual(expectedRows(cluster));
    expect(byEndpoint.code).toBe(0);

    // The same from a pod list, as kubectl get pods -o json prints it.
    const pods = {
      apiVersion: 'v1',
      kind: 'List',
      items: [0, 1, 2].map((i) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `e2e-${i}` },
        spec: {
          nodeName: `node-${i}`,
          containers: [{ name: 'openshift-ipfailover', ports: [{ containerPort: PORT, hostPort: PORT }] }],
        },
        status: { phase: 'Running', hostIP: cluster.address(i), podIP: cluster.address(i) },
      })),
    };
    const file = join(cluster.stateRoot, 'pods.json');
    writeFileSync(file, JSON.stringify(pods));
    const byPods = status(cluster, '--pods', file);
    expect(byPods.rows).toEqual(expectedRows(cluster));
    expect(byPods.stdout).toMatch(/^192\.0\.2\.1:63010 +node-0 +e2e-0 +ready: /m);
    expect(byPods.code).toBe(0);
  }, 60_000);

  test('the check fails on a node: every group FAULT there, /readyz 503, the VIPs move, status shows who took them', async () => {
    startAll();
    await waitFor('every VIP owned once', () => cluster.oneOwnerEach(VIPS));
    const victim = cluster.owners([VIPS[0]!]).get(VIPS[0]!)![0]!;
    services[victim]!.kill('SIGKILL');
    await waitFor('the victim unready', () => readyz(cluster, victim).status === 503, 10_000);
    expect(readyz(cluster, victim)).toEqual({
      status: 503,
      body: 'not ready: every group FAULT (check chk_e2e failing): this node can hold none of its VIPs\n',
    });
    expect([0, 1, 2].map((g) => reportedStates(cluster, g)[victim])).toEqual(['FAULT', 'FAULT', 'FAULT']);
    const samples = metricsOf(cluster, victim);
    expect(samples.find((s) => s.name === 'ipfailover_check_up')!.value).toBe(0);
    expect(samples.find((s) => s.name === 'ipfailover_ready')!.value).toBe(0);
    await waitFor(
      'the VIPs moved',
      () => cluster.oneOwnerEach(VIPS) && !cluster.addresses(victim).some((a) => VIPS.includes(a)),
    );
    for (const other of [0, 1, 2].filter((i) => i !== victim)) expect(readyz(cluster, other).status).toBe(200);
    await waitFor('the metrics agree with ip addr', () => metricsAgreeWithAddresses(cluster), 10_000);

    const after = status(cluster, ...ENDPOINT_ARGS);
    console.log(`ipfailover status after the check failed on node-${victim} (exit ${after.code}):\n${after.stdout}`);
    expect(after.rows).toEqual(expectedRows(cluster));
    expect([...after.rows.values()].some((r) => r.includes(`node-${victim}`))).toBe(false);
    expect(after.stdout).toContain(`node-${victim}  -    not ready: every group FAULT (check chk_e2e failing)`);
    expect(after.code).toBe(0);

    // The service back: the node can hold its groups again.
    services[victim] = cluster.startService(victim, SERVICE_PORT);
    await waitFor('the victim ready again', () => readyz(cluster, victim).status === 200, 10_000);
  }, 60_000);

  test('a check failing from the start: the agent is never ready, and logs each group FAULT', async () => {
    services[2]!.kill('SIGKILL');
    await waitFor('node 2 without its service', () => !cluster.listening(2, SERVICE_PORT));
    const agent = cluster.startAgent(2, env());
    await waitFor('keepalived running', () => agent.lines.includes('ipfailover: keepalived running'));
    await waitFor('the groups FAULT', () => agent.lines.filter((l) => / FAULT$/.test(l)).length === 3, 10_000);
    expect(agent.lines.filter((l) => /^ipfailover: e2e_VIP_\d .* FAULT$/.test(l))).toEqual([
      'ipfailover: e2e_VIP_1 (vrid 11 192.0.2.101,192.0.2.102) FAULT',
      'ipfailover: e2e_VIP_2 (vrid 12 192.0.2.103,192.0.2.104) FAULT',
      'ipfailover: e2e_VIP_3 (vrid 13 192.0.2.105,192.0.2.106) FAULT',
    ]);
    // Several check intervals later it has still not been ready once.
    for (let n = 0; n < 8; n++) {
      expect(readyz(cluster, 2).status).toBe(503);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(cluster.addresses(2).filter((a) => VIPS.includes(a))).toEqual([]);
  }, 60_000);

  test('status flags a VIP with two holders (a partition) and VIPs with none (every check failing): exit 1', async () => {
    startAll();
    await waitFor('every VIP owned once', () => cluster.oneOwnerEach(VIPS));
    cluster.setPartitioned(0, true);
    await waitFor('split brain', () => VIPS.some((vip) => cluster.owners([vip]).get(vip)!.length === 2));
    await waitFor('the metrics agree with ip addr', () => metricsAgreeWithAddresses(cluster), 10_000);
    const split = status(cluster, ...ENDPOINT_ARGS);
    console.log(`ipfailover status during a partition of node-0 (exit ${split.code}):\n${split.stdout}`);
    expect(split.rows).toEqual(expectedRows(cluster));
    expect([...split.rows.values()].some((r) => r.endsWith('TWO HOLDERS'))).toBe(true);
    expect(split.code).toBe(1);
    cluster.setPartitioned(0, false);
    await waitFor('one owner per VIP after healing', () => cluster.oneOwnerEach(VIPS));

    for (const s of services) s.kill('SIGKILL');
    await waitFor('no VIP held', () => [...cluster.owners(VIPS).values()].every((o) => o.length === 0), 15_000);
    await waitFor('every agent unready', () => [0, 1, 2].every((i) => readyz(cluster, i).status === 503), 10_000);
    const none = status(cluster, ...ENDPOINT_ARGS);
    console.log(`ipfailover status with every check failing (exit ${none.code}):\n${none.stdout}`);
    expect([...none.rows.values()]).toEqual(VIPS.map(() => '- NO HOLDER'));
    expect(none.code).toBe(1);
  }, 90_000);
});

import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentResponder } from '../../lib/agent/endpoints';
import { agentRegistry } from '../../lib/agent/metrics';
import { VrrpStatus, type GroupInfo } from '../../lib/agent/vrrp-status';
import { parseEndpoint, targetsOfPods, type Target } from '../../lib/cli/agent-targets';
import { parseMetrics } from '../../lib/cli/metrics-text';
import { httpScrape, MAX_SCRAPE_BYTES, type ScrapeFn } from '../../lib/cli/scrape';
import { runStatus, type StatusOptions } from '../../lib/cli/status';

const GROUPS: GroupInfo[] = [
  { group: 1, instance: 'ipf_VIP_1', vrid: 11, vips: ['192.0.2.101'] },
  { group: 2, instance: 'ipf_VIP_2', vrid: 12, vips: ['192.0.2.102', '192.0.2.103'] },
];

/** A real agent model and its real answers, by `host:port`; `states[g]` is group g+1's state. */
class Agents {
  readonly byEndpoint = new Map<string, VrrpStatus>();
  readonly down = new Set<string>();

  add(endpoint: string, node: string, states: ReadonlyArray<string | undefined>, check = true): VrrpStatus {
    const status = new VrrpStatus(GROUPS, 'chk_ipf');
    status.observe('x: Starting VRRP child process, pid=1');
    status.observe(`x: VRRP_Script(chk_ipf) ${check ? 'succeeded' : 'failed'}`);
    states.forEach((s, g) => s && status.observe(`x: (ipf_VIP_${g + 1}) Entering ${s} STATE`));
    const registry = agentRegistry(status, {
      config: 'ipf',
      node,
      interface: 'eth0',
      vrrpIdOffset: 10,
      groups: 2,
      version: '0.1.0',
      keepalivedVersion: '2.2.7',
    });
    this.byEndpoint.set(endpoint, status);
    this.responders.set(endpoint, agentResponder(status, registry));
    return status;
  }

  private readonly responders = new Map<string, ReturnType<typeof agentResponder>>();

  readonly scrape: ScrapeFn = async (target, path) => {
    const key = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
    const respond = this.responders.get(key);
    if (respond === undefined || this.down.has(key)) return { ok: false, reason: 'ECONNREFUSED' };
    const answer = await respond('GET', path);
    return { ok: true, status: answer.status, body: answer.body };
  };
}

async function status(
  options: StatusOptions,
  agents: Agents,
  stdin = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runStatus(options, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    scrape: agents.scrape,
    readStdin: () => stdin,
  });
  return { code, stdout, stderr };
}

const ENDPOINTS = ['192.0.2.1:63010', '192.0.2.2:63010', '192.0.2.3:63010'];

/** The pods of a three-node instance as `kubectl get pods -o json` prints them (abridged). */
function podList(phases: string[] = ['Running', 'Running', 'Running']): object {
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: phases.map((phase, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `ipf-7d9c-${i}`, namespace: 'ipfailover', labels: { ipfailover: 'ipf' } },
      spec: {
        nodeName: `worker-${i}`,
        hostNetwork: true,
        containers: [
          { name: 'sidecar', ports: [{ containerPort: 9000, hostPort: 9000 }] },
          { name: 'openshift-ipfailover', ports: [{ containerPort: 63010, hostPort: 63010, protocol: 'TCP' }] },
        ],
      },
      status: phase === 'Running' ? { phase, hostIP: `192.0.2.${i + 1}`, podIP: `192.0.2.${i + 1}` } : { phase },
    })),
  };
}

describe('ipfailover status', () => {
  test('every VIP held once: the table line by line, exit 0', async () => {
    const agents = new Agents();
    agents.add(ENDPOINTS[0]!, 'worker-0', ['MASTER', 'BACKUP']);
    agents.add(ENDPOINTS[1]!, 'worker-1', ['BACKUP', 'MASTER']);
    agents.add(ENDPOINTS[2]!, 'worker-2', ['BACKUP', 'BACKUP']);
    const { code, stdout, stderr } = await status({ endpoint: ENDPOINTS }, agents);
    expect(stderr).toBe('');
    expect(stdout.split('\n')).toEqual([
      'VIP          GROUP  VRID  HOLDER    STATUS',
      '192.0.2.101  1      11    worker-0  OK',
      '192.0.2.102  2      12    worker-1  OK',
      '192.0.2.103  2      12    worker-1  OK',
      '',
      'AGENT            NODE      POD  ANSWER',
      '192.0.2.1:63010  worker-0  -    ready: 1 MASTER, 1 BACKUP of 2 group(s)',
      '192.0.2.2:63010  worker-1  -    ready: 1 MASTER, 1 BACKUP of 2 group(s)',
      '192.0.2.3:63010  worker-2  -    ready: 0 MASTER, 2 BACKUP of 2 group(s)',
      '',
    ]);
    expect(code).toBe(0);
  });

  test('two holders (a partition): flagged, exit 1', async () => {
    const agents = new Agents();
    agents.add(ENDPOINTS[0]!, 'worker-0', ['MASTER', 'BACKUP']);
    agents.add(ENDPOINTS[1]!, 'worker-1', ['MASTER', 'MASTER']);
    const { code, stdout } = await status({ endpoint: ENDPOINTS.slice(0, 2) }, agents);
    expect(stdout).toContain('192.0.2.101  1      11    worker-0,worker-1  TWO HOLDERS');
    expect(code).toBe(1);
  });

  test('no holder while every agent answered (every node FAULT): flagged, exit 1, the agents say why', async () => {
    const agents = new Agents();
    agents.add(ENDPOINTS[0]!, 'worker-0', ['FAULT', 'FAULT'], false);
    agents.add(ENDPOINTS[1]!, 'worker-1', ['BACKUP', 'MASTER']);
    const { code, stdout } = await status({ endpoint: ENDPOINTS.slice(0, 2) }, agents);
    expect(stdout).toContain('192.0.2.101  1      11    -         NO HOLDER');
    expect(stdout).toContain(
      '192.0.2.1:63010  worker-0  -    not ready: every group FAULT (check chk_ipf failing): this node can hold none of its VIPs',
    );
    expect(code).toBe(1);
  });

  test('an agent that does not answer: named with the reason; exit 3 while what was seen is fine', async () => {
    const agents = new Agents();
    agents.add(ENDPOINTS[0]!, 'worker-0', ['MASTER', 'MASTER']);
    agents.add(ENDPOINTS[1]!, 'worker-1', ['BACKUP', 'BACKUP']);
    agents.down.add(ENDPOINTS[1]!);
    const { code, stdout } = await status({ endpoint: ENDPOINTS.slice(0, 2) }, agents);
    expect(stdout).toContain('192.0.2.2:63010  -         -    no answer: ECONNREFUSED');
    expect(code).toBe(3);
  });

  test('a VIP none of the answering agents holds while one is silent: "no holder seen", exit 3, not 1', async () => {
    const agents = new Agents();
    agents.add(ENDPOINTS[0]!, 'worker-0', ['BACKUP', 'MASTER']);
    agents.add(ENDPOINTS[1]!, 'worker-1', ['MASTER', 'BACKUP']);
    agents.down.add(ENDPOINTS[1]!);
    const { code, stdout } = await status({ endpoint: ENDPOINTS.slice(0, 2) }, agents);
    expect(stdout).toContain('192.0.2.101  1      11    -         NO HOLDER SEEN');
    expect(code).toBe(3);
  });

  test("--pods: the running pods' host IPs and the failover container's hostPort; pending pods listed, not asked", async () => {
    const agents = new Agents();
    agents.add(ENDPOINTS[0]!, 'worker-0', ['MASTER', 'MASTER']);
    agents.add(ENDPOINTS[1]!, 'worker-1', ['BACKUP', 'BACKUP']);
    const dir = mkdtempSync(join(tmpdir(), 'ipf-status-'));
    writeFileSync(join(dir, 'pods.json'), JSON.stringify(podList(['Running', 'Running', 'Pending'])));
    const fromFile = await status({ pods: join(dir, 'pods.json') }, agents);
    expect(fromFile.stdout.split('\n').slice(5)).toEqual([
      'AGENT            NODE      POD         ANSWER',
      '192.0.2.1:63010  worker-0  ipf-7d9c-0  ready: 2 MASTER, 0 BACKUP of 2 group(s)',
      '192.0.2.2:63010  worker-1  ipf-7d9c-1  ready: 0 MASTER, 2 BACKUP of 2 group(s)',
      '-                worker-2  ipf-7d9c-2  not scraped: Pending, not running',
      '',
    ]);
    expect(fromFile.code).toBe(0);
    const fromStdin = await status({ pods: '-' }, agents, JSON.stringify(podList(['Running', 'Running', 'Pending'])));
    expect(fromStdin).toEqual(fromFile);
  });

  test('--json: the same report as data', async () => {
    const agents = new Agents();
    agents.add(ENDPOINTS[0]!, 'worker-0', ['MASTER', 'BACKUP']);
    agents.add(ENDPOINTS[1]!, 'worker-1', ['MASTER', 'MASTER']);
    const { code, stdout } = await status({ endpoint: ENDPOINTS.slice(0, 2), json: true }, agents);
    const report = JSON.parse(stdout) as { vips: Array<{ vip: string; holders: string[]; verdict: string }> };
    expect(report.vips.map((v) => [v.vip, v.holders.join(','), v.verdict])).toEqual([
      ['192.0.2.101', 'worker-0,worker-1', 'TWO HOLDERS'],
      ['192.0.2.102', 'worker-1', 'OK'],
      ['192.0.2.103', 'worker-1', 'OK'],
    ]);
    expect(code).toBe(1);
  });

  test('names from the network cannot drive the terminal: control characters are escaped', async () => {
    const agents = new Agents();
    agents.add(ENDPOINTS[0]!, 'evil\u001b[2J\rnode', ['MASTER', 'MASTER']);
    const pods = podList(['Running']) as { items: Array<{ metadata: { name: string } }> };
    pods.items[0]!.metadata.name = 'pod\u009b31m';
    const { stdout } = await status({ pods: '-' }, agents, JSON.stringify(pods));
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(stdout).toContain('evil\\u{1b}[2J\\u{d}node');
    expect(stdout).toContain('pod\\u{9b}31m');
  });

  test('an answer that is no ipfailover agent: a failure naming why', async () => {
    const scrape: ScrapeFn = async () => ({ ok: true, status: 200, body: 'up 1\n' });
    let stdout = '';
    const code = await runStatus(
      { endpoint: [ENDPOINTS[0]!] },
      { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => 0 }, env: {}, scrape },
    );
    expect(stdout).toContain('no answer: no ipfailover_info in its /metrics: not an ipfailover agent');
    expect(code).toBe(3);
  });

  test.each([
    [{}, /^ipfailover status: no agent to ask; pass --pods/],
    [{ endpoint: ['192.0.2.1'] }, /^ipfailover status: --endpoint "192\.0\.2\.1" is not HOST:PORT/],
    [{ endpoint: ['192.0.2.1:99999'] }, /is not HOST:PORT/],
    [{ endpoint: ['a b:80'] }, /is not HOST:PORT/],
    [{ endpoint: ['192.0.2.1:63000'], timeout: '0' }, /^ipfailover status: --timeout "0" is not a number of seconds/],
    [{ pods: '/nonexistent/pods.json' }, /^ipfailover status: \/nonexistent\/pods\.json: no such file or directory/],
  ])('bad input %j: exit 2, one line, nothing on stdout', async (options, message) => {
    const { code, stdout, stderr } = await status(options as StatusOptions, new Agents());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  test('--pods with no Pod in it: exit 2 saying what to pass', async () => {
    const { code, stderr } = await status({ pods: '-' }, new Agents(), '{"kind":"List","items":[]}');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^ipfailover status: --pods -: no Pod in it; pass what kubectl get pods/);
  });
});

describe('targets', () => {
  test('--endpoint: IPv4, [IPv6] (canonical), DNS names', () => {
    expect(parseEndpoint('192.0.2.1:63010')).toEqual({ host: '192.0.2.1', port: 63010 });
    expect(parseEndpoint('[2001:DB8::1]:63010')).toEqual({ host: '2001:db8::1', port: 63010 });
    expect(parseEndpoint('worker-0.example.com:63010')).toEqual({ host: 'worker-0.example.com', port: 63010 });
  });

  test("pods: hostIP checked, the failover container's hostPort first; other kinds ignored", () => {
    const list = podList() as { items: Array<{ status: Record<string, unknown> }> };
    list.items[1]!.status.hostIP = '192.0.2.2; rm -rf /';
    const { targets, skipped } = targetsOfPods([...list.items, { kind: 'Deployment', metadata: { name: 'x' } }]);
    expect(targets).toEqual<Target[]>([
      { host: '192.0.2.1', port: 63010, pod: 'ipf-7d9c-0', node: 'worker-0' },
      { host: '192.0.2.3', port: 63010, pod: 'ipf-7d9c-2', node: 'worker-2' },
    ]);
    expect(skipped).toEqual([{ pod: 'ipf-7d9c-1', node: 'worker-1', reason: 'has no valid status.hostIP' }]);
  });
});

describe('the metrics text reader', () => {
  test('labels with escapes, special values; comments, other names and broken lines skipped', () => {
    const text = [
      '# HELP ipfailover_x help',
      'ipfailover_x{a="1",b="q\\"u\\\\o\\nte"} 2.5',
      'ipfailover_y 1e3',
      'ipfailover_z{a="unterminated} 1',
      'ipfailover_w{a="1"} NaN',
      'ipfailover_v{a="1"} +Inf 1700000000000',
      'other_metric 1',
      'ipfailover_u{a="1"} not-a-number',
    ].join('\n');
    const samples = parseMetrics(text, 'ipfailover_');
    expect(samples.map((s) => [s.name, s.labels, s.value])).toEqual([
      ['ipfailover_x', { a: '1', b: 'q"u\\o\nte' }, 2.5],
      ['ipfailover_y', {}, 1000],
      ['ipfailover_w', { a: '1' }, NaN],
      ['ipfailover_v', { a: '1' }, Infinity],
    ]);
  });
});

describe('httpScrape (real HTTP on loopback)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') {
        res.writeHead(200);
        res.write('ipfailover_info 1\n'); // and never ends
      } else if (req.url === '/big') {
        res.writeHead(200);
        const chunk = 'x'.repeat(1024 * 1024);
        for (let i = 0; i <= MAX_SCRAPE_BYTES / chunk.length; i++) res.write(chunk);
        res.end();
      } else {
        res.writeHead(503);
        res.end('not ready: keepalived not started\n');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const target = (): Target => ({ host: '127.0.0.1', port });

  test('any status with its body', async () => {
    expect(await httpScrape(target(), '/readyz', 2000)).toEqual({
      ok: true,
      status: 503,
      body: 'not ready: keepalived not started\n',
    });
  });

  test('a deadline for the whole answer, not only for silence', async () => {
    expect(await httpScrape(target(), '/slow', 200)).toEqual({ ok: false, reason: 'no answer within 0.2 s' });
  });

  test('an answer past the size limit is dropped', async () => {
    expect(await httpScrape(target(), '/big', 5000)).toEqual({ ok: false, reason: 'answer larger than 4 MiB' });
  });

  test('nothing listening: the error code', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const free = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    expect(await httpScrape({ host: '127.0.0.1', port: free }, '/metrics', 2000)).toEqual({
      ok: false,
      reason: 'ECONNREFUSED',
    });
  });
});

import { request } from 'node:http';
import { connect } from 'node:net';
import {
  httpServe,
  listenAddressOf,
  SERVER_LIMITS,
  startEndpoints,
  type EndpointServer,
  type EndpointsOptions,
} from '../../lib/agent/endpoints';
import { VrrpStatus } from '../../lib/agent/vrrp-status';

const GROUPS = [{ group: 1, instance: 'ipf_VIP_1', vrid: 1, vips: ['192.0.2.10'] }];
const INFO = {
  config: 'ipf',
  node: 'worker-0',
  interface: 'eth0',
  vrrpIdOffset: 0,
  groups: 1,
  version: '0.1.0',
  keepalivedVersion: '2.2.7',
};

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the endpoints over real HTTP on loopback', () => {
  let status: VrrpStatus;
  let server: EndpointServer;
  const logs: string[] = [];
  const options = (port: number): EndpointsOptions => ({
    address: '127.0.0.1',
    port,
    info: INFO,
    log: (l) => logs.push(l),
    logError: (l) => logs.push(`E ${l}`),
  });

  beforeEach(async () => {
    logs.length = 0;
    status = new VrrpStatus(GROUPS, 'chk_ipf');
    server = (await startEndpoints(status, httpServe, options(0)))!;
  });
  afterEach(() => server?.close());

  test('says where it serves, in one line', () => {
    expect(logs).toEqual([
      expect.stringMatching(/^ipfailover: serving \/metrics and \/readyz on http:\/\/127\.0\.0\.1:\d+$/),
    ]);
  });

  test('/readyz: 503 with the reason until a group is MASTER or BACKUP, then 200; HEAD has no body', async () => {
    expect(await get(`${server.url}/readyz`)).toMatchObject({
      status: 503,
      body: 'not ready: keepalived not started\n',
    });
    status.observe('x: Starting VRRP child process, pid=1');
    status.observe('x: (ipf_VIP_1) Entering BACKUP STATE');
    const ready = await get(`${server.url}/readyz?verbose`);
    expect(ready).toMatchObject({ status: 200, body: 'ready: 0 MASTER, 1 BACKUP of 1 group(s)\n' });
    expect(ready.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(ready.headers['cache-control']).toBe('no-store');
    expect(await get(`${server.url}/readyz`, 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  test('/metrics: the Prometheus text format', async () => {
    const reply = await get(`${server.url}/metrics`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(reply.body).toContain('ipfailover_info{config="ipf",node="worker-0"');
  });

  test('nothing else: 404 for other paths, 405 for other methods', async () => {
    expect(await get(`${server.url}/`)).toMatchObject({ status: 404 });
    expect(await get(`${server.url}/debug/pprof`)).toMatchObject({ status: 404 });
    const post = await get(`${server.url}/readyz`, 'POST');
    expect(post).toMatchObject({ status: 405 });
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  test('headers past the limit are refused (431), and the server goes on answering', async () => {
    const big = await get(`${server.url}/metrics`, 'GET', { 'x-pad': 'a'.repeat(SERVER_LIMITS.maxHeaderSize + 1) });
    expect(big.status).toBe(431);
    expect(await get(`${server.url}/readyz`)).toMatchObject({ status: 503 });
  });

  test('close ends idle kept-alive connections too, so the agent can exit', async () => {
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const closed = new Promise((r) => socket.once('close', r));
    await server.close();
    await closed;
  });

  test('a port already taken: one line naming it and the fix, no server, not thrown', async () => {
    const port = Number(new URL(server.url).port);
    logs.length = 0;
    expect(await startEndpoints(status, httpServe, options(port))).toBeUndefined();
    expect(logs).toEqual([
      `E ipfailover agent: could not serve /metrics and /readyz on 127.0.0.1:${port} (EADDRINUSE); keepalived runs without them, and the readiness probe fails; another program listens on port ${port} of this node; stop it, or move this instance (the port is 63000 + OPENSHIFT_HA_VRRP_ID_OFFSET)`,
    ]);
  });

  test('an address the machine does not have: EADDRNOTAVAIL, naming the variable to set', async () => {
    logs.length = 0;
    const where = { ...options(0), address: '192.0.2.250' };
    expect(await startEndpoints(status, httpServe, where)).toBeUndefined();
    expect(logs[0]).toContain(
      '(EADDRNOTAVAIL); keepalived runs without them, and the readiness probe fails; 192.0.2.250 is not an address of this node; set IPFAILOVER_LISTEN_ADDRESS',
    );
  });

  test('no address at all (the interface has none of the family): says so, serves nothing', async () => {
    logs.length = 0;
    expect(await startEndpoints(status, httpServe, { ...options(0), address: undefined })).toBeUndefined();
    expect(logs).toEqual([
      expect.stringMatching(/^E ipfailover agent: no address to serve .* set IPFAILOVER_LISTEN_ADDRESS/),
    ]);
  });
});

describe('listenAddressOf', () => {
  test('unset or empty: the node address on the VRRP interface', () => {
    expect(listenAddressOf({}, '192.0.2.1')).toEqual({ address: '192.0.2.1' });
    expect(listenAddressOf({ IPFAILOVER_LISTEN_ADDRESS: '' }, '192.0.2.1')).toEqual({ address: '192.0.2.1' });
    expect(listenAddressOf({}, undefined)).toEqual({ address: undefined });
  });

  test('set (the pod IP): that address, in canonical form', () => {
    expect(listenAddressOf({ IPFAILOVER_LISTEN_ADDRESS: '10.0.0.5' }, '192.0.2.1')).toEqual({ address: '10.0.0.5' });
    expect(listenAddressOf({ IPFAILOVER_LISTEN_ADDRESS: '2001:DB8::0:1' }, undefined)).toEqual({
      address: '2001:db8::1',
    });
  });

  test('not an address: the reason names the variable and the fix', () => {
    expect(listenAddressOf({ IPFAILOVER_LISTEN_ADDRESS: '0.0.0.0; rm -rf /' }, '192.0.2.1')).toEqual({
      reason: expect.stringMatching(
        /^'IPFAILOVER_LISTEN_ADDRESS' "0\.0\.0\.0; rm -rf \/" .*; set it from the pod's IP \(fieldRef status\.podIP\)/,
      ),
    });
  });
});

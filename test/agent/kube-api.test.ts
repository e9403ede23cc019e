/**
 * The agent's Kubernetes API client against a local HTTPS STAND-IN for the API server
 * (test/support/kube-api-stand-in.ts): no real API server can run here, so the stand-in speaks
 * the real one's list and watch wire format, with a CA made for the test.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  inClusterEndpoint,
  KubeApi,
  KubeApiError,
  MAX_EVENT_BYTES,
  MAX_LIST_BYTES,
  podSummary,
  type KubeEndpoint,
  type PodEvent,
} from '../../lib/agent/kube-api';
import { KubeApiStandIn, makeStandInFiles, type StandInFiles } from '../support/kube-api-stand-in';

const NAMESPACE = 'ipfailover';
const LABELS = { ipfailover: 'router' };
const SELECTOR = 'ipfailover=router';

let files: StandInFiles;
let otherCa: StandInFiles;
let standIn: KubeApiStandIn;
let endpoint: KubeEndpoint;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-api-'));
  files = makeStandInFiles(join(dir, 'ca'), ['127.0.0.1'], NAMESPACE, 'token-1');
  otherCa = makeStandInFiles(join(dir, 'other'), ['127.0.0.1'], NAMESPACE, 'token-1');
});

beforeEach(async () => {
  writeFileSync(join(files.serviceAccountDir, 'token'), 'token-1\n');
  standIn = new KubeApiStandIn({
    namespace: NAMESPACE,
    token: 'token-1',
    keyFile: files.keyFile,
    certFile: files.certFile,
    bookmarkMs: 100,
  });
  const port = await standIn.listen('127.0.0.1');
  endpoint = { host: '127.0.0.1', port, dir: files.serviceAccountDir, namespace: NAMESPACE };
});

afterEach(() => standIn.close());

/** Collects watch events until `until` holds for them, then aborts the watch. */
async function watchUntil(
  api: KubeApi,
  rv: string,
  until: (events: PodEvent[]) => boolean,
  during?: () => void,
): Promise<{ events: PodEvent[]; end: string }> {
  const events: PodEvent[] = [];
  const abort = new AbortController();
  const ended = api.watchPods(
    SELECTOR,
    rv,
    (e) => {
      events.push(e);
      if (until(events)) abort.abort();
    },
    abort.signal,
  );
  during?.();
  return { events, end: await ended };
}

describe('inClusterEndpoint', () => {
  const dirWith = (namespace: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    writeFileSync(join(dir, 'namespace'), namespace);
    return dir;
  };

  test('reads the service host and port and the namespace file', () => {
    const dir = dirWith('ipfailover\n');
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir)).toEqual({
      host: '10.96.0.1',
      port: 443,
      dir,
      namespace: 'ipfailover',
    });
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: 'fd00::1' }, dir)).toMatchObject({
      host: 'fd00::1',
      port: 443,
    });
  });

  test('says what is missing or malformed', () => {
    const dir = dirWith('ipfailover');
    expect(inClusterEndpoint({}, dir)).toEqual({ reason: expect.stringMatching(/KUBERNETES_SERVICE_HOST is not set/) });
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: 'a b' }, dir)).toEqual({
      reason: expect.stringMatching(/"a b" is not an address/),
    });
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '70000' }, dir)).toEqual({
      reason: expect.stringMatching(/"70000" is not a port/),
    });
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, join(dir, 'missing'))).toEqual({
      reason: expect.stringMatching(/cannot read the service account's namespace/),
    });
    expect(inClusterEndpoint({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, dirWith('Bad/Namespace'))).toEqual({
      reason: expect.stringMatching(/not a namespace/),
    });
  });
});

describe('podSummary', () => {
  test('keeps only what the agent reads, and skips what is not a pod', () => {
    const pod = standIn.addPod({ name: 'p', labels: LABELS, nodeName: 'worker-0', ip: '192.0.2.1' });
    expect(podSummary(pod)).toEqual({
      uid: pod.metadata.uid,
      name: 'p',
      nodeName: 'worker-0',
      phase: 'Running',
      addresses: ['192.0.2.1'],
      deleting: false,
      created: Date.parse(pod.metadata.creationTimestamp as string),
    });
    // An unreadable creation time is left out, not NaN.
    expect(podSummary({ metadata: { uid: 'u', name: 'n', creationTimestamp: 'yesterday' } })).not.toHaveProperty(
      'created',
    );
    expect(podSummary({ metadata: { name: 'x' } })).toBeUndefined();
    expect(podSummary('pod')).toBeUndefined();
    expect(
      podSummary({ metadata: { uid: 'u', name: 'n', deletionTimestamp: 'now' }, status: { podIPs: [{ ip: 'nope' }] } }),
    ).toEqual({ uid: 'u', name: 'n', addresses: [], deleting: true });
  });
});

describe('KubeApi against the stand-in', () => {
  test("lists the instance's pods page by page, with the version to watch from", async () => {
    for (let i = 0; i < 230; i++)
      standIn.addPod({ name: `p${String(i).padStart(3, '0')}`, labels: LABELS, nodeName: `n${i}`, ip: '192.0.2.1' });
    standIn.addPod({ name: 'other', labels: { ipfailover: 'cache' }, nodeName: 'n0' });
    const list = await new KubeApi(endpoint).listPods(SELECTOR);
    expect(list.pods).toHaveLength(230);
    expect(new Set(list.pods.map((p) => p.nodeName)).size).toBe(230);
    expect(list.resourceVersion).toBe(String(1000 + 231));
    // The server's time of the answer (its Date header, to the second) and each pod's creation.
    expect(Math.abs(list.serverTime! - Date.now())).toBeLessThan(2000);
    expect(list.pods.every((p) => p.created !== undefined && Math.abs(p.created - list.serverTime!) < 2000)).toBe(true);
    expect(standIn.stats.lists).toBe(3); // pages of 100
  });

  test('watches changes from a version: added, modified (deleting), deleted, and bookmarks', async () => {
    standIn.addPod({ name: 'a', labels: LABELS, nodeName: 'worker-0', ip: '192.0.2.1' });
    const api = new KubeApi(endpoint);
    const { resourceVersion } = await api.listPods(SELECTOR);
    const { events, end } = await watchUntil(
      api,
      resourceVersion,
      (es) => es.some((e) => e.type === 'DELETED') && es.some((e) => e.type === 'BOOKMARK'),
      () => {
        standIn.addPod({ name: 'b', labels: LABELS, nodeName: 'worker-1', ip: '192.0.2.2' });
        standIn.addPod({ name: 'c', labels: { ipfailover: 'cache' }, nodeName: 'worker-1' });
        standIn.terminatePod('a');
        standIn.deletePod('a');
      },
    );
    expect(end).toBe('closed');
    const changes = events.filter((e) => e.type !== 'BOOKMARK');
    expect(changes.map((e) => [e.type, 'pod' in e ? e.pod.name : '', 'pod' in e ? e.pod.deleting : ''])).toEqual([
      ['ADDED', 'b', false],
      ['MODIFIED', 'a', true],
      ['DELETED', 'a', true],
    ]);
    const bookmark = events.find((e) => e.type === 'BOOKMARK')!;
    expect(Number(bookmark.resourceVersion)).toBeGreaterThanOrEqual(Number(resourceVersion));
  });

  test('a watch the server ends is "closed"; one from a forgotten version is "expired" (410)', async () => {
    const api = new KubeApi(endpoint, { limits: { watchSeconds: 1 } });
    const { resourceVersion } = await api.listPods(SELECTOR);
    await expect(api.watchPods(SELECTOR, resourceVersion, () => undefined)).resolves.toBe('closed');
    standIn.addPod({ name: 'a', labels: LABELS, nodeName: 'worker-0' });
    standIn.compact();
    await expect(api.watchPods(SELECTOR, resourceVersion, () => undefined)).resolves.toBe('expired');
  });

  test('an ERROR 410 event in an open watch is "expired"', async () => {
    const api = new KubeApi(endpoint);
    const { resourceVersion } = await api.listPods(SELECTOR);
    const watching = api.watchPods(SELECTOR, resourceVersion, () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    standIn.expireWatches();
    await expect(watching).resolves.toBe('expired');
  });

  test('reads the token again for every request, so a rotated token is used', async () => {
    const api = new KubeApi(endpoint);
    await api.listPods(SELECTOR);
    standIn.rotateToken('token-2');
    await expect(api.listPods(SELECTOR)).rejects.toThrow(/401 Unauthorized.*token was refused/);
    writeFileSync(join(files.serviceAccountDir, 'token'), 'token-2\n');
    await expect(api.listPods(SELECTOR)).resolves.toMatchObject({ pods: [] });
    expect(standIn.stats.tokens).toEqual(['token-1', 'token-2']);
  });

  test('403 names the missing permission', async () => {
    standIn.forbid(true);
    const api = new KubeApi(endpoint);
    const error = await api.listPods(SELECTOR).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(403);
    expect((error as Error).message).toMatch(/may not list or watch pods in this namespace; bind it to a Role/);
    await expect(api.watchPods(SELECTOR, '1', () => undefined)).rejects.toMatchObject({ status: 403 });
  });

  test("refuses a server whose certificate is not from the service account's CA", async () => {
    const api = new KubeApi({ ...endpoint, dir: otherCa.serviceAccountDir });
    await expect(api.listPods(SELECTOR)).rejects.toThrow(/certificate/);
  });

  test('an unreachable server is an error, not a hang', async () => {
    await standIn.pause();
    await expect(new KubeApi(endpoint).listPods(SELECTOR)).rejects.toThrow(/ECONNREFUSED/);
    await standIn.resume();
  });
});

describe('bounds', () => {
  let server: Server;
  let port: number;
  let answer: (res: ServerResponse) => void;

  beforeEach(async () => {
    server = createServer({ key: readFileSync(files.keyFile), cert: readFileSync(files.certFile) }, (_req, res) =>
      answer(res),
    );
    port = await new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
  });
  afterEach(() => new Promise((r) => server.close(r)));

  const api = (): KubeApi =>
    new KubeApi({ ...endpoint, port }, { limits: { requestTimeoutMs: 300, watchSeconds: 0, watchIdleMarginMs: 300 } });

  test('a list answer larger than the limit is refused', async () => {
    answer = (res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(1024 * 1024, 32);
      for (let i = 0; i <= MAX_LIST_BYTES / chunk.length; i++) res.write(chunk);
      res.end();
    };
    await expect(api().listPods(SELECTOR)).rejects.toThrow(/larger than/);
  });

  test('a watch event larger than the limit is refused', async () => {
    answer = (res) => {
      res.writeHead(200);
      res.write(`{"type":"ADDED","object":"${'x'.repeat(MAX_EVENT_BYTES)}`);
    };
    await expect(api().watchPods(SELECTOR, '1', () => undefined)).rejects.toThrow(/larger than/);
  });

  test('a server that never answers times out; a silent watch is given up', async () => {
    answer = () => undefined;
    await expect(api().listPods(SELECTOR)).rejects.toThrow(/no answer within 300 ms/);
    answer = (res) => {
      res.writeHead(200);
      res.write('\n');
    };
    await expect(api().watchPods(SELECTOR, '1', () => undefined)).rejects.toThrow(/silent/);
  });

  test('an answer that is not a PodList or not JSON is an error', async () => {
    answer = (res) => res.end('{"kind":"Status"}');
    await expect(api().listPods(SELECTOR)).rejects.toThrow(/not a PodList/);
    answer = (res) => res.end('<html>');
    await expect(api().listPods(SELECTOR)).rejects.toThrow(/not JSON/);
  });
});

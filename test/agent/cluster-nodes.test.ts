/**
 * The agent's view of the instance's nodes, against a local HTTPS STAND-IN for the API server
 * (no real one can run here): the first list, changes, and what it says when the API is away.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverClusterNodes, type ClusterNodes } from '../../lib/agent/cluster-nodes';
import { FORMING_WINDOW_MS } from '../../lib/agent/forming';
import type { Member } from '../../lib/agent/membership';
import { waitFor } from '../support/wait-for';
import { KubeApiStandIn, makeStandInFiles, type StandInFiles } from '../support/kube-api-stand-in';

const NAMESPACE = 'ipfailover';
const LABELS = { ipfailover: 'router' };

let files: StandInFiles;
let standIn: KubeApiStandIn;
let port: number;
let nodes: ClusterNodes | undefined;
const log: string[] = [];
const errors: string[] = [];

beforeAll(() => {
  files = makeStandInFiles(mkdtempSync(join(tmpdir(), 'cluster-nodes-')), ['127.0.0.1'], NAMESPACE, 'token');
});

beforeEach(async () => {
  log.length = 0;
  errors.length = 0;
  standIn = new KubeApiStandIn({
    namespace: NAMESPACE,
    token: 'token',
    keyFile: files.keyFile,
    certFile: files.certFile,
  });
  port = await standIn.listen('127.0.0.1');
});

afterEach(async () => {
  await nodes?.stop();
  nodes = undefined;
  await standIn.close();
});

/** Waits for `condition`, polled every 10 ms, up to `ms`. */
const until = (what: string, condition: () => boolean, ms = 8000): Promise<void> => waitFor(what, condition, ms, 10);

async function discover(env: Record<string, string> = {}): Promise<ClusterNodes> {
  const found = await discoverClusterNodes({
    env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port), ...env },
    serviceAccountDir: files.serviceAccountDir,
    labels: LABELS,
    self: 'worker-0',
    selfAddress: '192.0.2.1',
    family: 'ipv4',
    log: (l) => log.push(l),
    logError: (l) => errors.push(l),
    firstListWaitMs: 300,
  });
  if ('reason' in found) throw new Error(found.reason);
  nodes = found;
  return found;
}

const names = (members: readonly Member[] | undefined): string[] | undefined => members?.map((m) => m.name);

test('the first list is there at start; changes are told', async () => {
  standIn.addPod({ name: 'a', labels: LABELS, nodeName: 'worker-0', ip: '192.0.2.1' });
  standIn.addPod({ name: 'b', labels: LABELS, nodeName: 'worker-1', ip: '192.0.2.2' });
  const found = await discover();
  expect(found.current()).toEqual([
    { name: 'worker-0', address: '192.0.2.1' },
    { name: 'worker-1', address: '192.0.2.2' },
  ]);
  const seen: Array<string[] | undefined> = [];
  found.onChange((m) => seen.push(names(m)));
  standIn.addPod({ name: 'c', labels: LABELS, nodeName: 'worker-2', ip: '192.0.2.3' });
  await until('worker-2', () => seen.length === 1);
  expect(seen).toEqual([['worker-0', 'worker-1', 'worker-2']]);
  expect(errors).toEqual([]);
});

test("forming: from the first list's pod ages on the server's clock, three hours ahead of the node's", async () => {
  await standIn.close();
  standIn = new KubeApiStandIn({
    namespace: NAMESPACE,
    token: 'token',
    keyFile: files.keyFile,
    certFile: files.certFile,
    clockAheadMs: 3 * 3_600_000,
  });
  port = await standIn.listen('127.0.0.1');
  standIn.addPod({ name: 'a', labels: LABELS, nodeName: 'worker-0', ip: '192.0.2.1', createdSecondsAgo: 30 });
  standIn.addPod({ name: 'b', labels: LABELS, nodeName: 'worker-1', ip: '192.0.2.2', createdSecondsAgo: 10 });
  const before = Date.now();
  const found = await discover();
  // 120 s after the older pod: about 90 s from now (the server's times are to the second).
  const left = found.formingUntil()! - before;
  expect(left).toBeGreaterThan(FORMING_WINDOW_MS - 30_000 - 2000);
  expect(left).toBeLessThan(FORMING_WINDOW_MS - 30_000 + 2000);
  // Later lists and changes do not move it: it is what the node found when it started.
  const until0 = found.formingUntil();
  standIn.addPod({ name: 'c', labels: LABELS, nodeName: 'worker-2', ip: '192.0.2.3' });
  await until('worker-2', () => names(found.current())?.length === 3);
  expect(found.formingUntil()).toBe(until0);
});

test('formed: a pod older than the window, none forming', async () => {
  standIn.addPod({ name: 'a', labels: LABELS, nodeName: 'worker-0', ip: '192.0.2.1', createdSecondsAgo: 3600 });
  standIn.addPod({ name: 'b', labels: LABELS, nodeName: 'worker-1', ip: '192.0.2.2' });
  expect((await discover()).formingUntil()).toBeUndefined();
});

test('no API server in the environment: the reason, nothing started', async () => {
  const found = await discoverClusterNodes({
    env: {},
    labels: LABELS,
    self: 'worker-0',
    family: 'ipv4',
    log: () => undefined,
    logError: () => undefined,
  });
  expect(found).toEqual({ reason: expect.stringMatching(/KUBERNETES_SERVICE_HOST is not set/) });
});

test('API down at start: unknown after the wait, one line; the nodes arrive when it answers', async () => {
  standIn.addPod({ name: 'a', labels: LABELS, nodeName: 'worker-0', ip: '192.0.2.1' });
  standIn.addPod({ name: 'b', labels: LABELS, nodeName: 'worker-1', ip: '192.0.2.2' });
  await standIn.pause();
  const t0 = Date.now();
  const found = await discover();
  expect(Date.now() - t0).toBeLessThan(2000);
  expect(found.current()).toBeUndefined();
  expect(errors).toEqual([
    expect.stringMatching(/^ipfailover agent: cannot list the instance's pods \(.*\); no node listed yet; retrying$/),
  ]);
  const seen: Array<string[] | undefined> = [];
  found.onChange((m) => seen.push(names(m)));
  await standIn.resume();
  await found.listed();
  await until('the nodes', () => seen.length === 1);
  expect(seen).toEqual([['worker-0', 'worker-1']]);
  expect(log).toEqual(['ipfailover: the Kubernetes API answers again']);
});

test('API down later: the nodes last listed are kept, said once; back, said once', async () => {
  standIn.addPod({ name: 'a', labels: LABELS, nodeName: 'worker-0', ip: '192.0.2.1' });
  standIn.addPod({ name: 'b', labels: LABELS, nodeName: 'worker-1', ip: '192.0.2.2' });
  const found = await discover();
  await standIn.pause();
  await until('the outage line', () => errors.length === 1, 5000);
  await new Promise((r) => setTimeout(r, 1500)); // retries, no more lines
  expect(errors).toEqual([
    expect.stringMatching(/cannot list the instance's pods .*; keeping the 2 node\(s\) it last listed; retrying$/),
  ]);
  expect(names(found.current())).toEqual(['worker-0', 'worker-1']);
  await standIn.resume();
  await until('back', () => log.length === 1, 15_000);
  expect(names(found.current())).toEqual(['worker-0', 'worker-1']);
}, 60_000);

/**
 * The list-and-watch loop against a local HTTPS STAND-IN for the API server (no real one can run
 * here): reconnection, 410 → a new list, and reachability reported once per change.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApi, type KubeEndpoint, type PodSummary } from '../../lib/agent/kube-api';
import { watchInstancePods, type PodWatch } from '../../lib/agent/pod-watch';
import { waitFor } from '../support/wait-for';
import { KubeApiStandIn, makeStandInFiles, type StandInFiles } from '../support/kube-api-stand-in';

const NAMESPACE = 'ipfailover';
const LABELS = { ipfailover: 'router' };

let files: StandInFiles;
let standIn: KubeApiStandIn;
let endpoint: KubeEndpoint;
let watch: PodWatch | undefined;

beforeAll(() => {
  files = makeStandInFiles(mkdtempSync(join(tmpdir(), 'pod-watch-')), ['127.0.0.1'], NAMESPACE, 'token');
});

beforeEach(async () => {
  standIn = new KubeApiStandIn({
    namespace: NAMESPACE,
    token: 'token',
    keyFile: files.keyFile,
    certFile: files.certFile,
    bookmarkMs: 100,
    maxWatchMs: 400,
  });
  const port = await standIn.listen('127.0.0.1');
  endpoint = { host: '127.0.0.1', port, dir: files.serviceAccountDir, namespace: NAMESPACE };
});

afterEach(async () => {
  await watch?.stop();
  watch = undefined;
  await standIn.close();
});

/** Waits for `condition`, polled every 10 ms, up to `ms`. */
const until = (what: string, condition: () => boolean, ms = 5000): Promise<void> => waitFor(what, condition, ms, 10);

/** Starts the loop, recording the last pods seen and every reachability call. */
function start(): { pods: () => string[]; reach: Array<[boolean, string | undefined]> } {
  let last: readonly PodSummary[] = [];
  const reach: Array<[boolean, string | undefined]> = [];
  watch = watchInstancePods({
    source: new KubeApi(endpoint, { limits: { requestTimeoutMs: 1000 } }),
    selector: 'ipfailover=router',
    onPods: (pods) => (last = pods),
    onReachable: (ok, reason) => reach.push([ok, reason]),
    backoff: { initialMs: 50, maxMs: 200 },
    shortestWatchMs: 100,
  });
  return { pods: () => last.map((p) => `${p.nodeName}${p.deleting ? ' (deleting)' : ''}`).sort(), reach };
}

test('lists, then follows changes through watches the server ends, without listing again', async () => {
  standIn.addPod({ name: 'a', labels: LABELS, nodeName: 'worker-0', ip: '192.0.2.1' });
  const seen = start();
  await until('the list', () => seen.pods().length === 1);
  standIn.addPod({ name: 'b', labels: LABELS, nodeName: 'worker-1', ip: '192.0.2.2' });
  await until('b', () => seen.pods().length === 2);
  await new Promise((r) => setTimeout(r, 1000)); // several watches end (400 ms each) and start again
  standIn.terminatePod('a');
  await until('a deleting', () => seen.pods().includes('worker-0 (deleting)'));
  standIn.deletePod('a');
  await until('a gone', () => seen.pods().join() === 'worker-1');
  expect(standIn.stats.lists).toBe(1);
  expect(standIn.stats.watches).toBeGreaterThanOrEqual(3);
  expect(seen.reach).toEqual([[true, undefined]]);
});

test('a 410 from the watch means a new list', async () => {
  standIn.addPod({ name: 'a', labels: LABELS, nodeName: 'worker-0' });
  const seen = start();
  await until('the list', () => seen.pods().length === 1);
  await new Promise((r) => setTimeout(r, 100));
  standIn.expireWatches();
  standIn.addPod({ name: 'b', labels: LABELS, nodeName: 'worker-1' });
  await until('b after the relist', () => seen.pods().length === 2);
  expect(standIn.stats.lists).toBe(2);
});

test('unreachable, then back: reported once each way, and what changed meanwhile is seen', async () => {
  standIn.addPod({ name: 'a', labels: LABELS, nodeName: 'worker-0' });
  const seen = start();
  await until('the list', () => seen.pods().length === 1);
  await standIn.pause();
  await until('unreachable', () => seen.reach.length === 2);
  await new Promise((r) => setTimeout(r, 600)); // several retries, no more reports
  expect(seen.reach).toEqual([
    [true, undefined],
    [false, expect.stringMatching(/ECONNREFUSED|socket hang up|ECONNRESET/)],
  ]);
  standIn.addPod({ name: 'b', labels: LABELS, nodeName: 'worker-1' });
  standIn.compact(); // the old version is gone by the time it is back
  await standIn.resume();
  await until('b', () => seen.pods().length === 2);
  expect(seen.reach.at(-1)).toEqual([true, undefined]);
  expect(seen.reach).toHaveLength(3);
});

test('a 403 at start is reported with the fix, and retried until it is allowed', async () => {
  standIn.forbid(true);
  standIn.addPod({ name: 'a', labels: LABELS, nodeName: 'worker-0' });
  const seen = start();
  await until('the refusal', () => seen.reach.length === 1);
  expect(seen.reach[0]).toEqual([false, expect.stringMatching(/403 Forbidden.*bind it to a Role/)]);
  standIn.forbid(false);
  await until('the list', () => seen.pods().length === 1);
  expect(seen.reach.at(-1)).toEqual([true, undefined]);
});

test('stop ends the loop promptly, even mid-watch or mid-backoff', async () => {
  start();
  await new Promise((r) => setTimeout(r, 150));
  const t0 = Date.now();
  await watch!.stop();
  expect(Date.now() - t0).toBeLessThan(500);
  await standIn.pause();
  start();
  await new Promise((r) => setTimeout(r, 100));
  const t1 = Date.now();
  await watch!.stop();
  expect(Date.now() - t1).toBeLessThan(500);
});

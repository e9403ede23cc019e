import { EventEmitter } from 'node:events';
import { Reloader } from '../../lib/agent/reloader';
import type { ChildLike } from '../../lib/agent/supervisor';

/** A keepalived stand-in that records the signals it gets. */
function fakeChild(): ChildLike & { signals: string[] } {
  const child = Object.assign(new EventEmitter(), {
    pid: 1,
    stdout: null,
    stderr: null,
    signals: [] as string[],
    kill(signal: NodeJS.Signals): boolean {
      child.signals.push(signal);
      return true;
    },
  });
  return child;
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// A reload that keepalived never confirms keeps a 10 s timer; stopping each reloader clears it, as
// the agent does, so the test worker exits when the tests are done (jest forced it out before).
const made: Reloader[] = [];
afterEach(() => {
  for (const reloader of made.splice(0)) reloader.stop();
});

function setup(write: (config: string) => string | undefined = () => undefined) {
  const written: string[] = [];
  const log: string[] = [];
  const errors: string[] = [];
  const reloader = new Reloader({
    running: 'A',
    write: (config) => {
      const bad = write(config);
      if (!bad) written.push(config);
      return bad;
    },
    log: (l) => log.push(l),
    logError: (l) => errors.push(l),
    gatherMs: 20,
  });
  made.push(reloader);
  const child = fakeChild();
  reloader.attach(child);
  return { reloader, child, written, log, errors };
}

test('nothing is signalled before keepalived has started; then the last wanted config, once', async () => {
  const { reloader, child, written, log } = setup();
  reloader.request('B', 'nodes changed');
  reloader.request('C', 'nodes changed again');
  await tick(60);
  expect(child.signals).toEqual([]);
  reloader.onLine('Tue Nov 24 00:14:20 2026: Starting VRRP child process, pid=11772');
  expect(child.signals).toEqual([]);
  reloader.onLine('Tue Nov 24 00:14:20 2026: Startup complete');
  expect(written).toEqual(['C']);
  expect(child.signals).toEqual(['SIGHUP']);
  expect(log).toEqual(['ipfailover: nodes changed again; reloading keepalived (the VIPs it holds stay)']);
});

test('a burst of changes is one reload; the next waits for the reload to complete', async () => {
  const { reloader, child, written } = setup();
  reloader.onLine('Startup complete');
  for (const c of ['B', 'C', 'D']) reloader.request(c, 'x');
  await tick(60);
  expect(written).toEqual(['D']);
  reloader.request('E', 'y');
  await tick(60);
  expect(written).toEqual(['D']); // still reloading
  reloader.onLine('Reload complete');
  expect(written).toEqual(['D', 'E']);
  expect(child.signals).toEqual(['SIGHUP', 'SIGHUP']);
});

test('the config keepalived runs is not applied again; a change back before it is applied is none', async () => {
  const { reloader, child } = setup();
  reloader.onLine('Startup complete');
  reloader.request('A', 'same');
  await tick(60);
  reloader.request('B', 'x');
  reloader.request('A', 'back');
  await tick(60);
  expect(child.signals).toEqual([]);
});

test('a config that cannot be written is reported and keepalived is left alone', async () => {
  const { reloader, child, errors } = setup(() => 'could not write /x: no space left on device');
  reloader.onLine('Startup complete');
  reloader.request('B', 'nodes changed');
  await tick(60);
  expect(child.signals).toEqual([]);
  expect(errors).toEqual([
    'ipfailover agent: nodes changed, but could not write /x: no space left on device; keepalived keeps its config',
  ]);
});

test('nothing after stop', async () => {
  const { reloader, child } = setup();
  reloader.onLine('Startup complete');
  reloader.request('B', 'x');
  reloader.stop();
  await tick(60);
  reloader.request('C', 'y');
  await tick(60);
  expect(child.signals).toEqual([]);
});

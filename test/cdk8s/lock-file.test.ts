/**
 * The VRRP ID lock file with cdk8s: synthesized with Testing.synth against a real file in a
 * temporary directory, run after run; and, as users run it, an app started in a directory of
 * its own, where the defaults (written, frozen under CI, untouched under a test runner) apply.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { configureFailoverPlanner, IpFailover, type FailoverPlannerOptions } from '../../lib/cdk8s';
import type { IpFailoverOptions } from '../../lib/core/model/props';

const root = join(__dirname, '..', '..');

/** An instance of a synth: its id, VIP count, other props. */
type Decl = [id: string, vips: number, props?: Partial<IpFailoverOptions>];

const vipsOf = (id: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `10.${id.charCodeAt(0)}.${id.length}.${i + 1}`);

interface Synth {
  readonly ids: Record<string, number[]>;
  readonly error?: string;
}

/** One synth of a chart against the lock file in `dir`. */
function synth(dir: string, decls: Decl[], options: FailoverPlannerOptions = {}): Synth {
  const app = Testing.app();
  configureFailoverPlanner(app, { lockFile: join(dir, 'ipfailover.lock.json'), ...options });
  const chart = new Chart(app, 'edge', { namespace: 'ns' });
  const made = decls.map(([id, n, props]) => new IpFailover(chart, id, { virtualIps: vipsOf(id, n), ...props }));
  const ids = Object.fromEntries(made.map((m) => [m.node.id, [...m.vrrpIds]]));
  try {
    Testing.synth(chart);
    return { ids };
  } catch (error) {
    return { ids, error: (error as Error).message };
  }
}

const lockText = (dir: string): string => readFileSync(join(dir, 'ipfailover.lock.json'), 'utf8');
const entryLines = (dir: string): string[] =>
  lockText(dir)
    .split('\n')
    .filter((l) => l.startsWith('    "'));
/** The file's identity: an atomic write replaces the inode, so an unchanged inode means no write. */
const inode = (dir: string): number => statSync(join(dir, 'ipfailover.lock.json')).ino;
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'ipfailover-lock-'));

const STACK: Decl[] = [
  ['router', 5],
  ['cache', 2],
  ['db', 1],
];

describe('cdk8s synth with a lock file', () => {
  test('the first synth allocates as without a lock and writes the lock', () => {
    const dir = tempDir();
    const first = synth(dir, STACK);
    expect(first.error).toBeUndefined();
    expect(first.ids).toEqual(synth(dir, STACK, { lockMode: 'off' }).ids);
    expect(first.ids).toEqual({ router: [1, 2, 3, 4, 5], cache: [6, 7], db: [8] });
    expect(entryLines(dir)).toEqual(['    "ns/router": "1..5",', '    "ns/cache": "6..7",', '    "ns/db": "8..12"']);
    expect(JSON.parse(lockText(dir))).toMatchObject({ version: 1 });
  });

  test('a synth that changes nothing does not write the file', () => {
    const dir = tempDir();
    synth(dir, STACK);
    const before = inode(dir);
    expect(synth(dir, [...STACK].reverse()).error).toBeUndefined();
    expect(inode(dir)).toBe(before);
  });

  test('growing the first instance renumbers no other; the diff is the grown line', () => {
    const dir = tempDir();
    synth(dir, STACK);
    const before = entryLines(dir);
    const grown = synth(dir, [['router', 7], ...STACK.slice(1)]);
    expect(grown.error).toBeUndefined();
    expect(grown.ids).toEqual({ router: [1, 2, 3, 4, 5, 13, 14], cache: [6, 7], db: [8] });
    const after = entryLines(dir);
    expect(after.filter((line) => !before.includes(line))).toEqual(['    "ns/router": "1..5, 13..21",']);
  });

  test('shrinking writes nothing; adding takes free IDs; removing keeps the entry', () => {
    const dir = tempDir();
    synth(dir, STACK);
    const before = inode(dir);
    expect(synth(dir, [['router', 1], ...STACK.slice(1)]).ids.router).toEqual([1]);
    expect(inode(dir)).toBe(before);
    const changed = synth(dir, [
      ['cache', 2],
      ['db', 1],
      ['new', 2],
    ]);
    expect(changed.ids).toEqual({ cache: [6, 7], db: [8], new: [13, 14] });
    expect(entryLines(dir)).toContain('    "ns/router": "1..5",');
  });

  test('a synth that fails writes nothing: bad props elsewhere keep the lock as it was', () => {
    const dir = tempDir();
    synth(dir, STACK);
    const text = lockText(dir);
    const failed = synth(dir, [...STACK, ['new', 1], ['bad', 1, { monitorPort: -1 }]]);
    expect(failed.error).toMatch(/\[edge\/bad\] 'monitorPort' -1 is not a port/);
    expect(lockText(dir)).toBe(text);
  });

  test('frozen: a change fails the synth, naming the instance, and nothing is written', () => {
    const dir = tempDir();
    synth(dir, STACK);
    const text = lockText(dir);
    expect(synth(dir, STACK, { lockMode: 'frozen' }).error).toBeUndefined();
    const added = synth(dir, [...STACK, ['new', 1]], { lockMode: 'frozen' });
    expect(added.error).toContain("[edge/new] 'vrrpIdOffset' (unset) would give ns/new VRRP IDs 13, which ");
    expect(added.error).toContain("is frozen (lockMode 'frozen'); update ");
    expect(lockText(dir)).toBe(text);
  });

  test('read: the lock is kept but never written', () => {
    const dir = tempDir();
    synth(dir, STACK);
    const text = lockText(dir);
    const grown = synth(dir, [['router', 6], ...STACK.slice(1)], { lockMode: 'read' });
    expect([grown.error, grown.ids.cache]).toEqual([undefined, [6, 7]]);
    expect(lockText(dir)).toBe(text);
  });

  test('a malformed lock fails the synth naming the file and each entry, never with a TypeError', () => {
    const dir = tempDir();
    const file = join(dir, 'ipfailover.lock.json');
    writeFileSync(file, '{ "version": 1, "vrrpIds": { "ns/router": "5..1", "cache": "6", "ns/db": 8 } }\n');
    const failed = synth(dir, STACK);
    expect(failed.error?.split('\n').slice(1)).toEqual([
      `  [] ${file}: 'vrrpIds["ns/router"]' "5..1" has "5..1", which ends before it starts; write 1..5`,
      `  [] ${file}: 'vrrpIds["cache"]' "cache" is not namespace/name of a Deployment; key each entry by its namespace and Deployment name, such as "ipfailover/ipf-router"`,
      `  [] ${file}: 'vrrpIds["ns/db"]' 8 is not a string of VRRP IDs; write IDs and runs such as "1..5, 9"`,
    ]);
    expect(readFileSync(file, 'utf8')).toContain('5..1');
  });

  test('two Apps writing one lock file: the second refuses to overwrite the first', () => {
    const dir = tempDir();
    const lockFile = join(dir, 'ipfailover.lock.json');
    const apps = ['a', 'b'].map((name) => {
      const app = Testing.app();
      configureFailoverPlanner(app, { lockFile });
      const chart = new Chart(app, name, { namespace: 'ns' });
      new IpFailover(chart, name, { virtualIps: vipsOf(name, 1) });
      return chart;
    });
    Testing.synth(apps[0]!);
    expect(() => Testing.synth(apps[1]!)).toThrow(
      /changed on disk since this run read it \(another App or run writing the same lock\?\); give each App or program its own lockFile/,
    );
    expect(entryLines(dir)).toEqual(['    "ns/a": "1..5"']);
  });

  test('bad options are a synthesis error naming the option', () => {
    const dir = tempDir();
    expect(synth(dir, STACK, { lockMode: 'sometimes' as never }).error).toContain(
      "[] configureFailoverPlanner: 'lockMode' \"sometimes\" is not a lock mode; use 'write', 'frozen', 'read', 'off', or leave it out",
    );
  });
});

describe('cdk8s synth as users run it: an app in its own directory', () => {
  /** Runs an app of `decls` with `cwd` as its working directory and the given environment. */
  function runApp(
    cwd: string,
    decls: Decl[],
    env: Record<string, string | undefined>,
  ): { code: number; stderr: string } {
    const script = join(cwd, 'main.ts');
    writeFileSync(
      script,
      [
        `import { App, Chart } from ${JSON.stringify(join(root, 'node_modules/cdk8s'))};`,
        `import { IpFailover } from ${JSON.stringify(join(root, 'lib/cdk8s'))};`,
        `const app = new App({ outdir: 'dist' });`,
        `const chart = new Chart(app, 'edge', { namespace: 'ns' });`,
        ...decls.map(([id, n]) => `new IpFailover(chart, '${id}', { virtualIps: ${JSON.stringify(vipsOf(id, n))} });`),
        `app.synth();`,
      ].join('\n'),
    );
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !['JEST_WORKER_ID', 'CI', 'IPFAILOVER_LOCK_MODE', 'IPFAILOVER_LOCK_FILE'].includes(k),
      ),
    );
    const result = spawnSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), script], {
      cwd,
      env: { ...clean, ...env },
      encoding: 'utf8',
    });
    return { code: result.status ?? -1, stderr: result.stderr };
  }

  test('writes ipfailover.lock.json beside the app; under CI it fails instead of changing it', () => {
    const dir = tempDir();
    expect(runApp(dir, STACK, {}).code).toBe(0);
    expect(entryLines(dir)).toEqual(['    "ns/router": "1..5",', '    "ns/cache": "6..7",', '    "ns/db": "8..12"']);
    expect(runApp(dir, STACK, { CI: 'true' }).code).toBe(0);
    const grown = runApp(dir, [['router', 6], ...STACK.slice(1)], { CI: 'true' });
    expect(grown.code).not.toBe(0);
    expect(grown.stderr).toContain(
      '[edge/router] \'virtualIps\' "6 VIPs" need VRRP IDs 1..5, 13, more than the 1..5 ipfailover.lock.json records for ns/router, and ipfailover.lock.json is frozen (CI=true)',
    );
    expect(existsSync(join(dir, 'dist'))).toBe(true);
  }, 60000);

  test('under a test runner, nothing is read or written unless a lock file is named', () => {
    const dir = tempDir();
    expect(runApp(dir, STACK, { JEST_WORKER_ID: '1' }).code).toBe(0);
    expect(existsSync(join(dir, 'ipfailover.lock.json'))).toBe(false);
  }, 60000);
});

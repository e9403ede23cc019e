/**
 * The VRRP ID lock file with Pulumi: program runs under mocks (each `runInPulumiStack` is one
 * `pulumi preview`/`up`, with a planner of its own) against a real file in a temporary directory.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpFailoverOptions } from '../../lib/core/model/props';
import {
  configureFailoverPlanner,
  IpFailover,
  resetFailoverPlanner,
  type FailoverPlannerOptions,
} from '../../lib/pulumi';
import { recordResources } from './mocks';

type Decl = [name: string, vips: number, props?: Partial<IpFailoverOptions>];

const vipsOf = (id: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `10.${id.charCodeAt(0)}.${id.length}.${i + 1}`);

beforeAll(async () => {
  await recordResources();
});
afterEach(() => resetFailoverPlanner());

/**
 * One program run against the lock file in `dir`: the VRRP IDs per instance, or the error. Each
 * run starts a new planner, as each `pulumi preview` or `up` does; outside `runInPulumiStack`, so
 * that a component's error is thrown here, as the program would see it.
 */
function programRun(dir: string, decls: Decl[], options: FailoverPlannerOptions = {}): Run {
  resetFailoverPlanner();
  try {
    configureFailoverPlanner({ lockFile: join(dir, 'ipfailover.lock.json'), ...options });
    const made = decls.map(
      ([name, n, props]) => new IpFailover(name, { virtualIps: vipsOf(name, n), namespace: 'ns', ...props }),
    );
    return { ids: Object.fromEntries(made.map((m, i) => [decls[i]![0], [...m.vrrpIds]])) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

interface Run {
  readonly ids?: Record<string, number[]>;
  readonly error?: string;
}

const lockText = (dir: string): string => readFileSync(join(dir, 'ipfailover.lock.json'), 'utf8');
const entryLines = (dir: string): string[] =>
  lockText(dir)
    .split('\n')
    .filter((l) => l.startsWith('    "'));
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'ipfailover-lock-'));

const STACK: Decl[] = [
  ['router', 5],
  ['cache', 2],
  ['db', 1],
];

describe('Pulumi program runs with a lock file', () => {
  test('the first run writes the lock; the next, unchanged, does not touch it', () => {
    const dir = tempDir();
    expect(programRun(dir, STACK)).toEqual({ ids: { router: [1, 2, 3, 4, 5], cache: [6, 7], db: [8] } });
    expect(entryLines(dir)).toEqual(['    "ns/router": "1..5",', '    "ns/cache": "6..7",', '    "ns/db": "8..12"']);
    const inode = statSync(join(dir, 'ipfailover.lock.json')).ino;
    expect(programRun(dir, [...STACK].reverse()).error).toBeUndefined();
    expect(statSync(join(dir, 'ipfailover.lock.json')).ino).toBe(inode);
  });

  test('grow, shrink, add, remove: no other instance is renumbered', () => {
    const dir = tempDir();
    programRun(dir, STACK);
    expect(programRun(dir, [['router', 7], ...STACK.slice(1)]).ids).toEqual({
      router: [1, 2, 3, 4, 5, 13, 14],
      cache: [6, 7],
      db: [8],
    });
    expect(
      programRun(dir, [
        ['router', 2],
        ['cache', 1],
        ['new', 1],
      ]).ids,
    ).toEqual({
      router: [1, 2],
      cache: [6],
      new: [22],
    });
    expect(entryLines(dir)).toEqual([
      '    "ns/router": "1..5, 13..21",',
      '    "ns/cache": "6..7",',
      '    "ns/db": "8..12",',
      '    "ns/new": "22..26"',
    ]);
  });

  test('frozen: the component that would change the lock throws, naming it; nothing is written', () => {
    const dir = tempDir();
    programRun(dir, STACK);
    const text = lockText(dir);
    expect(programRun(dir, STACK, { lockMode: 'frozen' })).toMatchObject({ ids: expect.any(Object) });
    const { error } = programRun(dir, [['router', 6], ...STACK.slice(1)], { lockMode: 'frozen' });
    expect(error).toContain(
      `router: 'virtualIps' "6 VIPs" need VRRP IDs 1..5, 13, more than the 1..5 ${join(dir, 'ipfailover.lock.json')} records for ns/router, and`,
    );
    expect(lockText(dir)).toBe(text);
  });

  test('a malformed lock fails the run naming the file and the entry', () => {
    const dir = tempDir();
    const file = join(dir, 'ipfailover.lock.json');
    writeFileSync(file, '{ "version": 1, "vrrpIds": { "ns/router": "1..5", "ns/cache": "3..4" } }');
    const { error } = programRun(dir, STACK);
    expect(error).toBe(
      `${file}: 'vrrpIds["ns/cache"]' "3..4" holds 3..4, which "ns/router" holds too; delete the entry of the instance not deployed yet (it then gets free IDs on the next synth), or the shared IDs from the one that does not use them`,
    );
  });

  test('the default file is one per stack, and is neither read nor written under a test runner', () => {
    const dir = tempDir();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      resetFailoverPlanner();
      configureFailoverPlanner({ lockMode: 'write' });
      new IpFailover('a', { virtualIps: '10.9.9.9' });
      // The mocks' stack is called 'stack'.
      expect(readFileSync(join(dir, 'ipfailover.stack.lock.json'), 'utf8')).toContain('"default/a": "1..5"');
      resetFailoverPlanner();
      configureFailoverPlanner({});
      expect(new IpFailover('b', { virtualIps: '10.9.9.8' }).vrrpIds).toEqual([1]);
      expect(readFileSync(join(dir, 'ipfailover.stack.lock.json'), 'utf8')).not.toContain('default/b');
    } finally {
      process.chdir(cwd);
    }
  });
});

import * as fs from 'node:fs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { WriteError, writeFileAtomic, type AtomicFs } from '../../lib/agent/atomic-write';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ipf-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('creates the directory, writes the text with the mode, leaves no temporary file', () => {
    const path = join(dir, 'state', 'keepalived.conf');
    writeFileAtomic(path, 'one\n', 0o640);
    expect(readFileSync(path, 'utf8')).toBe('one\n');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    writeFileAtomic(path, 'two\n');
    expect(readFileSync(path, 'utf8')).toBe('two\n');
    expect(readdirSync(join(dir, 'state'))).toEqual(['keepalived.conf']);
  });

  test('renames a fully written temporary file over the target, never writing the target itself', () => {
    const path = join(dir, 'keepalived.conf');
    writeFileAtomic(path, 'old\n');
    const opened: string[] = [];
    const renamed: Array<[string, string]> = [];
    const spy: AtomicFs = {
      ...fs,
      openSync: ((p: string, flags: string, mode?: number) => (
        opened.push(p),
        fs.openSync(p, flags, mode)
      )) as AtomicFs['openSync'],
      renameSync: (from, to) => {
        renamed.push([String(from), String(to)]);
        // At the moment of the rename the target still holds the old text in full.
        expect(readFileSync(path, 'utf8')).toBe('old\n');
        expect(readFileSync(String(from), 'utf8')).toBe('new\n');
        fs.renameSync(from, to);
      },
    };
    writeFileAtomic(path, 'new\n', 0o644, spy);
    expect(opened).toHaveLength(1);
    expect(opened[0]).not.toBe(path);
    expect(renamed).toEqual([[opened[0], path]]);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
  });

  test('a failed write removes the temporary file and keeps the old content', () => {
    const path = join(dir, 'keepalived.conf');
    writeFileAtomic(path, 'old\n');
    const failing: AtomicFs = {
      ...fs,
      writeSync: (() => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }) as AtomicFs['writeSync'],
    };
    expect(() => writeFileAtomic(path, 'new\n', 0o644, failing)).toThrow(`${path}: no space left on device (ENOSPC)`);
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['keepalived.conf']);
  });

  test('short writes are continued until every byte is written', () => {
    const path = join(dir, 'keepalived.conf');
    const text = 'x'.repeat(1000);
    const dribbling: AtomicFs = {
      ...fs,
      writeSync: ((fd: number, b: Buffer, off: number, len: number) =>
        fs.writeSync(fd, b, off, Math.min(len, 7))) as AtomicFs['writeSync'],
    };
    writeFileAtomic(path, text, 0o644, dribbling);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  test('a write that writes nothing (a full disk without an error): fails naming the file, old content kept', () => {
    const path = join(dir, 'keepalived.conf');
    writeFileAtomic(path, 'old\n');
    let calls = 0;
    const full: AtomicFs = {
      ...fs,
      writeSync: ((fd: number, b: Buffer, off: number, len: number) =>
        calls++ === 0 ? fs.writeSync(fd, b, off, Math.min(len, 3)) : 0) as AtomicFs['writeSync'],
    };
    expect(() => writeFileAtomic(path, 'new text\n', 0o644, full)).toThrow(
      new WriteError(path, 'only 3 of 9 bytes written (no space left on device?)'),
    );
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['keepalived.conf']);
  });

  test('what is read back differs from what was written: fails, old content kept', () => {
    const path = join(dir, 'keepalived.conf');
    writeFileAtomic(path, 'old\n');
    const lying: AtomicFs = { ...fs, readFileSync: (() => Buffer.from('ne')) as unknown as AtomicFs['readFileSync'] };
    expect(() => writeFileAtomic(path, 'new\n', 0o644, lying)).toThrow(
      `${path}: read back 2 of 4 bytes, or different ones`,
    );
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['keepalived.conf']);
  });

  test("a directory under /proc: fails at once with ENOENT (Node's recursive mkdir spins there)", () => {
    expect(() => writeFileAtomic('/proc/ipfailover-x/y/keepalived.conf', 'x')).toThrow(
      '/proc/ipfailover-x: no such file or directory (ENOENT)',
    );
  });

  test('a file where the directory should be: fails naming it', () => {
    writeFileAtomic(join(dir, 'f'), 'x');
    expect(() => writeFileAtomic(join(dir, 'f', 'keepalived.conf'), 'x')).toThrow(
      `${join(dir, 'f')}: is not a directory`,
    );
  });

  const asRoot = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0 ? test : test.skip;
  asRoot('a real, nearly full tmpfs: fails with ENOSPC instead of leaving a truncated file (root)', () => {
    const small = join(dir, 'small');
    mkdirSync(small);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'ipf-test', small], { encoding: 'utf8' });
    if (mounted.status !== 0) throw new Error(`mount: ${mounted.stderr}`);
    try {
      const path = join(small, 'keepalived.conf');
      writeFileAtomic(path, 'old\n');
      // Bigger than the whole tmpfs: the kernel writes what fits, then refuses the rest.
      expect(() => writeFileAtomic(path, 'vrrp_instance x {}\n'.repeat(2000))).toThrow(
        `${path}: no space left on device (ENOSPC)`,
      );
      expect(readFileSync(path, 'utf8')).toBe('old\n');
      expect(readdirSync(small)).toEqual(['keepalived.conf']);
    } finally {
      spawnSync('umount', [small]);
    }
  });
});

import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, type AtomicFs } from '../../lib/agent/atomic-write';

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
      openSync: ((p: string, flags: string, mode?: number) => (opened.push(p), fs.openSync(p, flags, mode))) as AtomicFs['openSync'],
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
    const failing: AtomicFs = { ...fs, writeSync: (() => { throw new Error('ENOSPC: no space left on device'); }) as AtomicFs['writeSync'] };
    expect(() => writeFileAtomic(path, 'new\n', 0o644, failing)).toThrow('ENOSPC');
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['keepalived.conf']);
  });
});

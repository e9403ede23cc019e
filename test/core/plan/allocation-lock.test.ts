import fc from 'fast-check';
import { formatIssues } from '../../../lib/core/model/issues';
import {
  EMPTY_LOCK,
  formatIds,
  parseLock,
  resolveLockSettings,
  sameLock,
  serializeLock,
  type AllocationLock,
} from '../../../lib/core/plan/allocation-lock';

const lockOf = (entries: Record<string, number[]>): AllocationLock => ({ vrrpIds: new Map(Object.entries(entries)) });
const NAME = 'ipfailover.lock.json';

/** The issues of a text that must not parse, one formatted line each. */
function problems(text: string): string[] {
  const read = parseLock(text, NAME);
  if (read.ok) throw new Error(`parsed: ${text}`);
  return formatIssues(read.issues).split('\n');
}

const withEntries = (entries: string): string => `{ "version": 1, "vrrpIds": { ${entries} } }`;

describe('the lock file format', () => {
  test('one line per instance, in VRRP ID order, runs written as first..last', () => {
    const text = serializeLock(lockOf({ 'b/late': [20, 21, 22, 30], 'a/early': [1, 2, 3, 4, 5], 'c/one': [7] }));
    expect(text.split('\n').slice(3)).toEqual([
      '  "vrrpIds": {',
      '    "a/early": "1..5",',
      '    "c/one": "7",',
      '    "b/late": "20..22, 30"',
      '  }',
      '}',
      '',
    ]);
    expect(text.split('\n').slice(0, 3)).toEqual([
      '{',
      '  "version": 1,',
      expect.stringMatching(/^ {2}"about": ".+",$/),
    ]);
  });

  test('an empty lock is valid JSON and reads back empty', () => {
    const read = parseLock(serializeLock(EMPTY_LOCK), NAME);
    expect(read.ok && read.lock.vrrpIds.size).toBe(0);
  });

  test('round trip: any lock reads back as itself, and writing it again gives the same bytes', () => {
    const key = fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/),
        fc.stringMatching(/^[a-z][a-z0-9-]{0,12}[a-z0-9](\.[a-z0-9]{1,4})?$/),
      )
      .map(([ns, name]) => `${ns}/${name}`);
    // Disjoint holdings: split a shuffled subset of 1..255 among the keys.
    const lock = fc
      .tuple(
        fc.uniqueArray(key, { minLength: 0, maxLength: 12 }),
        fc.shuffledSubarray(Array.from({ length: 255 }, (_, i) => i + 1)),
      )
      .map(([keys, ids]) =>
        lockOf(
          Object.fromEntries(
            keys
              .map((k, i) => [k, ids.filter((_, j) => j % keys.length === i).sort((a, b) => a - b)] as const)
              .filter(([, held]) => held.length > 0),
          ),
        ),
      );
    fc.assert(
      fc.property(lock, (original) => {
        const text = serializeLock(original);
        const read = parseLock(text, NAME);
        expect(read.ok).toBe(true);
        if (!read.ok) return;
        expect(sameLock(read.lock, original)).toBe(true);
        expect(serializeLock(read.lock)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  test('formatIds writes runs and single IDs', () => {
    expect(formatIds([1, 2, 3, 5, 7, 8])).toBe('1..3, 5, 7..8');
    expect(formatIds([])).toBe('');
  });
});

describe('a malformed or hand-edited lock is an issue naming the file, the entry and the fix', () => {
  test('not JSON: where it stopped', () => {
    expect(problems('{ "version": 1,\n  "vrrpIds": { "a/b": "1..3" \n')).toEqual([
      expect.stringMatching(
        /^ipfailover\.lock\.json: 'file' "\d+ bytes" is not JSON \(line \d+, column \d+\); repair it/,
      ),
    ]);
  });

  test('merge conflict markers: say so, and how to resolve', () => {
    const text = `{\n  "version": 1,\n  "vrrpIds": {\n<<<<<<< HEAD\n    "a/b": "1..3"\n=======\n    "a/c": "1..2"\n>>>>>>> topic\n  }\n}\n`;
    expect(problems(text)[0]).toMatch(/is not JSON \(it has merge conflict markers\); resolve the conflict/);
  });

  test.each([
    ['[]', `'file' [] is not a JSON object; write { "version": 1, "vrrpIds": { … } }`],
    ['{ "vrrpIds": {} }', '\'version\' (unset) is not a lock file version; write "version": 1'],
    ['{ "version": 2, "vrrpIds": {} }', "'version' 2 is newer than this ipfailover reads (1); upgrade ipfailover"],
    ['{ "version": 1, "vrrpIDs": {} }', "'vrrpIDs' {} is not a lock file key"],
    ['{ "version": 1, "vrrpIds": [] }', "'vrrpIds' [] is not an object"],
    [withEntries('"router": "1..3"'), '\'vrrpIds["router"]\' "router" is not namespace/name of a Deployment'],
    [withEntries('"a/B": "1"'), '\'vrrpIds["a/B"]\' "a/B" is not namespace/name of a Deployment'],
    [
      withEntries('"a/b": [1, 2]'),
      '\'vrrpIds["a/b"]\' [1,2] is not a string of VRRP IDs; write IDs and runs such as "1..5, 9"',
    ],
    [withEntries('"a/b": "5..3"'), '\'vrrpIds["a/b"]\' "5..3" has "5..3", which ends before it starts; write 3..5'],
    [withEntries('"a/b": "0..3"'), 'has "0..3", outside the VRRP IDs 1..255'],
    [withEntries('"a/b": "250..256"'), 'has "250..256", outside the VRRP IDs 1..255'],
    [withEntries('"a/b": "1-3"'), 'has "1-3", which is not a VRRP ID or a run of them'],
    [withEntries('"a/b": ""'), 'has an empty item'],
    [withEntries('"a/b": "7, 1..3"'), 'lists IDs out of order or twice; write "1..3, 7"'],
    [withEntries('"a/b": "1..3, 2"'), 'lists IDs out of order or twice; write "1..3"'],
    [
      withEntries('"a/b": "1..5", "a/c": "4..6"'),
      'holds 4..5, which "a/b" holds too; delete the entry of the instance not deployed yet',
    ],
    [withEntries('"a/b": "1..5", "a/c": "9", "a/b": "7"'), '\'vrrpIds["a/b"]\' "line 1" is given twice (a merge?)'],
  ])('%s', (text, message) => {
    const found = problems(text);
    expect(found.some((line) => line.includes(message))).toBe(true);
    expect(found.every((line) => line.startsWith(`${NAME}: '`))).toBe(true);
  });

  test('every problem of a file at once, never an exception, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc
            .dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.constant(null)))
            .map((entries) => JSON.stringify({ version: 1, vrrpIds: entries })),
        ),
        (text) => {
          const read = parseLock(text, NAME);
          if (!read.ok) expect(read.issues.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('lock settings: the environment, then the code, then the defaults', () => {
  const defaults = (env: Record<string, string>, choice = {}): unknown =>
    resolveLockSettings(choice, env, 'ipfailover.lock.json');

  test('written by default, frozen where CI is set (as npm ci), off under a test runner', () => {
    expect(defaults({})).toEqual({ file: 'ipfailover.lock.json', mode: 'write', because: 'the default' });
    expect(defaults({ CI: 'true' })).toMatchObject({ mode: 'frozen', because: 'CI=true' });
    expect(defaults({ CI: '1' })).toMatchObject({ mode: 'frozen' });
    expect(defaults({ CI: 'false' })).toMatchObject({ mode: 'write' });
    expect(defaults({ CI: '' })).toMatchObject({ mode: 'write' });
    expect(defaults({ JEST_WORKER_ID: '1', CI: 'true' })).toMatchObject({ mode: 'off' });
    expect(defaults({ VITEST: 'true' })).toMatchObject({ mode: 'off' });
  });

  test('a test that names a lock file gets it written', () => {
    expect(defaults({ JEST_WORKER_ID: '1' }, { lockFile: '/tmp/x.json' })).toEqual({
      file: '/tmp/x.json',
      mode: 'write',
      because: 'a test runner (JEST_WORKER_ID is set) with a lock file named',
    });
  });

  test('the environment wins over the code, so CI and ipfailover plan steer any app', () => {
    expect(
      defaults(
        { IPFAILOVER_LOCK_MODE: 'read', IPFAILOVER_LOCK_FILE: 'clusters/prod.lock.json' },
        { lockMode: 'write', lockFile: 'x.json' },
      ),
    ).toEqual({ file: 'clusters/prod.lock.json', mode: 'read', because: 'IPFAILOVER_LOCK_MODE=read' });
    expect(defaults({}, { lockMode: 'frozen' })).toMatchObject({ mode: 'frozen', because: "lockMode 'frozen'" });
  });

  test('bad values are issues naming the option or variable', () => {
    expect(defaults({ IPFAILOVER_LOCK_MODE: 'strict' })).toMatchObject({
      path: 'environment',
      field: 'IPFAILOVER_LOCK_MODE',
      value: 'strict',
      fix: "use 'write', 'frozen', 'read', 'off', or unset it",
    });
    expect(defaults({}, { lockMode: true })).toMatchObject({ field: 'lockMode', value: true });
    expect(defaults({}, { lockFile: '' })).toMatchObject({ field: 'lockFile', problem: 'is not a file path' });
    expect(defaults({}, { lockFile: 5 })).toMatchObject({ field: 'lockFile', value: 5 });
    expect(defaults({}, { vrrpIdHeadroom: -1 })).toMatchObject({ field: 'vrrpIdHeadroom', value: -1 });
    expect(defaults({}, { vrrpIdHeadroom: '4' })).toMatchObject({ field: 'vrrpIdHeadroom', value: '4' });
    expect(defaults({}, { vrrpIdHeadroom: 8 })).toMatchObject({ mode: 'write' });
  });
});

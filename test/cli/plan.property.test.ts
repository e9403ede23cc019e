/**
 * `ipfailover plan` on arbitrary input: the docs' Deployment with any of its fields replaced by
 * arbitrary JSON-ish values (at any depth, names with control characters included), wrapped in a
 * List or an array or not, written as YAML or JSON; and arbitrary text as a file. Whatever it
 * reads, the command returns 0, 1 or 2 and never throws; it prints nothing on stdout when it
 * exits 2; and nothing it prints carries a control character other than the line feed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { runPlan } from '../../lib/cli/plan';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RUNS = Number(process.env.PLAN_RUNS ?? 300);
const docs = parse(readFileSync(join(__dirname, '..', 'fixtures', 'docs-deployment.yaml'), 'utf8'), {
  version: '1.1',
}) as Obj;

/** Paths into the docs' Deployment worth breaking. */
const PATHS: ReadonlyArray<readonly (string | number)[]> = [
  ['kind'],
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['spec'],
  ['spec', 'replicas'],
  ['spec', 'template', 'spec', 'containers'],
  ['spec', 'template', 'spec', 'containers', 0, 'env'],
  ...Array.from({ length: 12 }, (_, i) => ['spec', 'template', 'spec', 'containers', 0, 'env', i, 'value'] as const),
  ...Array.from({ length: 4 }, (_, i) => ['spec', 'template', 'spec', 'containers', 0, 'env', i, 'name'] as const),
];

function setAt(obj: Obj, path: readonly (string | number)[], value: unknown): Obj {
  const copy = structuredClone(obj);
  let at: Obj = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) return copy;
    at = at[key];
  }
  at[path[path.length - 1]!] = value;
  return copy;
}

/** Strings a terminal would act on, beside ordinary ones. */
const nasty = fc.constantFrom(
  '\u001b[2J',
  'a\nforged',
  '\u009b31m',
  '\u202eevil',
  '\u0000',
  '0',
  '80',
  '1.1.1.1-2',
  'OPENSHIFT_HA_VIRTUAL_IPS',
);
const value = fc.letrec((tie) => ({
  any: fc.oneof(
    { maxDepth: 3 },
    fc.string(),
    nasty,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('any'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.string(), nasty), tie('any'), { maxKeys: 3 }),
  ),
})).any;

const document = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...PATHS), value), { maxLength: 3 }),
    fc.constantFrom('plain', 'list', 'array'),
    fc.constantFrom('yaml', 'json'),
  )
  .map(([changes, wrap, format]) => {
    const changed = changes.reduce((obj, [path, v]) => setAt(obj, path, v), docs);
    const wrapped =
      wrap === 'list'
        ? { apiVersion: 'v1', kind: 'List', items: [changed, docs] }
        : wrap === 'array'
          ? [changed]
          : changed;
    return { name: `x.${format}`, text: format === 'json' ? JSON.stringify(wrapped) : stringify(wrapped) };
  });
const broken = fc.constantFrom(
  '{',
  'a: [',
  'key: "unterminated',
  '*nowhere',
  'a: &x [*x]',
  '- a\n b: c\n  - d',
  '\u001b[2J: [',
);
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), broken).map((t) => ({ name: 'x.yaml', text: t }));

const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex

test(`plan on ${RUNS} arbitrary inputs: exit 0, 1 or 2, never a throw, never a control character`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipfailover-plan-property-'));
  const outcomes = { 0: 0, 1: 0, 2: 0 } as Record<number, number>;
  try {
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: document }, { weight: 1, arbitrary: text }), (file) => {
        writeFileSync(join(dir, file.name), file.text);
        let stdout = '';
        let stderr = '';
        const code = runPlan(
          { paths: [join(dir, file.name)] },
          { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: {} },
        );
        rmSync(join(dir, file.name));
        expect([0, 1, 2]).toContain(code);
        if (code === 2) expect(stdout).toBe('');
        expect(stdout).not.toMatch(CONTROL);
        expect(stderr).not.toMatch(CONTROL);
        outcomes[code] = (outcomes[code] ?? 0) + 1;
      }),
      { numRuns: RUNS },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`plan property: ${RUNS} inputs, exit 0/1/2: ${outcomes[0]}/${outcomes[1]}/${outcomes[2]}`);
  // The generator reaches every outcome, so the property says something about each.
  expect(Object.values(outcomes).every((n) => n > 0)).toBe(true);
}, 120_000);

/**
 * The VRRP ID lock: what each failover instance's VRRP IDs are, recorded by one synth or program
 * run and kept by the next, so that growing, shrinking, adding or removing an instance never
 * renumbers another (as `cdk.context.json` keeps CDK's lookups). This file is the model: parse,
 * validate, serialize and compare. It is pure; the front ends read and write the file.
 *
 * An entry maps an instance, `namespace/name` of its Deployment (what the cluster knows it by,
 * the same for cdk8s, Pulumi and `ipfailover plan`), to the VRRP IDs it holds, ascending. Its
 * groups use the lowest of them; the rest is room to grow in place.
 */
import type { Issue } from '../model/issues';
import { VRRP_ID_MAX, VRRP_ID_MIN } from '../model/limits';
import { checkDnsLabel, checkDnsSubdomain, isPlainObject } from '../rules/validators';

/** The format written; a file with a higher version is refused (written by a newer ipfailover). */
export const LOCK_VERSION = 1;

/** The lock file's name in the working directory, beside `cdk8s.yaml`. */
export const LOCK_FILE_NAME = 'ipfailover.lock.json';

/** A Pulumi stack's lock file name, beside `Pulumi.yaml` and `Pulumi.<stack>.yaml`. */
export function stackLockFileName(stack: string): string {
  return `ipfailover.${stack}.lock.json`;
}

/** What a lock holds: per instance (`namespace/name`), its VRRP IDs, ascending. */
export interface AllocationLock {
  readonly vrrpIds: ReadonlyMap<string, readonly number[]>;
}

/** A lock with no entry: what a run without a lock file starts from. */
export const EMPTY_LOCK: AllocationLock = { vrrpIds: new Map() };

/** The lock key of an instance. */
export function lockKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** IDs as the lock and the messages write them: `1..5, 13, 20..22`. */
export function formatIds(ids: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1) j++;
    runs.push(i === j ? String(ids[i]) : `${ids[i]}..${ids[j]}`);
    i = j + 1;
  }
  return runs.join(', ');
}

const ABOUT =
  'The VRRP IDs each ipfailover instance (namespace/name) holds: its groups use the lowest, the rest is room to grow. ' +
  'Written by cdk8s synth and Pulumi runs when an allocation changes; commit it. See the README, "The VRRP ID lock file".';

/**
 * The file's text: one line per instance, in VRRP ID order, so a diff shows each instance that
 * changed on a line of its own and the file reads as a map of the ID space. The same lock always
 * gives the same bytes.
 */
export function serializeLock(lock: AllocationLock): string {
  const entries = [...lock.vrrpIds].filter(([, ids]) => ids.length > 0).sort(([, a], [, b]) => a[0]! - b[0]!);
  const lines = entries.map(([key, ids]) => `    ${JSON.stringify(key)}: ${JSON.stringify(formatIds(ids))}`);
  const body = lines.length > 0 ? `{\n${lines.join(',\n')}\n  }` : '{}';
  return `{\n  "version": ${LOCK_VERSION},\n  "about": ${JSON.stringify(ABOUT)},\n  "vrrpIds": ${body}\n}\n`;
}

/** What reading a lock gives: the lock when it is sound, else every problem found. */
export type LockRead =
  { readonly ok: true; readonly lock: AllocationLock } | { readonly ok: false; readonly issues: Issue[] };

const TOP_KEYS = ['version', 'about', 'vrrpIds'];

/** `1..5` or `7`. */
const RUN = /^(\d{1,3})(?:\.\.(\d{1,3}))?$/;

/** The IDs of an entry's text, or what is wrong with it. */
function parseIds(text: string): { ids: number[] } | { problem: string; fix: string } {
  const ids: number[] = [];
  const parts = text.split(',').map((part) => part.trim());
  for (const part of parts) {
    const match = RUN.exec(part);
    if (!match) {
      return {
        problem: `has ${part === '' ? 'an empty item' : JSON.stringify(part)}, which is not a VRRP ID or a run of them`,
        fix: 'write IDs and runs such as "1..5, 9"',
      };
    }
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (first < VRRP_ID_MIN || last > VRRP_ID_MAX) {
      return {
        problem: `has ${JSON.stringify(part)}, outside the VRRP IDs ${VRRP_ID_MIN}..${VRRP_ID_MAX}`,
        fix: `keep every ID from ${VRRP_ID_MIN} to ${VRRP_ID_MAX}`,
      };
    }
    if (last < first)
      return { problem: `has ${JSON.stringify(part)}, which ends before it starts`, fix: `write ${last}..${first}` };
    for (let id = first; id <= last; id++) ids.push(id);
  }
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  if (sorted.length !== ids.length || sorted.some((id, i) => id !== ids[i])) {
    return { problem: 'lists IDs out of order or twice', fix: `write ${JSON.stringify(formatIds(sorted))}` };
  }
  return { ids };
}

/** Where JSON.parse stopped, as `line L, column C`, from the position in its message. */
function jsonErrorPlace(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message)?.[1];
  if (position === undefined) return message;
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  const column = Number(position) - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/**
 * Keys given twice in one object of valid JSON text, as the field they name (`vrrpIds["a/b"]`)
 * with the line of the second: a small scan, since `JSON.parse` keeps the last silently and the
 * core takes no parser dependency for this.
 */
function duplicateKeys(text: string): { field: string; line: number }[] {
  const found: { field: string; line: number }[] = [];
  // Per open bracket: the field it is the value of, its keys when an object, whether a key is next.
  const stack: { field: string; keys?: Set<string>; expectKey: boolean }[] = [];
  let lastField = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const top = stack[stack.length - 1];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        lastField = top.field === '' ? key : `${top.field}[${JSON.stringify(key)}]`;
        if (top.keys.has(key)) found.push({ field: lastField, line: text.slice(0, i).split('\n').length });
        top.keys.add(key);
        top.expectKey = false;
      }
      i = j;
    } else if (c === '{') stack.push({ field: stack.length === 0 ? '' : lastField, keys: new Set(), expectKey: true });
    else if (c === '[') stack.push({ field: lastField, expectKey: false });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',' && top?.keys) top.expectKey = true;
  }
  return found;
}

/**
 * Reads a lock file's text. Everything a hand edit or a merge can get wrong is an issue naming
 * the file (as `name`), the entry and the fix, never an exception: not JSON (merge conflict
 * markers included), a key given twice, an unknown key or version, an entry that is not
 * `namespace/name`, IDs that are not IDs, and one ID held by two instances.
 */
export function parseLock(text: string, name: string): LockRead {
  const issues: Issue[] = [];
  const issue = (field: string, value: unknown, problem: string, fix: string): void => {
    issues.push({ path: name, field, value, problem, fix });
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const conflict = /^(<{7}|={7}|>{7})/m.test(text);
    issue(
      'file',
      `${text.length} bytes`,
      `is not JSON (${conflict ? 'it has merge conflict markers' : jsonErrorPlace(text, error)})`,
      conflict
        ? "resolve the conflict: keep both sides' entries, then synthesize; an ID held twice is reported by entry"
        : 'repair it, or restore the committed one (git checkout -- <file>)',
    );
    return { ok: false, issues };
  }
  if (!isPlainObject(data)) {
    issue('file', data, 'is not a JSON object', `write { "version": ${LOCK_VERSION}, "vrrpIds": { … } }`);
    return { ok: false, issues };
  }
  // JSON.parse keeps the last of two equal keys silently; a merge can give two entries one key.
  for (const { field, line } of duplicateKeys(text))
    issue(field, `line ${line}`, 'is given twice (a merge?)', 'keep one: for an instance, the IDs its pods run with');
  for (const key of Object.keys(data).filter((k) => !TOP_KEYS.includes(k)))
    issue(key, data[key], 'is not a lock file key', `use only ${TOP_KEYS.map((k) => `"${k}"`).join(', ')}`);
  const version = data.version;
  if (version !== LOCK_VERSION) {
    const newer = typeof version === 'number' && Number.isInteger(version) && version > LOCK_VERSION;
    issue(
      'version',
      version,
      newer ? `is newer than this ipfailover reads (${LOCK_VERSION})` : 'is not a lock file version',
      newer ? 'upgrade ipfailover to the version that wrote it' : `write "version": ${LOCK_VERSION}`,
    );
  }
  if (data.about !== undefined && typeof data.about !== 'string')
    issue('about', data.about, 'is not a string', 'write a string, or leave it out');
  const entries = data.vrrpIds;
  if (!isPlainObject(entries)) {
    issue('vrrpIds', entries, 'is not an object', 'write { "namespace/name": "1..5", … }');
    return { ok: false, issues };
  }
  const vrrpIds = new Map<string, readonly number[]>();
  const holder = new Map<number, string>();
  for (const [key, value] of Object.entries(entries)) {
    const field = `vrrpIds[${JSON.stringify(key)}]`;
    const [namespace, deployment, ...rest] = key.split('/');
    if (
      rest.length > 0 ||
      deployment === undefined ||
      checkDnsLabel(namespace) !== undefined ||
      checkDnsSubdomain(deployment) !== undefined
    ) {
      issue(
        field,
        key,
        'is not namespace/name of a Deployment',
        'key each entry by its namespace and Deployment name, such as "ipfailover/ipf-router"',
      );
      continue;
    }
    if (typeof value !== 'string') {
      issue(field, value, 'is not a string of VRRP IDs', 'write IDs and runs such as "1..5, 9"');
      continue;
    }
    const read = parseIds(value);
    if ('problem' in read) {
      issue(field, value, read.problem, read.fix);
      continue;
    }
    const shared = read.ids.filter((id) => holder.has(id));
    if (shared.length > 0) {
      const other = holder.get(shared[0]!)!;
      issue(
        field,
        value,
        `holds ${formatIds(shared)}, which ${JSON.stringify(other)} holds too`,
        `delete the entry of the instance not deployed yet (it then gets free IDs on the next synth), or the shared IDs from the one that does not use them`,
      );
      continue;
    }
    for (const id of read.ids) holder.set(id, key);
    vrrpIds.set(key, read.ids);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, lock: { vrrpIds } };
}

/** Whether two locks hold the same IDs for the same instances (the text may differ). */
export function sameLock(a: AllocationLock, b: AllocationLock): boolean {
  const held = (lock: AllocationLock): [string, readonly number[]][] =>
    [...lock.vrrpIds].filter(([, ids]) => ids.length > 0);
  const left = held(a);
  if (left.length !== held(b).length) return false;
  return left.every(([key, ids]) => {
    const other = b.vrrpIds.get(key);
    return other !== undefined && other.length === ids.length && other.every((id, i) => id === ids[i]);
  });
}

/** What a run does with the lock file. */
export type LockMode = 'write' | 'frozen' | 'read' | 'off';

/** The lock modes, in the words the docs and messages use. */
export const LOCK_MODES: readonly LockMode[] = ['write', 'frozen', 'read', 'off'];

/** The environment variables that steer the lock of any app or program, over its code. */
export const LOCK_ENV = { file: 'IPFAILOVER_LOCK_FILE', mode: 'IPFAILOVER_LOCK_MODE' } as const;

/** Variables a test runner sets in its workers (jest, vitest, node --test). */
const TEST_RUNNER_VARIABLES = ['JEST_WORKER_ID', 'VITEST', 'NODE_TEST_CONTEXT'];

/** What the front end was told, in code, about the lock. */
export interface LockChoice {
  /** The file, as given (relative to the working directory). */
  readonly lockFile?: unknown;
  readonly lockMode?: unknown;
  /** Checked here too: it decides the room the lock records. */
  readonly vrrpIdHeadroom?: unknown;
}

/** Where the lock is and what a run does with it, and why (for messages). */
export interface LockSettings {
  /** The file, as given or defaulted; relative paths are the working directory's. */
  readonly file: string;
  readonly mode: LockMode;
  /** Why this mode: `CI is set`, `IPFAILOVER_LOCK_MODE=frozen`, `a test runner (JEST_WORKER_ID)`… */
  readonly because: string;
}

const isSet = (value: string | undefined): value is string => value !== undefined && value !== '';

/**
 * The lock settings of one run, from the environment (which wins, so a CI job or `ipfailover
 * plan` can steer any app), the code's options, and the defaults: frozen where `CI` is set (as
 * `npm ci` is), off under a test runner unless a file is named (tests must not write into the
 * repository, nor depend on its lock), else written. Pure: the environment is passed in.
 */
export function resolveLockSettings(
  choice: LockChoice,
  env: Readonly<Record<string, string | undefined>>,
  defaultFile: string,
): LockSettings | Issue {
  const envFile = env[LOCK_ENV.file];
  const envMode = env[LOCK_ENV.mode];
  if (isSet(envMode) && !(LOCK_MODES as readonly string[]).includes(envMode)) {
    return {
      path: 'environment',
      field: LOCK_ENV.mode,
      value: envMode,
      problem: 'is not a lock mode',
      fix: `use ${LOCK_MODES.map((m) => `'${m}'`).join(', ')}, or unset it`,
    };
  }
  if (choice.lockMode !== undefined && !(LOCK_MODES as readonly unknown[]).includes(choice.lockMode)) {
    return {
      path: 'configureFailoverPlanner',
      field: 'lockMode',
      value: choice.lockMode,
      problem: 'is not a lock mode',
      fix: `use ${LOCK_MODES.map((m) => `'${m}'`).join(', ')}, or leave it out`,
    };
  }
  if (choice.lockFile !== undefined && (typeof choice.lockFile !== 'string' || choice.lockFile.trim() === '')) {
    return {
      path: 'configureFailoverPlanner',
      field: 'lockFile',
      value: choice.lockFile,
      problem: 'is not a file path',
      fix: `give a path such as '${defaultFile}', or leave it out`,
    };
  }
  const headroom = choice.vrrpIdHeadroom;
  if (
    headroom !== undefined &&
    !(typeof headroom === 'number' && Number.isInteger(headroom) && headroom >= 0 && headroom <= 254)
  ) {
    return {
      path: 'configureFailoverPlanner',
      field: 'vrrpIdHeadroom',
      value: headroom,
      problem: 'is not a number of VRRP IDs',
      fix: 'use a whole number from 0 to 254, or leave it out',
    };
  }
  const namedFile = isSet(envFile) ? envFile : (choice.lockFile as string | undefined);
  const file = namedFile ?? defaultFile;
  if (isSet(envMode)) return { file, mode: envMode as LockMode, because: `${LOCK_ENV.mode}=${envMode}` };
  if (choice.lockMode !== undefined)
    return { file, mode: choice.lockMode as LockMode, because: `lockMode '${choice.lockMode}'` };
  const runner = TEST_RUNNER_VARIABLES.find((name) => env[name] !== undefined);
  if (runner !== undefined) {
    return namedFile === undefined
      ? { file, mode: 'off', because: `a test runner (${runner} is set) and no lock file named` }
      : { file, mode: 'write', because: `a test runner (${runner} is set) with a lock file named` };
  }
  const ci = env.CI;
  if (isSet(ci) && !['0', 'false'].includes(ci.toLowerCase())) return { file, mode: 'frozen', because: `CI=${ci}` };
  return { file, mode: 'write', because: 'the default' };
}

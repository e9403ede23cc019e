/**
 * Check and notify scripts as props give them (`{ inline }`, `{ path }` or `{ configMap, key }`)
 * and the path inside the pod the agent is told (`OPENSHIFT_HA_CHECK_SCRIPT`,
 * `OPENSHIFT_HA_NOTIFY_SCRIPT`): the hooks of those two setting rows, and the checks of where
 * the two scripts land in the scripts mount.
 */
import { CHECK_SCRIPT_FILE, NOTIFY_SCRIPT_FILE, SCRIPTS_MOUNT_PATH } from '../model/pod-layout';
import { checkConfigMapKey, checkDnsSubdomain, checkInlineScript, checkScriptPath, isPlainObject } from './validators';
import type { Problem } from '../model/issues';
import type { ScriptSource } from '../model/props';

/** Where prop problems are recorded: the normalizer's checker, seen from the setting rows. */
export interface PropProblems {
  /** Records a problem of `field`, if there is one. */
  check(field: string, problem: Problem | undefined): void;
  /** Every problem recorded so far. */
  readonly issues: readonly unknown[];
  /** A given prop when `check` accepts it, else `undefined` (and the problem is recorded). */
  valid<T>(field: string, given: unknown, check: (value: unknown) => Problem | undefined): T | undefined;
}

/** The file a script lands on in the scripts mount (inline or from a ConfigMap), or `undefined` for a path. */
function mountedFileOf(source: ScriptSource, inlineFile: string): string | undefined {
  if ('inline' in source) return inlineFile;
  if ('configMap' in source) return source.key;
  return undefined;
}

/** The path inside the pod where a (valid) script source ends up. */
function scriptPathOf(source: ScriptSource, inlineFile: string): string {
  const file = mountedFileOf(source, inlineFile);
  return file === undefined ? (source as { path: string }).path : `${SCRIPTS_MOUNT_PATH}/${file}`;
}

const SCRIPT_FORMS = ['inline', 'path', 'configMap'] as const;
const SCRIPT_FIX = 'give { inline: "#!/bin/sh\\n…" }, { path: "/abs/path" } or { configMap: "name", key: "script.sh" }';

/** Checks a script source by its shape (JavaScript callers skip the types): exactly one form, each field valid. */
function checkScriptSource(c: PropProblems, field: string, source: unknown): void {
  if (!isPlainObject(source)) {
    // A bare path is the likely mistake: say how to write it.
    const fix =
      typeof source === 'string' && source.startsWith('/') ? `give { path: ${JSON.stringify(source)} }` : SCRIPT_FIX;
    c.check(field, { value: source, problem: 'is not a script', fix });
    return;
  }
  const forms = SCRIPT_FORMS.filter((form) => form in source);
  if (forms.length !== 1) {
    const problem =
      forms.length === 0 ? 'has neither inline, path nor configMap' : `gives ${forms.join(' and ')} at once`;
    c.check(field, { value: source, problem, fix: SCRIPT_FIX });
    return;
  }
  const given = source as Record<string, unknown>;
  if (forms[0] === 'inline') c.check(field, checkInlineScript(given.inline));
  else if (forms[0] === 'path') c.check(field, checkScriptPath(given.path));
  else {
    c.check(`${field}.configMap`, checkDnsSubdomain(given.configMap));
    c.check(`${field}.key`, checkConfigMapKey(given.key));
  }
}

/**
 * The agent's script path of a script prop, or `undefined` when the prop is not given or not
 * valid (its problems are recorded): the props hook of the check and notify script rows.
 */
export function scriptPathFromProp(
  c: PropProblems,
  field: 'checkScript' | 'notifyScript',
  given: unknown,
): string | undefined {
  if (given === undefined) return undefined;
  const before = c.issues.length;
  checkScriptSource(c, field, given);
  if (c.issues.length > before) return undefined;
  return scriptPathOf(given as ScriptSource, field === 'checkScript' ? CHECK_SCRIPT_FILE : NOTIFY_SCRIPT_FILE);
}

/**
 * Two scripts may not land on one file of the scripts mount, unless they are the same key of
 * the same ConfigMap. The ConfigMap key is the one to change: the inline file names are fixed.
 */
export function checkScriptFiles(
  c: PropProblems,
  check: ScriptSource | undefined,
  notify: ScriptSource | undefined,
): void {
  if (check === undefined || notify === undefined) return;
  checkPathUnderMount(c, 'checkScript', check, mountedFileOf(notify, NOTIFY_SCRIPT_FILE));
  checkPathUnderMount(c, 'notifyScript', notify, mountedFileOf(check, CHECK_SCRIPT_FILE));
  const file = mountedFileOf(check, CHECK_SCRIPT_FILE);
  if (file === undefined || file !== mountedFileOf(notify, NOTIFY_SCRIPT_FILE)) return;
  if ('configMap' in check && 'configMap' in notify && check.configMap === notify.configMap) return;
  const [field, other, otherSource] =
    'configMap' in notify ? ['notifyScript', 'checkScript', check] : ['checkScript', 'notifyScript', notify];
  const from =
    'inline' in otherSource
      ? `the inline ${other}`
      : `the ${other} from ConfigMap ${JSON.stringify((otherSource as { configMap: string }).configMap)}`;
  c.check(`${field}.key`, {
    value: file,
    problem: `lands on ${SCRIPTS_MOUNT_PATH}/${file}, as ${from} does`,
    fix: 'give the two scripts different file names',
  });
}

/**
 * A `{ path }` inside the scripts mount is hidden by it when the other script mounts the volume
 * there, unless it names the very file the other script puts there.
 */
function checkPathUnderMount(
  c: PropProblems,
  field: string,
  source: ScriptSource,
  otherFile: string | undefined,
): void {
  if (!('path' in source) || !source.path.startsWith(`${SCRIPTS_MOUNT_PATH}/`)) return;
  if (otherFile === undefined || source.path === `${SCRIPTS_MOUNT_PATH}/${otherFile}`) return;
  const fix = `give the script as { configMap, key }, or keep it outside ${SCRIPTS_MOUNT_PATH}`;
  c.check(`${field}.path`, {
    value: source.path,
    problem: `is hidden by the scripts volume this instance mounts at ${SCRIPTS_MOUNT_PATH}`,
    fix,
  });
}

/** The data of an instance's scripts ConfigMap: its inline scripts by file name (normalize checks their size). */
export function inlineScriptData(spec: {
  readonly checkScript?: ScriptSource;
  readonly notifyScript?: ScriptSource;
}): Record<string, string> {
  const data: Record<string, string> = {};
  if (spec.checkScript && 'inline' in spec.checkScript) data[CHECK_SCRIPT_FILE] = spec.checkScript.inline;
  if (spec.notifyScript && 'inline' in spec.notifyScript) data[NOTIFY_SCRIPT_FILE] = spec.notifyScript.inline;
  return data;
}

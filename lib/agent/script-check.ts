/**
 * Will keepalived really run the check and notify scripts? keepalived 2.2.7 does not refuse to
 * start when it cannot: it logs "Disabling track script … not found/accessible" (missing file,
 * unreachable directory) or "not executable for uid:gid … - disabling" and takes the VIPs with
 * health checking off; and when the exec itself fails (a directory, a `#!` interpreter that is
 * not in the image) its script child exits 0, so every check "succeeds" (lib/notify.c,
 * `system_call`: "Script errors aren't server errors"). The agent refuses such a script instead,
 * before it writes anything.
 *
 * The rules mirror keepalived's `check_script_secure` (lib/notify.c, v2.2.7): it resolves the
 * path as the script user (`script_user`, so every directory on the way must be searchable by
 * that user), `is_executable` picks the owner, group or other bits by the user's uid and primary
 * gid (keepalived drops supplementary groups before running a script), and only when the script
 * would run with root privileges (a root script user, or a set-uid/set-gid root file) does
 * `check_security` also refuse a path with a component not owned by root or writable by others.
 * The agent's own uid does not matter: it is nobody in our image but root with Red Hat's
 * Deployment, so `access(2)` would answer for the wrong user.
 */
import { closeSync, lstatSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { ENV_NAMES } from '../core/env/env-contract';
import type { Issue, Problem } from '../core/model/issues';
import { DEFAULT_SCRIPT_USER } from '../core/node/keepalived-conf';
import type { AgentSettings } from '../core/env/setting-rules';

/** What the checks need of a file's status (a subset of `fs.Stats`). */
export interface FileInfo {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** The file system as the checks see it; each call throws a Node.js error with a `code` on failure. */
export interface ScriptFs {
  /** `stat(2)`: follows symbolic links. */
  stat(path: string): FileInfo;
  /** `lstat(2)`: a symbolic link itself. */
  lstat(path: string): FileInfo;
  /** The path with every symbolic link resolved. */
  realpath(path: string): string;
  /** A whole (small) text file: `/etc/passwd`. */
  readFile(path: string): string;
  /** The first bytes of a file, enough for its `#!` line. */
  head(path: string): string;
}

/** The real file system. */
export const nodeScriptFs: ScriptFs = {
  stat: (path) => statSync(path),
  lstat: (path) => lstatSync(path),
  realpath: (path) => realpathSync.native(path),
  readFile: (path) => readFileSync(path, 'utf8'),
  head: (path) => {
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(256);
      return buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, 0));
    } finally {
      closeSync(fd);
    }
  },
};

/** The user keepalived runs scripts as. */
export interface ScriptUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** nobody's ids on Debian, RHEL and in our image: what keepalived gets when /etc/passwd says nothing. */
const NOBODY_ID = 65534;

/** The script user's uid and primary gid from `/etc/passwd`, as keepalived's `getpwnam`; else 65534. */
export function resolveScriptUser(name: string, fs: Pick<ScriptFs, 'readFile'>): ScriptUser {
  let passwd = '';
  try {
    passwd = fs.readFile('/etc/passwd');
  } catch {
    // No passwd file (a scratch image): keepalived would not find the user either; assume nobody.
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && /^\d+$/.test(uid ?? '') && /^\d+$/.test(gid ?? ''))
      return { name, uid: Number(uid), gid: Number(gid) };
  }
  return { name, uid: NOBODY_ID, gid: NOBODY_ID };
}

const READ = 4;
const EXECUTE = 1;

/**
 * Whether `user` may read (4) and/or execute or search (1) a file: the owner bits when the user
 * owns it, else the group bits when its primary gid is the file's group, else the other bits —
 * keepalived's `is_executable`. Root reads and searches anything, and executes what has any x bit.
 */
function permits(info: FileInfo, user: ScriptUser, want: number): boolean {
  if (user.uid === 0) return (want & EXECUTE) === 0 || info.isDirectory() || (info.mode & 0o111) !== 0;
  const shift = info.uid === user.uid ? 6 : info.gid === user.gid ? 3 : 0;
  return ((info.mode >> shift) & want) === want;
}

function modeAndOwner(info: FileInfo): string {
  return `mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}, owner ${info.uid}:${info.gid}`;
}

function who(user: ScriptUser): string {
  return `${user.name} (uid ${user.uid}, gid ${user.gid})`;
}

function problem(path: string, text: string, fix: string): Problem {
  return { value: path, problem: text, fix };
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/** Why a path could not be followed, from its error code. */
function unreachable(path: string, error: unknown, fs: ScriptFs, user: ScriptUser): Problem {
  switch (errorCode(error)) {
    case 'ENOENT': {
      let dangling = false;
      try {
        dangling = fs.lstat(path).isSymbolicLink();
      } catch {
        // The path itself is missing, not only its target.
      }
      return dangling
        ? problem(
            path,
            'is a symbolic link to a file that does not exist',
            'mount the script the link points to, or point the variable at the script itself',
          )
        : problem(
            path,
            'does not exist',
            'mount the script at that path in the pod (a ConfigMap volume with defaultMode 0755, as the docs do) or correct the path',
          );
    }
    case 'ENOTDIR':
      return problem(path, 'goes through a file as if it were a directory', 'correct the path');
    case 'ELOOP':
      return problem(path, 'is a loop of symbolic links', 'point the variable at the script file itself');
    case 'EACCES':
      return problem(
        path,
        'cannot be reached: a directory on the way is not searchable',
        `make every directory above it searchable by ${user.name} (chmod o+x)`,
      );
    default:
      return problem(path, `cannot be read (${errorCode(error) ?? String(error)})`, 'check the mount that holds it');
  }
}

/** `/a/b/c` → `/`, `/a`, `/a/b`: the directories a lookup searches. */
function ancestors(path: string): string[] {
  const found: string[] = [];
  for (let dir = posix.dirname(path); ; dir = posix.dirname(dir)) {
    found.unshift(dir);
    if (dir === '/') return found;
  }
}

/** `/a/b/c` → `/`, `/a`, `/a/b`, `/a/b/c`: what keepalived's `check_security` inspects. */
function components(path: string): string[] {
  return [...ancestors(path), path];
}

/** keepalived runs a script with root privileges when the user is root or the file is set-uid/gid root. */
function runsPrivileged(info: FileInfo, user: ScriptUser): boolean {
  return (
    user.uid === 0 ||
    user.gid === 0 ||
    (info.uid === 0 && (info.mode & 0o100) !== 0 && (info.mode & 0o4000) !== 0) ||
    (info.gid === 0 && (info.mode & 0o010) !== 0 && (info.mode & 0o2000) !== 0)
  );
}

/**
 * keepalived's `check_security`: each component (not following links) must be a directory, the
 * last a file or a link; each owned by root; no directory without the sticky bit, and no file,
 * writable by a non-root group or by others.
 */
function unsafeComponent(path: string, fs: ScriptFs): Problem | undefined {
  const all = components(path);
  for (const [i, component] of all.entries()) {
    const info = fs.lstat(component);
    const last = i === all.length - 1;
    if (last ? !info.isFile() && !info.isSymbolicLink() : !info.isDirectory()) {
      return problem(
        path,
        `is refused by keepalived: ${component} is not a ${last ? 'file' : 'directory'}`,
        'give the path of the script file, through directories only',
      );
    }
    const checked = (info.isDirectory() && (info.mode & 0o1000) === 0) || info.isFile();
    const writable = checked && ((info.gid !== 0 && (info.mode & 0o020) !== 0) || (info.mode & 0o002) !== 0);
    if (info.uid !== 0 || writable) {
      const why = info.uid !== 0 ? 'is not owned by root' : 'is writable by others';
      return problem(
        path,
        `is unsafe to keepalived, which runs it with root privileges: ${component} (${modeAndOwner(info)}) ${why}`,
        `make ${component} owned by root and writable by root only, or drop the script's set-uid bit`,
      );
    }
  }
  return undefined;
}

/**
 * Why keepalived would not really run the script at `path` as `user`, or `undefined` when it
 * will: the value of the {@link Problem} is the path.
 */
export function scriptProblem(path: string, user: ScriptUser, fs: ScriptFs): Problem | undefined {
  let real: string;
  try {
    real = fs.realpath(path);
    const found = accessProblem(path, real, user, fs);
    if (found) return found;
  } catch (error) {
    return unreachable(path, error, fs, user);
  }
  return interpreterProblem(path, real, user, fs);
}

/** What keepalived's `check_script_secure` would refuse, for a path that resolves to `real`. */
function accessProblem(path: string, real: string, user: ScriptUser, fs: ScriptFs): Problem | undefined {
  for (const dir of new Set([...ancestors(path), ...ancestors(real)])) {
    const dirInfo = fs.stat(dir);
    if (!permits(dirInfo, user, EXECUTE)) {
      return problem(
        path,
        `cannot be reached by ${who(user)}: directory ${dir} (${modeAndOwner(dirInfo)}) is not searchable by that user`,
        `make ${dir} searchable by ${user.name} (chmod o+x), or mount the script elsewhere`,
      );
    }
  }
  const info = fs.stat(real);
  if (!info.isFile()) {
    return problem(
      path,
      info.isDirectory() ? 'is a directory, not a script' : 'is not a regular file',
      'point the variable at the script file itself',
    );
  }
  // keepalived only needs x; the shell that runs a script also needs r, or every run fails.
  if (!permits(info, user, READ | EXECUTE)) {
    return problem(
      path,
      `is not readable and executable by ${who(user)} (${modeAndOwner(info)})`,
      'make it mode 0755 (in a ConfigMap volume: defaultMode: 0755)',
    );
  }
  if (!runsPrivileged(info, user)) return undefined;
  return unsafeComponent(path, fs) ?? (real !== path ? unsafeComponent(real, fs) : undefined);
}

/** A `#!` interpreter that cannot run: the exec fails, which keepalived counts as a passed check. */
function interpreterProblem(path: string, real: string, user: ScriptUser, fs: ScriptFs): Problem | undefined {
  let interpreter: string | undefined;
  try {
    interpreter = /^#![ \t]*(\/\S*)/.exec(fs.head(real))?.[1];
  } catch {
    return undefined; // Readable by the script user (checked above) but not by the agent: nothing more to learn.
  }
  if (interpreter === undefined) return undefined;
  let info: FileInfo | undefined;
  try {
    info = fs.stat(interpreter);
  } catch {
    info = undefined;
  }
  if (info !== undefined && info.isFile() && permits(info, user, EXECUTE)) return undefined;
  return problem(
    path,
    `starts with #!${interpreter}, which is not a program ${user.name} can run in this image`,
    'use an interpreter the image has, such as #!/bin/sh or #!/bin/bash',
  );
}

/**
 * The check and notify scripts of the settings that keepalived would not really run, as issues
 * naming their variables.
 */
export function scriptIssues(settings: AgentSettings, fs: ScriptFs, userName: string = DEFAULT_SCRIPT_USER): Issue[] {
  const scripts = [
    [ENV_NAMES.checkScript, settings.checkScript],
    [ENV_NAMES.notifyScript, settings.notifyScript],
  ] as const;
  if (scripts.every(([, path]) => path === undefined)) return [];
  const user = resolveScriptUser(userName, fs);
  const issues: Issue[] = [];
  for (const [field, path] of scripts) {
    const found = path === undefined ? undefined : scriptProblem(path, user, fs);
    if (found) issues.push({ path: '', field, ...found });
  }
  return issues;
}

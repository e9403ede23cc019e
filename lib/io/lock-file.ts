/**
 * The VRRP ID lock file on disk, for both front ends' planner scopes: where it is, reading it
 * for the planner, and writing what the planner leaves when it changed. The rules (format,
 * modes, what changes it) are the core's (`core/plan/allocation-lock.ts`); this file only does
 * the I/O, so cdk8s and Pulumi treat the file the same way.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { errnoText, writeFileAtomic } from '../agent/atomic-write';
import type { Issue } from '../core/model/issues';
import {
  EMPTY_LOCK,
  parseLock,
  resolveLockSettings,
  sameLock,
  serializeLock,
  type AllocationLock,
  type LockChoice,
  type LockSettings,
} from '../core/plan/allocation-lock';
import type { RecordedLock } from '../core/plan/planner';

/** A lock file larger than this is not one we wrote (255 IDs take a few kB). */
const MAX_LOCK_BYTES = 1024 * 1024;

/** The text of the file, `undefined` when it does not exist, or the problem reading it. */
function readText(path: string, name: string): string | undefined | Issue {
  try {
    const data = readFileSync(path);
    if (data.length > MAX_LOCK_BYTES)
      return {
        path: name,
        field: 'file',
        value: `${data.length} bytes`,
        problem: `is larger than a lock file can be (${MAX_LOCK_BYTES} bytes)`,
        fix: 'check the path: lockFile names the VRRP ID lock, not another file',
      };
    return data.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return {
      path: name,
      field: 'file',
      value: resolve(path),
      problem: `cannot be read: ${errnoText(error)}`,
      fix: 'make it a readable file, or name another with lockFile',
    };
  }
}

/** One run's lock file: what it recorded, and writing what the run leaves. */
export class LockFile {
  /** How messages name the file: the path as given, relative to the working directory. */
  readonly name: string;
  /** Problems of the file or the settings: the run must fail with them, writing nothing. */
  readonly issues: readonly Issue[];
  /** What the planner keeps; `undefined` when the mode is `off` or the file is unreadable. */
  readonly recorded: RecordedLock | undefined;
  private readonly path: string;
  /** The file's text as read or last written (`undefined`: no file); a different text on disk means another writer. */
  private text: string | undefined;
  private lastWritten: AllocationLock;

  private constructor(
    readonly settings: LockSettings,
    cwd: string,
  ) {
    this.name = settings.file;
    this.path = resolve(cwd, settings.file);
    this.lastWritten = EMPTY_LOCK;
    if (settings.mode === 'off') {
      this.issues = [];
      this.recorded = undefined;
      return;
    }
    const text = readText(this.path, this.name);
    if (typeof text === 'object') {
      this.issues = [text];
      this.recorded = undefined;
      return;
    }
    this.text = text;
    const read = text === undefined ? { ok: true as const, lock: EMPTY_LOCK } : parseLock(text, this.name);
    if (!read.ok) {
      this.issues = read.issues;
      this.recorded = undefined;
      return;
    }
    this.issues = [];
    this.lastWritten = read.lock;
    this.recorded = {
      allocation: read.lock,
      name: this.name,
      ...(settings.mode === 'frozen' && { frozenBecause: settings.because }),
    };
  }

  /**
   * The lock file of a run, from the front end's options, the environment and the default
   * name; or the issue with the options or environment.
   */
  static open(
    choice: LockChoice,
    defaultName: string,
    env: Readonly<Record<string, string | undefined>> = process.env,
    cwd: string = process.cwd(),
  ): LockFile | Issue {
    const settings = resolveLockSettings(choice, env, defaultName);
    return 'mode' in settings ? new LockFile(settings, cwd) : settings;
  }

  /**
   * Brings the file in line with what the run leaves, in `write` mode: written whole and
   * atomically (a temporary file renamed over it), only when its content would change, and
   * never over a file another writer changed since this run read it. In `frozen` mode a change
   * is an issue (the planner has already named the instance; this is the backstop). Returns
   * the problems; the caller fails the run with them.
   */
  sync(allocation: AllocationLock): Issue[] {
    const { mode } = this.settings;
    if (mode === 'off' || mode === 'read' || this.recorded === undefined) return [];
    const changed = !sameLock(allocation, this.lastWritten);
    if (mode === 'frozen') {
      return changed
        ? [
            {
              path: this.name,
              field: 'file',
              value: this.text === undefined ? '(missing)' : '(as committed)',
              problem: `would change, and it is frozen (${this.settings.because})`,
              fix: `update it where it may be written (IPFAILOVER_LOCK_MODE=write, or without CI set), review the change and commit it`,
            },
          ]
        : [];
    }
    const text = serializeLock(allocation);
    // Nothing to record and no file: an app without failover instances leaves no lock behind.
    if (!changed && (this.text === undefined || this.text === text)) return [];
    const onDisk = readText(this.path, this.name);
    if (typeof onDisk === 'object') return [onDisk];
    if (onDisk !== this.text) {
      return [
        {
          path: this.name,
          field: 'file',
          value: this.path,
          problem: 'changed on disk since this run read it (another App or run writing the same lock?)',
          fix: 'give each App or program its own lockFile (configureFailoverPlanner), and run again; nothing was written',
        },
      ];
    }
    try {
      writeFileAtomic(this.path, text);
    } catch (error) {
      return [
        {
          path: this.name,
          field: 'file',
          value: this.path,
          problem: `cannot be written: ${error instanceof Error ? error.message : String(error)}`,
          fix: 'make its directory writable, or name another lockFile',
        },
      ];
    }
    this.text = text;
    this.lastWritten = allocation;
    return [];
  }
}

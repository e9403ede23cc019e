/**
 * `ipfailover plan`: the plan of a cdk8s app or of synthesized manifests — every failover
 * instance with its VIPs, groups, VRRP IDs, monitor port and replicas, and the VRRP IDs left;
 * with `--lock`, the instances whose VRRP IDs differ from the lock file. Exits 1 listing the
 * planner's messages when instances conflict, 3 when an instance's VRRP IDs differ from the
 * lock's, 2 when it cannot read input. It never writes a lock: an app it runs only reads one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { errnoText } from '../agent/atomic-write';
import { VRRP_ID_MAX, VRRP_ID_MIN } from '../core/model/limits';
import { formatIssue, formatIssueWithoutPath } from '../core/model/issues';
import { LOCK_ENV, parseLock } from '../core/plan/allocation-lock';
import { formatLockTable, formatPlanTable, planManifests, type LockToCompare } from '../core/plan/plan-report';
import type { PlannerOptions } from '../core/plan/planner';
import { printable } from '../core/support/printable';
import { parseVirtualIps } from '../core/rules/vip-range';
import type { CommandIo } from './io';
import { InputError, readManifests } from './manifest-input';

/** Options of the plan command. */
export interface PlanOptions {
  /** Manifest files or directories (every `.yaml`, `.yml`, `.json` inside, sorted). */
  readonly paths: readonly string[];
  /** A cdk8s app command to synthesize first (as in `cdk8s.yaml`'s `app`). */
  readonly app?: string;
  /** Print the report as JSON. */
  readonly json?: boolean;
  /** VRRP IDs the cluster's own keepalived uses (`51,52`), as `configureFailoverPlanner` takes them. */
  readonly reservedVrrpIds?: string;
  /** The cluster's API and ingress VIPs, never to be served by an instance. */
  readonly reservedVips?: string;
  /** A VRRP ID lock file to compare the manifests with (and the app's lock, with `app`). */
  readonly lock?: string;
}

/** Exit code when an instance's VRRP IDs differ from the lock's (1 is conflicts, 2 bad input). */
export const EXIT_RENUMBERED = 3;

/** The lock file given with `--lock`, or the reason it cannot be read. */
function readLock(file: string): LockToCompare {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`--lock: ${file}: ${errnoText(error)}`);
  }
  const read = parseLock(text, file);
  if (!read.ok) throw new InputError(read.issues.map(formatIssue).join('\n'));
  return { allocation: read.lock, file };
}

/** Runs a cdk8s app into a temporary directory, as `cdk8s synth` does, and returns the directory. */
function synthesize(app: string, lock: string | undefined, io: CommandIo): string {
  const outdir = mkdtempSync(join(tmpdir(), 'ipfailover-plan-'));
  if (io.stderr.isTTY) io.stderr.write(`synthesizing: ${app}\n`);
  // The app plans against its lock (or the one given) as its next synth would, but writes none.
  const env = {
    ...io.env,
    CDK8S_OUTDIR: outdir,
    [LOCK_ENV.mode]: 'read',
    ...(lock !== undefined && { [LOCK_ENV.file]: resolve(lock) }),
  };
  const result = spawnSync(app, { shell: true, env, encoding: 'utf8' });
  if (result.status !== 0) {
    rmSync(outdir, { recursive: true, force: true });
    const reason = (result.stderr || result.stdout || String(result.error ?? ''))
      .trim()
      .split('\n')
      .slice(-12)
      .join('\n');
    throw new InputError(`the app failed (exit ${result.status ?? 'signal'}):\n${reason}`);
  }
  return outdir;
}

/** The planner options the command line gives, or the reason they are wrong. */
function plannerOptions(options: PlanOptions): PlannerOptions {
  const ids = (options.reservedVrrpIds ?? '').split(',').filter((s) => s.trim() !== '');
  const bad = ids.find((s) => !/^\s*\d{1,3}\s*$/.test(s) || Number(s) < VRRP_ID_MIN || Number(s) > VRRP_ID_MAX);
  if (bad !== undefined)
    throw new InputError(
      `--reserved-vrrp-ids: ${JSON.stringify(bad)} is not a VRRP ID; list whole numbers from ${VRRP_ID_MIN} to ${VRRP_ID_MAX}, such as 51,52`,
    );
  const vips = (options.reservedVips ?? '').trim();
  const parsed = parseVirtualIps(vips);
  const problem = vips === '' ? undefined : parsed.problems[0];
  if (problem)
    throw new InputError(
      `--reserved-vips: ${formatIssueWithoutPath({ path: '', field: 'reserved VIPs', ...problem })}`,
    );
  return { reservedVrrpIds: ids.map(Number), reservedVips: vips === '' ? [] : parsed.vips };
}

/** Runs the command; returns its exit code. */
export function runPlan(options: PlanOptions, io: CommandIo): number {
  let outdir: string | undefined;
  try {
    const planner = plannerOptions(options);
    const lock = options.lock !== undefined ? readLock(options.lock) : undefined;
    if (options.app !== undefined) outdir = synthesize(options.app, options.lock, io);
    const paths = outdir !== undefined ? [outdir] : options.paths.length > 0 ? options.paths : ['dist'];
    const report = planManifests(readManifests(paths), planner, lock);
    for (const warning of report.warnings) io.stderr.write(`ipfailover plan: warning: ${printable(warning)}\n`);
    if (options.json) {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      io.stdout.write(`${formatPlanTable(report)}\n`);
      const red =
        io.stdout.isTTY && !io.env.NO_COLOR ? (t: string): string => `\x1b[31m${t}\x1b[0m` : (t: string): string => t;
      // Issues quote names and values from the manifests: escaped, they cannot forge output.
      for (const issue of report.issues) io.stdout.write(`${red(printable(formatIssue(issue)))}\n`);
      if (report.lock) io.stdout.write(`\n${formatLockTable(report.lock)}\n`);
    }
    if (report.issues.length > 0) return 1;
    return report.lock && report.lock.renumbered > 0 ? EXIT_RENUMBERED : 0;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    io.stderr.write(`ipfailover plan: ${error.message}\n`);
    return 2;
  } finally {
    if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
  }
}

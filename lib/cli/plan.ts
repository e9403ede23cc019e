/**
 * `ipfailover plan`: the plan of a cdk8s app or of synthesized manifests — every failover
 * instance with its VIPs, groups, VRRP IDs, monitor port and replicas, and the VRRP IDs left.
 * Exits 1 listing the planner's messages when instances conflict, 2 when it cannot read input.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { formatIssue } from '../core/issues';
import { formatPlanTable, planManifests } from '../core/plan-report';

/** Options of the plan command. */
export interface PlanOptions {
  /** Manifest files or directories (every `.yaml`, `.yml`, `.json` inside, sorted). */
  readonly paths: readonly string[];
  /** A cdk8s app command to synthesize first (as in `cdk8s.yaml`'s `app`). */
  readonly app?: string;
  /** Print the report as JSON. */
  readonly json?: boolean;
}

/** Where the command writes; injected so tests read what a user would see. */
export interface PlanIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
}

class InputError extends Error {}

function manifestFiles(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new InputError(`${path}: no such file or directory`);
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(path, f));
}

/** Every Kubernetes object in the given files and directories. */
export function readManifests(paths: readonly string[]): unknown[] {
  return paths.flatMap(manifestFiles).flatMap((file) => {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'));
    const list = Array.isArray(docs) ? docs : [docs];
    const bad = list.find((d) => d.errors.length > 0);
    if (bad) throw new InputError(`${file}: not valid YAML: ${bad.errors[0]!.message.split('\n')[0]}`);
    return list.map((d) => d.toJS() as unknown).filter((o) => o !== null);
  });
}

/** Runs a cdk8s app into a temporary directory, as `cdk8s synth` does, and returns the directory. */
function synthesize(app: string, io: PlanIo): string {
  const outdir = mkdtempSync(join(tmpdir(), 'ipfailover-plan-'));
  if (io.stderr.isTTY) io.stderr.write(`synthesizing: ${app}\n`);
  const result = spawnSync(app, { shell: true, env: { ...io.env, CDK8S_OUTDIR: outdir }, encoding: 'utf8' });
  if (result.status !== 0) {
    rmSync(outdir, { recursive: true, force: true });
    const reason = (result.stderr || result.stdout || String(result.error ?? '')).trim().split('\n').slice(-12).join('\n');
    throw new InputError(`the app failed (exit ${result.status ?? 'signal'}):\n${reason}`);
  }
  return outdir;
}

/** Runs the command; returns its exit code. */
export function runPlan(options: PlanOptions, io: PlanIo): number {
  let outdir: string | undefined;
  try {
    if (options.app !== undefined) outdir = synthesize(options.app, io);
    const paths = outdir !== undefined ? [outdir] : options.paths.length > 0 ? options.paths : ['dist'];
    const report = planManifests(readManifests(paths));
    if (options.json) {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      io.stdout.write(`${formatPlanTable(report)}\n`);
      const red = io.stdout.isTTY && !io.env.NO_COLOR ? (t: string): string => `\x1b[31m${t}\x1b[0m` : (t: string): string => t;
      for (const issue of report.issues) io.stdout.write(`${red(formatIssue(issue))}\n`);
    }
    return report.issues.length > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    io.stderr.write(`ipfailover plan: ${error.message}\n`);
    return 2;
  } finally {
    if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
  }
}

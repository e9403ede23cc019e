/**
 * `ipfailover status`: which node holds each VIP of a running instance now, from the agents
 * themselves. It reads no API server: give it the failover pods as `kubectl get pods -o json`
 * prints them (`--pods FILE`, `-` for stdin), and/or the agents' addresses (`--endpoint
 * HOST:PORT`, repeatable). It GETs each agent's `/metrics` and `/readyz` at once, each within
 * `--timeout` seconds, and prints every VIP with its holder(s), flagging a VIP with no holder or
 * with two, then one line per agent.
 *
 * Exit codes, for scripts: 0 every VIP held by exactly one node and every agent answered; 1 a
 * VIP with no holder or more than one; 2 bad input (nothing to ask, an unreadable file, a bad
 * option); 3 no VIP known to be wrong, but some agent did not answer (so the answer may be
 * incomplete).
 */
import { readSync } from 'node:fs';
import { AGENT_PATHS } from '../core/model/agent-endpoints';
import { MAX_TARGETS, parseEndpoint, targetsOfPods, uniqueTargets, type Skipped, type Target } from './agent-targets';
import { agentView, formatStatus, statusExitCode, vipRows, type AgentFailure, type AgentView } from './holders';
import type { CommandIo } from './io';
import { InputError, MAX_INPUT_BYTES, parseManifests, readManifests } from './manifest-input';
import { httpScrape, type ScrapeFn } from './scrape';

/** Options of the status command. */
export interface StatusOptions {
  /** A file (or `-`, stdin) with the failover pods, as `kubectl get pods -l ipfailover=NAME -o json` prints them. */
  readonly pods?: string;
  /** Agents as `HOST:PORT` (`[IPv6]:PORT`). */
  readonly endpoint?: readonly string[];
  /** Seconds each agent has to answer, as given on the command line. */
  readonly timeout?: string;
  /** Print the report as JSON. */
  readonly json?: boolean;
}

/** Where the command reads, writes and scrapes. */
export interface StatusIo extends CommandIo {
  /**
   * GETs an agent's endpoint.
   * @default - HTTP with node:http
   */
  readonly scrape?: ScrapeFn;
  /**
   * Reads all of stdin, for `--pods -`.
   * @default - the process's stdin, at most MAX_INPUT_BYTES
   */
  readonly readStdin?: () => string;
}

/** Seconds an agent has to answer unless `--timeout` says otherwise. */
export const DEFAULT_TIMEOUT_SECONDS = 3;

function timeoutMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_SECONDS * 1000;
  const seconds = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!(seconds >= 0.1 && seconds <= 60))
    throw new InputError(`--timeout ${JSON.stringify(text)} is not a number of seconds; use 0.1 to 60, such as 3`);
  return Math.round(seconds * 1000);
}

/** All of the process's stdin, refusing more than `max` bytes. */
export function readStdinBounded(max = MAX_INPUT_BYTES): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (code === 'EOF') break;
      throw new InputError(`stdin: ${(error as Error).message}`);
    }
    if (n === 0) break;
    total += n;
    if (total > max) throw new InputError(`stdin: the input passes ${max / 2 ** 20} MiB; pass the failover pods only`);
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The targets and skipped pods of `--pods`. */
function podsOf(path: string, io: StatusIo): { targets: Target[]; skipped: Skipped[] } {
  const objects = path === '-' ? parseManifests('stdin', (io.readStdin ?? readStdinBounded)()) : readManifests([path]);
  const found = targetsOfPods(objects);
  if (found.targets.length + found.skipped.length === 0)
    throw new InputError(
      `--pods ${path}: no Pod in it; pass what kubectl get pods -n NAMESPACE -l ipfailover=NAME -o json prints`,
    );
  return found;
}

/** Scrapes one agent's `/metrics` and `/readyz` together. */
async function ask(target: Target, scrape: ScrapeFn, ms: number): Promise<AgentView | AgentFailure> {
  const [metrics, readyz] = await Promise.all([
    scrape(target, AGENT_PATHS.metrics, ms),
    scrape(target, AGENT_PATHS.ready, ms),
  ]);
  if (!metrics.ok) return { target, reason: metrics.reason };
  if (metrics.status !== 200) return { target, reason: `${AGENT_PATHS.metrics} answered HTTP ${metrics.status}` };
  if (!readyz.ok) return { target, reason: readyz.reason };
  if (readyz.status !== 200 && readyz.status !== 503)
    return { target, reason: `${AGENT_PATHS.ready} answered HTTP ${readyz.status}` };
  return agentView(target, metrics.body, readyz);
}

/** Runs the command; resolves with its exit code. */
export async function runStatus(options: StatusOptions, io: StatusIo): Promise<number> {
  try {
    const ms = timeoutMs(options.timeout);
    const pods = options.pods === undefined ? { targets: [], skipped: [] } : podsOf(options.pods, io);
    const targets = uniqueTargets([...pods.targets, ...(options.endpoint ?? []).map(parseEndpoint)]);
    if (targets.length === 0 && pods.skipped.length === 0)
      throw new InputError(
        'no agent to ask; pass --pods with the output of kubectl get pods -n NAMESPACE -l ipfailover=NAME -o json, or --endpoint NODE_IP:PORT',
      );
    if (targets.length > MAX_TARGETS)
      throw new InputError(`${targets.length} agents to ask, more than ${MAX_TARGETS}; select one instance's pods`);
    const answers = await Promise.all(targets.map((t) => ask(t, io.scrape ?? httpScrape, ms)));
    const agents = answers.filter((a): a is AgentView => 'groups' in a);
    const failures = answers.filter((a): a is AgentFailure => !('groups' in a));
    const vips = vipRows(agents, failures.length > 0);
    const report = { vips, agents, failures, skipped: pods.skipped };
    io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
    return statusExitCode(vips, failures);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    io.stderr.write(`ipfailover status: ${error.message}\n`);
    return 2;
  }
}

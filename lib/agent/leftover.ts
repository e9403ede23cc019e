/**
 * keepalived processes and pid files an earlier run left behind. keepalived refuses to start
 * while a pid file names a live process, and then exits 0 having done nothing; in a container's
 * PID namespace the old pid is often a live process again (another one), so a stale file alone
 * would make every restart fail. Before starting keepalived the agent therefore stops a
 * keepalived still running for its own config (SIGTERM: it releases its VIPs, as on a normal
 * stop) and deletes pid files that name anything else.
 */
import * as nodeFs from 'node:fs';
import type { StatePaths } from './paths';

/** The processes of this PID namespace, as far as the agent needs them; injected in tests. */
export interface ProcessTable {
  /** The pid a pid file holds, or `undefined` when there is no such file or no number in it. */
  pidIn(file: string): number | undefined;
  /** The process's command line (arguments joined by spaces), or `undefined` when it is gone. */
  commandLine(pid: number): string | undefined;
  kill(pid: number, signal: NodeJS.Signals): void;
  removeFile(file: string): void;
  sleep(ms: number): Promise<void>;
}

/** The real process table: pid files, `/proc`, `kill`. */
export const procTable: ProcessTable = {
  pidIn: (file) => {
    try {
      const pid = Number(nodeFs.readFileSync(file, 'utf8').trim());
      return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  },
  commandLine: (pid) => {
    try {
      return nodeFs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() || undefined;
    } catch {
      return undefined;
    }
  },
  kill: (pid, signal) => {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  },
  removeFile: (file) => nodeFs.rmSync(file, { force: true }),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Whether `pid` is a keepalived running our config file. */
function isOurKeepalived(procs: ProcessTable, pid: number, config: string): boolean {
  const line = procs.commandLine(pid);
  return line !== undefined && /keepalived/.test(line.split(' ')[0] ?? '') && line.split(' ').includes(config);
}

/** What clearing the leftovers found. */
export interface Leftovers {
  /** keepalived processes of our config that were stopped. */
  readonly stopped: readonly number[];
  /** Those still alive after SIGTERM and a grace period, then killed. */
  readonly killed: readonly number[];
  /** Pid files that named no keepalived of ours, deleted. */
  readonly staleFiles: readonly string[];
}

/** Waits until none of `pids` runs our config any more, or `ms` pass; returns those left. */
async function waitGone(procs: ProcessTable, pids: readonly number[], config: string, ms: number): Promise<number[]> {
  for (let waited = 0; ; waited += 50) {
    const alive = pids.filter((pid) => isOurKeepalived(procs, pid, config));
    if (alive.length === 0 || waited >= ms) return alive;
    await procs.sleep(50);
  }
}

/** Stops a keepalived left running for our config and deletes every pid file of ours. */
export async function clearLeftovers(
  paths: StatePaths,
  procs: ProcessTable = procTable,
  graceMs = 5000,
): Promise<Leftovers> {
  const files = [paths.pid, paths.vrrpPid, paths.checkersPid];
  const named = files.map((file) => ({ file, pid: procs.pidIn(file) }));
  const ours = [
    ...new Set(
      named.flatMap(({ pid }) => (pid !== undefined && isOurKeepalived(procs, pid, paths.config) ? [pid] : [])),
    ),
  ];
  for (const pid of ours) procs.kill(pid, 'SIGTERM');
  const killed = await waitGone(procs, ours, paths.config, graceMs);
  for (const pid of killed) procs.kill(pid, 'SIGKILL');
  await waitGone(procs, killed, paths.config, 1000);
  const staleFiles = named.filter(({ pid }) => pid !== undefined && !ours.includes(pid)).map(({ file }) => file);
  for (const { file, pid } of named) if (pid !== undefined) procs.removeFile(file);
  return { stopped: ours, killed, staleFiles };
}

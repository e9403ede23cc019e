/**
 * Running external commands (`ip`, `iptables`) without a shell: arguments are passed as a list,
 * so no value can be read as shell syntax. Injected into the agent so unit tests use fakes.
 */
import { execFile } from 'node:child_process';

/** The exit code the runner gives for a program it could not start (not installed, not executable). */
export const NOT_STARTED = 127;

/** What a finished command gave. */
export interface RunResult {
  /** Exit code; 127 when the program could not be started. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with arguments and resolves with its result (never rejects). */
export type Runner = (program: string, args: readonly string[]) => Promise<RunResult>;

/** The real runner: `execFile`, no shell, 10 s timeout. */
export const execRunner: Runner = (program, args) =>
  new Promise((resolve) => {
    execFile(program, [...args], { encoding: 'utf8', timeout: 10_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : NOT_STARTED;
      resolve({ code, stdout, stderr: stderr || (error && typeof error.code !== 'number' ? error.message : '') });
    });
  });

/** The first line of a command's complaint, for a one-line log. */
export function firstLine(result: RunResult): string {
  return (result.stderr || result.stdout).trim().split('\n')[0] ?? '';
}

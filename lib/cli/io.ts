/**
 * Where the `ipfailover` commands read and write. `cli.ts` passes the real process; tests pass
 * captures, so they read what a user would see.
 */
import { hostname } from 'node:os';
import { execRunner, type Runner } from '../agent/exec';

/** An output stream: a terminal, a pipe, or a test's capture. */
export interface Output {
  write(text: string): unknown;
  /** Whether a person is watching: progress lines and colour only then. */
  readonly isTTY?: boolean;
}

/** What every command reads and writes. */
export interface CommandIo {
  readonly stdout: Output;
  readonly stderr: Output;
  /** The environment: `OPENSHIFT_HA_*` for the node commands, `NO_COLOR` and the app's for plan. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The IO of a command that also runs programs on the node (`ip`, `iptables`). */
export interface NodeCommandIo extends CommandIo {
  readonly run: Runner;
}

/** The real process's streams and environment: what `cli.ts` passes to every command. */
export function processIo(): CommandIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** The real process and node (`ip`, `iptables` run for real; the host name): the node commands' IO. */
export function nodeProcessIo(): NodeCommandIo & { readonly hostname: string } {
  return { ...processIo(), run: execRunner, hostname: hostname() };
}

/**
 * Running keepalived in the foreground and watching it: its log lines go to a callback (the
 * agent turns state changes into one line each), stop signals are forwarded, and the promise
 * settles when keepalived exits — the agent then exits too, so the liveness probe (`pgrep
 * keepalived`) and the restart policy bring the pod back rather than a zombie supervisor.
 */
import type { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { forwardStopSignals, type StopSignal } from './signals';

/** The part of a `ChildProcess` the supervisor uses. */
export interface ChildLike extends EventEmitter {
  readonly pid?: number;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal: NodeJS.Signals): boolean;
}

/** Starts a program; `child_process.spawn` in production, a fake in tests. */
export type SpawnFn = (command: string, args: readonly string[]) => ChildLike;

/** How keepalived ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The stop signal the agent received and forwarded, if any. */
  readonly stoppedBy?: StopSignal;
  /** Set when the program could not be started at all. */
  readonly error?: Error;
}

/** What to supervise and where its output goes. */
export interface SuperviseOptions {
  readonly spawn: SpawnFn;
  readonly command: string;
  readonly args: readonly string[];
  /** The agent's own process (or an EventEmitter in tests), for stop signals. */
  readonly signals: EventEmitter;
  /** Every line keepalived prints. */
  readonly onLine: (line: string) => void;
  /** Called when a stop signal arrives, before it is forwarded. */
  readonly onStop?: (signal: StopSignal) => void;
  /** Called with the child once it is spawned: the agent signals it to reload its config. */
  readonly onSpawn?: (child: ChildLike) => void;
}

/** Runs the child until it exits, forwarding stop signals; resolves with how it ended. */
export function supervise(options: SuperviseOptions): Promise<ChildExit> {
  return new Promise((resolve) => {
    const child = options.spawn(options.command, options.args);
    options.onSpawn?.(child);
    let stoppedBy: StopSignal | undefined;
    const unforward = forwardStopSignals(options.signals, child, (signal) => {
      stoppedBy ??= signal;
      options.onStop?.(signal);
    });
    const readers = [child.stdout, child.stderr]
      .filter((s): s is Readable => s !== null)
      .map((stream) => {
        const reader = createInterface({ input: stream, crlfDelay: Infinity });
        reader.on('line', options.onLine);
        return new Promise<void>((done) => reader.on('close', done));
      });
    let settled = false;
    const finish = (exit: ChildExit): void => {
      if (settled) return;
      settled = true;
      unforward();
      // Let the last log lines (keepalived's "Stopped") through before reporting the exit.
      void Promise.race([Promise.all(readers), new Promise((r) => setTimeout(r, 200))]).then(() => resolve(exit));
    };
    child.on('error', (error: Error) => finish({ code: null, signal: null, error, ...(stoppedBy && { stoppedBy }) }));
    child.on('exit', (code: number | null, signal: NodeJS.Signals | null) =>
      finish({ code, signal, ...(stoppedBy && { stoppedBy }) }),
    );
  });
}

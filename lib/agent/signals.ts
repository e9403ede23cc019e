/**
 * Forwarding the pod's stop signals to keepalived. SIGTERM (Kubernetes' stop), SIGINT (a
 * terminal) and SIGHUP all become SIGTERM for keepalived, which then sends priority-0 adverts and
 * releases its VIPs: the backups take over at once instead of after the master-down interval.
 */
import type { EventEmitter } from 'node:events';

/** The signals the agent treats as "stop". */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** A stop signal. */
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Something that can be signalled: a child process. */
export interface Signallable {
  kill(signal: NodeJS.Signals): boolean;
}

/**
 * Forwards every stop signal received by `source` (the process, or an EventEmitter in tests) to
 * `target` as SIGTERM, calling `onStop` first. Returns a function that stops forwarding.
 */
export function forwardStopSignals(
  source: EventEmitter,
  target: Signallable,
  onStop: (signal: StopSignal) => void,
): () => void {
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = (): void => {
      onStop(signal);
      target.kill('SIGTERM');
    };
    source.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) source.removeListener(signal, handler);
  };
}

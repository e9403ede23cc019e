/**
 * Reading keepalived's console log: the lines that say an instance changed state, turned into
 * one line of our own per change.
 */

/** A VRRP state keepalived reports. */
export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** One state change of one instance. */
export interface StateChange {
  readonly instance: string;
  readonly state: VrrpState;
}

const ENTERING = /\(([A-Za-z0-9_]+)\) Entering (MASTER|BACKUP|FAULT) STATE/;
const STOPPING = /\(([A-Za-z0-9_]+)\) sent 0 priority/;

/** The state change a keepalived log line reports, if any. */
export function parseStateLine(line: string): StateChange | undefined {
  const entering = ENTERING.exec(line);
  if (entering) return { instance: entering[1]!, state: entering[2] as VrrpState };
  const stopping = STOPPING.exec(line);
  if (stopping) return { instance: stopping[1]!, state: 'STOP' };
  return undefined;
}

/** Whether a log line says keepalived's VRRP process is up. */
export function isStartedLine(line: string): boolean {
  return /Starting VRRP child process/.test(line);
}

/**
 * Reading keepalived's console log: the lines that say an instance changed state, that the
 * shared check script passed or failed, and that keepalived started or is stopping. What
 * keepalived 2.2.7 prints (seen with `--log-console`):
 *
 * ```text
 * Starting VRRP child process, pid=10433
 * VRRP_Script(chk_kt) succeeded
 * (kt_VIP_1) Entering BACKUP STATE
 * (kt_VIP_1) Entering MASTER STATE
 * Script `chk_kt` now returning 1
 * VRRP_Script(chk_kt) failed (exited with status 1)
 * VRRP_Script(chk_kt) timed_out
 * (kt_VIP_1) Entering FAULT STATE
 * (kt_VIP_1): entering FAULT state (interface eth0 down)     at start, with the interface down
 * (kt_VIP_1) entering FAULT state
 * Stopping
 * ```
 *
 * When the check already fails at start, keepalived puts the instances in FAULT without a line
 * for them: only the script's `failed` line says so (see `vrrp-status.ts`).
 */

/** A VRRP state keepalived reports. */
export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** Every {@link VrrpState}, in the order the metrics list them. */
export const VRRP_STATES: readonly VrrpState[] = ['MASTER', 'BACKUP', 'FAULT', 'STOP'];

/** One state change of one instance. */
export interface StateChange {
  readonly instance: string;
  readonly state: VrrpState;
}

// `(name) Entering MASTER STATE`, and the lower-case `(name) entering FAULT state` of a start with
// the interface down; not `(name): entering FAULT state (interface eth0 down)`, which precedes it.
const ENTERING = /\(([A-Za-z0-9_]+)\) [Ee]ntering (MASTER|BACKUP|FAULT) (?:STATE|state)/;
const STOPPING = /\(([A-Za-z0-9_]+)\) sent 0 priority/;
const SCRIPT = /VRRP_Script\(([A-Za-z0-9_]+)\) (succeeded|failed|timed_out)/;

/** The state change a keepalived log line reports, if any. */
export function parseStateLine(line: string): StateChange | undefined {
  const entering = ENTERING.exec(line);
  if (entering) return { instance: entering[1]!, state: entering[2] as VrrpState };
  const stopping = STOPPING.exec(line);
  if (stopping) return { instance: stopping[1]!, state: 'STOP' };
  return undefined;
}

/** A result of a `vrrp_script`: keepalived prints one when the result changes, not on every run. */
export interface CheckResult {
  readonly script: string;
  readonly passing: boolean;
}

/** The check result a keepalived log line reports, if any (a timeout is a failure, as keepalived counts it). */
export function parseCheckLine(line: string): CheckResult | undefined {
  const found = SCRIPT.exec(line);
  return found ? { script: found[1]!, passing: found[2] === 'succeeded' } : undefined;
}

/** Whether a log line says keepalived's VRRP process is up. */
export function isStartedLine(line: string): boolean {
  return /Starting VRRP child process/.test(line);
}

/** Whether a log line says keepalived received its stop signal and is shutting down. */
export function isStoppingLine(line: string): boolean {
  return /(?:^|: )Stopping$/.test(line);
}

/**
 * Reading the environment for every agent command: the core's own parser, and a short reason
 * when it fails — the first problem on one line, the names of any others on a second.
 */
import { fromEnv } from '../core/env/env-contract';
import { formatIssue, type Issue } from '../core/model/issues';
import type { AgentSettings } from '../core/env/setting-rules';

/** Settings, or the one- or two-line reason they could not be read. */
export type Loaded =
  { readonly ok: true; readonly settings: AgentSettings } | { readonly ok: false; readonly reason: string };

/** A one- or two-line reason for a list of issues: the first in full, then the other fields. */
export function shortReason(issues: readonly Issue[]): string {
  const [first, ...rest] = issues;
  if (first === undefined) return 'invalid environment';
  if (rest.length === 0) return formatIssue(first);
  const others = [...new Set(rest.map((i) => i.field))].join(', ');
  return `${formatIssue(first)}\nand ${rest.length} more problem${rest.length > 1 ? 's' : ''} in: ${others}`;
}

/** Reads and validates the `OPENSHIFT_HA_*` environment. */
export function loadSettings(env: Readonly<Record<string, string | undefined>>): Loaded {
  const read = fromEnv(env);
  return read.ok ? { ok: true, settings: read.settings } : { ok: false, reason: shortReason(read.issues) };
}

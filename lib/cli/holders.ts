/**
 * Who holds each VIP, from what the agents answered: an agent holds a VIP while a group that
 * contains it is MASTER there. Pure: answers in, rows and a report out. Every name and value in
 * the report came over the network, so the text report escapes control characters.
 */
import { AGENT_METRICS } from '../core/model/agent-endpoints';
import { printable } from '../core/support/printable';
import type { Skipped, Target } from './agent-targets';
import { parseMetrics, type Sample } from './metrics-text';

/** One group as an agent reports it. */
export interface ReportedGroup {
  readonly config: string;
  readonly group: number;
  readonly vrid: number;
  readonly vips: readonly string[];
  /** `MASTER`, `BACKUP`, `FAULT`, `STOP`, or `undefined` before keepalived reported. */
  readonly state: string | undefined;
}

/** What one agent answered. */
export interface AgentView {
  readonly target: Target;
  /** The node the agent says it runs on (its info metric), else the pod's node, else the host. */
  readonly node: string;
  readonly config: string;
  /** The first line of `/readyz`, such as `ready: 2 MASTER, 4 BACKUP of 6 group(s)`. */
  readonly readiness: string;
  readonly ready: boolean;
  readonly groups: readonly ReportedGroup[];
}

/** An agent that gave no usable answer. */
export interface AgentFailure {
  readonly target: Target;
  readonly reason: string;
}

/** An agent's view from its `/metrics` text and `/readyz` answer, or why it is not one. */
export function agentView(
  target: Target,
  metrics: string,
  readyz: { readonly status: number; readonly body: string },
): AgentView | AgentFailure {
  const samples = parseMetrics(metrics, 'ipfailover_');
  const info = samples.find((s) => s.name === AGENT_METRICS.info);
  if (info === undefined)
    return { target, reason: `no ${AGENT_METRICS.info} in its ${'/metrics'}: not an ipfailover agent` };
  return {
    target,
    node: info.labels.node || target.node || target.host,
    config: info.labels.config ?? '',
    readiness: readyz.body.split('\n')[0]!.slice(0, 200),
    ready: readyz.status === 200,
    groups: groupsOf(samples),
  };
}

/** The groups of the state samples, each with the state whose sample is 1. */
function groupsOf(samples: readonly Sample[]): ReportedGroup[] {
  const groups = new Map<string, ReportedGroup & { state: string | undefined }>();
  for (const s of samples) {
    if (s.name !== AGENT_METRICS.vrrpState) continue;
    const { config = '', group = '', vrid = '', vips = '', state } = s.labels;
    const key = `${config}|${group}|${vrid}|${vips}`;
    const known = groups.get(key) ?? {
      config,
      group: Number(group),
      vrid: Number(vrid),
      vips: vips.split(',').filter((v) => v !== ''),
      state: undefined,
    };
    if (s.value === 1 && state !== undefined) known.state = state;
    groups.set(key, known);
  }
  return [...groups.values()];
}

/** The verdict on one VIP. */
export type VipVerdict = 'OK' | 'NO HOLDER' | 'NO HOLDER SEEN' | 'TWO HOLDERS' | `${number} HOLDERS`;

/** One VIP: its group(s) and VRRP ID(s) as the agents report them, and the nodes holding it. */
export interface VipRow {
  readonly config: string;
  readonly vip: string;
  readonly groups: readonly number[];
  readonly vrids: readonly number[];
  readonly holders: readonly string[];
  readonly verdict: VipVerdict;
}

function verdictOf(holders: number, incomplete: boolean): VipVerdict {
  if (holders === 1) return 'OK';
  if (holders === 2) return 'TWO HOLDERS';
  if (holders > 2) return `${holders} HOLDERS`;
  // None of those who answered holds it; one that did not answer may.
  return incomplete ? 'NO HOLDER SEEN' : 'NO HOLDER';
}

/**
 * Every VIP any agent reports, with its holders: the agents where a group containing it is
 * MASTER. `incomplete` when some agent did not answer, so "no holder" is only "none seen".
 */
export function vipRows(views: readonly AgentView[], incomplete: boolean): VipRow[] {
  const rows = new Map<
    string,
    { config: string; vip: string; groups: Set<number>; vrids: Set<number>; holders: string[]; order: number[] }
  >();
  for (const view of views) {
    for (const g of view.groups) {
      g.vips.forEach((vip, index) => {
        const key = `${g.config}|${vip}`;
        const row = rows.get(key) ?? {
          config: g.config,
          vip,
          groups: new Set<number>(),
          vrids: new Set<number>(),
          holders: [],
          order: [g.vrid, index],
        };
        row.groups.add(g.group);
        row.vrids.add(g.vrid);
        if (g.state === 'MASTER') row.holders.push(view.node);
        rows.set(key, row);
      });
    }
  }
  return [...rows.values()]
    .sort((a, b) => a.config.localeCompare(b.config) || a.order[0]! - b.order[0]! || a.order[1]! - b.order[1]!)
    .map((r) => ({
      config: r.config,
      vip: r.vip,
      groups: [...r.groups].sort((x, y) => x - y),
      vrids: [...r.vrids].sort((x, y) => x - y),
      holders: [...r.holders].sort(),
      verdict: verdictOf(r.holders.length, incomplete),
    }));
}

/**
 * The exit code: 1 when a VIP has no holder or more than one (the answer is definite), else 3
 * when some agent gave no answer or none answered at all (the answer may be incomplete), else 0.
 */
export function statusExitCode(rows: readonly VipRow[], failures: readonly AgentFailure[]): number {
  if (rows.some((r) => r.verdict !== 'OK' && r.verdict !== 'NO HOLDER SEEN')) return 1;
  if (failures.length > 0 || rows.length === 0 || rows.some((r) => r.verdict === 'NO HOLDER SEEN')) return 3;
  return 0;
}

function hostPort(t: Target): string {
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/** Left-aligned columns, two spaces apart, the last one unpadded. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Everything the command learnt. */
export interface StatusReport {
  readonly vips: readonly VipRow[];
  readonly agents: readonly AgentView[];
  readonly failures: readonly AgentFailure[];
  readonly skipped: readonly Skipped[];
}

/** The text report: the VIPs with their holders, then one line per agent (and pod not scraped). */
export function formatStatus(report: StatusReport): string {
  const manyConfigs = new Set(report.vips.map((r) => r.config)).size > 1;
  const list = (xs: readonly (string | number)[]): string => (xs.length === 0 ? '-' : xs.join(','));
  const vipTable = table([
    [...(manyConfigs ? ['INSTANCE'] : []), 'VIP', 'GROUP', 'VRID', 'HOLDER', 'STATUS'],
    ...report.vips.map((r) => [
      ...(manyConfigs ? [printable(r.config)] : []),
      printable(r.vip),
      list(r.groups),
      list(r.vrids),
      printable(list(r.holders)),
      r.verdict,
    ]),
  ]);
  const agentTable = table([
    ['AGENT', 'NODE', 'POD', 'ANSWER'],
    ...report.agents.map((a) => [
      hostPort(a.target),
      printable(a.node),
      printable(a.target.pod ?? '-'),
      printable(a.readiness),
    ]),
    ...report.failures.map((f) => [
      hostPort(f.target),
      printable(f.target.node ?? '-'),
      printable(f.target.pod ?? '-'),
      `no answer: ${printable(f.reason)}`,
    ]),
    ...report.skipped.map((s) => [
      '-',
      printable(s.node ?? '-'),
      printable(s.pod),
      `not scraped: ${printable(s.reason)}`,
    ]),
  ]);
  const vips = report.vips.length > 0 ? vipTable : 'no VIP reported: no agent answered';
  return `${vips}\n\n${agentTable}\n`;
}

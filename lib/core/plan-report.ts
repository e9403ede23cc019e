/**
 * The plan of a set of manifests: every failover Deployment found (ours or hand-written from
 * the docs), read back through the env contract and checked by the planner as one stack. Used by
 * `ipfailover plan`; pure, so it is tested without files.
 */
import { DEFAULTS, MAX_CLUSTER_GROUPS } from './defaults';
import { ENV_NAMES, fromEnv } from './env-contract';
import type { Issue } from './issues';
import { valueAt } from './objects';
import { Planner, type IdRange, type PlannerOptions } from './planner';
import type { IpFailoverProps } from './props';
import type { AgentSettings } from './settings';
import { formatVirtualIps } from './vip-range';

/** One failover instance in the report. */
export interface PlanRow {
  readonly namespace: string;
  readonly name: string;
  /** The VIPs in the documented syntax. */
  readonly virtualIps: string;
  readonly groups: number;
  /** First and last VRRP ID. */
  readonly vrrpIds: IdRange;
  /** 0 means no check. */
  readonly monitorPort: number;
  readonly replicas: number;
}

/** The plan of a stack's manifests. */
export interface PlanReport {
  readonly instances: readonly PlanRow[];
  readonly groupsUsed: number;
  readonly groupLimit: number;
  readonly freeVrrpIds: readonly IdRange[];
  readonly issues: readonly Issue[];
}


/** The failover container's plain env of a Deployment, if it has `OPENSHIFT_HA_VIRTUAL_IPS`. */
function failoverEnv(obj: unknown): Record<string, string> | undefined {
  if (valueAt(obj, 'kind') !== 'Deployment') return undefined;
  const containers = valueAt(obj, 'spec', 'template', 'spec', 'containers');
  for (const container of Array.isArray(containers) ? containers : []) {
    const env = valueAt(container, 'env');
    const vars = (Array.isArray(env) ? env : []).filter((v) => typeof valueAt(v, 'value') === 'string');
    const record = Object.fromEntries(vars.map((v) => [String(valueAt(v, 'name')), String(valueAt(v, 'value'))]));
    if (ENV_NAMES.virtualIps in record) return record;
  }
  return undefined;
}

function propsOf(settings: AgentSettings, name: string, namespace: string): IpFailoverProps {
  return {
    name,
    namespace,
    virtualIps: settings.virtualIps,
    vipGroups: settings.vipGroups,
    vrrpIdOffset: settings.vrrpIdOffset,
    replicas: settings.replicas,
    monitorPort: settings.monitorPort,
    networkInterface: settings.networkInterface,
    unicastPeers: settings.unicastPeers,
    iptablesChain: settings.iptablesChain,
    preemption: settings.preemption,
    checkIntervalSeconds: settings.checkIntervalSeconds,
    advertIntervalSeconds: settings.advertIntervalSeconds,
    ...(settings.checkScript !== undefined && { checkScript: { path: settings.checkScript } }),
    ...(settings.notifyScript !== undefined && { notifyScript: { path: settings.notifyScript } }),
  };
}

/** Reads every failover Deployment of `objects` and plans them as one stack, in order. */
export function planManifests(objects: readonly unknown[], options: PlannerOptions = {}): PlanReport {
  const planner = new Planner(options);
  const issues: Issue[] = [];
  const instances: PlanRow[] = [];
  for (const obj of objects) {
    const env = failoverEnv(obj);
    if (!env) continue;
    const name = String(valueAt(obj, 'metadata', 'name'));
    const namespace = String(valueAt(obj, 'metadata', 'namespace') ?? DEFAULTS.namespace);
    const path = `${namespace}/${name}`;
    const read = fromEnv(env);
    if (!read.ok) {
      issues.push(...read.issues.map((i) => ({ ...i, path })));
      continue;
    }
    const specReplicas = valueAt(obj, 'spec', 'replicas') ?? 1;
    if (specReplicas !== read.settings.replicas) {
      issues.push({ path, field: ENV_NAMES.replicas, value: read.settings.replicas, problem: `differs from spec.replicas ${String(specReplicas)}`, fix: 'make them equal, as the docs require' });
    }
    const { plan, issues: found } = planner.add(propsOf(read.settings, name, namespace), { path, id: name });
    issues.push(...found);
    if (plan) {
      instances.push({
        namespace,
        name,
        virtualIps: formatVirtualIps(plan.settings.virtualIps),
        groups: plan.vrrpIds.length,
        vrrpIds: { first: plan.vrrpIds[0]!, last: plan.vrrpIds[plan.vrrpIds.length - 1]! },
        monitorPort: plan.settings.monitorPort,
        replicas: plan.settings.replicas,
      });
    }
  }
  return { instances, groupsUsed: planner.groupCount, groupLimit: MAX_CLUSTER_GROUPS, freeVrrpIds: planner.freeVrrpIdRanges(), issues };
}

const range = (r: IdRange): string => (r.first === r.last ? String(r.first) : `${r.first}..${r.last}`);

/** The report as an aligned text table plus a summary line. */
export function formatPlanTable(report: PlanReport): string {
  const header = ['INSTANCE', 'VIPS', 'GROUPS', 'VRRP IDS', 'MONITOR', 'REPLICAS'];
  const rows = report.instances.map((r) => [
    `${r.namespace}/${r.name}`,
    r.virtualIps,
    String(r.groups),
    range(r.vrrpIds),
    r.monitorPort === 0 ? 'off' : String(r.monitorPort),
    String(r.replicas),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const free = report.freeVrrpIds.length > 0 ? report.freeVrrpIds.map(range).join(', ') : 'none';
  return [
    line(header),
    ...rows.map(line),
    '',
    `VRRP groups: ${report.groupsUsed} of ${report.groupLimit} used; free VRRP IDs: ${free}`,
  ].join('\n');
}

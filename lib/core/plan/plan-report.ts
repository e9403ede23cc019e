/**
 * The plan of a set of manifests: every failover Deployment found (ours or hand-written from
 * the docs), read back through the env contract and checked by the planner as one stack. Used by
 * `ipfailover plan`; pure, so it is tested without files.
 */
import { DEFAULTS } from '../model/defaults';
import { MAX_CLUSTER_GROUPS } from '../model/limits';
import { ENV_NAMES, fromEnv } from '../env/env-contract';
import type { Issue } from '../model/issues';
import { valueAt } from '../support/plain-data';
import { Planner, type IdRange, type PlannerOptions } from './planner';
import type { IpFailoverOptions } from '../model/props';
import { printable } from '../support/printable';
import { rowOf, SETTING_KEYS, type AgentSettings } from '../env/setting-table';
import { formatVirtualIps } from '../rules/vip-range';

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
  /** What the plan could not see: values set from `valueFrom`, or no failover Deployment at all. */
  readonly warnings: readonly string[];
}

/** What a failover container's env says, as far as plain data can say it. */
interface FailoverEnv {
  /** Variables with a string value. */
  readonly env: Record<string, string>;
  /** Failover variables set from `valueFrom` (a Secret, a field): unknown until the pod runs. */
  readonly unread: readonly string[];
  /** Variables whose `value` is not a string (the API server refuses those). */
  readonly notStrings: ReadonlyArray<readonly [string, unknown]>;
}

/** Names the agent reads. */
const FAILOVER_VARIABLE = /^(OPENSHIFT_HA_|IPFAILOVER_|HA_EXCLUDED_)/;

/** The failover container's env of a Deployment: the container that names `OPENSHIFT_HA_VIRTUAL_IPS`. */
/** The `env` list of each container of a pod-owning object, as far as plain data has them. */
function containerEnvs(obj: unknown): unknown[][] {
  const containers = valueAt(obj, 'spec', 'template', 'spec', 'containers');
  return (Array.isArray(containers) ? containers : []).map((container) => {
    const vars = valueAt(container, 'env');
    return Array.isArray(vars) ? vars : [];
  });
}

function failoverEnv(obj: unknown): FailoverEnv | undefined {
  if (valueAt(obj, 'kind') !== 'Deployment') return undefined;
  for (const list of containerEnvs(obj)) {
    if (!list.some((v) => valueAt(v, 'name') === ENV_NAMES.virtualIps)) continue;
    const env: Record<string, string> = {};
    const unread: string[] = [];
    const notStrings: Array<readonly [string, unknown]> = [];
    for (const v of list) {
      const name = valueAt(v, 'name');
      const value = valueAt(v, 'value');
      if (typeof name !== 'string') continue;
      if (typeof value === 'string') env[name] = value;
      else if (value !== undefined && value !== null) notStrings.push([name, value]);
      else if (valueAt(v, 'valueFrom') !== undefined && FAILOVER_VARIABLE.test(name)) unread.push(name);
    }
    return { env, unread, notStrings };
  }
  return undefined;
}

/** An env name with the docs' callout number left in (`OPENSHIFT_HA_VIRTUAL_IPS 2`). */
function hasCallout(obj: unknown): boolean {
  return containerEnvs(obj).some((list) => list.some((v) => /^OPENSHIFT_HA_\w+\s+\S/.test(String(valueAt(v, 'name')))));
}

/**
 * The props that plan the settings read from a Deployment as the constructs would: each setting
 * row gives its prop back (a row's hook where it has one), so nothing is re-planned with a default.
 */
export function propsOfSettings(settings: AgentSettings): Omit<IpFailoverOptions, 'name' | 'namespace'> {
  const props: Partial<Record<keyof IpFailoverOptions, unknown>> = {};
  for (const key of SETTING_KEYS) {
    const row = rowOf(key);
    const value = settings[key];
    if (row.toProps) Object.assign(props, row.toProps(value));
    else if (row.prop !== undefined && value !== undefined) props[row.prop] = value;
  }
  return props as IpFailoverOptions;
}

function propsOf(settings: AgentSettings, name: string, namespace: string): IpFailoverOptions {
  return { name, namespace, ...propsOfSettings(settings) };
}

/** Reads every failover Deployment of `objects` and plans them as one stack, in order. */
export function planManifests(objects: readonly unknown[], options: PlannerOptions = {}): PlanReport {
  const planner = new Planner(options);
  // An issue of the manifests, or the path whose planner issues stand there: those are read at
  // the end, when every instance is placed, so a suggested offset is free of the later ones too.
  const slots: Array<Issue | { readonly planned: string }> = [];
  const issues = { push: (...found: Issue[]): number => slots.push(...found) };
  const instances: PlanRow[] = [];
  const warnings: string[] = [];
  for (const obj of objects) {
    const found = failoverEnv(obj);
    if (!found) continue;
    const name = String(valueAt(obj, 'metadata', 'name'));
    const namespace = String(valueAt(obj, 'metadata', 'namespace') ?? DEFAULTS.namespace);
    const path = `${namespace}/${name}`;
    for (const [field, value] of found.notStrings) {
      issues.push({
        path,
        field,
        value,
        problem: 'is not a string',
        fix: 'quote it: the API server takes only strings as env values',
      });
    }
    if (found.unread.includes(ENV_NAMES.virtualIps)) {
      warnings.push(
        `${path}: ${ENV_NAMES.virtualIps} is set from valueFrom, which plan cannot read; this instance is not planned`,
      );
      continue;
    }
    for (const variable of found.unread)
      warnings.push(`${path}: ${variable} is set from valueFrom, which plan cannot read; planned as if it were unset`);
    if (found.notStrings.length > 0) continue;
    const read = fromEnv(found.env);
    if (!read.ok) {
      issues.push(...read.issues.map((i) => ({ ...i, path })));
      continue;
    }
    const specReplicas = valueAt(obj, 'spec', 'replicas') ?? 1;
    if (specReplicas !== read.settings.replicas) {
      issues.push({
        path,
        field: ENV_NAMES.replicas,
        value: read.settings.replicas,
        problem: `differs from spec.replicas ${String(specReplicas)}`,
        fix: 'make them equal, as the docs require',
      });
    }
    const { plan } = planner.add(propsOf(read.settings, name, namespace), { path, id: name });
    if (!slots.some((s) => 'planned' in s && s.planned === path)) slots.push({ planned: path });
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
  const found = slots.flatMap((s) => ('planned' in s ? planner.issuesFor(s.planned) : [s]));
  if (instances.length === 0 && found.length === 0 && warnings.length === 0) {
    const callout = objects.some(hasCallout)
      ? "; an env name has text after it (the docs' callout numbers?): remove it"
      : '';
    warnings.push(`no failover Deployment found (one whose container sets ${ENV_NAMES.virtualIps})${callout}`);
  }
  return {
    instances,
    groupsUsed: planner.groupCount,
    groupLimit: MAX_CLUSTER_GROUPS,
    freeVrrpIds: planner.freeVrrpIdRanges(),
    issues: found,
    warnings,
  };
}

const range = (r: IdRange): string => (r.first === r.last ? String(r.first) : `${r.first}..${r.last}`);

/** The report as an aligned text table plus a summary line. */
export function formatPlanTable(report: PlanReport): string {
  const header = ['INSTANCE', 'VIPS', 'GROUPS', 'VRRP IDS', 'MONITOR', 'REPLICAS'];
  // Names come from manifests: printed escaped, they cannot move the cursor or forge a line.
  const rows = report.instances.map((r) => [
    printable(`${r.namespace}/${r.name}`),
    r.virtualIps,
    String(r.groups),
    range(r.vrrpIds),
    r.monitorPort === 0 ? 'off' : String(r.monitorPort),
    String(r.replicas),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const free = report.freeVrrpIds.length > 0 ? report.freeVrrpIds.map(range).join(', ') : 'none';
  return [
    line(header),
    ...rows.map(line),
    '',
    `VRRP groups: ${report.groupsUsed} of ${report.groupLimit} used; free VRRP IDs: ${free}`,
  ].join('\n');
}

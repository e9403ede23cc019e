/**
 * The plan of a set of manifests: every failover Deployment found (ours or hand-written from
 * the docs), read back through the env contract and checked by the planner as one stack. Used by
 * `ipfailover plan`; pure, so it is tested without files.
 */
import { DEFAULTS } from '../model/defaults';
import { MAX_CLUSTER_GROUPS } from '../model/limits';
import { ENV_NAMES, fromEnv, POD_VARIABLES } from '../env/env-contract';
import type { Issue } from '../model/issues';
import { valueAt } from '../support/plain-data';
import { Planner, type IdRange, type PlannerOptions } from './planner';
import type { IpFailoverOptions } from '../model/props';
import { printable } from '../support/printable';
import { rowOf, SETTING_KEYS, type AgentSettings } from '../env/setting-table';
import { vrrpIdsOf } from '../env/setting-rules';
import { formatVirtualIps } from '../rules/vip-range';
import { formatIds, lockKey, type AllocationLock } from './allocation-lock';

/** One failover instance in the report. */
export interface PlanRow {
  readonly namespace: string;
  readonly name: string;
  /** The VIPs in the documented syntax. */
  readonly virtualIps: string;
  readonly groups: number;
  /** First and last VRRP ID. */
  readonly vrrpIds: IdRange;
  /** IDs between them the instance skips (`HA_EXCLUDED_VRRP_IDS`): one that grew past others' IDs. */
  readonly skippedVrrpIds?: readonly number[];
  /** 0 means no check. */
  readonly monitorPort: number;
  readonly replicas: number;
}

/**
 * How an instance's VRRP IDs in the manifests compare with the lock: as recorded (`kept`, not
 * listed), beyond the recorded IDs with those kept (`grows`), not recorded (`new`), different
 * from the recorded ones (`renumbered`: its pods would move), or recorded for an instance the
 * manifests do not have (`not-declared`: the lock keeps its IDs held).
 */
export type LockStatus = 'kept' | 'grows' | 'new' | 'renumbered' | 'not-declared';

/** One instance whose VRRP IDs differ from the lock. */
export interface LockRow {
  /** `namespace/name`, the lock's key. */
  readonly instance: string;
  readonly status: Exclude<LockStatus, 'kept'>;
  /** The IDs the lock holds for it, as the lock writes them. */
  readonly recorded?: string;
  /** Its IDs in the manifests. */
  readonly planned?: string;
}

/** The manifests against a lock file. */
export interface LockComparison {
  /** The lock file, as named. */
  readonly file: string;
  /** Every instance not `kept`, in manifest order, then the entries not declared. */
  readonly changes: readonly LockRow[];
  /** Instances whose VRRP IDs differ from the lock's: what `plan --lock` exits 3 for. */
  readonly renumbered: number;
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
  /** The manifests against a lock file, when one is given. */
  readonly lock?: LockComparison;
}

/** A lock to compare the manifests with, and its name for the report. */
export interface LockToCompare {
  readonly allocation: AllocationLock;
  readonly file: string;
}

/** How IDs in the manifests compare with the recorded ones: group by group, as the agent numbers them. */
function lockStatus(recorded: readonly number[] | undefined, ids: readonly number[]): LockStatus {
  if (recorded === undefined) return 'new';
  const kept = Math.min(ids.length, recorded.length);
  if (ids.slice(0, kept).some((id, i) => id !== recorded[i])) return 'renumbered';
  return ids.length > recorded.length ? 'grows' : 'kept';
}

/** Every instance of the manifests (`namespace/name` → its VRRP IDs) against a lock. */
export function compareWithLock(
  instances: ReadonlyMap<string, readonly number[]>,
  lock: LockToCompare,
): LockComparison {
  const changes: LockRow[] = [];
  for (const [instance, ids] of instances) {
    const recorded = lock.allocation.vrrpIds.get(instance);
    const status = lockStatus(recorded, ids);
    if (status === 'kept') continue;
    changes.push({
      instance,
      status,
      ...(recorded !== undefined && { recorded: formatIds(recorded) }),
      planned: formatIds(ids),
    });
  }
  for (const [instance, recorded] of lock.allocation.vrrpIds) {
    if (!instances.has(instance)) changes.push({ instance, status: 'not-declared', recorded: formatIds(recorded) });
  }
  return { file: lock.file, changes, renumbered: changes.filter((c) => c.status === 'renumbered').length };
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
      // Each pod's own IP and node name (the downward API): no setting, nothing to plan.
      else if (valueAt(v, 'valueFrom') !== undefined && FAILOVER_VARIABLE.test(name) && !POD_VARIABLES.includes(name))
        unread.push(name);
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

/**
 * Reads every failover Deployment of `objects` and plans them as one stack, in order; with a
 * lock, also says which instances' VRRP IDs differ from it.
 */
export function planManifests(
  objects: readonly unknown[],
  options: PlannerOptions = {},
  lock?: LockToCompare,
): PlanReport {
  const planner = new Planner(options);
  // An issue of the manifests, or the path whose planner issues stand there: those are read at
  // the end, when every instance is placed, so a suggested offset is free of the later ones too.
  const slots: Array<Issue | { readonly planned: string }> = [];
  const issues = { push: (...found: Issue[]): number => slots.push(...found) };
  const instances: PlanRow[] = [];
  const warnings: string[] = [];
  // The IDs each Deployment runs with, planned or not: what the lock is compared with.
  const running = new Map<string, readonly number[]>();
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
    running.set(lockKey(namespace, name), vrrpIdsOf(read.settings));
    const { plan } = planner.add(
      propsOf(read.settings, name, namespace),
      { path, id: name },
      { excludedVrrpIds: read.settings.excludedVrrpIds },
    );
    if (!slots.some((s) => 'planned' in s && s.planned === path)) slots.push({ planned: path });
    if (plan) {
      instances.push({
        namespace,
        name,
        virtualIps: formatVirtualIps(plan.settings.virtualIps),
        groups: plan.vrrpIds.length,
        vrrpIds: { first: plan.vrrpIds[0]!, last: plan.vrrpIds[plan.vrrpIds.length - 1]! },
        ...(plan.settings.excludedVrrpIds.length > 0 && { skippedVrrpIds: plan.settings.excludedVrrpIds }),
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
    ...(lock && { lock: compareWithLock(running, lock) }),
  };
}

const range = (r: IdRange): string => (r.first === r.last ? String(r.first) : `${r.first}..${r.last}`);

/** A row's VRRP IDs: its range without the IDs it skips. */
function idsOfRow(row: PlanRow): number[] {
  const skipped = new Set(row.skippedVrrpIds ?? []);
  const ids: number[] = [];
  for (let id = row.vrrpIds.first; id <= row.vrrpIds.last; id++) if (!skipped.has(id)) ids.push(id);
  return ids;
}

/** Left-aligned columns, two spaces apart, no trailing blanks. */
function alignedTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const LOCK_WORDS: Record<LockRow['status'], string> = {
  renumbered: 'RENUMBERED: its groups would change VRRP IDs',
  grows: 'grows: keeps its IDs, the lock would add the new ones',
  new: 'new: the lock would record it',
  'not-declared': 'not in the manifests: the lock keeps its IDs held',
};

/** The lock comparison as a summary line and, when anything differs, a table. */
export function formatLockTable(lock: LockComparison): string {
  const count = (status: LockRow['status']): number => lock.changes.filter((c) => c.status === status).length;
  const parts = (['renumbered', 'grows', 'new', 'not-declared'] as const)
    .filter((status) => count(status) > 0)
    .map((status) => `${count(status)} ${status === 'not-declared' ? 'not in the manifests' : status}`);
  const summary = `Against ${printable(lock.file)}: ${parts.length > 0 ? parts.join(', ') : 'every instance keeps its recorded VRRP IDs'}`;
  if (lock.changes.length === 0) return summary;
  const rows = lock.changes.map((c) => [
    printable(c.instance),
    c.recorded ?? '-',
    c.planned ?? '-',
    LOCK_WORDS[c.status],
  ]);
  return [summary, ...alignedTable(['INSTANCE', 'LOCK', 'MANIFESTS', 'CHANGE'], rows)].join('\n');
}

/** The report as an aligned text table plus a summary line. */
export function formatPlanTable(report: PlanReport): string {
  const header = ['INSTANCE', 'VIPS', 'GROUPS', 'VRRP IDS', 'MONITOR', 'REPLICAS'];
  // Names come from manifests: printed escaped, they cannot move the cursor or forge a line.
  const rows = report.instances.map((r) => [
    printable(`${r.namespace}/${r.name}`),
    r.virtualIps,
    String(r.groups),
    r.skippedVrrpIds ? formatIds(idsOfRow(r)) : range(r.vrrpIds),
    r.monitorPort === 0 ? 'off' : String(r.monitorPort),
    String(r.replicas),
  ]);
  const free = report.freeVrrpIds.length > 0 ? report.freeVrrpIds.map(range).join(', ') : 'none';
  return [
    ...alignedTable(header, rows),
    '',
    `VRRP groups: ${report.groupsUsed} of ${report.groupLimit} used; free VRRP IDs: ${free}`,
  ].join('\n');
}

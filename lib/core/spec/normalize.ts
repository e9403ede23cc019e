/**
 * Props → a resolved, validated {@link FailoverSpec}: defaults applied once, every value
 * checked, every problem reported (none thrown).
 */
import { DEFAULTS } from '../model/defaults';
import type { Mutable } from '../support/plain-data';
import {
  checkDnsLabel,
  checkDnsSubdomain,
  checkImage,
  checkGroupCount,
  checkLabels,
  checkStringList,
  checkVrrpIdOffset,
  configMapBytes,
  isPlainObject,
} from '../rules/validators';
import { MAX_CONFIGMAP_BYTES } from '../model/limits';
import { quotedChoices, type Issue, type Problem } from '../model/issues';
import {
  DEPLOYMENT_STRATEGIES,
  type DeploymentStrategy,
  type IpFailoverOptions,
  type ScriptSource,
} from '../model/props';
import { checkScriptFiles } from '../rules/script-source';
import { keysInOrder, PROPS_CHECK_ORDER, rowOf, type AnySettingRow, type ResolvedIdentity } from '../env/setting-table';
import { checkIdRange, crossCheck, type AgentSettings, type SettingKey } from '../env/setting-rules';
import { inlineScriptData } from '../rules/script-source';
import { SCC_NAMES, sccRoleBindingName } from '../model/object-names';
import { parseVirtualIps, type VipListParse } from '../rules/vip-range';

/** One instance's resolved settings, before the planner gives it VRRP IDs. */
export interface FailoverSpec {
  /** Deployment name, `ipfailover` label value and config name. */
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly imagePullSecrets: readonly string[];
  readonly serviceAccountName: string;
  readonly strategy: DeploymentStrategy;
  /** Whether the PodMonitor and PrometheusRule are emitted. */
  readonly monitoring: boolean;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly checkScript?: ScriptSource;
  readonly notifyScript?: ScriptSource;
  /** The offset the props asked for; `undefined` lets the planner choose. */
  readonly requestedVrrpIdOffset?: number;
  /** The agent settings (`InstancePlan.settings`), all but the offset the planner decides. */
  readonly settings: Omit<AgentSettings, 'vrrpIdOffset'>;
}

/** Where an instance sits, for names it derives and messages it gives. */
export interface InstanceContext {
  /** Construct path or component name, used in messages. */
  readonly path: string;
  /** The construct id; the default Deployment name is derived from it. */
  readonly id: string;
  /** The namespace to use when the props give none (the chart's). */
  readonly defaultNamespace?: string;
}

/** What normalizing gives: a spec when the props are valid, every issue, and what the planner can check. */
export interface Normalized {
  readonly spec?: FailoverSpec;
  readonly issues: readonly Issue[];
  /** What the stack-wide checks need, from the valid props only. */
  readonly stack: StackFacts;
}

/** A construct id as a Kubernetes name: `GeoCache` → `geocache`, `geo_cache` → `geo-cache`. */
export function nameFromId(id: string): string {
  const lower = id.toLowerCase();
  // Most ids are names already: the three passes below would change nothing.
  if (/^[a-z0-9]+(-[a-z0-9]+)*$/.test(lower)) return lower;
  return lower
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

function checkStrategy(strategy: unknown): Problem | undefined {
  if ((DEPLOYMENT_STRATEGIES as readonly unknown[]).includes(strategy)) return undefined;
  return {
    value: strategy,
    problem: 'is not a deployment strategy',
    fix: `use ${quotedChoices(DEPLOYMENT_STRATEGIES)}`,
  };
}

function checkMonitoring(monitoring: unknown): Problem | undefined {
  if (typeof monitoring === 'boolean') return undefined;
  return {
    value: monitoring,
    problem: 'is not true or false',
    fix: 'use true to emit a PodMonitor and a PrometheusRule, or false (the default) for neither',
  };
}

/** Collects problems per prop. */
export class PropChecker {
  readonly issues: Issue[] = [];
  constructor(private readonly path: string) {}

  check(field: string, problem: Problem | undefined): void {
    if (problem) this.issues.push({ path: this.path, field, ...problem });
  }

  checkAll(field: string, problems: ReadonlyArray<Problem | undefined>): void {
    for (const problem of problems) this.check(field, problem);
  }

  /**
   * A given prop when `check` accepts it, else `undefined` (and the problem is recorded), so a
   * wrong-typed value is never read: one message per bad prop, never a TypeError.
   */
  valid<T>(field: string, given: unknown, check: (value: unknown) => Problem | undefined): T | undefined {
    if (given === undefined) return undefined;
    const problem = check(given);
    this.check(field, problem);
    return problem ? undefined : (given as T);
  }
}

/**
 * Checks that are not of a setting, at their place among the settings' (the props' documented
 * order): the node selector after `replicas`, where the two scripts land once both are known.
 */
const CHECKS_AFTER: Partial<Record<SettingKey, (c: PropChecker, props: IpFailoverOptions) => void>> = {
  replicas: (c, props) => {
    if (props.nodeSelector !== undefined)
      c.checkAll('nodeSelector', checkLabels(props.nodeSelector, DEFAULTS.nodeSelector));
  },
  notifyScript: (c, props) => {
    if (c.issues.length === 0) checkScriptFiles(c, props.checkScript, props.notifyScript);
  },
};

/** One row's step in {@link settingsFromProps}, worked out once per process instead of once per instance. */
interface PropStep {
  readonly key: SettingKey;
  readonly row: AnySettingRow;
  /** The validator of a given prop: the row's `checkProp`, else its `check`, else none. */
  readonly check: (value: unknown) => Problem | undefined;
  readonly after: ((c: PropChecker, props: IpFailoverOptions) => void) | undefined;
}

/** The rows the props set, in the props' check order (the planner assigns the others). */
const PROP_STEPS: readonly PropStep[] = keysInOrder(PROPS_CHECK_ORDER)
  .filter((key) => !rowOf(key).assignedByPlanner)
  .map((key) => {
    const row = rowOf(key);
    return { key, row, check: row.checkProp ?? row.check ?? (() => undefined), after: CHECKS_AFTER[key] };
  });

/**
 * The agent settings of the props, one setting row at a time: a row's hook where it has one,
 * else the given prop if its check accepts it, else the row's default. Only given props are
 * checked: every default passes its check (a test holds them to it).
 */
function settingsFromProps(
  c: PropChecker,
  props: IpFailoverOptions,
  identity: ResolvedIdentity,
): Omit<AgentSettings, 'vrrpIdOffset'> {
  const settings: Partial<Record<SettingKey, unknown>> = {};
  for (const { key, row, check, after } of PROP_STEPS) {
    const given = row.prop === undefined ? undefined : props[row.prop];
    const value = row.fromProps
      ? row.fromProps(given, c, identity, settings as Partial<AgentSettings>)
      : row.prop === undefined
        ? row.default
        : (c.valid<AgentSettings[SettingKey]>(row.prop, given, check) ?? row.default);
    if (value !== undefined) settings[key] = value;
    after?.(c, props);
  }
  return settings as unknown as Omit<AgentSettings, 'vrrpIdOffset'>;
}

/** Props that are not an object at all (a JavaScript caller passing nothing, or a string). */
export function checkPropsObject(path: string, props: unknown, example: string): Issue[] {
  return isPlainObject(props)
    ? []
    : [
        {
          path,
          field: 'props',
          value: props,
          problem: 'is not an object of props',
          fix: `give an object such as ${example}`,
        },
      ];
}

/** The props example a message gives when the props are not an object. */
const PROPS_EXAMPLE = '{ virtualIps: "192.0.2.10" }';

/** Checks `virtualIps` by shape, then parses it: the VIPs of the good items, and every problem. */
export function parseVirtualIpsProp(value: unknown): VipListParse {
  if (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string')))
    return parseVirtualIps(value as string | string[]);
  return {
    vips: [],
    problems: [{ value, problem: 'is not a string or list of strings', fix: 'give "192.0.2.10-12" or ["192.0.2.10"]' }],
  };
}

/** The longest service account name: its SCC role bindings `<name>-scc-hostnetwork` must stay within 253 characters. */
const MAX_SERVICE_ACCOUNT_NAME = 253 - Math.max(...SCC_NAMES.map((scc) => sccRoleBindingName('', scc).length));

function checkServiceAccountName(value: unknown): Problem | undefined {
  const bad = checkDnsSubdomain(value);
  if (bad || (value as string).length <= MAX_SERVICE_ACCOUNT_NAME) return bad;
  return {
    value,
    problem: `is longer than ${MAX_SERVICE_ACCOUNT_NAME} characters, which its SCC role binding ${sccRoleBindingName('…', 'hostnetwork')} needs to stay a valid name`,
    fix: `use at most ${MAX_SERVICE_ACCOUNT_NAME} characters`,
  };
}

/** What the planner can still check of an instance whose props are not all valid. */
export interface StackFacts {
  /** Deployment name and namespace, when both are valid. */
  readonly name?: string;
  readonly namespace?: string;
  /** The VIPs of the valid items. */
  readonly virtualIps: readonly string[];
  /** VRRP groups, when the VIPs and `vipGroups` are all valid. */
  readonly vipGroups?: number;
  /** The requested offset, when valid. */
  readonly requestedVrrpIdOffset?: number;
}

/**
 * Applies defaults and validates the props of one `IpFailover`. Cross-instance rules (VRRP ID
 * overlap, shared VIPs, the cluster's group limit) are the planner's; what it needs of them is
 * in `stack`, even when other props are bad, so every problem is reported in one run.
 */
export function normalize(props: IpFailoverOptions, context: InstanceContext): Normalized {
  const notObject = checkPropsObject(context.path, props, PROPS_EXAMPLE);
  if (notObject.length > 0) return { issues: notObject, stack: { virtualIps: [] } };
  const c = new PropChecker(context.path);
  const name = props.name === undefined ? nameFromId(context.id) : props.name;
  const nameOk = c.valid<string>('name', name, checkDnsLabel) !== undefined;
  const namespace = props.namespace ?? context.defaultNamespace ?? DEFAULTS.namespace;
  const namespaceOk = c.valid<string>('namespace', namespace, checkDnsLabel) !== undefined;

  const parsed = parseVirtualIpsProp(props.virtualIps);
  c.checkAll('virtualIps', parsed.problems);
  const vipGroupsGiven = c.valid<number>('vipGroups', props.vipGroups, (v) => checkGroupCount(v));
  const vipGroups = Math.min(vipGroupsGiven ?? parsed.vips.length, parsed.vips.length);
  const groupsKnown = parsed.problems.length === 0 && (props.vipGroups === undefined || vipGroupsGiven !== undefined);
  const requestedVrrpIdOffset = c.valid<number>('vrrpIdOffset', props.vrrpIdOffset, checkVrrpIdOffset);
  // Optional members assigned one by one, in this order, rather than spread (see Mutable).
  const stack: Mutable<StackFacts> =
    nameOk && namespaceOk ? { name, namespace, virtualIps: parsed.vips } : { virtualIps: parsed.vips };
  if (groupsKnown) stack.vipGroups = vipGroups;
  if (requestedVrrpIdOffset !== undefined) stack.requestedVrrpIdOffset = requestedVrrpIdOffset;

  const settings = settingsFromProps(c, props, { name, virtualIps: parsed.vips, vipGroups });
  const image = c.valid<string>('image', props.image, checkImage) ?? DEFAULTS.image;
  const imagePullSecrets =
    c.valid<readonly string[]>('imagePullSecrets', props.imagePullSecrets, (v) => checkStringList(v, ['regcred'])) ??
    [];
  c.checkAll('imagePullSecrets', imagePullSecrets.map(checkDnsSubdomain));
  const serviceAccountName =
    c.valid<string>('serviceAccountName', props.serviceAccountName, checkServiceAccountName) ??
    DEFAULTS.serviceAccountName;
  const strategy = c.valid<DeploymentStrategy>('strategy', props.strategy, checkStrategy) ?? DEFAULTS.strategy;
  const monitoring = c.valid<boolean>('monitoring', props.monitoring, checkMonitoring) ?? DEFAULTS.monitoring;
  if (c.issues.length > 0) return { issues: c.issues, stack };

  const problems =
    requestedVrrpIdOffset === undefined
      ? crossCheck(settings)
      : [
          ...crossCheck(settings),
          ...checkIdRange({
            vrrpIdOffset: requestedVrrpIdOffset,
            vipGroups: settings.vipGroups,
            excludedVrrpIds: settings.excludedVrrpIds,
          }),
        ];
  for (const p of problems) c.check(rowOf(p.key).prop ?? p.key, p);
  // Members in the order they always had: the optional ones between nodeSelector and settings.
  const spec = {
    name,
    namespace,
    image,
    imagePullSecrets,
    serviceAccountName,
    strategy,
    monitoring,
    nodeSelector: props.nodeSelector ?? DEFAULTS.nodeSelector,
  } as Mutable<FailoverSpec>;
  if (props.checkScript) spec.checkScript = props.checkScript;
  if (props.notifyScript) spec.notifyScript = props.notifyScript;
  if (requestedVrrpIdOffset !== undefined) spec.requestedVrrpIdOffset = requestedVrrpIdOffset;
  spec.settings = settings;
  const inlineBytes = configMapBytes(inlineScriptData(spec));
  if (inlineBytes > MAX_CONFIGMAP_BYTES) {
    const field = 'inline' in (props.checkScript ?? {}) ? 'checkScript' : 'notifyScript';
    c.check(field, {
      value: inlineBytes,
      problem: `bytes of inline scripts are more than a ConfigMap holds (${MAX_CONFIGMAP_BYTES} bytes)`,
      fix: 'put the script in the image and give { path }, or in your own ConfigMap and give { configMap, key }',
    });
  }
  if (c.issues.length > 0) return { issues: c.issues, stack };
  return { spec, issues: [], stack };
}

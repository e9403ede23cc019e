/**
 * Props → a resolved, validated {@link FailoverSpec}: defaults applied once, every value
 * checked, every problem reported (none thrown).
 */
import { CHECK_SCRIPT_FILE, DEFAULTS, NOTIFY_SCRIPT_FILE, SCRIPTS_MOUNT_PATH } from './defaults';
import {
  checkAdvertInterval,
  checkChainName,
  checkCheckInterval,
  checkConfigMapKey,
  checkDnsLabel,
  checkDnsSubdomain,
  checkImage,
  checkGroupCount,
  checkInlineScript,
  checkInterfaceName,
  checkLabels,
  checkPort,
  checkPreemptDelay,
  checkReplicas,
  checkScriptPath,
  checkStringList,
  checkVrrpIdOffset,
  configMapBytes,
  isPlainObject,
  MAX_CONFIGMAP_BYTES,
} from './fields';
import type { Issue, Problem } from './issues';
import type { DeploymentStrategy, IpFailoverProps, Preemption, ScriptSource } from './props';
import { checkIdRange, crossCheck, type AgentSettings, type SettingKey } from './settings';
import { inlineScriptData, SCC_NAMES, sccRoleBindingName } from './manifests';
import { parseVirtualIps, type VipListParse } from './vip-range';

/** One instance's resolved settings, before the planner gives it VRRP IDs. */
export interface FailoverSpec {
  /** Deployment name, `ipfailover` label value and config name. */
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly imagePullSecrets: readonly string[];
  readonly serviceAccountName: string;
  readonly strategy: DeploymentStrategy;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly checkScript?: ScriptSource;
  readonly notifyScript?: ScriptSource;
  /** The offset the props asked for; `undefined` lets the planner choose. */
  readonly requestedVrrpIdOffset?: number;
  /** Agent settings, all but the offset the planner decides. */
  readonly agent: Omit<AgentSettings, 'vrrpIdOffset'>;
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
  return id
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The file a script lands on in the scripts mount (inline or from a ConfigMap), or `undefined` for a path. */
function mountedFileOf(source: ScriptSource, inlineFile: string): string | undefined {
  if ('inline' in source) return inlineFile;
  if ('configMap' in source) return source.key;
  return undefined;
}

/** The path inside the pod where a (valid) script source ends up. */
function scriptPathOf(source: ScriptSource, inlineFile: string): string {
  const file = mountedFileOf(source, inlineFile);
  return file === undefined ? (source as { path: string }).path : `${SCRIPTS_MOUNT_PATH}/${file}`;
}

const SCRIPT_FORMS = ['inline', 'path', 'configMap'] as const;
const SCRIPT_FIX = 'give { inline: "#!/bin/sh\\n…" }, { path: "/abs/path" } or { configMap: "name", key: "script.sh" }';

/** Checks a script source by its shape (JavaScript callers skip the types): exactly one form, each field valid. */
function checkScriptSource(c: PropChecker, field: string, source: unknown): void {
  if (!isPlainObject(source)) {
    // A bare path is the likely mistake: say how to write it.
    const fix = typeof source === 'string' && source.startsWith('/') ? `give { path: ${JSON.stringify(source)} }` : SCRIPT_FIX;
    c.check(field, { value: source, problem: 'is not a script', fix });
    return;
  }
  const forms = SCRIPT_FORMS.filter((form) => form in source);
  if (forms.length !== 1) {
    const problem = forms.length === 0 ? 'has neither inline, path nor configMap' : `gives ${forms.join(' and ')} at once`;
    c.check(field, { value: source, problem, fix: SCRIPT_FIX });
    return;
  }
  const given = source as Record<string, unknown>;
  if (forms[0] === 'inline') c.check(field, checkInlineScript(given.inline));
  else if (forms[0] === 'path') c.check(field, checkScriptPath(given.path));
  else {
    c.check(`${field}.configMap`, checkDnsSubdomain(given.configMap));
    c.check(`${field}.key`, checkConfigMapKey(given.key));
  }
}

/**
 * Two scripts may not land on one file of the scripts mount, unless they are the same key of
 * the same ConfigMap. The ConfigMap key is the one to change: the inline file names are fixed.
 */
function checkScriptFiles(c: PropChecker, check: ScriptSource | undefined, notify: ScriptSource | undefined): void {
  if (check === undefined || notify === undefined) return;
  checkPathUnderMount(c, 'checkScript', check, mountedFileOf(notify, NOTIFY_SCRIPT_FILE));
  checkPathUnderMount(c, 'notifyScript', notify, mountedFileOf(check, CHECK_SCRIPT_FILE));
  const file = mountedFileOf(check, CHECK_SCRIPT_FILE);
  if (file === undefined || file !== mountedFileOf(notify, NOTIFY_SCRIPT_FILE)) return;
  if ('configMap' in check && 'configMap' in notify && check.configMap === notify.configMap) return;
  const [field, other, otherSource] = 'configMap' in notify ? ['notifyScript', 'checkScript', check] : ['checkScript', 'notifyScript', notify];
  const from = 'inline' in otherSource ? `the inline ${other}` : `the ${other} from ConfigMap ${JSON.stringify((otherSource as { configMap: string }).configMap)}`;
  c.check(`${field}.key`, { value: file, problem: `lands on ${SCRIPTS_MOUNT_PATH}/${file}, as ${from} does`, fix: 'give the two scripts different file names' });
}

/**
 * A `{ path }` inside the scripts mount is hidden by it when the other script mounts the volume
 * there, unless it names the very file the other script puts there.
 */
function checkPathUnderMount(c: PropChecker, field: string, source: ScriptSource, otherFile: string | undefined): void {
  if (!('path' in source) || !source.path.startsWith(`${SCRIPTS_MOUNT_PATH}/`)) return;
  if (otherFile === undefined || source.path === `${SCRIPTS_MOUNT_PATH}/${otherFile}`) return;
  const fix = `give the script as { configMap, key }, or keep it outside ${SCRIPTS_MOUNT_PATH}`;
  c.check(`${field}.path`, { value: source.path, problem: `is hidden by the scripts volume this instance mounts at ${SCRIPTS_MOUNT_PATH}`, fix });
}

function checkPreemption(preemption: unknown): Problem | undefined {
  if (preemption === 'nopreempt') return undefined;
  if (isPlainObject(preemption) && 'delaySeconds' in preemption) {
    return checkPreemptDelay((preemption as { delaySeconds: unknown }).delaySeconds);
  }
  return { value: preemption, problem: 'is not a preemption strategy', fix: "use 'nopreempt' or { delaySeconds: 300 }" };
}

function checkStrategy(strategy: unknown): Problem | undefined {
  if (strategy === 'Recreate' || strategy === 'RollingUpdate') return undefined;
  return { value: strategy, problem: 'is not a deployment strategy', fix: "use 'Recreate' or 'RollingUpdate'" };
}

/** Prop names of the agent settings (the config name comes from `name`). */
const PROP_OF: Partial<Record<SettingKey, keyof IpFailoverProps>> = { configName: 'name' };

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

/** Props that are not an object at all (a JavaScript caller passing nothing, or a string). */
export function checkPropsObject(path: string, props: unknown, example: string): Issue[] {
  return isPlainObject(props) ? [] : [{ path, field: 'props', value: props, problem: 'is not an object of props', fix: `give an object such as ${example}` }];
}

/** The props example a message gives when the props are not an object. */
const PROPS_EXAMPLE = '{ virtualIps: "192.0.2.10" }';

/** Checks `virtualIps` by shape, then parses it: the VIPs of the good items, and every problem. */
export function parseVirtualIpsProp(value: unknown): VipListParse {
  if (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))) return parseVirtualIps(value as string | string[]);
  return { vips: [], problems: [{ value, problem: 'is not a string or list of strings', fix: 'give "192.0.2.10-12" or ["192.0.2.10"]' }] };
}

/** The longest service account name: its SCC role bindings `<name>-scc-hostnetwork` must stay within 253 characters. */
const MAX_SERVICE_ACCOUNT_NAME = 253 - Math.max(...SCC_NAMES.map((scc) => sccRoleBindingName('', scc).length));

function checkServiceAccountName(value: unknown): Problem | undefined {
  const bad = checkDnsSubdomain(value);
  if (bad || (value as string).length <= MAX_SERVICE_ACCOUNT_NAME) return bad;
  return { value, problem: `is longer than ${MAX_SERVICE_ACCOUNT_NAME} characters, which its SCC role binding ${sccRoleBindingName('…', 'hostnetwork')} needs to stay a valid name`, fix: `use at most ${MAX_SERVICE_ACCOUNT_NAME} characters` };
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
export function normalize(props: IpFailoverProps, context: InstanceContext): Normalized {
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
  const stack: StackFacts = {
    ...(nameOk && namespaceOk && { name, namespace }),
    virtualIps: parsed.vips,
    ...(groupsKnown && { vipGroups }),
    ...(requestedVrrpIdOffset !== undefined && { requestedVrrpIdOffset }),
  };

  // Only given props are checked: every default passes its check (a test holds them to it).
  const networkInterface = c.valid<string>('networkInterface', props.networkInterface, checkInterfaceName) ?? DEFAULTS.networkInterface;
  const monitorPort = c.valid<number>('monitorPort', props.monitorPort, checkPort) ?? DEFAULTS.monitorPort;
  const replicas = c.valid<number>('replicas', props.replicas, checkReplicas) ?? DEFAULTS.replicas;
  if (props.nodeSelector !== undefined) c.checkAll('nodeSelector', checkLabels(props.nodeSelector, DEFAULTS.nodeSelector));
  const nodeSelector = props.nodeSelector ?? DEFAULTS.nodeSelector;
  const unicastPeers = c.valid<readonly string[]>('unicastPeers', props.unicastPeers, (v) => checkStringList(v, ['192.0.2.1', '192.0.2.2'])) ?? [];
  const iptablesChain = c.valid<string>('iptablesChain', props.iptablesChain, checkChainName) ?? DEFAULTS.iptablesChain;
  if (props.checkScript !== undefined) checkScriptSource(c, 'checkScript', props.checkScript);
  if (props.notifyScript !== undefined) checkScriptSource(c, 'notifyScript', props.notifyScript);
  if (c.issues.length === 0) checkScriptFiles(c, props.checkScript, props.notifyScript);
  const preemption = c.valid<Preemption>('preemption', props.preemption, checkPreemption) ?? { delaySeconds: DEFAULTS.preemptDelaySeconds };
  const checkIntervalSeconds = c.valid<number>('checkIntervalSeconds', props.checkIntervalSeconds, checkCheckInterval) ?? DEFAULTS.checkIntervalSeconds;
  const advertIntervalSeconds = c.valid<number>('advertIntervalSeconds', props.advertIntervalSeconds, checkAdvertInterval) ?? DEFAULTS.advertIntervalSeconds;
  const image = c.valid<string>('image', props.image, checkImage) ?? DEFAULTS.image;
  const imagePullSecrets = c.valid<readonly string[]>('imagePullSecrets', props.imagePullSecrets, (v) => checkStringList(v, ['regcred'])) ?? [];
  c.checkAll('imagePullSecrets', imagePullSecrets.map(checkDnsSubdomain));
  const serviceAccountName = c.valid<string>('serviceAccountName', props.serviceAccountName, checkServiceAccountName) ?? DEFAULTS.serviceAccountName;
  const strategy = c.valid<DeploymentStrategy>('strategy', props.strategy, checkStrategy) ?? DEFAULTS.strategy;
  if (c.issues.length > 0) return { issues: c.issues, stack };

  const agent: Omit<AgentSettings, 'vrrpIdOffset'> = {
    configName: name,
    virtualIps: parsed.vips,
    vipGroups,
    networkInterface,
    monitorPort,
    replicas,
    unicastPeers,
    iptablesChain,
    ...(props.checkScript && { checkScript: scriptPathOf(props.checkScript, CHECK_SCRIPT_FILE) }),
    ...(props.notifyScript && { notifyScript: scriptPathOf(props.notifyScript, NOTIFY_SCRIPT_FILE) }),
    preemption,
    checkIntervalSeconds,
    advertIntervalSeconds,
    excludedVrrpIds: [],
  };

  const problems = requestedVrrpIdOffset === undefined ? crossCheck(agent) : [...crossCheck(agent), ...checkIdRange({ ...agent, vrrpIdOffset: requestedVrrpIdOffset })];
  for (const p of problems) c.check(PROP_OF[p.key] ?? p.key, p);
  const spec: FailoverSpec = {
    name,
    namespace,
    image,
    imagePullSecrets,
    serviceAccountName,
    strategy,
    nodeSelector,
    ...(props.checkScript && { checkScript: props.checkScript }),
    ...(props.notifyScript && { notifyScript: props.notifyScript }),
    ...(requestedVrrpIdOffset !== undefined && { requestedVrrpIdOffset }),
    agent,
  };
  const inline = inlineScriptData(spec);
  if (configMapBytes(inline) > MAX_CONFIGMAP_BYTES) {
    const field = 'inline' in (props.checkScript ?? {}) ? 'checkScript' : 'notifyScript';
    c.check(field, { value: configMapBytes(inline), problem: `bytes of inline scripts are more than a ConfigMap holds (${MAX_CONFIGMAP_BYTES} bytes)`, fix: 'put the script in the image and give { path }, or in your own ConfigMap and give { configMap, key }' });
  }
  if (c.issues.length > 0) return { issues: c.issues, stack };
  return { spec, issues: [], stack };
}

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
  checkLabel,
  checkPort,
  checkPreemptDelay,
  checkReplicas,
  checkScriptPath,
  checkVrrpIdOffset,
} from './fields';
import type { Issue, Problem } from './issues';
import type { DeploymentStrategy, IpFailoverProps, Preemption, ScriptSource } from './props';
import { checkIdRange, crossCheck, type AgentSettings, type SettingKey } from './settings';
import { parseVirtualIps } from './vip-range';

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

/** What normalizing gives: a spec when the props are valid, and every issue. */
export interface Normalized {
  readonly spec?: FailoverSpec;
  readonly issues: readonly Issue[];
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
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    c.check(field, { value: source, problem: 'is not a script', fix: SCRIPT_FIX });
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
  const file = mountedFileOf(check, CHECK_SCRIPT_FILE);
  if (file === undefined || file !== mountedFileOf(notify, NOTIFY_SCRIPT_FILE)) return;
  if ('configMap' in check && 'configMap' in notify && check.configMap === notify.configMap) return;
  const [field, other, otherSource] = 'configMap' in notify ? ['notifyScript', 'checkScript', check] : ['checkScript', 'notifyScript', notify];
  const from = 'inline' in otherSource ? `the inline ${other}` : `the ${other} from ConfigMap ${JSON.stringify((otherSource as { configMap: string }).configMap)}`;
  c.check(`${field}.key`, { value: file, problem: `lands on ${SCRIPTS_MOUNT_PATH}/${file}, as ${from} does`, fix: 'give the two scripts different file names' });
}

function checkPreemption(preemption: unknown): Problem | undefined {
  if (preemption === 'nopreempt') return undefined;
  if (typeof preemption === 'object' && preemption !== null && 'delaySeconds' in preemption) {
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
class PropChecker {
  readonly issues: Issue[] = [];
  constructor(private readonly path: string) {}

  check(field: string, problem: Problem | undefined): void {
    if (problem) this.issues.push({ path: this.path, field, ...problem });
  }

  checkAll(field: string, problems: ReadonlyArray<Problem | undefined>): void {
    for (const problem of problems) this.check(field, problem);
  }
}

/**
 * Applies defaults and validates the props of one `IpFailover`. Cross-instance rules (VRRP ID
 * overlap, shared VIPs, the cluster's group limit) are the planner's.
 */
export function normalize(props: IpFailoverProps, context: InstanceContext): Normalized {
  const c = new PropChecker(context.path);
  const name = props.name ?? nameFromId(context.id);
  c.check('name', checkDnsLabel(name));
  const namespace = props.namespace ?? context.defaultNamespace ?? DEFAULTS.namespace;
  c.check('namespace', checkDnsLabel(namespace));

  const vipInput = props.virtualIps;
  const validVipInput = typeof vipInput === 'string' || (Array.isArray(vipInput) && vipInput.every((v) => typeof v === 'string'));
  const parsed = validVipInput ? parseVirtualIps(vipInput) : { vips: [], problems: [{ value: vipInput, problem: 'is not a string or list of strings', fix: 'give "192.0.2.10-12" or ["192.0.2.10"]' }] };
  c.checkAll('virtualIps', parsed.problems);

  const groupsWanted = props.vipGroups ?? parsed.vips.length;
  c.check('vipGroups', props.vipGroups === undefined ? undefined : checkGroupCount(props.vipGroups));
  const vipGroups = Math.min(groupsWanted, parsed.vips.length);

  // Only given props are checked: every default passes its check (a test holds them to it).
  const networkInterface = props.networkInterface ?? DEFAULTS.networkInterface;
  if (props.networkInterface !== undefined) c.check('networkInterface', checkInterfaceName(networkInterface));
  const monitorPort = props.monitorPort ?? DEFAULTS.monitorPort;
  if (props.monitorPort !== undefined) c.check('monitorPort', checkPort(monitorPort));
  if (props.vrrpIdOffset !== undefined) c.check('vrrpIdOffset', checkVrrpIdOffset(props.vrrpIdOffset));
  const replicas = props.replicas ?? DEFAULTS.replicas;
  if (props.replicas !== undefined) c.check('replicas', checkReplicas(replicas));
  const nodeSelector = props.nodeSelector ?? DEFAULTS.nodeSelector;
  if (props.nodeSelector !== undefined) for (const key in nodeSelector) c.check('nodeSelector', checkLabel(key, nodeSelector[key]));
  const iptablesChain = props.iptablesChain ?? DEFAULTS.iptablesChain;
  if (props.iptablesChain !== undefined) c.check('iptablesChain', checkChainName(iptablesChain));
  if (props.checkScript !== undefined) checkScriptSource(c, 'checkScript', props.checkScript);
  if (props.notifyScript !== undefined) checkScriptSource(c, 'notifyScript', props.notifyScript);
  if (c.issues.length === 0) checkScriptFiles(c, props.checkScript, props.notifyScript);
  const preemption: Preemption = props.preemption ?? { delaySeconds: DEFAULTS.preemptDelaySeconds };
  if (props.preemption !== undefined) c.check('preemption', checkPreemption(preemption));
  const checkIntervalSeconds = props.checkIntervalSeconds ?? DEFAULTS.checkIntervalSeconds;
  if (props.checkIntervalSeconds !== undefined) c.check('checkIntervalSeconds', checkCheckInterval(checkIntervalSeconds));
  const advertIntervalSeconds = props.advertIntervalSeconds ?? DEFAULTS.advertIntervalSeconds;
  if (props.advertIntervalSeconds !== undefined) c.check('advertIntervalSeconds', checkAdvertInterval(advertIntervalSeconds));
  const image = props.image ?? DEFAULTS.image;
  if (props.image !== undefined) c.check('image', checkImage(image));
  const imagePullSecrets = props.imagePullSecrets ?? [];
  c.checkAll('imagePullSecrets', imagePullSecrets.map(checkDnsSubdomain));
  const serviceAccountName = props.serviceAccountName ?? DEFAULTS.serviceAccountName;
  if (props.serviceAccountName !== undefined) c.check('serviceAccountName', checkDnsSubdomain(serviceAccountName));
  const strategy = props.strategy ?? DEFAULTS.strategy;
  if (props.strategy !== undefined) c.check('strategy', checkStrategy(strategy));
  const unicastPeers = props.unicastPeers ?? [];
  if (c.issues.length > 0) return { issues: c.issues };

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

  const problems = props.vrrpIdOffset === undefined ? crossCheck(agent) : [...crossCheck(agent), ...checkIdRange({ ...agent, vrrpIdOffset: props.vrrpIdOffset })];
  for (const p of problems) c.check(PROP_OF[p.key] ?? p.key, p);
  if (c.issues.length > 0) return { issues: c.issues };

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
    ...(props.vrrpIdOffset !== undefined && { requestedVrrpIdOffset: props.vrrpIdOffset }),
    agent,
  };
  return { spec, issues: [] };
}

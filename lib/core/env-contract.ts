/**
 * The `OPENSHIFT_HA_*` environment: the single writer ({@link toEnv}, used by the constructs)
 * and the single reader ({@link fromEnv}, used by the agent). The names and meanings are
 * OpenShift's; our own additions use the `IPFAILOVER_` prefix so Red Hat's image ignores them.
 *
 * Reading follows the reference image where it is sound ("unset and empty both mean the
 * default") and is strict where it was not: every bad value is an issue naming the variable.
 */
import { ENV_DEFAULTS, DEFAULTS } from './defaults';
import {
  checkAdvertInterval,
  checkChainName,
  checkCheckInterval,
  checkConfigName,
  checkGroupCount,
  checkInteger,
  checkInterfaceName,
  checkPort,
  checkPreemptDelay,
  checkReplicas,
  checkScriptPath,
  checkVrrpIdOffset,
} from './fields';
import { isProblem, toIssues, type Issue, type Problem } from './issues';
import type { Preemption } from './props';
import { checkIdRange, crossCheck, type AgentSettings, type SettingKey } from './settings';
import { formatVirtualIps, parseVirtualIps } from './vip-range';

/** The environment variable of each setting. */
export const ENV_NAMES: Readonly<Record<SettingKey, string>> = {
  configName: 'OPENSHIFT_HA_CONFIG_NAME',
  virtualIps: 'OPENSHIFT_HA_VIRTUAL_IPS',
  vipGroups: 'OPENSHIFT_HA_VIP_GROUPS',
  networkInterface: 'OPENSHIFT_HA_NETWORK_INTERFACE',
  monitorPort: 'OPENSHIFT_HA_MONITOR_PORT',
  vrrpIdOffset: 'OPENSHIFT_HA_VRRP_ID_OFFSET',
  replicas: 'OPENSHIFT_HA_REPLICA_COUNT',
  unicastPeers: 'OPENSHIFT_HA_UNICAST_PEERS',
  iptablesChain: 'OPENSHIFT_HA_IPTABLES_CHAIN',
  notifyScript: 'OPENSHIFT_HA_NOTIFY_SCRIPT',
  checkScript: 'OPENSHIFT_HA_CHECK_SCRIPT',
  preemption: 'OPENSHIFT_HA_PREEMPTION',
  checkIntervalSeconds: 'OPENSHIFT_HA_CHECK_INTERVAL',
  advertIntervalSeconds: 'IPFAILOVER_ADVERT_INTERVAL',
  excludedVrrpIds: 'HA_EXCLUDED_VRRP_IDS',
};

/** Written next to the peers so Red Hat's image and ours agree on the mode. */
export const USE_UNICAST_ENV = 'OPENSHIFT_HA_USE_UNICAST';

/** Variables Red Hat's image reads that change nothing here (e-mail, selector, nft flag). */
const ACCEPTED_UNUSED = [
  'OPENSHIFT_HA_SELECTOR',
  'OPENSHIFT_HA_ADMIN_EMAILS',
  'OPENSHIFT_HA_SMTP_SERVER',
  'OPENSHIFT_HA_NFTABLES_RULE',
];

/** One `name`/`value` pair, in the order a Deployment lists them. */
export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

function preemptionText(preemption: Preemption): string {
  return preemption === 'nopreempt' ? 'nopreempt' : `preempt_delay ${preemption.delaySeconds}`;
}

/**
 * The environment of a failover container, in the order of the documented Deployment. Every
 * variable is written, defaults included, so the Deployment says everything it means.
 */
export function toEnv(settings: AgentSettings): EnvVar[] {
  const env: Array<[string, string]> = [
    [ENV_NAMES.configName, settings.configName],
    [ENV_NAMES.virtualIps, formatVirtualIps(settings.virtualIps)],
    [ENV_NAMES.vipGroups, String(settings.vipGroups)],
    [ENV_NAMES.networkInterface, settings.networkInterface],
    [ENV_NAMES.monitorPort, String(settings.monitorPort)],
    [ENV_NAMES.vrrpIdOffset, String(settings.vrrpIdOffset)],
    [ENV_NAMES.replicas, String(settings.replicas)],
    [USE_UNICAST_ENV, String(settings.unicastPeers.length > 0)],
  ];
  if (settings.unicastPeers.length > 0) env.push([ENV_NAMES.unicastPeers, settings.unicastPeers.join(',')]);
  env.push([ENV_NAMES.iptablesChain, settings.iptablesChain]);
  if (settings.notifyScript !== undefined) env.push([ENV_NAMES.notifyScript, settings.notifyScript]);
  if (settings.checkScript !== undefined) env.push([ENV_NAMES.checkScript, settings.checkScript]);
  env.push(
    [ENV_NAMES.preemption, preemptionText(settings.preemption)],
    [ENV_NAMES.checkIntervalSeconds, String(settings.checkIntervalSeconds)],
    [ENV_NAMES.advertIntervalSeconds, String(settings.advertIntervalSeconds)],
  );
  if (settings.excludedVrrpIds.length > 0) env.push([ENV_NAMES.excludedVrrpIds, settings.excludedVrrpIds.join(' ')]);
  return env.map(([name, value]) => ({ name, value }));
}

/** What reading an environment gives: settings when it is valid, else every issue. */
export type EnvRead = { readonly ok: true; readonly settings: AgentSettings } | { readonly ok: false; readonly issues: readonly Issue[] };

type Env = Readonly<Record<string, string | undefined>>;

/** Reads variables one by one, collecting every problem. */
class EnvReader {
  readonly issues: Issue[] = [];

  constructor(private readonly env: Env) {}

  /** The raw value, `undefined` when unset or empty (the reference's `${VAR:-default}`). */
  raw(key: SettingKey | string): string | undefined {
    const name = key in ENV_NAMES ? ENV_NAMES[key as SettingKey] : key;
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  report(key: SettingKey, problems: ReadonlyArray<Problem | undefined>): boolean {
    const found = problems.filter((p): p is Problem => p !== undefined);
    this.issues.push(...toIssues('', ENV_NAMES[key], found));
    return found.length === 0;
  }

  string(key: SettingKey, fallback: string, check: (v: string) => Problem | undefined): string {
    const value = this.raw(key) ?? fallback;
    this.report(key, [check(value)]);
    return value;
  }

  number(key: SettingKey, fallback: number, check: (v: number) => Problem | undefined): number {
    const text = this.raw(key);
    if (text === undefined) return fallback;
    const value = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    const bad = Number.isNaN(value) ? { ...check(NaN)!, value: text } : check(value);
    this.report(key, [bad]);
    return value;
  }
}

function parsePreemption(text: string | undefined): Preemption | Problem {
  if (text === undefined) return { delaySeconds: DEFAULTS.preemptDelaySeconds };
  if (text === 'nopreempt') return 'nopreempt';
  const match = /^preempt_delay (\d{1,4})$/.exec(text);
  if (match) {
    const delaySeconds = Number(match[1]);
    const bad = checkPreemptDelay(delaySeconds);
    return bad ? { ...bad, value: text } : { delaySeconds };
  }
  return { value: text, problem: 'is not a preemption strategy', fix: 'use "nopreempt" or "preempt_delay N" with N 0..1000' };
}

function parseExcludedIds(text: string | undefined): number[] | Problem {
  if (text === undefined) return [];
  const ids = text.split(/[\s,]+/).filter((t) => t !== '');
  const bad = ids.find((t) => checkInteger(/^\d+$/.test(t) ? Number(t) : NaN, 1, 255, 'a VRRP ID'));
  if (bad !== undefined) return { value: text, problem: `has ${JSON.stringify(bad)}, which is not a VRRP ID`, fix: 'list IDs 1..255 separated by spaces' };
  return ids.map(Number);
}

/** Finds variables with our prefixes that nobody reads, such as a misspelt name. */
function unknownVariables(env: Env): Issue[] {
  const known = new Set<string>([...Object.values(ENV_NAMES), USE_UNICAST_ENV, ...ACCEPTED_UNUSED]);
  return Object.keys(env)
    .filter((name) => /^(OPENSHIFT_HA_|IPFAILOVER_)/.test(name) && !known.has(name))
    .sort()
    .map((name) => ({ path: '', field: name, value: env[name], problem: 'is not a variable ipfailover knows', fix: 'check the spelling or remove it' }));
}

/**
 * Reads and validates a failover environment. Unset and empty mean the documented default.
 * Returns every problem at once, each naming its variable.
 */
export function fromEnv(env: Env): EnvRead {
  const r = new EnvReader(env);
  const vipText = r.raw('virtualIps');
  const parsed = parseVirtualIps(vipText ?? '');
  r.report('virtualIps', vipText === undefined ? [{ value: vipText, problem: 'is required', fix: 'list the VIPs, for example 192.0.2.10-12' }] : parsed.problems);
  const groupsWanted = r.number('vipGroups', 0, (v) => checkGroupCount(v, 0));
  const useUnicast = r.raw(USE_UNICAST_ENV);
  const peersText = r.raw('unicastPeers');
  const unicastPeers = peersText === undefined ? [] : peersText.split(',').map((p) => p.trim());
  if (useUnicast !== undefined && useUnicast !== 'true' && useUnicast !== 'false') {
    r.issues.push({ path: '', field: USE_UNICAST_ENV, value: useUnicast, problem: 'is not true or false', fix: 'use true or false' });
  } else if (useUnicast === 'true' && unicastPeers.length === 0) {
    r.issues.push({ path: '', field: USE_UNICAST_ENV, value: useUnicast, problem: `is set but ${ENV_NAMES.unicastPeers} is empty`, fix: 'list the node addresses, or set it false' });
  } else if (useUnicast === 'false' && unicastPeers.length > 0) {
    r.issues.push({ path: '', field: USE_UNICAST_ENV, value: useUnicast, problem: `is false but ${ENV_NAMES.unicastPeers} is set`, fix: 'set it true, or remove the peers' });
  }
  const preemption = parsePreemption(r.raw('preemption'));
  const excluded = parseExcludedIds(r.raw('excludedVrrpIds'));
  if (isProblem(preemption)) r.report('preemption', [preemption]);
  if (isProblem(excluded)) r.report('excludedVrrpIds', [excluded]);
  const optionalPath = (key: 'checkScript' | 'notifyScript'): string | undefined => {
    const text = r.raw(key);
    if (text !== undefined) r.report(key, [checkScriptPath(text)]);
    return text;
  };
  const settings: AgentSettings = {
    configName: r.string('configName', ENV_DEFAULTS.configName, checkConfigName),
    virtualIps: parsed.vips,
    vipGroups: groupsWanted > 0 ? Math.min(groupsWanted, parsed.vips.length) : parsed.vips.length,
    networkInterface: r.string('networkInterface', DEFAULTS.networkInterface, checkInterfaceName),
    monitorPort: r.number('monitorPort', DEFAULTS.monitorPort, checkPort),
    vrrpIdOffset: r.number('vrrpIdOffset', ENV_DEFAULTS.vrrpIdOffset, checkVrrpIdOffset),
    replicas: r.number('replicas', DEFAULTS.replicas, checkReplicas),
    unicastPeers,
    iptablesChain: r.string('iptablesChain', ENV_DEFAULTS.iptablesChain, checkChainName),
    checkScript: optionalPath('checkScript'),
    notifyScript: optionalPath('notifyScript'),
    preemption: isProblem(preemption) ? { delaySeconds: DEFAULTS.preemptDelaySeconds } : preemption,
    checkIntervalSeconds: r.number('checkIntervalSeconds', DEFAULTS.checkIntervalSeconds, checkCheckInterval),
    advertIntervalSeconds: r.number('advertIntervalSeconds', DEFAULTS.advertIntervalSeconds, checkAdvertInterval),
    excludedVrrpIds: isProblem(excluded) ? [] : excluded,
  };
  const issues = [...r.issues, ...unknownVariables(env)];
  if (issues.length === 0) {
    for (const p of [...crossCheck(settings), ...checkIdRange(settings)]) issues.push({ path: '', field: ENV_NAMES[p.key], value: p.value, problem: p.problem, fix: p.fix });
  }
  return issues.length === 0 ? { ok: true, settings: stripUndefined(settings) } : { ok: false, issues };
}

/** Drops unset optional keys so a read-back equals the settings it was written from. */
function stripUndefined(settings: AgentSettings): AgentSettings {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as unknown as AgentSettings;
}

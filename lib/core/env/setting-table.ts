/**
 * Every setting of a failover agent, declared once: its prop, its variable, its defaults, its
 * validator, how its variable is parsed and written, and what it means. The normalizer's
 * per-setting part (`normalize.ts`), the env writer and reader (`env-contract.ts`) and plan's
 * reverse mapping (`plan-report.ts`) all run over {@link SETTING_ROWS}, so a setting without a
 * row, or a row without a setting, does not compile, and a row one of them mishandles fails the
 * round-trip test (`test/core/env/setting-table.test.ts`).
 *
 * Settings that do not map one to one keep their special handling as hooks of their row.
 */
import { DEFAULTS, ENV_DEFAULTS } from '../model/defaults';
import { VRRP_ID_MAX, VRRP_ID_MIN } from '../model/limits';
import {
  checkAdvertInterval,
  checkChainName,
  checkCheckInterval,
  checkConfigName,
  checkGarpRefreshInterval,
  checkGroupCount,
  checkInteger,
  checkInterfaceName,
  checkPort,
  checkPreemptDelay,
  checkReplicas,
  checkScriptPath,
  checkStringList,
  checkVrrpIdOffset,
  isPlainObject,
} from '../rules/validators';
import { quotedChoices, type Problem } from '../model/issues';
import { PEER_SOURCES, type IpFailoverOptions, type PeerSource, type Preemption } from '../model/props';
import { scriptPathFromProp, type PropProblems } from '../rules/script-source';
import { formatVirtualIps, parseVirtualIps } from '../rules/vip-range';

/** Resolved, validated settings of one failover agent. */
export interface AgentSettings {
  /** `OPENSHIFT_HA_CONFIG_NAME`: router_id and VRRPv2 auth_pass. */
  readonly configName: string;
  /** Canonical VIPs in order. */
  readonly virtualIps: readonly string[];
  /** Number of VRRP groups actually used (≤ number of VIPs). */
  readonly vipGroups: number;
  readonly networkInterface: string;
  /** 0 means no check. */
  readonly monitorPort: number;
  readonly vrrpIdOffset: number;
  readonly replicas: number;
  /** Empty means multicast. */
  readonly unicastPeers: readonly string[];
  /** `''` means add no iptables rule. */
  readonly iptablesChain: string;
  /** Absolute path inside the pod, if any. */
  readonly checkScript?: string;
  /** Absolute path inside the pod, if any. */
  readonly notifyScript?: string;
  readonly preemption: Preemption;
  readonly checkIntervalSeconds: number;
  readonly advertIntervalSeconds: number;
  /** Seconds between the gratuitous ARPs (IPv6: unsolicited NAs) a master repeats for its VIPs; 0 sends none. */
  readonly garpRefreshIntervalSeconds: number;
  /** `HA_EXCLUDED_VRRP_IDS`: IDs skipped when numbering the groups. */
  readonly excludedVrrpIds: readonly number[];
  /** Where the agent learns the instance's nodes: the Kubernetes API, or `static` (no API access). */
  readonly peers: PeerSource;
}

/** A setting's key: the prop name, or the key the env contract maps to a variable. */
export type SettingKey = keyof AgentSettings;

/** Written next to the peers so Red Hat's image and ours agree on the mode. */
export const USE_UNICAST_ENV = 'OPENSHIFT_HA_USE_UNICAST';

/** Reading one variable's text: its value, or what is wrong with it. */
export type TextRead<V> = { readonly value: V } | { readonly problems: readonly Problem[] };

/** A variable written beside a setting's own, such as `OPENSHIFT_HA_USE_UNICAST` beside the peers. */
export interface Companion<V> {
  /** Its name. */
  readonly env: string;
  /** Its text for a value of the setting. */
  format(value: V): string;
  /** What is wrong with its text (`undefined` when unset or empty) given the setting's value read. */
  check(text: string | undefined, value: V): Problem | undefined;
}

/** What the normalizer resolves before the settings, because the planner needs it even from bad props. */
export interface ResolvedIdentity {
  /** The instance's name: the Deployment's and the config's. */
  readonly name: string;
  /** The VIPs of the valid items. */
  readonly virtualIps: readonly string[];
  /** The VRRP groups actually formed. */
  readonly vipGroups: number;
}

/**
 * One setting. Plain rows need only the data members; a hook replaces the generic step of one
 * path where the setting does not map one to one. Hooks are methods so that a row of any
 * setting fits a `SettingRow<SettingKey>`.
 */
export interface SettingRow<K extends SettingKey> {
  /** What the setting does, in one line. */
  readonly doc: string;
  /** The environment variable the agent reads it from. */
  readonly env: string;
  /** The prop that sets it, or `undefined` when no prop does. */
  readonly prop: keyof IpFailoverOptions | undefined;
  /** The value when the prop is not given, and when the variable is unset unless {@link envDefault} says otherwise. */
  readonly default: AgentSettings[K];
  /** What an unset or empty variable means where that differs from {@link default} (OpenShift's image and docs). */
  readonly envDefault?: AgentSettings[K];
  /** When set, an unset variable is this problem instead of a default. */
  readonly required?: Omit<Problem, 'value'>;
  /** A valid value that is not the default: the round-trip test carries it through every path. */
  readonly example: NonNullable<AgentSettings[K]>;
  /** The validator of a value (of a given prop, and of a parsed variable). */
  check?(value: unknown): Problem | undefined;
  /** The validator of a given prop, where it differs from {@link check}. */
  checkProp?(value: unknown): Problem | undefined;
  /** Variable text → value; without it the text is the value. */
  parse?(text: string): TextRead<AgentSettings[K]>;
  /** Value → variable text, `undefined` to write no variable; without it `String(value)`. */
  format?(value: NonNullable<AgentSettings[K]>): string | undefined;
  /**
   * Hook: the value from the props, instead of the given prop checked or the default; `resolved`
   * holds the settings of the rows before it (in the props' check order).
   */
  fromProps?(
    given: unknown,
    problems: PropProblems,
    identity: ResolvedIdentity,
    resolved: Partial<AgentSettings>,
  ): AgentSettings[K] | undefined;
  /** Hook: the props that give the value back, instead of `{ [prop]: value }`. */
  toProps?(value: AgentSettings[K]): Partial<IpFailoverOptions>;
  /** Hook: the value once the other variables read before it are known. */
  settle?(value: AgentSettings[K], read: Partial<AgentSettings>): AgentSettings[K];
  /** A second variable the row writes in front of its own, and checks against the value read. */
  readonly companion?: Companion<AgentSettings[K]>;
  /** The planner assigns the value: the normalizer leaves it out of the spec. */
  readonly assignedByPlanner?: true;
}

/** A reader of numbers as Red Hat's image writes them; any other text is a problem naming the text. */
function numberOf(check: (value: unknown) => Problem | undefined): (text: string) => TextRead<number> {
  return (text) => {
    const value = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    return Number.isNaN(value) ? { problems: [{ ...check(NaN)!, value: text }] } : { value };
  };
}

/** The env form of a preemption strategy: keepalived's own words. */
export function preemptionText(preemption: Preemption): string {
  return preemption === 'nopreempt' ? 'nopreempt' : `preempt_delay ${preemption.delaySeconds}`;
}

function parsePreemption(text: string): TextRead<Preemption> {
  if (text === 'nopreempt') return { value: 'nopreempt' };
  const match = /^preempt_delay (\d{1,4})$/.exec(text);
  if (match) {
    const delaySeconds = Number(match[1]);
    const bad = checkPreemptDelay(delaySeconds);
    return bad ? { problems: [{ ...bad, value: text }] } : { value: { delaySeconds } };
  }
  return {
    problems: [
      {
        value: text,
        problem: 'is not a preemption strategy',
        fix: 'use "nopreempt" or "preempt_delay N" with N 0..1000',
      },
    ],
  };
}

function checkPreemption(preemption: unknown): Problem | undefined {
  if (preemption === 'nopreempt') return undefined;
  if (isPlainObject(preemption) && 'delaySeconds' in preemption) {
    return checkPreemptDelay((preemption as { delaySeconds: unknown }).delaySeconds);
  }
  return {
    value: preemption,
    problem: 'is not a preemption strategy',
    fix: "use 'nopreempt' or { delaySeconds: 300 }",
  };
}

function parseExcludedIds(text: string): TextRead<number[]> {
  const ids = text.split(/[\s,]+/).filter((t) => t !== '');
  const bad = ids.find((t) => checkInteger(/^\d+$/.test(t) ? Number(t) : NaN, VRRP_ID_MIN, VRRP_ID_MAX, 'a VRRP ID'));
  if (bad !== undefined)
    return {
      problems: [
        {
          value: text,
          problem: `has ${JSON.stringify(bad)}, which is not a VRRP ID`,
          fix: `list IDs ${VRRP_ID_MIN}..${VRRP_ID_MAX} separated by spaces`,
        },
      ],
    };
  return { value: ids.map(Number) };
}

function checkPeerSource(value: unknown): Problem | undefined {
  if ((PEER_SOURCES as readonly unknown[]).includes(value)) return undefined;
  return { value, problem: 'is not a source of peers', fix: `use ${quotedChoices(PEER_SOURCES)}` };
}

/** `OPENSHIFT_HA_USE_UNICAST` must be a boolean that agrees with the peers. */
function checkUseUnicast(useUnicast: string | undefined, peers: readonly string[]): Problem | undefined {
  const peersEnv = SETTING_ROWS.unicastPeers.env;
  if (useUnicast !== undefined && useUnicast !== 'true' && useUnicast !== 'false') {
    return { value: useUnicast, problem: 'is not true or false', fix: 'use true or false' };
  }
  if (useUnicast === 'true' && peers.length === 0) {
    return {
      value: useUnicast,
      problem: `is set but ${peersEnv} is empty`,
      fix: 'list the node addresses, or set it false',
    };
  }
  if (useUnicast === 'false' && peers.length > 0) {
    return { value: useUnicast, problem: `is false but ${peersEnv} is set`, fix: 'set it true, or remove the peers' };
  }
  return undefined;
}

/**
 * A script row: the prop is a script source (inline, path or ConfigMap key), the variable the
 * path it has inside the pod, which plan gives back as `{ path }`.
 */
function scriptRow<K extends 'checkScript' | 'notifyScript'>(key: K, env: string, doc: string): SettingRow<K> {
  return {
    doc,
    env,
    prop: key,
    default: undefined,
    example: `/usr/local/bin/${key === 'checkScript' ? 'check' : 'notify'}.sh`,
    check: checkScriptPath,
    fromProps: (given, problems) => scriptPathFromProp(problems, key, given),
    toProps: (path) => (path === undefined ? {} : { [key]: { path } }),
  };
}

/**
 * The settings, in the order the documented Deployment lists their variables (the env writer's
 * order). `satisfies` makes a missing or an extra row a compile error.
 */
export const SETTING_ROWS = {
  configName: {
    doc: 'keepalived router_id and VRRPv2 auth_pass; instances with different names ignore each other',
    env: 'OPENSHIFT_HA_CONFIG_NAME',
    prop: 'name',
    default: ENV_DEFAULTS.configName,
    example: 'router-vips',
    check: checkConfigName,
    // The constructs name the config after the (checked) instance name; plan takes the name
    // from the Deployment's metadata, so the config name gives no prop back.
    fromProps: (_given, _problems, identity) => identity.name,
    toProps: () => ({}),
  },
  virtualIps: {
    doc: 'the VIPs, in the documented range syntax',
    env: 'OPENSHIFT_HA_VIRTUAL_IPS',
    prop: 'virtualIps',
    default: [],
    required: { problem: 'is required', fix: 'list the VIPs, for example 192.0.2.10-12' },
    example: ['198.51.100.7', '198.51.100.9'],
    parse: (text) => {
      const parsed = parseVirtualIps(text);
      return parsed.problems.length > 0 ? { problems: parsed.problems } : { value: parsed.vips };
    },
    format: formatVirtualIps,
    // Parsed before the settings: the planner needs the VIPs of the valid items even from bad props.
    fromProps: (_given, _problems, identity) => identity.virtualIps,
  },
  vipGroups: {
    doc: 'how many VRRP groups the VIPs are packed into',
    env: 'OPENSHIFT_HA_VIP_GROUPS',
    prop: 'vipGroups',
    // Red Hat's image reads 0 (and unset) as one group per VIP.
    default: 0,
    example: 1,
    check: (value) => checkGroupCount(value, 0),
    parse: numberOf((value) => checkGroupCount(value, 0)),
    fromProps: (_given, _problems, identity) => identity.vipGroups,
    // The groups actually formed: 10 groups asked of 2 VIPs are 2 groups.
    settle: (wanted, read) => {
      const vips = read.virtualIps?.length ?? 0;
      return wanted > 0 ? Math.min(wanted, vips) : vips;
    },
  },
  networkInterface: {
    doc: 'the host interface that carries VRRP and the VIPs',
    env: 'OPENSHIFT_HA_NETWORK_INTERFACE',
    prop: 'networkInterface',
    default: DEFAULTS.networkInterface,
    example: 'br-ex',
    check: checkInterfaceName,
  },
  monitorPort: {
    doc: 'the TCP port checked on the node; 0 means no check',
    env: 'OPENSHIFT_HA_MONITOR_PORT',
    prop: 'monitorPort',
    default: DEFAULTS.monitorPort,
    example: 1936,
    check: checkPort,
    parse: numberOf(checkPort),
  },
  vrrpIdOffset: {
    doc: 'the first VRRP ID minus one',
    env: 'OPENSHIFT_HA_VRRP_ID_OFFSET',
    prop: 'vrrpIdOffset',
    default: ENV_DEFAULTS.vrrpIdOffset,
    example: 40,
    check: checkVrrpIdOffset,
    parse: numberOf(checkVrrpIdOffset),
    assignedByPlanner: true,
  },
  replicas: {
    doc: "the number of failover pods (also the Deployment's spec.replicas)",
    env: 'OPENSHIFT_HA_REPLICA_COUNT',
    prop: 'replicas',
    default: DEFAULTS.replicas,
    example: 3,
    check: checkReplicas,
    parse: numberOf(checkReplicas),
  },
  unicastPeers: {
    doc: 'the addresses of every failover node; any turns unicast on',
    env: 'OPENSHIFT_HA_UNICAST_PEERS',
    prop: 'unicastPeers',
    default: [],
    example: ['192.0.2.21', '192.0.2.22', '192.0.2.23'],
    // The items are checked with the VIPs' family, in crossCheck.
    checkProp: (value) => checkStringList(value, ['192.0.2.1', '192.0.2.2']),
    parse: (text) => ({ value: text.split(',').map((p) => p.trim()) }),
    format: (peers) => (peers.length > 0 ? peers.join(',') : undefined),
    companion: { env: USE_UNICAST_ENV, format: (peers) => String(peers.length > 0), check: checkUseUnicast },
  },
  iptablesChain: {
    doc: 'the iptables chain that gets the rule accepting VRRP; empty adds none',
    env: 'OPENSHIFT_HA_IPTABLES_CHAIN',
    prop: 'iptablesChain',
    default: DEFAULTS.iptablesChain,
    envDefault: ENV_DEFAULTS.iptablesChain,
    example: 'VRRP-IN',
    check: checkChainName,
  },
  notifyScript: scriptRow('notifyScript', 'OPENSHIFT_HA_NOTIFY_SCRIPT', 'the script called on every state change'),
  checkScript: scriptRow(
    'checkScript',
    'OPENSHIFT_HA_CHECK_SCRIPT',
    'the script whose failure gives up the VIPs; replaces the port check',
  ),
  preemption: {
    doc: 'what a recovered higher-priority node does: nopreempt, or preempt after a delay',
    env: 'OPENSHIFT_HA_PREEMPTION',
    prop: 'preemption',
    default: { delaySeconds: DEFAULTS.preemptDelaySeconds },
    example: 'nopreempt',
    checkProp: checkPreemption,
    parse: parsePreemption,
    format: preemptionText,
  },
  checkIntervalSeconds: {
    doc: 'seconds between two runs of the check',
    env: 'OPENSHIFT_HA_CHECK_INTERVAL',
    prop: 'checkIntervalSeconds',
    default: DEFAULTS.checkIntervalSeconds,
    example: 5,
    check: checkCheckInterval,
    parse: numberOf(checkCheckInterval),
  },
  advertIntervalSeconds: {
    doc: "the VRRP advertisement interval; a fraction runs VRRPv3 (ours; Red Hat's image ignores it)",
    env: 'IPFAILOVER_ADVERT_INTERVAL',
    prop: 'advertIntervalSeconds',
    default: DEFAULTS.advertIntervalSeconds,
    example: 0.5,
    check: checkAdvertInterval,
    parse: numberOf(checkAdvertInterval),
  },
  excludedVrrpIds: {
    doc: "VRRP IDs skipped when numbering the groups (Red Hat's image); no prop: the planner takes the stack's reserved IDs",
    env: 'HA_EXCLUDED_VRRP_IDS',
    prop: undefined,
    default: [],
    example: [7, 9],
    parse: parseExcludedIds,
    format: (ids) => (ids.length > 0 ? ids.join(' ') : undefined),
  },
  garpRefreshIntervalSeconds: {
    doc: "seconds between a master's repeated gratuitous ARPs for its VIPs, 0 for none (ours; Red Hat's image ignores it)",
    env: 'IPFAILOVER_GARP_REFRESH_INTERVAL',
    prop: 'garpRefreshIntervalSeconds',
    default: DEFAULTS.garpRefreshIntervalSeconds,
    example: 10,
    check: checkGarpRefreshInterval,
    parse: numberOf(checkGarpRefreshInterval),
  },
  peers: {
    doc: "where the agent learns the instance's nodes: the Kubernetes API (multicast, or unicast to them), or static (ours; Red Hat's image ignores it)",
    env: 'IPFAILOVER_PEERS',
    prop: 'peers',
    // What an unset variable means: the docs' Deployment and Red Hat's image read no API.
    default: 'static',
    example: 'clusterUnicast',
    check: checkPeerSource,
    // The nodes from the cluster, unless a peer list names them (read before: PROPS_CHECK_ORDER).
    fromProps: (given, problems, _identity, resolved) =>
      given === undefined
        ? (resolved.unicastPeers ?? []).length > 0
          ? 'static'
          : DEFAULTS.peers
        : problems.valid<PeerSource>('peers', given, checkPeerSource),
    format: (source) => (source === 'static' ? undefined : source),
  },
} satisfies { readonly [K in SettingKey]: SettingRow<K> };

/** Any row, for the loops that derive the four paths. */
export type AnySettingRow = SettingRow<SettingKey>;

/** The setting keys in table order. */
export const SETTING_KEYS = Object.keys(SETTING_ROWS) as SettingKey[];

/** The row of a setting. */
export function rowOf(key: SettingKey): AnySettingRow {
  return SETTING_ROWS[key] as AnySettingRow;
}

/**
 * The order the env reader reports problems in, as it always has (the agent prints the first in
 * full): rows listed here first, then the others in table order.
 */
export const ENV_READ_ORDER: readonly SettingKey[] = [
  'virtualIps',
  'vipGroups',
  'unicastPeers',
  'preemption',
  'excludedVrrpIds',
  'configName',
  'networkInterface',
  'monitorPort',
  'vrrpIdOffset',
  'replicas',
  'iptablesChain',
  'checkScript',
  'notifyScript',
];

/**
 * The order the normalizer checks props in, and so lists their problems (the props' documented
 * order): rows listed here first, then the others in table order.
 */
export const PROPS_CHECK_ORDER: readonly SettingKey[] = [
  'networkInterface',
  'monitorPort',
  'replicas',
  'unicastPeers',
  'iptablesChain',
  'checkScript',
  'notifyScript',
  'preemption',
  'checkIntervalSeconds',
  'advertIntervalSeconds',
];

/** Every setting key, the listed ones first in their order, then the rest in table order. */
export function keysInOrder(first: readonly SettingKey[]): SettingKey[] {
  return [...first, ...SETTING_KEYS.filter((key) => !first.includes(key))];
}

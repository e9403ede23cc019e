/**
 * Settings + the node's identity → `keepalived.conf`. Pure: the agent supplies the node's
 * address and name, this module writes text.
 *
 * Only validated tokens reach the text: every value comes from {@link AgentSettings} (which the
 * env reader has checked field by field: interface and config names, script paths, addresses,
 * numbers), from the node address (checked here against the same address parser) or from
 * constants. Nothing is quoted "to be safe": a value that would need quoting never gets here.
 */
import { ENV_NAMES } from '../env/env-contract';
import { checkConfigName, checkInterfaceName, checkScriptPath, vrrpVersionFor } from '../rules/validators';
import { isProblem, type Issue } from '../model/issues';
import { memberPriorities, preferenceOrders, priorityOf, rankByName } from './priorities';
import { groupsOf, vrrpIdsOf, type AgentSettings } from '../env/setting-rules';
import { familyOfText, parseAddress } from '../rules/vip-range';
import { preemptionText } from '../env/setting-table';

/** The instance's nodes, as the agent read them from the cluster (`IPFAILOVER_PEERS`). */
export interface InstanceNodes {
  /** Every node's name (this node's is added if missing). */
  readonly names: readonly string[];
  /** The other nodes' addresses of the VIPs' family: the unicast peers of `clusterUnicast`. */
  readonly peerAddresses: readonly string[];
}

/** Who is rendering: the node the config is for. */
export interface NodeIdentity {
  /**
   * The node's own address on the VRRP interface, of the VIPs' family. In unicast mode it is
   * the unicast source, and with a peer list it must be one of the peers (the list's addresses
   * name the nodes); the default check connects to it.
   */
  readonly address?: string;
  /** The node name: it names the node among the nodes read from the cluster, or its hash ranks it. */
  readonly name: string;
  /** The instance's nodes, when the agent has read them; else the name's hash ranks the node. */
  readonly nodes?: InstanceNodes;
}

/** Options that are not part of the environment contract. */
export interface RenderOptions {
  /**
   * The user keepalived runs scripts as (`script_user`). The agent keeps the default; only
   * `keepalived -t` checks render `root`, because keepalived 2.2.7's `-t` kills itself after
   * checking a script as any other user.
   * @default DEFAULT_SCRIPT_USER
   */
  readonly scriptUser?: string;
}

/** The user scripts run as unless told otherwise: present on Debian, RHEL and in our image. */
export const DEFAULT_SCRIPT_USER = 'nobody';

/** What rendering gives: the config, or the issues that stop it. */
export type RenderResult =
  | {
      readonly ok: true;
      readonly config: string;
      /** How the priorities were decided, for the log: `first choice of 4 of 12 group(s) among 3 nodes (…)`. */
      readonly ranking: string;
      readonly vrrpIds: readonly number[];
      /** The shared `vrrp_script`'s name, or `undefined` when the config has no check. */
      readonly checkScript: string | undefined;
    }
  | { readonly ok: false; readonly issues: readonly Issue[] };

/** keepalived names: the config name with `-` turned into `_`, as Red Hat's image does. */
export function keepalivedName(configName: string): string {
  return configName.replace(/-/g, '_');
}

/** The name of the `vrrp_instance` of group `i` (1-based), as in Red Hat's image. */
export function instanceName(configName: string, index: number): string {
  return `${keepalivedName(configName)}_VIP_${index}`;
}

/** The name of the shared `vrrp_script`. */
export function checkName(configName: string): string {
  return `chk_${keepalivedName(configName)}`;
}

/** The advert interval as keepalived reads it: seconds, hundredths at most. */
function advertText(seconds: number): string {
  return Number.isInteger(seconds) ? String(seconds) : String(Math.round(seconds * 100) / 100);
}

/**
 * The check command: the user's script, or a TCP connect to the monitor port on the node's own
 * address (what Red Hat's image does; `/dev/tcp` needs bash, and keepalived cannot run a bare
 * redirection), or none when the port is 0.
 */
function checkCommand(settings: AgentSettings, address: string): string | undefined {
  if (settings.checkScript !== undefined) return settings.checkScript;
  if (settings.monitorPort === 0) return undefined;
  return `/bin/bash -c '</dev/tcp/${address}/${settings.monitorPort}'`;
}

function issue(field: string, value: unknown, problem: string, fix: string): Issue {
  return { path: '', field, value, problem, fix };
}

/** The node's priority in each group and how they were decided. */
interface Ranked {
  readonly priorities: readonly number[];
  readonly ranking: string;
}

/** The priorities of `self` among known members, with the words for the log. */
function amongMembers(self: string, members: readonly string[], groups: number, what: string): Ranked {
  const all = [...new Set([...members, self])];
  const priorities = memberPriorities(self, all, groups)!;
  const first = preferenceOrders(all, groups).filter((order) => order[0] === self).length;
  return { priorities, ranking: `first choice of ${first} of ${groups} group(s) among ${all.length} ${what}` };
}

/**
 * The node's priorities: among the unicast peer list (the addresses name the nodes), among the
 * nodes read from the cluster, or, knowing neither, from the node name's hash; or the issue that
 * makes them unknowable.
 */
function rankingOf(settings: AgentSettings, node: NodeIdentity): Ranked | Issue {
  const groups = settings.vipGroups;
  if (settings.unicastPeers.length > 0) {
    if (node.address === undefined) {
      return issue(
        ENV_NAMES.networkInterface,
        settings.networkInterface,
        "has no address of the VIPs' family",
        'give the node an address on it, one of the unicast peers',
      );
    }
    if (!settings.unicastPeers.includes(node.address)) {
      return issue(
        ENV_NAMES.unicastPeers,
        settings.unicastPeers.join(','),
        `does not list this node's address ${node.address}`,
        'list the address of every node that can run a failover pod',
      );
    }
    return amongMembers(node.address, settings.unicastPeers, groups, 'peers (the unicast peer list)');
  }
  if (settings.peers !== 'static' && node.nodes !== undefined)
    return amongMembers(node.name, node.nodes.names, groups, 'nodes (read from the cluster)');
  if (settings.peers === 'clusterUnicast') {
    return issue(
      ENV_NAMES.peers,
      settings.peers,
      "needs the instance's nodes, which the agent reads from the Kubernetes API",
      `run it in the failover pod, or list the peers in ${ENV_NAMES.unicastPeers} with ${ENV_NAMES.peers} static`,
    );
  }
  const rank = rankByName(node.name, settings.replicas);
  return {
    priorities: Array.from({ length: groups }, (_, g) => priorityOf(g, rank)),
    ranking: `rank ${rank.rank + 1} of ${rank.nodes} by the node name's hash`,
  };
}

/** The unicast peers: the list, the other nodes read from the cluster, or none (multicast). */
function unicastPeersOf(settings: AgentSettings, node: NodeIdentity): readonly string[] {
  if (settings.unicastPeers.length > 0) return settings.unicastPeers;
  return settings.peers === 'clusterUnicast' ? (node.nodes?.peerAddresses ?? []) : [];
}

/** The node's address, checked like any other address, and of the VIPs' family. */
function addressIssue(settings: AgentSettings, address: string | undefined): Issue | undefined {
  if (address === undefined) return undefined;
  const parsed = parseAddress(address);
  if (isProblem(parsed)) return issue('node address', address, parsed.problem, parsed.fix);
  if (parsed.toString() !== address)
    return issue('node address', address, 'is not in canonical form', `write ${parsed.toString()}`);
  const family = familyOfText(settings.virtualIps[0] ?? address);
  if (familyOfText(address) !== family)
    return issue('node address', address, `is not ${family} like the VIPs`, "use the node address of the VIPs' family");
  return undefined;
}

/** The unicast source and the other peers; nothing for multicast or a lone node. */
function unicastLines(peers: readonly string[], self: string | undefined): string[] {
  const others = peers.filter((p) => p !== self);
  return others.length === 0 ? [] : [`unicast_src_ip ${self}`, ...block('unicast_peer', others, '')];
}

function block(name: string, lines: readonly string[], indent = '  '): string[] {
  return [`${indent}${name} {`, ...lines.map((l) => `${indent}  ${l}`), `${indent}}`];
}

/**
 * Renders the `keepalived.conf` of one node. One `vrrp_instance` per VIP group, each tracking the
 * shared check (weight 0: a failing check puts the node in FAULT and its VIPs move away), with
 * script security on and scripts run as an unprivileged user. Never `state MASTER`: every
 * instance starts as BACKUP, so a preempt delay really delays (keepalived clears it on MASTER).
 */
export function renderKeepalivedConf(
  settings: AgentSettings,
  node: NodeIdentity,
  options: RenderOptions = {},
): RenderResult {
  const scriptUser = options.scriptUser ?? DEFAULT_SCRIPT_USER;
  const found: Issue[] = [];
  const bad = addressIssue(settings, node.address);
  if (bad) found.push(bad);
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(scriptUser))
    found.push(issue('script user', scriptUser, 'is not a user name', 'use a name such as nobody'));
  // Defence in depth: these reach the config verbatim, so re-check them even though fromEnv did.
  for (const [field, problem] of [
    [ENV_NAMES.configName, checkConfigName(settings.configName)],
    [ENV_NAMES.networkInterface, checkInterfaceName(settings.networkInterface)],
    [ENV_NAMES.checkScript, settings.checkScript === undefined ? undefined : checkScriptPath(settings.checkScript)],
    [ENV_NAMES.notifyScript, settings.notifyScript === undefined ? undefined : checkScriptPath(settings.notifyScript)],
  ] as const) {
    if (problem) found.push({ path: '', field, ...problem });
  }
  const ranked = rankingOf(settings, node);
  if ('field' in ranked) found.push(ranked);
  const peers = unicastPeersOf(settings, node);
  // Addresses read from the cluster reach the config too: each is checked like the node's own.
  if (settings.unicastPeers.length === 0)
    for (const peer of peers) {
      const badPeer = addressIssue(settings, peer);
      if (badPeer) found.push({ ...badPeer, field: 'peer address from the cluster' });
    }
  if (peers.length > 0 && node.address === undefined && settings.peers === 'clusterUnicast')
    found.push(
      issue(
        ENV_NAMES.networkInterface,
        settings.networkInterface,
        "has no address of the VIPs' family",
        'give the node an address on it: the unicast adverts are sent from it',
      ),
    );
  if (found.length > 0 || 'field' in ranked) return { ok: false, issues: found };

  const family = familyOfText(settings.virtualIps[0]!);
  const version = family === 'ipv6' ? 3 : vrrpVersionFor(settings.advertIntervalSeconds);
  const address = node.address ?? (family === 'ipv6' ? '::1' : '127.0.0.1');
  const check = checkCommand(settings, address);
  const iface = settings.networkInterface;
  const ids = vrrpIdsOf(settings);
  const lines: string[] = [
    '! keepalived.conf written by ipfailover from the OPENSHIFT_HA_* environment',
    `! node ${node.address ?? '(address unknown)'} ${node.name}: ${ranked.ranking}`,
    ...block(
      'global_defs',
      [
        `router_id ${keepalivedName(settings.configName)}`,
        'enable_script_security',
        `script_user ${scriptUser}`,
        ...(version === 3 ? ['vrrp_version 3'] : []),
        // A master repeats its gratuitous ARPs (NAs for IPv6) this often while it holds the VIPs.
        ...(settings.garpRefreshIntervalSeconds > 0
          ? [`vrrp_garp_master_refresh ${settings.garpRefreshIntervalSeconds}`]
          : []),
      ],
      '',
    ),
  ];
  if (check !== undefined) {
    const interval = settings.checkIntervalSeconds;
    lines.push(
      ...block(
        `vrrp_script ${checkName(settings.configName)}`,
        [`script "${check}"`, `interval ${interval}`, `timeout ${interval}`, 'fall 1', 'rise 1'],
        '',
      ),
    );
  }
  groupsOf(settings).forEach((vips, g) => {
    const body = [
      `interface ${iface}`,
      `virtual_router_id ${ids[g]}`,
      `priority ${ranked.priorities[g]}`,
      `advert_int ${advertText(settings.advertIntervalSeconds)}`,
      preemptionText(settings.preemption),
      // PASS keeps differently named configs apart under VRRPv2, as in Red Hat's image; VRRPv3 has no auth.
      ...(version === 2
        ? block('authentication', ['auth_type PASS', `auth_pass ${settings.configName.slice(0, 8)}`], '')
        : []),
      ...(check !== undefined ? block('track_script', [checkName(settings.configName)], '') : []),
      ...(settings.notifyScript !== undefined ? [`notify "${settings.notifyScript}"`] : []),
      ...unicastLines(peers, node.address),
      ...block(
        'virtual_ipaddress',
        vips.map((vip) => `${vip} dev ${iface}`),
        '',
      ),
    ];
    lines.push(...block(`vrrp_instance ${instanceName(settings.configName, g + 1)}`, body, ''));
  });
  return {
    ok: true,
    config: `${lines.join('\n')}\n`,
    ranking: ranked.ranking,
    vrrpIds: ids,
    checkScript: check === undefined ? undefined : checkName(settings.configName),
  };
}

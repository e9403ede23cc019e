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
import { priorityOf, rankByAddress, rankByName, type NodeRank } from './priorities';
import { groupsOf, vrrpIdsOf, type AgentSettings } from '../env/setting-rules';
import { familyOfText, parseAddress } from '../rules/vip-range';
import { preemptionText } from '../env/setting-table';

/** Who is rendering: the node the config is for. */
export interface NodeIdentity {
  /**
   * The node's own address on the VRRP interface, of the VIPs' family. In unicast mode it must
   * be one of the peers (it fixes the node's rank and the unicast source); the default check
   * connects to it.
   */
  readonly address?: string;
  /** The node name; in multicast mode its hash fixes the node's rank. */
  readonly name: string;
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
      readonly rank: NodeRank;
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

/** Finds the node's rank, or the issue that makes it unknowable. */
function rankOf(settings: AgentSettings, node: NodeIdentity): NodeRank | Issue {
  if (settings.unicastPeers.length === 0) return rankByName(node.name, settings.replicas);
  if (node.address === undefined) {
    return issue(
      ENV_NAMES.networkInterface,
      settings.networkInterface,
      "has no address of the VIPs' family",
      'give the node an address on it, one of the unicast peers',
    );
  }
  const rank = rankByAddress(node.address, settings.unicastPeers);
  return (
    rank ??
    issue(
      ENV_NAMES.unicastPeers,
      settings.unicastPeers.join(','),
      `does not list this node's address ${node.address}`,
      'list the address of every node that can run a failover pod',
    )
  );
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
  const rank = rankOf(settings, node);
  if ('field' in rank) found.push(rank);
  if (found.length > 0 || 'field' in rank) return { ok: false, issues: found };

  const family = familyOfText(settings.virtualIps[0]!);
  const version = family === 'ipv6' ? 3 : vrrpVersionFor(settings.advertIntervalSeconds);
  const address = node.address ?? (family === 'ipv6' ? '::1' : '127.0.0.1');
  const check = checkCommand(settings, address);
  const iface = settings.networkInterface;
  const ids = vrrpIdsOf(settings);
  const lines: string[] = [
    '! keepalived.conf written by ipfailover from the OPENSHIFT_HA_* environment',
    `! node ${node.address ?? '(address unknown)'} ${node.name}: rank ${rank.rank + 1} of ${rank.nodes}`,
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
      `priority ${priorityOf(g, rank)}`,
      `advert_int ${advertText(settings.advertIntervalSeconds)}`,
      preemptionText(settings.preemption),
      // PASS keeps differently named configs apart under VRRPv2, as in Red Hat's image; VRRPv3 has no auth.
      ...(version === 2
        ? block('authentication', ['auth_type PASS', `auth_pass ${settings.configName.slice(0, 8)}`], '')
        : []),
      ...(check !== undefined ? block('track_script', [checkName(settings.configName)], '') : []),
      ...(settings.notifyScript !== undefined ? [`notify "${settings.notifyScript}"`] : []),
      ...unicastLines(settings.unicastPeers, node.address),
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
    rank,
    vrrpIds: ids,
    checkScript: check === undefined ? undefined : checkName(settings.configName),
  };
}

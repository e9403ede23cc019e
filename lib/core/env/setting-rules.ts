/**
 * The settings one keepalived agent runs with: exactly what the `OPENSHIFT_HA_*` environment
 * carries, declared one row each in `setting-table.ts`. The props normalizer produces them, the
 * env contract writes and reads them, and the cross-field rules here apply to both, so the two
 * paths cannot drift apart.
 */
import { checkPeer } from '../rules/validators';
import { familyOfText, groupVips, type IpFamily } from '../rules/vip-range';
import type { Problem } from '../model/issues';
import { VRRP_ID_MAX } from '../model/limits';
import type { AgentSettings, SettingKey } from './setting-table';

export type { AgentSettings, SettingKey } from './setting-table';

/** A problem with the setting it belongs to. */
export interface SettingProblem extends Problem {
  readonly key: SettingKey;
}

/** The VRRP groups of the settings: VIPs packed in order. */
export function groupsOf(settings: Pick<AgentSettings, 'virtualIps' | 'vipGroups'>): string[][] {
  return groupVips(settings.virtualIps, settings.vipGroups);
}

/**
 * VRRP IDs of the groups: `offset + i` for the 1-based group index i. As in Red Hat's image, an
 * excluded ID bumps the offset for that group and every later one.
 */
export function vrrpIdsOf(settings: Pick<AgentSettings, 'vrrpIdOffset' | 'vipGroups' | 'excludedVrrpIds'>): number[] {
  // Most instances exclude nothing: no Set for them.
  const excluded = settings.excludedVrrpIds.length > 0 ? new Set(settings.excludedVrrpIds) : undefined;
  const ids: number[] = [];
  let offset = settings.vrrpIdOffset;
  for (let i = 1; i <= settings.vipGroups; i++) {
    while (excluded?.has(offset + i)) offset++;
    ids.push(offset + i);
  }
  return ids;
}

/** Whether the agents read the instance's nodes from the Kubernetes API (`IPFAILOVER_PEERS` cluster or clusterUnicast). */
export function readsClusterNodes(settings: Pick<AgentSettings, 'peers' | 'unicastPeers'>): boolean {
  return settings.peers !== 'static' && settings.unicastPeers.length === 0;
}

/** The one address family of a VIP list, or a problem when it mixes families. */
export function familyOfVips(vips: readonly string[]): IpFamily | Problem {
  // A loop rather than a Set of the families: this runs once per instance.
  const family = vips.length > 0 ? familyOfText(vips[0]!) : 'ipv4';
  if (vips.every((vip) => familyOfText(vip) === family)) return family;
  return {
    value: vips.join(','),
    problem: 'mixes IPv4 and IPv6 addresses',
    fix: 'serve each family from its own instance',
  };
}

/**
 * Rules that relate several settings; the same for props and for the environment. The VRRP ID
 * range is {@link checkIdRange}'s, since only a known offset has one.
 */
export function crossCheck(settings: Omit<AgentSettings, 'vrrpIdOffset'>): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const family = familyOfVips(settings.virtualIps);
  if (typeof family !== 'string') problems.push({ key: 'virtualIps', ...family });
  // No Set for the instances without peers, most of them.
  const seenPeers = settings.unicastPeers.length > 0 ? new Set<string>() : undefined;
  for (const peer of settings.unicastPeers) {
    const bad = checkPeer(peer, typeof family === 'string' ? family : undefined);
    if (bad) problems.push({ key: 'unicastPeers', ...bad });
    else if (seenPeers!.has(peer))
      problems.push({ key: 'unicastPeers', value: peer, problem: 'is listed twice', fix: 'list each node once' });
    seenPeers!.add(peer);
  }
  if (settings.unicastPeers.length > 0 && settings.unicastPeers.length < settings.replicas) {
    problems.push({
      key: 'unicastPeers',
      value: settings.unicastPeers.join(','),
      problem: `lists ${settings.unicastPeers.length} addresses for ${settings.replicas} replicas`,
      fix: 'list the address of every node that can run a failover pod',
    });
  }
  if (settings.peers !== 'static' && settings.unicastPeers.length > 0) {
    problems.push({
      key: 'peers',
      value: settings.peers,
      problem: "reads the instance's nodes from the Kubernetes API, but a unicast peer list names them",
      fix: "leave out the peer list, or use 'static' with it",
    });
  }
  return problems;
}

/** The groups' VRRP IDs, from the offset (and exclusions), must stay within 255. */
export function checkIdRange(
  settings: Pick<AgentSettings, 'vrrpIdOffset' | 'vipGroups' | 'excludedVrrpIds'>,
): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const ids = vrrpIdsOf(settings);
  const last = ids[ids.length - 1] ?? 0;
  if (last > VRRP_ID_MAX) {
    problems.push({
      key: 'vrrpIdOffset',
      value: settings.vrrpIdOffset,
      problem: `with ${settings.vipGroups} VIP groups reaches VRRP ID ${last}, past ${VRRP_ID_MAX}`,
      fix: `use an offset of at most ${settings.vrrpIdOffset - (last - VRRP_ID_MAX)}, or fewer groups`,
    });
  }
  return problems;
}

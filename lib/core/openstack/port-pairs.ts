/**
 * Red Hat OpenStack Platform: the failover VIPs as allowed address pairs on the nodes' Neutron
 * ports (the OpenShift docs' "RHOSP only" step), planned once for both front ends.
 *
 * Neutron drops traffic from an address a port does not own unless the address is one of the
 * port's `allowed_address_pairs`. Those pairs are one list per port, and the ports belong to the
 * cluster (its installer put the API and ingress VIPs there), so every change here is a
 * read-modify-write that keeps what others put there:
 * - **additive**: pairs the port already has are kept as they are;
 * - **reversible**: each pair we add is marked with a port tag `ipfailover-vip:<address>`, and
 *   removal takes away only pairs so marked (tags live on the port, so a half-finished run or a
 *   lost state never makes us remove the cluster's own pairs);
 * - **refusing**: a VIP that is already a pair on the port and not marked as ours is the
 *   cluster's API or ingress VIP (or someone else's), which the docs say never to reuse.
 *
 * Pulumi runs these steps through the `openstack` CLI; cdk8s users get the same steps as a
 * script ({@link openStackScripts}). Both take their commands from the functions here.
 */
import { checkOpenStackPortId, isPlainObject } from '../rules/validators';
import { toIssues, type Issue, type Problem } from '../model/issues';
import { parseAddress } from '../rules/vip-range';

/**
 * Checks the `openstack` prop by shape and its port IDs by the narrow pattern that keeps them
 * from ever reaching the `openstack` command line as options or shell syntax. `deferred` says
 * which values are not known yet (Pulumi outputs): those are checked when they resolve.
 */
export function checkOpenStackPorts(
  path: string,
  openstack: unknown,
  deferred: (value: unknown) => boolean = () => false,
): Issue[] {
  const field = 'openstack.portIds';
  const issue = (value: unknown, problem: string, fix: string): Issue[] => [{ path, field, value, problem, fix }];
  if (openstack === undefined) return [];
  if (!isPlainObject(openstack))
    return [
      {
        path,
        field: 'openstack',
        value: openstack,
        problem: 'is not an object',
        fix: 'give { portIds: ["<port UUID>", …] }',
      },
    ];
  const portIds = openstack['portIds'];
  if (deferred(portIds)) return [];
  if (!Array.isArray(portIds)) {
    return issue(
      portIds,
      'is not a list of port IDs',
      typeof portIds === 'string'
        ? `give portIds: ${JSON.stringify([portIds])}`
        : 'give portIds: ["<port UUID>", …], from openstack port list',
    );
  }
  if (portIds.length === 0) return issue(portIds, 'lists no port', 'give the Neutron port IDs of the nodes');
  const problems = portIds
    .filter((id) => !deferred(id))
    .map(checkOpenStackPortId)
    .filter((p) => p !== undefined);
  const twice = portIds.find((id, i) => typeof id === 'string' && portIds.indexOf(id) !== i);
  if (twice !== undefined) problems.push({ value: twice, problem: 'is listed twice', fix: 'list each port once' });
  return toIssues(path, field, problems);
}

/** One entry of a port's `allowed_address_pairs`. */
export interface AllowedAddressPair {
  /** An address or CIDR. */
  readonly ipAddress: string;
  /** The MAC the address may use; Neutron fills in the port's own when none is given. */
  readonly macAddress?: string;
}

/** What the plan needs to know about one port, as read from Neutron just before the change. */
export interface PortState {
  /** The port's ID (or name: the CLI accepts both). */
  readonly portId: string;
  /** The port's own MAC address, used for the pairs we add (the docs' `mac-address=`). */
  readonly macAddress: string;
  /** The port's current allowed address pairs. */
  readonly allowedAddressPairs: readonly AllowedAddressPair[];
  /** The port's current tags. */
  readonly tags: readonly string[];
}

/** The change to one port. */
export interface PortPairPlan {
  readonly portId: string;
  /** Pairs to add, each with the port's MAC. */
  readonly add: readonly AllowedAddressPair[];
  /** Pairs we added earlier and no longer want, exactly as the port carries them. */
  readonly remove: readonly AllowedAddressPair[];
  /** Pairs left untouched: the cluster's and anyone else's, and ours that stay. */
  readonly keep: readonly AllowedAddressPair[];
  /** Tags to add (one per added pair) and to remove (one per removed pair). */
  readonly addTags: readonly string[];
  readonly removeTags: readonly string[];
  /** Why the change must not be made; when any, apply nothing. */
  readonly issues: readonly Issue[];
}

/** The tag marking a pair as added by ipfailover (Neutron tags are at most 60 characters in old releases). */
export const PAIR_TAG_PREFIX = 'ipfailover-vip:';

/** The tag for one VIP. */
export function pairTag(vip: string): string {
  return `${PAIR_TAG_PREFIX}${vip}`;
}

/** An address in canonical form, or the text as given when it is not a single address (a CIDR). */
export function canonicalAddress(text: string): string {
  const parsed = parseAddress(text.trim());
  return 'problem' in parsed ? text.trim() : parsed.toString();
}

/**
 * Plans the pair changes on one port so that exactly `vips` are ours. Pass `vips: []` to plan
 * the removal (destroy). `path` and `field` only label the issues.
 */
export function planPortPairs(
  port: PortState,
  vips: readonly string[],
  path: string,
  field = 'virtualIps',
): PortPairPlan {
  const wanted = [...new Set(vips.map(canonicalAddress))];
  const ours = new Set(
    port.tags
      .filter((t) => t.startsWith(PAIR_TAG_PREFIX))
      .map((t) => canonicalAddress(t.slice(PAIR_TAG_PREFIX.length))),
  );
  const present = new Map<string, AllowedAddressPair>();
  for (const pair of port.allowedAddressPairs) present.set(canonicalAddress(pair.ipAddress), pair);

  const problems: Problem[] = [];
  const add: AllowedAddressPair[] = [];
  for (const vip of wanted) {
    if (!present.has(vip)) add.push({ ipAddress: vip, macAddress: port.macAddress });
    else if (!ours.has(vip)) {
      problems.push({
        value: vip,
        problem: `is already an allowed address pair of port ${port.portId}, not added by ipfailover (the cluster's API or ingress VIP)`,
        fix: 'choose an address the cluster does not use; never reuse its API or ingress VIPs',
      });
    }
  }
  const wantedSet = new Set(wanted);
  const remove = [...present.entries()].filter(([ip]) => ours.has(ip) && !wantedSet.has(ip)).map(([, pair]) => pair);
  const removeSet = new Set(remove);
  const keep = port.allowedAddressPairs.filter((pair) => !removeSet.has(pair));
  // A tag without its pair (someone removed the pair by hand) is stale: drop it too.
  const staleTags = [...ours].filter((ip) => !wantedSet.has(ip) && !present.has(ip));
  const issues = toIssues(path, field, problems);
  if (issues.length > 0)
    return {
      portId: port.portId,
      add: [],
      remove: [],
      keep: port.allowedAddressPairs,
      addTags: [],
      removeTags: [],
      issues,
    };
  return {
    portId: port.portId,
    add,
    remove,
    keep,
    addTags: add.map((p) => pairTag(p.ipAddress)),
    removeTags: [...remove.map((p) => pairTag(canonicalAddress(p.ipAddress))), ...staleTags.map(pairTag)],
    issues,
  };
}

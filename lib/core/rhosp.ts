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
 * script ({@link rhospScripts}). Both take their commands from the functions here.
 */
import { checkOpenStackPortId, isPlainObject } from './fields';
import { toIssues, type Issue, type Problem } from './issues';
import { INSTANCE_LABEL, type KubeObject } from './manifests';
import type { InstancePlan } from './planner';
import { parseAddress } from './vip-range';

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

function pairArg(pair: AllowedAddressPair): string {
  return pair.macAddress
    ? `ip-address=${pair.ipAddress},mac-address=${pair.macAddress}`
    : `ip-address=${pair.ipAddress}`;
}

/** `openstack` arguments that read a port (the docs' step 1), as JSON. */
export function portShowArgs(portId: string): string[] {
  return [
    'port',
    'show',
    '-f',
    'json',
    '-c',
    'id',
    '-c',
    'mac_address',
    '-c',
    'allowed_address_pairs',
    '-c',
    'tags',
    portId,
  ];
}

/**
 * `openstack` argument lists that carry out a plan: `port set --allowed-address … --tag …`
 * appends (the CLI reads the port's pairs and adds to them), `port unset --allowed-address …
 * --tag …` removes exactly the pairs named. Empty when there is nothing to do.
 */
export function portChangeArgs(plan: PortPairPlan): string[][] {
  if (plan.issues.length > 0) return [];
  const steps: string[][] = [];
  if (plan.remove.length > 0 || plan.removeTags.length > 0) {
    steps.push([
      'port',
      'unset',
      ...plan.remove.flatMap((p) => ['--allowed-address', pairArg(p)]),
      ...plan.removeTags.flatMap((t) => ['--tag', t]),
      plan.portId,
    ]);
  }
  if (plan.add.length > 0) {
    steps.push([
      'port',
      'set',
      ...plan.add.flatMap((p) => ['--allowed-address', pairArg(p)]),
      ...plan.addTags.flatMap((t) => ['--tag', t]),
      plan.portId,
    ]);
  }
  return steps;
}

function stringField(record: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = record[name];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/** Reads pairs in either form the CLI prints: a list of objects, or `ip_address='…', mac_address='…'` lines. */
function parsePairs(value: unknown): AllowedAddressPair[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (typeof item !== 'object' || item === null) return [];
      const ipAddress = stringField(item as Record<string, unknown>, 'ip_address', 'ipAddress');
      const macAddress = stringField(item as Record<string, unknown>, 'mac_address', 'macAddress');
      return ipAddress ? [{ ipAddress, ...(macAddress && { macAddress }) }] : [];
    });
  }
  if (typeof value === 'string') {
    const pairs: AllowedAddressPair[] = [];
    const pattern = /ip_address'?\s*[=:]\s*'([^']+)'(?:\s*,\s*'?mac_address'?\s*[=:]\s*'([^']*)')?/g;
    for (const match of value.matchAll(pattern)) {
      pairs.push({ ipAddress: match[1] as string, ...(match[2] && { macAddress: match[2] }) });
    }
    return pairs;
  }
  return [];
}

function parseTags(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((t): t is string => typeof t === 'string');
  if (typeof value === 'string')
    return value
      .split(/[,\n]/)
      .map((t) => t.trim().replace(/^'|'$/g, ''))
      .filter((t) => t.length > 0);
  return [];
}

/** Parses the output of `openstack port show -f json` ({@link portShowArgs}). Throws on output that is not a port. */
export function parsePortShow(output: string, portId: string): PortState {
  let json: unknown;
  try {
    json = JSON.parse(output);
  } catch {
    throw new Error(`openstack port show ${portId} did not print JSON: ${output.slice(0, 200)}`);
  }
  if (typeof json !== 'object' || json === null) throw new Error(`openstack port show ${portId} printed no port`);
  const record = json as Record<string, unknown>;
  const macAddress = stringField(record, 'mac_address', 'MAC Address');
  if (!macAddress) throw new Error(`openstack port show ${portId} printed no mac_address`);
  return {
    portId,
    macAddress,
    allowedAddressPairs: parsePairs(record['allowed_address_pairs'] ?? record['Allowed Address Pairs']),
    tags: parseTags(record['tags'] ?? record['Tags']),
  };
}

/** Quotes a word for POSIX sh. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** What cdk8s users run by hand (or from a Job): one script to apply, one to undo. */
export interface RhospScripts {
  /** Adds the VIPs as pairs on every port, refusing a VIP the port already has but did not get from ipfailover. */
  readonly apply: string;
  /** Removes the pairs (and tags) ipfailover added, and nothing else. */
  readonly remove: string;
}

/**
 * The same plan as the Pulumi component carries out, as POSIX sh for the `openstack` CLI. The
 * scripts read each port when they run (the pairs can change after synthesis), apply the rules
 * of {@link planPortPairs} in shell, and are safe to run again.
 */
export function rhospScripts(path: string, vips: readonly string[], portIds: readonly string[]): RhospScripts {
  const header = (what: string): string[] => [
    '#!/bin/sh',
    `# Generated by ipfailover for ${path.replace(/\n/g, ' ')}: ${what}`,
    "# Run it with the openstack CLI logged in to the cluster's project (OS_CLOUD or OS_* variables).",
    // -f: no pathname expansion, so `for port in $ports` splits the list and does nothing else.
    'set -euf',
    `ports=${shellQuote(portIds.join(' '))}`,
    `vips=${shellQuote(vips.map(canonicalAddress).join(' '))}`,
    // `-f value` prints pairs as Python reprs in every CLI version; each address is quoted there.
    'pairs() { openstack port show -f value -c allowed_address_pairs "$1"; }',
    // Tags print as `a, b` or `['a', 'b']`: one per line, then compare whole lines.
    `has_tag() { openstack port show -f value -c tags "$1" | tr ", '[]\\"" '\\n\\n\\n\\n\\n\\n' | grep -Fxq "${PAIR_TAG_PREFIX}$2"; }`,
  ];
  // All or nothing, as the Pulumi resource: every port is read and checked before the first
  // write, so a refusal on one port changes none. A port that cannot be read stops the script
  // here too (set -e applies to these assignments, not to an `if` condition).
  const apply = [
    ...header('make the failover VIPs allowed address pairs on the node ports (RHOSP)'),
    'refused=0',
    'for port in $ports; do',
    '  current=$(openstack port show -f value -c allowed_address_pairs "$port")',
    '  for vip in $vips; do',
    `    if printf '%s\\n' "$current" | grep -Fq "'$vip'" && ! has_tag "$port" "$vip"; then`,
    `      echo "ipfailover: $vip is already an allowed address pair of port $port, not added by ipfailover (the cluster's API or ingress VIP); choose an address the cluster does not use" >&2`,
    '      refused=1',
    '    fi',
    '  done',
    'done',
    'if [ "$refused" -ne 0 ]; then echo "ipfailover: no port was changed" >&2; exit 1; fi',
    'for port in $ports; do',
    '  mac=$(openstack port show -f value -c mac_address "$port")',
    '  for vip in $vips; do',
    `    if pairs "$port" | grep -Fq "'$vip'"; then continue; fi`,
    `    openstack port set --allowed-address "ip-address=$vip,mac-address=$mac" --tag "${PAIR_TAG_PREFIX}$vip" "$port"`,
    '  done',
    'done',
    '',
  ].join('\n');
  const remove = [
    ...header('remove the allowed address pairs ipfailover added, and only those'),
    'for port in $ports; do',
    '  mac=$(openstack port show -f value -c mac_address "$port")',
    '  for vip in $vips; do',
    '    has_tag "$port" "$vip" || continue',
    `    if pairs "$port" | grep -Fq "'$vip'"; then`,
    `      openstack port unset --allowed-address "ip-address=$vip,mac-address=$mac" --tag "${PAIR_TAG_PREFIX}$vip" "$port"`,
    '    else',
    `      openstack port unset --tag "${PAIR_TAG_PREFIX}$vip" "$port"`,
    '    fi',
    '  done',
    'done',
    '',
  ].join('\n');
  return { apply, remove };
}

/** Name of the ConfigMap carrying an instance's RHOSP scripts. */
export function rhospConfigMapName(plan: InstancePlan): string {
  return `${plan.spec.name}-rhosp`;
}

/**
 * The cdk8s artifact: a ConfigMap holding {@link rhospScripts} for one planned instance
 * (`apply.sh`, `remove.sh`), next to its Deployment. Run them where the `openstack` CLI is
 * logged in, only when the get succeeded: `kubectl get configmap <name>-rhosp -n <namespace> -o
 * jsonpath='{.data.apply\\.sh}' > apply.sh && sh apply.sh`.
 */
export function rhospConfigMap(plan: InstancePlan, portIds: readonly string[]): KubeObject {
  const { apply, remove } = rhospScripts(plan.path, plan.settings.virtualIps, portIds);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: rhospConfigMapName(plan),
      namespace: plan.spec.namespace,
      labels: { [INSTANCE_LABEL]: plan.spec.name },
    },
    data: { 'apply.sh': apply, 'remove.sh': remove },
  };
}

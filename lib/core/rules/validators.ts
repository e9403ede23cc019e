/**
 * Validators of single values, shared by the props normalizer and the environment reader so a
 * rule is written once. Each returns `undefined` when the value is good, else a {@link Problem}.
 *
 * Everything that can reach keepalived.conf or a shell is checked against a narrow pattern:
 * quotes, spaces, newlines, braces and shell syntax never pass.
 */
import { parseAddress, familyOf, type IpFamily } from './vip-range';
import { isProblem, type Problem } from '../model/issues';

type Check = Problem | undefined;

function problem(value: unknown, text: string, fix: string): Problem {
  return { value, problem: text, fix };
}

/** An integer in `min..max`. */
export function checkInteger(value: unknown, min: number, max: number, what: string): Check {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return undefined;
  return problem(value, `is not ${what}`, `use a whole number from ${min} to ${max}`);
}

/** A VRRP ID offset: the first ID is offset + 1, so 0..255 (offset + groups ≤ 255 is checked apart). */
export function checkVrrpIdOffset(value: unknown): Check {
  return checkInteger(value, 0, 255, 'a VRRP ID offset');
}

/** A replica count: one failover pod per node, and no more nodes than VRRP has priorities for. */
export function checkReplicas(value: unknown): Check {
  return checkInteger(value, 1, 255, 'a replica count');
}

/** A number of VIP groups; the env reader also takes 0, Red Hat's "one group per VIP". */
export function checkGroupCount(value: unknown, min: 0 | 1 = 1): Check {
  return checkInteger(value, min, 255, 'a number of groups');
}

/** A TCP port, 0 meaning "no check". */
export function checkPort(value: unknown): Check {
  return checkInteger(value, 0, 65535, 'a port');
}

/** A Linux interface name: 1..15 characters, letters, digits, `_ . -`. */
export function checkInterfaceName(value: unknown): Check {
  if (typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(value)) return undefined;
  return problem(
    value,
    'is not an interface name',
    'use 1 to 15 letters, digits, "_", "." or "-", such as eth0 or br-ex',
  );
}

/** An iptables chain name, or `''` for "add no rule". */
export function checkChainName(value: unknown): Check {
  if (typeof value === 'string' && /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,27})?$/.test(value)) return undefined;
  return problem(
    value,
    'is not an iptables chain name',
    'use up to 28 letters, digits, "_", "." or "-", or "" for no rule',
  );
}

/** An absolute path made of safe characters only (it is written into keepalived.conf). */
export function checkScriptPath(value: unknown): Check {
  if (typeof value === 'string' && /^(\/[A-Za-z0-9_.+-]+)+$/.test(value) && !/(^|\/)\.\.?(\/|$)/.test(value)) {
    return undefined;
  }
  return problem(
    value,
    'is not a safe absolute path',
    'use /dir/file with letters, digits, "_", ".", "+" or "-", no ".."',
  );
}

/**
 * A ConfigMap key (Kubernetes: up to 253 of `-._a-zA-Z0-9`, not `.` or `..`, not starting with
 * `..`, which the kubelet's volume layout reserves) that is also a safe file name, since it
 * becomes a script path in keepalived.conf.
 */
export function checkConfigMapKey(value: unknown): Check {
  if (
    typeof value === 'string' &&
    /^[-._a-zA-Z0-9]{1,253}$/.test(value) &&
    !value.startsWith('..') &&
    checkScriptPath(`/${value}`) === undefined
  ) {
    return undefined;
  }
  return problem(
    value,
    'is not a ConfigMap key usable as a file name',
    'use letters, digits, "-", "_" and "." (not starting with ".."), such as mycheckscript.sh',
  );
}

/** Inline script text: executable by keepalived (a `#!` line) and not empty. */
export function checkInlineScript(value: unknown): Check {
  if (typeof value === 'string' && /^#![^\n]*\S/.test(value)) return undefined;
  return problem(value, 'does not start with a #! line', 'begin the script with a line such as #!/bin/sh');
}

/** A preempt delay in seconds, 0..1000 as keepalived accepts. */
export function checkPreemptDelay(value: unknown): Check {
  return checkInteger(value, 0, 1000, 'a preempt delay in seconds');
}

/** Check interval: whole seconds ≥ 1 (keepalived's minimum), at most an hour. */
export function checkCheckInterval(value: unknown): Check {
  return checkInteger(value, 1, 3600, 'a check interval in whole seconds');
}

/** Gratuitous ARP refresh interval: whole seconds, 0 (none) to an hour. */
export function checkGarpRefreshInterval(value: unknown): Check {
  return checkInteger(value, 0, 3600, 'a refresh interval in whole seconds (0 for none)');
}

/**
 * Advertisement interval: whole seconds 1..255 (VRRPv2), or hundredths 0.01..40.95 (VRRPv3, the
 * fast profile).
 */
export function checkAdvertInterval(value: unknown): Check {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (Number.isInteger(value) && value >= 1 && value <= 255) return undefined;
    const centis = Math.round(value * 100);
    if (Math.abs(centis - value * 100) < 1e-6 && centis >= 1 && centis <= 4095) return undefined;
  }
  return problem(value, 'is not an advert interval', 'use whole seconds 1..255, or hundredths 0.01..40.95 for VRRPv3');
}

/** The VRRP version an advert interval implies: fractions need VRRPv3. */
export function vrrpVersionFor(advertIntervalSeconds: number): 2 | 3 {
  return Number.isInteger(advertIntervalSeconds) ? 2 : 3;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Kubernetes object name that is also a valid label value (DNS-1123 label, ≤ 63). */
export function checkDnsLabel(value: unknown, maxLength = 63): Check {
  if (typeof value === 'string' && DNS_LABEL.test(value) && value.length <= maxLength) return undefined;
  return problem(
    value,
    'is not a valid name',
    `use lower-case letters, digits and "-", at most ${maxLength} characters`,
  );
}

/** A Kubernetes object name (DNS-1123 subdomain). */
export function checkDnsSubdomain(value: unknown): Check {
  if (typeof value === 'string' && DNS_SUBDOMAIN.test(value)) return undefined;
  return problem(value, 'is not a valid name', 'use lower-case letters, digits, "-" and "."');
}

/** The keepalived config name: it becomes router_id and auth_pass, so a narrow alphabet. */
export function checkConfigName(value: unknown): Check {
  if (typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(value)) return undefined;
  return problem(value, 'is not a config name', 'use up to 63 letters, digits, "_" or "-"');
}

/** A container image reference without whitespace or quotes. */
export function checkImage(value: unknown): Check {
  if (typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/.test(value)) return undefined;
  return problem(value, 'is not an image reference', 'use registry/name:tag or name@sha256:digest');
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

/** A label key (`prefix/name`) and value, as Kubernetes accepts them. */
export function checkLabel(key: string, value: unknown): Check {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const keyOk = LABEL_NAME.test(name) && (prefix === undefined || DNS_SUBDOMAIN.test(prefix));
  if (!keyOk) return problem(key, 'is not a label key', 'use [prefix/]name with letters, digits, "-", "_", "."');
  if (typeof value === 'string' && (value === '' || LABEL_NAME.test(value))) return undefined;
  return problem(value, `is not a label value (key ${key})`, 'use up to 63 letters, digits, "-", "_", "." or ""');
}

/** A unicast peer: one IP address of the given family. */
export function checkPeer(value: unknown, family: IpFamily | undefined): Check {
  if (typeof value !== 'string') return problem(value, 'is not an IP address', 'list node addresses');
  const address = parseAddress(value);
  if (isProblem(address)) return address;
  if (family && familyOf(address) !== family) {
    return problem(value, `is ${familyOf(address)} but the VIPs are ${family}`, "list peers of the VIPs' family");
  }
  return undefined;
}

/** An OpenStack port ID or name: it is written into a shell script, so a narrow alphabet. */
export function checkOpenStackPortId(value: unknown): Check {
  if (typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$/.test(value)) return undefined;
  return problem(value, 'is not an OpenStack port ID', 'use the port UUID from `openstack port list`');
}

/**
 * A plain object: not `null`, not a list, not a string or number. Props come from JavaScript
 * callers and `tsx` too, which skip the type checker, so every object-typed prop is checked by
 * shape before it is read.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A list of strings (the items are checked apart). A string is refused as a whole, never read
 * character by character: `"a,b"` gets one problem whose fix is the list `["a", "b"]`.
 */
export function checkStringList(value: unknown, example: readonly string[]): Check {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return undefined;
  if (typeof value === 'string') {
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    return problem(
      value,
      'is a string, not a list',
      `give a list: ${JSON.stringify(items.length > 0 ? items : example)}`,
    );
  }
  return problem(value, 'is not a list of strings', `give a list such as ${JSON.stringify(example)}`);
}

/**
 * Labels (a node selector, a pod selector): a plain object of label keys to string values. A
 * string, number or list is refused: `'worker'` must never become `{ "0": "w", … }`, nor `[]`
 * an empty selector that lets privileged pods land on any node.
 */
export function checkLabels(value: unknown, example: Readonly<Record<string, string>>): Problem[] {
  if (!isPlainObject(value))
    return [problem(value, 'is not a map of labels', `give labels such as ${JSON.stringify(example)}`)];
  return Object.entries(value).flatMap(([key, label]) => checkLabel(key, label) ?? []);
}

/** Stateless, so one for the process rather than one per instance. */
const UTF8 = new TextEncoder();

/** The bytes a ConfigMap's data takes, as the API server counts them (UTF-8). */
export function configMapBytes(data: Readonly<Record<string, string>>): number {
  return Object.entries(data).reduce(
    (sum, [key, value]) => sum + UTF8.encode(key).length + UTF8.encode(value).length,
    0,
  );
}

/** An IANA service name, as Kubernetes requires of port names: 1..15 of `a-z0-9-`, a letter, no `--`, no `-` at either end. */
export function checkPortName(value: unknown): Check {
  if (
    typeof value === 'string' &&
    /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(value) &&
    /[a-z]/.test(value) &&
    !value.includes('--')
  )
    return undefined;
  return problem(
    value,
    'is not a port name',
    'use up to 15 lower-case letters, digits and single "-" inside, with at least one letter, such as https',
  );
}

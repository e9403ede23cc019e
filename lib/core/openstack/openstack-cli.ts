/**
 * The `openstack` CLI's side of the port changes: the arguments that read and change a port, and
 * the parser of what it prints.
 */
import type { AllowedAddressPair, PortPairPlan, PortState } from './port-pairs';

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

/**
 * Who this node is, for the renderer: its address on the VRRP interface and its name.
 */
import type { NodeIdentity } from '../core/node/keepalived-conf';
import type { AgentSettings } from '../core/env/setting-rules';
import { NODE_NAME_ENV } from '../core/model/pod-layout';
import { familyOfText } from '../core/rules/vip-range';
import type { Runner } from './exec';
import { interfaceAddresses, nodeAddressOf } from './interface-addresses';

/** Overrides from the command line. */
export interface IdentityOptions {
  /** Use this address instead of reading the interface. */
  readonly address?: string;
  /** Use this node name instead of the host name. */
  readonly nodeName?: string;
}

/** The node's identity, and whether the interface exists on this machine. */
export interface DiscoveredNode {
  readonly node: NodeIdentity;
  readonly interfaceFound: boolean;
}

/**
 * A node name keepalived.conf can carry: Kubernetes node names are RFC 1123 subdomains; upper
 * case is let through since host names may have it. Anything else (a newline, a brace, a space)
 * would be written into the config.
 */
const NODE_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/** Where the node name came from. */
export type NodeNameSource = '--node-name' | typeof NODE_NAME_ENV | 'the host name';

/** This node's name: `--node-name`, else the downward API's variable, else the host name. */
export function nodeNameOf(
  options: IdentityOptions,
  env: Readonly<Record<string, string | undefined>>,
  hostname: string,
): { readonly name: string; readonly source: NodeNameSource } {
  if (options.nodeName !== undefined) return { name: options.nodeName, source: '--node-name' };
  const fromPod = env[NODE_NAME_ENV];
  if (fromPod !== undefined && fromPod !== '') return { name: fromPod, source: NODE_NAME_ENV };
  return { name: hostname, source: 'the host name' };
}

/** Why `name` cannot be this node's name (coming from `source`), or `undefined` when it can. */
export function nodeNameProblem(name: string, source: NodeNameSource): string | undefined {
  if (NODE_NAME.test(name)) return undefined;
  const fix =
    source === '--node-name'
      ? 'pass the Kubernetes node name'
      : source === NODE_NAME_ENV
        ? "set it from the pod's spec.nodeName (the downward API)"
        : 'pass --node-name with the Kubernetes node name';
  return `node name ${JSON.stringify(name)} (from ${source}) is not a DNS name; ${fix} (letters, digits, '-' and '.', at most 253)`;
}

/** Reads the interface (unless an address is given) and combines it with the node name. */
async function discoverNode(
  run: Runner,
  settings: AgentSettings,
  options: IdentityOptions,
  name: string,
): Promise<DiscoveredNode> {
  const addresses = await interfaceAddresses(run, settings.networkInterface);
  const found = addresses !== undefined;
  if (options.address !== undefined) return { node: { address: options.address, name }, interfaceFound: found };
  const family = familyOfText(settings.virtualIps[0] ?? '0.0.0.0');
  const address =
    addresses && nodeAddressOf(addresses, { family, vips: settings.virtualIps, peers: settings.unicastPeers });
  return { node: address === undefined ? { name } : { address, name }, interfaceFound: found };
}

/**
 * This node as the agent and `render` both see it: its name ({@link nodeNameOf}, checked) and
 * its address on the VRRP interface; or why the name cannot be used. What a missing interface
 * or address means is the caller's policy: the agent refuses, `render` guesses and says so.
 */
export async function identifyNode(
  run: Runner,
  settings: AgentSettings,
  options: IdentityOptions,
  env: Readonly<Record<string, string | undefined>>,
  hostname: string,
): Promise<DiscoveredNode | { readonly reason: string }> {
  const named = nodeNameOf(options, env, hostname);
  const badName = nodeNameProblem(named.name, named.source);
  if (badName !== undefined) return { reason: badName };
  return discoverNode(run, settings, options, named.name);
}

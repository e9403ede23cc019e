/**
 * Who this node is, for the renderer: its address on the VRRP interface and its name.
 */
import type { NodeIdentity } from '../core/keepalived-conf';
import type { AgentSettings } from '../core/settings';
import { familyOfText } from '../core/vip-range';
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

/** Reads the interface (unless an address is given) and combines it with the node name. */
export async function discoverNode(run: Runner, settings: AgentSettings, options: IdentityOptions, hostname: string): Promise<DiscoveredNode> {
  const name = options.nodeName ?? hostname;
  const addresses = await interfaceAddresses(run, settings.networkInterface);
  const found = addresses !== undefined;
  if (options.address !== undefined) return { node: { address: options.address, name }, interfaceFound: found };
  const family = familyOfText(settings.virtualIps[0] ?? '0.0.0.0');
  const address = addresses && nodeAddressOf(addresses, { family, vips: settings.virtualIps, peers: settings.unicastPeers });
  return { node: address === undefined ? { name } : { address, name }, interfaceFound: found };
}

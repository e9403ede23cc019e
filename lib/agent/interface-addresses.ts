/**
 * The addresses on the VRRP interface, read with `ip -j addr show dev IFACE`: the node's own
 * address (its identity and the default check's target) and which VIPs it currently holds.
 */
import type { Runner } from './exec';

/** One address on an interface. */
export interface InterfaceAddress {
  readonly address: string;
  readonly prefixLength: number;
  readonly family: 'ipv4' | 'ipv6';
  /** `global`, `link`, `host`. */
  readonly scope: string;
}

/** The interface's addresses, or `undefined` when the interface does not exist. */
export async function interfaceAddresses(run: Runner, iface: string): Promise<InterfaceAddress[] | undefined> {
  const result = await run('ip', ['-j', 'addr', 'show', 'dev', iface]);
  if (result.code !== 0) return undefined;
  let links: Array<{ addr_info?: Array<{ family?: string; local?: string; prefixlen?: number; scope?: string }> }>;
  try {
    links = JSON.parse(result.stdout || '[]');
  } catch {
    return undefined;
  }
  return links.flatMap((link) =>
    (link.addr_info ?? [])
      .filter((a) => (a.family === 'inet' || a.family === 'inet6') && typeof a.local === 'string')
      .map((a) => ({
        address: a.local!,
        prefixLength: a.prefixlen ?? 0,
        family: a.family === 'inet' ? ('ipv4' as const) : ('ipv6' as const),
        scope: a.scope ?? 'global',
      })),
  );
}

/**
 * The node's own address among the interface's: in unicast mode the one listed among the peers;
 * otherwise (or when none is listed, which the renderer then reports) the first global address
 * of the VIPs' family that is not itself a VIP (a VIP may still be there after a crash).
 */
export function nodeAddressOf(
  addresses: readonly InterfaceAddress[],
  options: { readonly family: 'ipv4' | 'ipv6'; readonly vips: readonly string[]; readonly peers: readonly string[] },
): string | undefined {
  const peer = addresses.find((a) => options.peers.includes(a.address));
  if (peer) return peer.address;
  const vips = new Set(options.vips);
  return addresses.find((a) => a.family === options.family && a.scope === 'global' && !vips.has(a.address))?.address;
}

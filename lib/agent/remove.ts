/**
 * `ipfailover remove`: what the documented removal Job means to do on a node — delete the VRRP
 * iptables rule and release the VIPs from the interface. Idempotent: a second run finds nothing
 * to do and succeeds.
 */
import { firstLine, type Runner } from './exec';
import { interfaceAddresses } from './interface-addresses';
import { removeVrrpRule } from './iptables';
import type { AgentSettings } from '../core/settings';

/** What a removal did. */
export interface RemovalOutcome {
  readonly rulesDeleted: number;
  readonly vipsReleased: readonly string[];
  readonly interfaceFound: boolean;
}

/** Deletes the rule and every VIP of the settings found on the interface. */
export async function removeFailover(run: Runner, settings: AgentSettings): Promise<RemovalOutcome> {
  const rulesDeleted = await removeVrrpRule(run, settings.iptablesChain, settings.configName);
  const addresses = await interfaceAddresses(run, settings.networkInterface);
  if (addresses === undefined) return { rulesDeleted, vipsReleased: [], interfaceFound: false };
  const vips = new Set(settings.virtualIps);
  const released: string[] = [];
  for (const a of addresses.filter((x) => vips.has(x.address))) {
    const result = await run('ip', ['addr', 'del', `${a.address}/${a.prefixLength}`, 'dev', settings.networkInterface]);
    // Gone meanwhile (keepalived released it) is as good as deleted.
    if (result.code !== 0 && !/Cannot assign requested address/.test(result.stderr)) {
      throw new Error(`could not release ${a.address} from ${settings.networkInterface}: ${firstLine(result)}`);
    }
    released.push(a.address);
  }
  return { rulesDeleted, vipsReleased: released, interfaceFound: true };
}

/**
 * What `ipfailover remove` does on a node, as the documented removal Job means to: delete the
 * VRRP iptables rule and release the VIPs from the interface. Idempotent: a second run finds
 * nothing to do and succeeds. The command around it is `cli/remove.ts`; the Jobs that run it on
 * every node are planned by `core/emit/removal-jobs.ts`.
 */
import type { Runner } from './exec';
import { removeVrrpRule } from './iptables';
import { releaseWithIp } from './release';
import type { AgentSettings } from '../core/env/setting-rules';

/** What a removal did. */
export interface RemovalOutcome {
  readonly rulesDeleted: number;
  readonly vipsReleased: readonly string[];
  readonly interfaceFound: boolean;
}

/** Deletes the rule and every VIP of the settings found on the interface. */
export async function removeFailover(run: Runner, settings: AgentSettings): Promise<RemovalOutcome> {
  const rulesDeleted = await removeVrrpRule(run, settings.iptablesChain, settings.configName);
  const { interfaceFound, released, failed } = await releaseWithIp(run, settings);
  const [first] = failed;
  if (first) throw new Error(`could not release ${first.vip} from ${settings.networkInterface}: ${first.reason}`);
  return { rulesDeleted, vipsReleased: released, interfaceFound };
}

/**
 * The firewall rule that lets VRRP adverts in: in the chain `OPENSHIFT_HA_IPTABLES_CHAIN`,
 * accept protocol 112 (VRRP) to 224.0.0.18, tagged with the config name so each failover
 * instance owns its rule and `remove` deletes exactly that one.
 *
 * Idempotent by an exact-rule check (`iptables -C`), not by grepping `iptables -S` as Red Hat's
 * image does (where any rule mentioning the address, even a DROP, suppressed the insert).
 */
import { firstLine, NOT_STARTED, type Runner, type RunResult } from './exec';

/** The VRRP multicast group (RFC 5798). */
export const VRRP_GROUP = '224.0.0.18/32';
/** VRRP's IP protocol number; numeric so a missing /etc/protocols does not matter. */
export const VRRP_PROTOCOL = '112';

/** The rule's match and target, after the chain name. */
export function vrrpRuleSpec(configName: string): string[] {
  return [
    '-d',
    VRRP_GROUP,
    '-p',
    VRRP_PROTOCOL,
    '-m',
    'comment',
    '--comment',
    `ipfailover:${configName}`,
    '-j',
    'ACCEPT',
  ];
}

/** What ensuring the rule did. */
export type EnsureOutcome = 'disabled' | 'present' | 'added' | 'no-chain';

/** `-w`: wait for the xtables lock rather than fail when another writer holds it. */
const WAIT = ['-w', '5'];

/** An `iptables` that could not run at all, in words, with the fix. */
export function iptablesMissing(result: RunResult): string {
  return `iptables could not be run (${firstLine(result)}); install iptables (the nft backend, as the image has) or set OPENSHIFT_HA_IPTABLES_CHAIN to "" to manage no rule`;
}

/**
 * Whether the chain exists. `-L` exits 1 for a missing chain (legacy: "No chain/target/match";
 * nft: "chain … is incompatible"); any other failure, such as no `iptables` at all or no
 * privilege, is not a missing chain and throws, saying what is really wrong.
 */
async function chainExists(run: Runner, chain: string): Promise<boolean> {
  const result = await run('iptables', [...WAIT, '-n', '-L', chain]);
  if (result.code === 0) return true;
  if (result.code === 1) return false;
  if (result.code === NOT_STARTED) throw new Error(iptablesMissing(result));
  throw new Error(`iptables could not list chain ${chain}: ${firstLine(result)}`);
}

async function rulePresent(run: Runner, chain: string, configName: string): Promise<boolean> {
  return (await run('iptables', [...WAIT, '-C', chain, ...vrrpRuleSpec(configName)])).code === 0;
}

/**
 * Makes sure the rule is in the chain once: does nothing for `''` (the docs' "no rule"), reports
 * `no-chain` when the chain does not exist (it is never created), inserts at position 1 otherwise.
 */
export async function ensureVrrpRule(run: Runner, chain: string, configName: string): Promise<EnsureOutcome> {
  if (chain === '') return 'disabled';
  if (!(await chainExists(run, chain))) return 'no-chain';
  if (await rulePresent(run, chain, configName)) return 'present';
  const added = await run('iptables', [...WAIT, '-I', chain, '1', ...vrrpRuleSpec(configName)]);
  if (added.code !== 0) throw new Error(`iptables could not add the VRRP rule to chain ${chain}: ${firstLine(added)}`);
  return 'added';
}

/** Deletes every copy of the rule; returns how many it deleted. Safe to run again. */
export async function removeVrrpRule(run: Runner, chain: string, configName: string): Promise<number> {
  if (chain === '' || !(await chainExists(run, chain))) return 0;
  let deleted = 0;
  // Bounded: a rule that -C finds but -D cannot delete must not loop forever.
  while (deleted < 100 && (await rulePresent(run, chain, configName))) {
    const result = await run('iptables', [...WAIT, '-D', chain, ...vrrpRuleSpec(configName)]);
    if (result.code !== 0)
      throw new Error(`iptables could not delete the VRRP rule from chain ${chain}: ${firstLine(result)}`);
    deleted++;
  }
  return deleted;
}

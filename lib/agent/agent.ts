/**
 * `ipfailover agent`: validate the environment, write keepalived.conf atomically, ensure the
 * VRRP firewall rule, run keepalived in the foreground and supervise it. Every dependency on the
 * outside world (commands, spawning, signals, files, output) is injected.
 */
import type { EventEmitter } from 'node:events';
import { ENV_NAMES } from '../core/env-contract';
import { renderKeepalivedConf, instanceName } from '../core/keepalived-conf';
import { groupsOf, type AgentSettings } from '../core/settings';
import { writeFileAtomic } from './atomic-write';
import { shortReason, loadSettings } from './environment';
import type { Runner } from './exec';
import { ensureVrrpRule } from './iptables';
import { discoverNode, type IdentityOptions } from './node-identity';
import { keepalivedArgs, statePaths } from './paths';
import { nodeScriptFs, scriptIssues, type ScriptFs } from './script-check';
import { isStartedLine, parseStateLine } from './state-log';
import { supervise, type SpawnFn } from './supervisor';

/** Exit code for an environment or node the agent refuses to run with. */
export const EXIT_CONFIG = 2;
/** Exit code when keepalived failed or died on its own. */
export const EXIT_FAILED = 1;

/** The outside world of the agent. */
export interface AgentDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly run: Runner;
  readonly spawn: SpawnFn;
  /** The process, for stop signals. */
  readonly signals: EventEmitter;
  readonly hostname: string;
  /** One line of the agent's own log (stdout). */
  readonly log: (line: string) => void;
  /** A line of keepalived's log, or an error line (stderr). */
  readonly logError: (line: string) => void;
  /** Writes the config; atomic by default. */
  readonly writeFile?: (path: string, text: string) => void;
  /** The keepalived binary. */
  readonly keepalived?: string;
  /**
   * The file system the check and notify scripts are looked up in.
   * @default - the real one
   */
  readonly scriptFs?: ScriptFs;
}

/** Command-line options of the agent. */
export interface AgentOptions extends IdentityOptions {
  readonly stateDir?: string;
}

/** Describes each instance once, for the state-change lines. */
function instanceLabels(settings: AgentSettings, ids: readonly number[]): Map<string, string> {
  return new Map(groupsOf(settings).map((vips, g) => [instanceName(settings.configName, g + 1), `vrid ${ids[g]} ${vips.join(',')}`]));
}

/** Runs the agent until keepalived exits; resolves with the process exit code. */
export async function runAgent(options: AgentOptions, deps: AgentDeps): Promise<number> {
  const loaded = loadSettings(deps.env);
  if (!loaded.ok) {
    deps.logError(`ipfailover agent: ${loaded.reason}`);
    return EXIT_CONFIG;
  }
  const { settings } = loaded;
  // keepalived would start without a script it cannot run and take the VIPs unchecked.
  const scripts = scriptIssues(settings, deps.scriptFs ?? nodeScriptFs);
  if (scripts.length > 0) {
    deps.logError(`ipfailover agent: ${shortReason(scripts)}`);
    return EXIT_CONFIG;
  }
  const { node, interfaceFound } = await discoverNode(deps.run, settings, options, deps.hostname);
  if (!interfaceFound) {
    deps.logError(`ipfailover agent: '${ENV_NAMES.networkInterface}' ${JSON.stringify(settings.networkInterface)} is not an interface of this node; set it to the node's interface (br-ex on OVN-Kubernetes)`);
    return EXIT_CONFIG;
  }
  const rendered = renderKeepalivedConf(settings, node);
  if (!rendered.ok) {
    deps.logError(`ipfailover agent: ${shortReason(rendered.issues)}`);
    return EXIT_CONFIG;
  }
  const paths = statePaths(options.stateDir);
  (deps.writeFile ?? ((p, t) => writeFileAtomic(p, t)))(paths.config, rendered.config);
  deps.log(`ipfailover: node ${node.address} (${node.name}) rank ${rendered.rank.rank + 1} of ${rendered.rank.nodes}, ${rendered.vrrpIds.length} VRRP group(s), config ${paths.config}`);

  try {
    const rule = await ensureVrrpRule(deps.run, settings.iptablesChain, settings.configName);
    if (rule === 'no-chain') {
      const mode = settings.unicastPeers.length > 0 ? 'VRRP runs unicast to the peers' : `adverts to 224.0.0.18 may be dropped; set ${ENV_NAMES.unicastPeers} to run unicast`;
      deps.log(`ipfailover: iptables chain ${settings.iptablesChain} does not exist, so no rule was added; ${mode}`);
    } else if (rule !== 'disabled') {
      deps.log(`ipfailover: VRRP rule in iptables chain ${settings.iptablesChain}: ${rule}`);
    }
  } catch (error) {
    deps.logError(`ipfailover agent: ${(error as Error).message}`);
    return EXIT_FAILED;
  }

  const labels = instanceLabels(settings, rendered.vrrpIds);
  const exit = await supervise({
    spawn: deps.spawn,
    command: deps.keepalived ?? 'keepalived',
    args: keepalivedArgs(paths),
    signals: deps.signals,
    onLine: (line) => {
      deps.logError(line);
      const change = parseStateLine(line);
      if (change && labels.has(change.instance)) deps.log(`ipfailover: ${change.instance} (${labels.get(change.instance)}) ${change.state}`);
      else if (isStartedLine(line)) deps.log('ipfailover: keepalived running');
    },
    onStop: (signal) => deps.log(`ipfailover: ${signal} received, stopping keepalived so it releases the VIPs`),
  });
  if (exit.error) {
    deps.logError(`ipfailover agent: could not start keepalived: ${exit.error.message}`);
    return EXIT_FAILED;
  }
  if (exit.stoppedBy) {
    deps.log('ipfailover: keepalived stopped');
    return 0;
  }
  deps.logError(`ipfailover agent: keepalived exited on its own (${exit.signal ?? `code ${exit.code}`}); exiting so the pod restarts`);
  return EXIT_FAILED;
}

/**
 * `ipfailover agent`: validate the environment, take the instance's lock on the node, write
 * keepalived.conf and verify it, ensure the VRRP firewall rule, run keepalived in the foreground
 * and supervise it; when keepalived dies on its own, release its VIPs before exiting. Every
 * dependency on the outside world (commands, spawning, signals, files, processes, output) is
 * injected.
 */
import type { EventEmitter } from 'node:events';
import { ENV_NAMES } from '../core/env/env-contract';
import {
  renderKeepalivedConf,
  instanceName,
  type InstanceNodes,
  type NodeIdentity,
} from '../core/node/keepalived-conf';
import { groupsOf, readsClusterNodes, type AgentSettings } from '../core/env/setting-rules';
import { preemptionText } from '../core/env/setting-table';
import { agentPortOf } from '../core/model/agent-endpoints';
import { INSTANCE_LABEL } from '../core/model/object-names';
import { familyOfText } from '../core/rules/vip-range';
import { WriteError, writeFileAtomic } from './atomic-write';
import { shortReason, loadSettings } from './environment';
import { EXIT_CONFIG, EXIT_FAILED } from './exit-codes';
import { firstLine, NOT_STARTED, type Runner } from './exec';
import { abstractSocketLock, instanceKeys, nameKey, type LockFn, type LockResult } from './instance-lock';
import { ensureVrrpRule, removeVrrpRule, type EnsureOutcome } from './iptables';
import { listenAddressOf, startEndpoints, type ServeFn } from './endpoints';
import { clearLeftovers, procTable, type ProcessTable } from './leftover';
import { discoverClusterNodes, type ClusterNodes, type ClusterNodesOptions } from './cluster-nodes';
import { FORMING_WINDOW_MS, formingSettings } from './forming';
import type { Member } from './membership';
import { identifyNode, type IdentityOptions } from './node-identity';
import { keepalivedArgs, statePaths, type StatePaths } from './paths';
import { releaseWithIp, releaseWithKeepalived, vipsHeld } from './release';
import { nodesCachePath, nodesCacheText, readNodesCache } from './nodes-cache';
import { Reloader } from './reloader';
import { nodeScriptFs, scriptIssues, type ScriptFs } from './script-check';
import { isStartedLine } from './state-log';
import { supervise, type ChildExit, type SpawnFn } from './supervisor';
import { VrrpStatus, type GroupInfo } from './vrrp-status';

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
  /** Writes the config; atomic and read back by default. Throws a `WriteError` when it cannot. */
  readonly writeFile?: (path: string, text: string) => void;
  /** The keepalived binary. */
  readonly keepalived?: string;
  /**
   * The file system the check and notify scripts are looked up in.
   * @default - the real one
   */
  readonly scriptFs?: ScriptFs;
  /**
   * Takes the instance's lock on the node.
   * @default - abstract unix sockets in the node's network namespace
   */
  readonly lock?: LockFn;
  /**
   * Pid files and processes, for a keepalived an earlier run left behind.
   * @default - the real ones
   */
  readonly processes?: ProcessTable;
  /** The process id named in the lock; the real one by default. */
  readonly pid?: number;
  /**
   * Serves `/metrics` and `/readyz` on the instance's host port.
   * @default - no endpoints (`ipfailover agent` passes the real HTTP server)
   */
  readonly serve?: ServeFn;
  /**
   * The ipfailover version the info metric reports.
   * @default 'unknown'
   */
  readonly version?: string;
  /**
   * Milliseconds since the epoch, for the time of each state change.
   * @default Date.now
   */
  readonly clock?: () => number;
  /**
   * Reads the instance's nodes from the cluster (`IPFAILOVER_PEERS` cluster or clusterUnicast).
   * @default discoverClusterNodes (the Kubernetes API of the pod's environment)
   */
  readonly discover?: (options: ClusterNodesOptions) => Promise<ClusterNodes | { reason: string }>;
  /** @default JOIN_WAIT_MS */
  readonly joinWaitMs?: number;
  /**
   * Reads a small file of the state directory (the nodes kept for a restart).
   * @default - a bounded read of the real file
   */
  readonly readFile?: (path: string) => string;
}

/** Command-line options of the agent. */
export interface AgentOptions extends IdentityOptions {
  readonly stateDir?: string;
  /**
   * Where the service account's token, CA and namespace are.
   * @default '/var/run/secrets/kubernetes.io/serviceaccount'
   */
  readonly serviceAccountDir?: string;
}

/** The instance's groups as rendered: keepalived's instance name, VRRP ID and VIPs of each. */
function groupInfos(settings: AgentSettings, ids: readonly number[]): GroupInfo[] {
  return groupsOf(settings).map((vips, g) => ({
    group: g + 1,
    instance: instanceName(settings.configName, g + 1),
    vrid: ids[g]!,
    vips,
  }));
}

/** The one line logged per state change of a group. */
function changeLine(group: GroupInfo, state: string): string {
  return `ipfailover: ${group.instance} (vrid ${group.vrid} ${group.vips.join(',')}) ${state}`;
}

/** Everything decided before the node is touched. */
interface Prepared {
  readonly settings: AgentSettings;
  /** The node as the config was rendered for it (its nodes aside). */
  readonly node: NodeIdentity;
  /** The instance's nodes read from the cluster, while the agent runs; absent with `static`. */
  readonly discovery?: ClusterNodes;
  /**
   * While the instance forms (see `forming.ts`): when that ends (local clock), and the settings
   * keepalived runs with until then.
   */
  readonly forming?: { readonly until: number; readonly settings: AgentSettings };
  readonly config: string;
  readonly vrrpIds: readonly number[];
  readonly summary: string;
  readonly nodeName: string;
  readonly groups: readonly GroupInfo[];
  /** The shared check's `vrrp_script` name, if the config has one. */
  readonly checkScript: string | undefined;
  /** Where `/metrics` and `/readyz` are served, if anywhere. */
  readonly listenAddress: string | undefined;
}

/**
 * How long a `clusterUnicast` agent waits after its first list before it starts keepalived: the
 * others add it to their unicast peers within the reloader's 1 s of gathering plus their watch's delay.
 */
export const JOIN_WAIT_MS = 3000;

/** The nodes the renderer takes, from the members read: every name, and the others' addresses. */
function instanceNodes(members: readonly Member[], self: string): InstanceNodes {
  return {
    names: members.map((m) => m.name),
    peerAddresses: members.flatMap((m) => (m.name !== self && m.address !== undefined ? [m.address] : [])),
  };
}

/** The members for the log: every name up to ten, then how many more. */
function memberList(members: readonly Member[]): string {
  const names = members.map((m) => m.name);
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`;
}

/**
 * Starts reading the instance's nodes from the cluster when `IPFAILOVER_PEERS` asks for it.
 * Without an API server (or before it answers), `cluster` ranks by the node name's hash, with one
 * line saying so, and `clusterUnicast` waits for the first list: it has no one to send adverts to.
 */
async function startDiscovery(
  settings: AgentSettings,
  node: NodeIdentity,
  options: AgentOptions,
  deps: AgentDeps,
): Promise<{ discovery: ClusterNodes; initial: Member[] | undefined } | undefined | string> {
  if (!readsClusterNodes(settings)) return undefined;
  const unicast = settings.peers === 'clusterUnicast';
  const dir = statePaths(options.stateDir).dir;
  const cached = readNodesCache(dir, deps.readFile);
  const found = await (deps.discover ?? discoverClusterNodes)({
    env: deps.env,
    ...(options.serviceAccountDir !== undefined && { serviceAccountDir: options.serviceAccountDir }),
    labels: { [INSTANCE_LABEL]: settings.configName },
    self: node.name,
    ...(node.address !== undefined && { selfAddress: node.address }),
    family: familyOfText(settings.virtualIps[0] ?? '0.0.0.0'),
    log: deps.log,
    logError: deps.logError,
    ...(deps.clock !== undefined && { clock: deps.clock }),
    whileUnlisted: cached
      ? `no node listed yet, so this node runs with the ${cached.length} node(s) it listed before it restarted (${nodesCachePath(dir)}) until the list comes`
      : unicast
        ? 'no node listed yet, so keepalived waits for the list (unicast needs the peers)'
        : "no node listed yet, so the node name's hash ranks this node until the list comes",
  });
  if ('reason' in found) {
    if (unicast)
      return `'${ENV_NAMES.peers}' "clusterUnicast" needs the Kubernetes API, but ${found.reason}; run the agent in the failover pod, or list the peers in ${ENV_NAMES.unicastPeers} with ${ENV_NAMES.peers} static`;
    deps.logError(
      `ipfailover agent: cannot read the instance's nodes from the Kubernetes API (${found.reason}); the node name's hash ranks this node, as with ${ENV_NAMES.peers} static`,
    );
    return undefined;
  }
  if (unicast) {
    if (found.current() === undefined && cached === undefined) await found.listed();
    // The others add this node to their unicast peers when they list its pod, about when it did;
    // a keepalived started before their reload hears no advert and takes their groups too.
    await new Promise((r) => setTimeout(r, deps.joinWaitMs ?? JOIN_WAIT_MS));
  }
  return { discovery: found, initial: found.current() ?? cached };
}

/** Keeps the nodes last listed in the state directory, for a restart while the API is away. */
function keepNodes(paths: StatePaths, members: readonly Member[], deps: AgentDeps): void {
  try {
    (deps.writeFile ?? ((p, t) => writeFileAtomic(p, t)))(nodesCachePath(paths.dir), nodesCacheText(members));
  } catch (error) {
    if (!(error instanceof WriteError)) throw error;
    deps.logError(
      `ipfailover agent: could not keep the nodes in ${error.path}: ${error.reason}; a restart while the API is away starts without them`,
    );
  }
}

/** The forming window the first list showed, if the instance forms and there is a delay to lift; says so. */
function formingOf(
  settings: AgentSettings,
  discovery: ClusterNodes | undefined,
  deps: AgentDeps,
): Prepared['forming'] | undefined {
  const until = discovery?.formingUntil();
  const lifted = formingSettings(settings);
  if (until === undefined || lifted === undefined) return undefined;
  const left = Math.ceil((until - (deps.clock ?? Date.now)()) / 1000);
  deps.log(
    `ipfailover: the instance is forming (its pods were all created in the last ${FORMING_WINDOW_MS / 1000} s), so this node takes its groups without a preempt delay for ${left} s, then with ${preemptionText(settings.preemption)}`,
  );
  return { until, settings: lifted };
}

/** Validates the environment, the scripts and the node, and renders the config; a reason on failure. */
async function prepare(options: AgentOptions, deps: AgentDeps): Promise<Prepared | string> {
  const loaded = loadSettings(deps.env);
  if (!loaded.ok) return loaded.reason;
  const { settings } = loaded;
  // keepalived would start without a script it cannot run and take the VIPs unchecked.
  const scripts = scriptIssues(settings, deps.scriptFs ?? nodeScriptFs);
  if (scripts.length > 0) return shortReason(scripts);
  const identified = await identifyNode(deps.run, settings, options, deps.env, deps.hostname);
  if ('reason' in identified) return identified.reason;
  const { node, interfaceFound } = identified;
  if (!interfaceFound) {
    return `'${ENV_NAMES.networkInterface}' ${JSON.stringify(settings.networkInterface)} is not an interface of this node; set it to the node's interface (br-ex on OVN-Kubernetes)`;
  }
  const started = await startDiscovery(settings, node, options, deps);
  if (typeof started === 'string') return started;
  const discovery = started?.discovery;
  const members = started?.initial;
  const forming = formingOf(settings, discovery, deps);
  const rendered = renderKeepalivedConf(forming?.settings ?? settings, {
    ...node,
    ...(members !== undefined && { nodes: instanceNodes(members, node.name) }),
  });
  if (!rendered.ok) {
    await discovery?.stop();
    return shortReason(rendered.issues);
  }
  const listen = listenAddressOf(deps.env, node.address);
  if ('reason' in listen) {
    await discovery?.stop();
    return listen.reason;
  }
  const from = members !== undefined ? ` (nodes ${memberList(members)})` : '';
  const summary = `node ${node.address} (${node.name}) ${rendered.ranking}${from}, ${rendered.vrrpIds.length} VRRP group(s)`;
  return {
    settings,
    node,
    ...(discovery !== undefined && { discovery }),
    ...(forming !== undefined && { forming }),
    config: rendered.config,
    vrrpIds: rendered.vrrpIds,
    summary,
    nodeName: node.name,
    groups: groupInfos(settings, rendered.vrrpIds),
    checkScript: rendered.checkScript,
    listenAddress: listen.address,
  };
}

/** Why another agent's lock stops this one, naming what is shared and the fix. */
function lockRefusal(refused: Extract<LockResult, { ok: false }>, settings: AgentSettings): string {
  if (refused.key === nameKey(settings.configName)) {
    return `failover instance '${settings.configName}' already runs on this node (${refused.holder}); both would be MASTER; stop the other agent, or give this one its own ${ENV_NAMES.configName} and ${ENV_NAMES.vrrpIdOffset}`;
  }
  const id = refused.key.split('/').at(-1);
  return `VRRP ID ${id} on ${settings.networkInterface} is already used on this node (${refused.holder}); both would be MASTER; give this instance a free ${ENV_NAMES.vrrpIdOffset}`;
}

/** The fix for a config that could not be written, by what went wrong. */
function writeFix(error: WriteError, dir: string): string {
  if (error.code === 'ENOSPC' || error.code === 'EDQUOT' || error.code === undefined)
    return `free space in ${dir} or give --state-dir a directory with room`;
  if (error.code === 'EACCES' || error.code === 'EPERM' || error.code === 'EROFS')
    return `make ${dir} writable by uid ${process.getuid?.() ?? '?'} or give --state-dir a writable directory`;
  return 'give --state-dir a writable directory (the image uses /var/lib/ipfailover)';
}

/** Writes the config and checks it arrived whole; a reason on failure. */
function writeConfig(paths: StatePaths, config: string, deps: AgentDeps): string | undefined {
  try {
    (deps.writeFile ?? ((p, t) => writeFileAtomic(p, t)))(paths.config, config);
    return undefined;
  } catch (error) {
    if (!(error instanceof WriteError)) throw error;
    const what = error.path === paths.config ? 'the keepalived config' : 'to the state directory';
    return `could not write ${what} ${error.path}: ${error.reason}; ${writeFix(error, paths.dir)}`;
  }
}

/** Ensures the VRRP rule and logs what it did; a reason when iptables failed. */
async function ensureRule(settings: AgentSettings, deps: AgentDeps): Promise<EnsureOutcome | { error: string }> {
  try {
    const rule = await ensureVrrpRule(deps.run, settings.iptablesChain, settings.configName);
    if (rule === 'no-chain') {
      const mode =
        settings.unicastPeers.length > 0 || settings.peers === 'clusterUnicast'
          ? 'VRRP runs unicast to the peers'
          : `adverts to 224.0.0.18 may be dropped; set ${ENV_NAMES.unicastPeers} to run unicast`;
      deps.log(`ipfailover: iptables chain ${settings.iptablesChain} does not exist, so no rule was added; ${mode}`);
    } else if (rule !== 'disabled') {
      deps.log(`ipfailover: VRRP rule in iptables chain ${settings.iptablesChain}: ${rule}`);
    }
    return rule;
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Runs the agent until keepalived exits; resolves with the process exit code. */
export async function runAgent(options: AgentOptions, deps: AgentDeps): Promise<number> {
  const fail = (reason: string, code: number): number => {
    deps.logError(`ipfailover agent: ${reason}`);
    return code;
  };
  const prepared = await prepare(options, deps);
  if (typeof prepared === 'string') return fail(prepared, EXIT_CONFIG);
  const { settings } = prepared;
  const family = familyOfText(settings.virtualIps[0] ?? '0.0.0.0');
  const me = `the agent of '${settings.configName}' on node ${prepared.nodeName}, pid ${deps.pid ?? process.pid}`;
  const locked = await (deps.lock ?? abstractSocketLock)(
    instanceKeys(settings.configName, settings.networkInterface, family, prepared.vrrpIds),
    me,
  );
  try {
    if (!locked.ok) return fail(lockRefusal(locked, settings), EXIT_CONFIG);
    try {
      return await runLocked(options, deps, prepared, fail);
    } finally {
      locked.lock.release();
    }
  } finally {
    await prepared.discovery?.stop();
  }
}

/**
 * Follows the instance's nodes: each change renders the config again, and a config that differs
 * reaches keepalived by a reload, which keeps the VIPs the node holds (see `reloader.ts`). While
 * the instance forms, configs are rendered without a preempt delay, and one more render when it
 * has formed brings the delay back.
 */
function followNodes(
  prepared: Prepared,
  paths: StatePaths,
  deps: AgentDeps,
): { reloader: Reloader; stop: () => void } | undefined {
  const { discovery, settings, node, forming } = prepared;
  if (discovery === undefined) return undefined;
  const reloader = new Reloader({
    running: prepared.config,
    write: (config) => writeConfig(paths, config, deps),
    log: deps.log,
    logError: deps.logError,
  });
  let formed = forming === undefined;
  let members = discovery.current();
  const render = (why: string): void => {
    const rendered = renderKeepalivedConf(!formed && forming ? forming.settings : settings, {
      ...node,
      ...(members !== undefined && { nodes: instanceNodes(members, node.name) }),
    });
    if (!rendered.ok) {
      deps.logError(`ipfailover agent: ${why}, but ${shortReason(rendered.issues)}; keepalived keeps its config`);
      return;
    }
    reloader.request(rendered.config, `${why}: ${rendered.ranking}`);
  };
  discovery.onChange((now) => {
    members = now;
    keepNodes(paths, now, deps);
    render(`nodes now ${memberList(now)}`);
  });
  const formedAt =
    forming &&
    setTimeout(
      () => {
        formed = true;
        render(`the instance has formed, so ${preemptionText(settings.preemption)} again`);
      },
      Math.max(0, forming.until - (deps.clock ?? Date.now)()),
    );
  return {
    reloader,
    stop: () => {
      clearTimeout(formedAt);
      reloader.stop();
    },
  };
}

/** The agent's work once it alone runs the instance on the node. */
async function runLocked(
  options: AgentOptions,
  deps: AgentDeps,
  prepared: Prepared,
  fail: (reason: string, code: number) => number,
): Promise<number> {
  const { settings } = prepared;
  const paths = statePaths(options.stateDir);
  const unwritten = writeConfig(paths, prepared.config, deps);
  if (unwritten) return fail(unwritten, EXIT_CONFIG);
  deps.log(`ipfailover: ${prepared.summary}, config ${paths.config}`);

  const command = deps.keepalived ?? 'keepalived';
  // Checked before the rule is added, so a missing keepalived leaves nothing behind.
  const version = await deps.run(command, ['--version']);
  if (version.code === NOT_STARTED)
    return fail(
      `keepalived could not be run (${firstLine(version)}); install keepalived (the image has it at /usr/sbin/keepalived) or put it on the PATH`,
      EXIT_FAILED,
    );
  await takeOverLeftovers(paths, deps);
  const rule = await ensureRule(settings, deps);
  if (typeof rule === 'object') return fail(rule.error, EXIT_FAILED);

  const status = new VrrpStatus(prepared.groups, prepared.checkScript, deps.clock);
  const endpoints = await startEndpoints(status, deps.serve, {
    address: prepared.listenAddress,
    port: agentPortOf(settings.vrrpIdOffset),
    info: {
      config: settings.configName,
      node: prepared.nodeName,
      interface: settings.networkInterface,
      vrrpIdOffset: settings.vrrpIdOffset,
      groups: prepared.groups.length,
      version: deps.version ?? 'unknown',
      keepalivedVersion: /Keepalived v(\S+)/.exec(`${version.stdout}${version.stderr}`)?.[1] ?? 'unknown',
    },
    log: deps.log,
    logError: deps.logError,
  });
  const following = followNodes(prepared, paths, deps);
  const reloader = following?.reloader;
  const listed = prepared.discovery?.current();
  if (listed !== undefined) keepNodes(paths, listed, deps);
  const keepalived = { spawn: deps.spawn, command, args: keepalivedArgs(paths) };
  const exit = await supervise({
    ...keepalived,
    signals: deps.signals,
    onSpawn: (child) => reloader?.attach(child),
    onLine: (line) => {
      deps.logError(line);
      for (const change of status.observe(line)) deps.log(changeLine(change.group, change.state));
      if (isStartedLine(line)) deps.log('ipfailover: keepalived running');
      reloader?.onLine(line);
    },
    onStop: (signal) => {
      following?.stop();
      status.stopping();
      deps.log(`ipfailover: ${signal} received, stopping keepalived so it releases the VIPs`);
    },
  }).finally(() => {
    following?.stop();
    status.exited();
    return endpoints?.close();
  });
  if (exit.error) {
    // Only the rule this run added: one that was there before belongs to an earlier run.
    if (rule === 'added') await removeVrrpRule(deps.run, settings.iptablesChain, settings.configName).catch(() => 0);
    return fail(`could not start keepalived: ${exit.error.message}`, EXIT_FAILED);
  }
  if (exit.stoppedBy) {
    deps.log('ipfailover: keepalived stopped');
    return 0;
  }
  await releaseAfterDeath(settings, paths, deps, { ...keepalived, instances: prepared.groups.map((g) => g.instance) });
  return fail(`keepalived exited on its own (${describeExit(exit)}); exiting so the pod restarts`, EXIT_FAILED);
}

function describeExit(exit: ChildExit): string {
  return exit.signal ?? `code ${exit.code}`;
}

/** Stops a keepalived an earlier run left for this config and deletes stale pid files, saying so. */
async function takeOverLeftovers(paths: StatePaths, deps: AgentDeps): Promise<void> {
  const left = await clearLeftovers(paths, deps.processes ?? procTable);
  if (left.stopped.length > 0) {
    const killed = left.killed.length > 0 ? ` (killed ${left.killed.join(', ')}, which ignored SIGTERM)` : '';
    deps.log(
      `ipfailover: stopped keepalived ${left.stopped.join(', ')} left running for ${paths.config} by an earlier run${killed}`,
    );
  }
  if (left.staleFiles.length > 0) deps.log(`ipfailover: deleted stale pid file(s) ${left.staleFiles.join(', ')}`);
}

/**
 * keepalived died without releasing its VIPs (SIGKILL, a crash): delete them here, so the node
 * does not keep serving them while a peer takes them too. `ip` first (root); where it is refused
 * (the image runs as nobody), keepalived, which carries NET_ADMIN, deletes them as it starts.
 */
async function releaseAfterDeath(
  settings: AgentSettings,
  paths: StatePaths,
  deps: AgentDeps,
  keepalived: Omit<Parameters<typeof releaseWithKeepalived>[0], 'onLine'>,
): Promise<void> {
  const byIp = await releaseWithIp(deps.run, settings);
  if (byIp.released.length > 0)
    deps.log(
      `ipfailover: released ${byIp.released.join(', ')} from ${settings.networkInterface} (keepalived left them)`,
    );
  if (byIp.failed.length === 0) return;
  await takeOverLeftovers(paths, deps);
  await releaseWithKeepalived({ ...keepalived, onLine: deps.logError });
  const left = await vipsHeld(deps.run, settings);
  const gone = byIp.failed.map((f) => f.vip).filter((vip) => !left.includes(vip));
  if (gone.length > 0)
    deps.log(
      `ipfailover: released ${gone.join(', ')} from ${settings.networkInterface} through keepalived (keepalived left them)`,
    );
  if (left.length > 0) {
    deps.logError(
      `ipfailover agent: ${left.join(', ')} still on ${settings.networkInterface} after keepalived died (ip: ${byIp.failed[0]!.reason}); run ipfailover remove as root on this node (the removal Job) to release them`,
    );
  }
}

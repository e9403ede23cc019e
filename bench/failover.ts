/**
 * Failover timings of the real agent and keepalived, on three network-namespace nodes (the e2e
 * cluster): node loss, graceful handover and watched-service death, for the default profile
 * (VRRPv2, 1 s adverts) and the fast profile (VRRPv3, 0.1 s), each the median of several
 * trials beside its RFC 5798 floor, and a rolling change against the graceful handover
 * (bench/rolling.ts); then agent start → keepalived running, and resident memory.
 * Prints; asserts nothing. Needs root and keepalived (it says so and skips otherwise).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { PRIORITY_STEP, TOP_PRIORITY } from '../lib/core/node/priorities';
import { Cluster, buildCli, peersOf, skipReason, waitFor } from '../test/e2e/cluster';
import { benchRolling } from './rolling';

const TRIALS = 5;
const PORT = 18081;
const CHECK_INTERVAL = 1;
/** The VIP each trial takes away from whichever node holds it. */
const VIP = '192.0.2.101';
const VIPS = ['192.0.2.101', '192.0.2.102', '192.0.2.103'];

interface Profile {
  readonly name: string;
  readonly advert: number;
}

const PROFILES: readonly Profile[] = [
  { name: 'default (VRRPv2, advert 1 s)', advert: 1 },
  { name: 'fast (VRRPv3, advert 0.1 s)', advert: 0.1 },
];

function env(profile: Profile, withCheck: boolean): Record<string, string> {
  return {
    OPENSHIFT_HA_CONFIG_NAME: 'bench',
    OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.101-103',
    OPENSHIFT_HA_REPLICA_COUNT: '3',
    OPENSHIFT_HA_USE_UNICAST: 'true',
    OPENSHIFT_HA_UNICAST_PEERS: peersOf(3),
    OPENSHIFT_HA_MONITOR_PORT: withCheck ? String(PORT) : '0',
    OPENSHIFT_HA_CHECK_INTERVAL: String(CHECK_INTERVAL),
    OPENSHIFT_HA_IPTABLES_CHAIN: '',
    IPFAILOVER_ADVERT_INTERVAL: String(profile.advert),
  };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const secs = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

/** RFC 5798: skew time of a backup of this priority. */
const skew = (priority: number, advert: number): number => ((256 - priority) * advert) / 256;
/** The second choice's priority with three nodes: the node that takes over. */
const SECOND = TOP_PRIORITY - PRIORITY_STEP;

/** Busy-polls (every ~5 ms) until the VIP is held by a node other than `from`; returns ms since `t0`. */
async function timeUntilMoved(cluster: Cluster, from: number, t0: number): Promise<number> {
  const others = [0, 1, 2].filter((i) => i !== from);
  for (;;) {
    if (others.some((i) => cluster.addresses(i).includes(VIP))) return performance.now() - t0;
    if (performance.now() - t0 > 30_000) throw new Error('the VIP never moved');
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Scenario = 'node loss' | 'graceful handover' | 'service death';

/** One trial: a fresh cluster, three agents, wait until one holds the VIP, then the event on that node. */
async function trial(cli: string, profile: Profile, scenario: Scenario): Promise<number> {
  const cluster = new Cluster('ipfbench', 3, cli);
  const services: ChildProcess[] = [];
  try {
    cluster.up();
    const withCheck = scenario === 'service death';
    if (withCheck) {
      for (let i = 0; i < 3; i++) services.push(cluster.startService(i, PORT));
      await waitFor('services', () => [0, 1, 2].every((i) => cluster.listening(i, PORT)));
    }
    const agents = [0, 1, 2].map((i) => cluster.startAgent(i, env(profile, withCheck)));
    await waitFor('placement', () => cluster.oneOwnerEach(VIPS), 30_000);
    // Let the backups hear a few adverts so their timers are in steady state.
    await new Promise((r) => setTimeout(r, profile.advert * 3000));
    const master = cluster.owners([VIP]).get(VIP)![0]!;
    const t0 = performance.now();
    if (scenario === 'node loss') cluster.setLink(master, false);
    else if (scenario === 'graceful handover') agents[master]!.child.kill('SIGTERM');
    else services[master]!.kill('SIGKILL');
    return await timeUntilMoved(cluster, master, t0);
  } finally {
    for (const s of services) s.kill('SIGKILL');
    cluster.destroy();
  }
}

function floorOf(profile: Profile, scenario: Scenario): number {
  const a = profile.advert;
  if (scenario === 'node loss') return 3 * a + skew(SECOND, a);
  if (scenario === 'graceful handover') return skew(SECOND, a);
  return skew(SECOND, a); // after the check has failed (up to one check interval to notice)
}

function targetOf(profile: Profile, scenario: Scenario): string {
  const a = profile.advert;
  if (scenario === 'node loss')
    return profile.advert < 1 ? '< 0.5 s' : `<= floor + 0.3 s = ${(floorOf(profile, scenario) + 0.3).toFixed(3)} s`;
  if (scenario === 'graceful handover') return '<= 0.2 s';
  return `<= check ${CHECK_INTERVAL} s x fall 1 + advert + 0.5 s = ${(CHECK_INTERVAL + a + 0.5).toFixed(2)} s`;
}

/** Agent start → "keepalived running", and the agent's and keepalived's resident memory. */
async function startAndMemory(cli: string): Promise<string[]> {
  const starts: number[] = [];
  let agentRss = 0;
  let keepalivedRss = 0;
  for (let t = 0; t < TRIALS; t++) {
    const cluster = new Cluster('ipfbench', 1, cli);
    try {
      cluster.up();
      const t0 = performance.now();
      const agent = cluster.startAgent(0, {
        ...env(PROFILES[0]!, false),
        OPENSHIFT_HA_USE_UNICAST: '',
        OPENSHIFT_HA_UNICAST_PEERS: '',
        OPENSHIFT_HA_REPLICA_COUNT: '1',
      });
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (agent.lines.includes('ipfailover: keepalived running')) resolve();
        };
        agent.child.stdout!.on('data', () => setImmediate(check));
      });
      starts.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 1000));
      agentRss = Math.max(agentRss, rssKiB(agent.child.pid!));
      const pids = spawnSync('pgrep', ['-f', `${cluster.stateRoot}/n0/keepalived.conf`], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((p) => p !== '');
      keepalivedRss = Math.max(
        keepalivedRss,
        pids.reduce((sum, pid) => sum + rssKiB(Number(pid)), 0),
      );
    } finally {
      cluster.destroy();
    }
  }
  return [
    `agent start -> keepalived running (node start, env check, config, keepalived's VRRP child up): median ${secs(median(starts))} of ${TRIALS} (target <= 0.300 s)`,
    `resident memory: agent (node) ${(agentRss / 1024).toFixed(1)} MiB; keepalived (parent + VRRP child) ${(keepalivedRss / 1024).toFixed(1)} MiB`,
  ];
}

function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Runs the failover benchmarks and returns the lines to print. */
export async function benchFailover(): Promise<string[]> {
  const reason = skipReason();
  if (reason !== undefined) return [`failover bench skipped: ${reason}`];
  const cli = buildCli();
  const lines: string[] = [];
  for (const profile of PROFILES) {
    let graceful = 0;
    for (const scenario of ['node loss', 'graceful handover', 'service death'] as const) {
      const times: number[] = [];
      for (let t = 0; t < TRIALS; t++) times.push(await trial(cli, profile, scenario));
      if (scenario === 'graceful handover') graceful = median(times);
      const floor = floorOf(profile, scenario);
      // The master-down timer runs from the last advert heard, which came up to one advert
      // interval before the event: measured from the event, node loss lands in (floor - advert, floor].
      const note =
        scenario === 'service death'
          ? ` + up to ${CHECK_INTERVAL} s until the check runs`
          : scenario === 'node loss'
            ? ` after the last advert, so ${(floor - profile.advert).toFixed(3)}..${floor.toFixed(3)} s after the event`
            : '';
      lines.push(
        `${profile.name}, ${scenario}: median ${secs(median(times))} of ${TRIALS} (min ${secs(Math.min(...times))}, max ${secs(Math.max(...times))}); RFC 5798 floor ${floor.toFixed(3)} s${note}; target ${targetOf(profile, scenario)}`,
      );
    }
    lines.push(...(await benchRolling(cli, profile, graceful)));
  }
  lines.push(...(await startAndMemory(cli)));
  lines.push('(times from the event to the VIP on another node, polled every ~5 ms with `ip -j addr`)');
  return lines;
}

if (require.main === module) {
  void benchFailover().then((lines) => {
    for (const line of lines) console.log(line);
  });
}

/**
 * Balance at start-up, with random node names: three network-namespace nodes start the real
 * agent and keepalived as the pods of one new deployment do, each at a random moment within
 * 2 s (image pulls and scheduling spread a real rollout at least as much), 20 times, each time
 * with new node names and new pods, and the bench counts the VRRP groups each node masters once
 * the election has settled. Default profile: 1 s adverts, preempt_delay 300. Four rows:
 *
 * - `static` without a peer list: the node name's hash (OpenShift's default, multicast), where
 *   two names sharing a rank (7 in 9 with three random names) pile groups on one node;
 * - `cluster` with pods an hour old: exact ranks, but no forming window (see
 *   lib/agent/forming.ts), so the preempt delay holds from the start: the baseline for the next;
 * - `cluster`: the nodes read from the API stand-in (multicast), a new deployment;
 * - `clusterUnicast`: the same, VRRP unicast to them.
 *
 * Then, from the rank algorithm alone, how many groups move between the nodes already there when
 * a node joins, against the rotation the name hash and the old peer list used.
 * Prints; asserts nothing. Needs root and keepalived (it says so and skips otherwise).
 */
import { randomBytes } from 'node:crypto';
import { preferenceOrders } from '../lib/core/node/priorities';
import { ApiStandIn, startAgentNamed } from '../test/e2e/api-stand-in';
import { Cluster, buildCli, skipReason, waitFor, type Agent } from '../test/e2e/cluster';

const TRIALS = 20;
/** Each agent starts at a random moment within this long of the first. */
const SPREAD_MS = 2000;
const GROUPS = 12;
const VIPS = Array.from({ length: GROUPS }, (_, i) => `192.0.2.${101 + i}`);
/** A way of ranking, and whether the pods are new (a forming instance) or an hour old (the baseline). */
const MODES = ['static', 'clusterFormed', 'cluster', 'clusterUnicast'] as const;
type Mode = (typeof MODES)[number];
const PEERS: Record<Mode, string> = {
  static: 'static',
  clusterFormed: 'cluster',
  cluster: 'cluster',
  clusterUnicast: 'clusterUnicast',
};

const WORDS: Record<Mode, string> = {
  static: "name hash (static, multicast: today's default without the API)",
  clusterFormed:
    'cluster, pods an hour old (no forming window: the preempt delay from the start, as before it; the baseline)',
  cluster: 'cluster (nodes from the API, multicast)',
  clusterUnicast: 'clusterUnicast (nodes from the API, unicast)',
};

function env(mode: Mode): Record<string, string> {
  return {
    OPENSHIFT_HA_CONFIG_NAME: 'bench',
    OPENSHIFT_HA_VIRTUAL_IPS: `192.0.2.101-${100 + GROUPS}`,
    OPENSHIFT_HA_REPLICA_COUNT: '3',
    OPENSHIFT_HA_MONITOR_PORT: '0',
    OPENSHIFT_HA_IPTABLES_CHAIN: '',
    IPFAILOVER_PEERS: PEERS[mode],
    ...ApiStandIn.env(),
  };
}

/** Groups each node masters, busiest first. */
function loads(cluster: Cluster): number[] {
  return [0, 1, 2]
    .map((i) => {
      const held = new Set(cluster.addresses(i));
      return VIPS.filter((v) => held.has(v)).length;
    })
    .sort((a, b) => b - a);
}

/** Start-up `trial` of `mode`: new names, new pods, three agents within SPREAD_MS; the loads once settled, and the spread. */
async function startUp(
  cluster: Cluster,
  api: ApiStandIn,
  mode: Mode,
  trial: number,
): Promise<{ loads: number[]; spreadMs: number }> {
  const names = [0, 1, 2].map(() => `worker-${randomBytes(3).toString('hex')}`);
  for (const [i, name] of names.entries())
    await api.addPod({
      name: `bench-${trial}-${i}`,
      labels: { ipfailover: 'bench' },
      nodeName: name,
      ip: cluster.address(i),
      ...(mode === 'clusterFormed' && { createdSecondsAgo: 3600 }),
    });
  const offsets = names.map(() => Math.random() * SPREAD_MS);
  const agents: Agent[] = await Promise.all(
    names.map(async (name, i) => {
      await new Promise((r) => setTimeout(r, offsets[i]));
      return startAgentNamed(cluster, i, env(mode), name, api.serviceAccountDir, `${mode}-${trial}-${i}`);
    }),
  );
  const spreadMs = Math.max(...offsets) - Math.min(...offsets);
  await waitFor('every VIP held once', () => cluster.oneOwnerEach(VIPS), 30_000);
  // Settled: the same placement over three advert intervals.
  let placed = JSON.stringify([...cluster.owners(VIPS).entries()]);
  for (let still = 0; still < 3;) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = JSON.stringify([...cluster.owners(VIPS).entries()]);
    still = now === placed ? still + 1 : 0;
    placed = now;
  }
  const result = loads(cluster);
  for (const a of agents) a.child.kill('SIGTERM');
  await Promise.all(agents.map((a) => a.exited));
  for (const i of [0, 1, 2]) await api.send({ op: 'deletePod', name: `bench-${trial}-${i}` });
  return { loads: result, spreadMs };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Groups moved between the nodes already there when one joins, averaged over random names. */
function joinChurn(groups: number, nodes: number): { members: number; rotation: number } {
  let members = 0;
  let rotation = 0;
  const runs = 200;
  const rotate = (set: readonly string[]): string[] => {
    const sorted = [...set].sort();
    return Array.from({ length: groups }, (_, g) => sorted[g % sorted.length]!);
  };
  for (let r = 0; r < runs; r++) {
    const set = Array.from({ length: nodes }, () => `worker-${randomBytes(3).toString('hex')}`);
    const joiner = `worker-${randomBytes(3).toString('hex')}`;
    const before = preferenceOrders(set, groups).map((o) => o[0]);
    const after = preferenceOrders([...set, joiner], groups).map((o) => o[0]);
    members += after.filter((m, g) => m !== joiner && m !== before[g]).length;
    const rb = rotate(set);
    rotation += rotate([...set, joiner]).filter((m, g) => m !== joiner && m !== rb[g]).length;
  }
  return { members: members / runs, rotation: rotation / runs };
}

export async function benchPeers(): Promise<string[]> {
  const lines: string[] = [];
  for (const [groups, nodes] of [
    [12, 3],
    [254, 3],
    [254, 8],
  ] as const) {
    const churn = joinChurn(groups, nodes);
    lines.push(
      `a node joins ${nodes} (${groups} groups): ${churn.members.toFixed(1)} groups move between the others (member algorithm), ${churn.rotation.toFixed(1)} (rotation)`,
    );
  }
  const skip = skipReason();
  if (skip !== undefined) return [...lines, `start-ups skipped: ${skip}`];
  const cli = buildCli();
  lines.push(
    `${TRIALS} start-ups of 3 nodes with random names, each agent started at a random moment within ${SPREAD_MS / 1000} s, ${GROUPS} VIPs in ${GROUPS} groups, default profile (1 s adverts, preempt_delay 300); no node should master more than ceil(${GROUPS} / 3) = ${Math.ceil(GROUPS / 3)}`,
  );
  for (const mode of MODES) {
    const cluster = new Cluster('ipfbp', 3, cli);
    let api: ApiStandIn | undefined;
    try {
      cluster.up();
      api = await ApiStandIn.start(cluster);
      const busiest: number[] = [];
      const spreads: number[] = [];
      let exact = 0;
      for (let t = 0; t < TRIALS; t++) {
        const result = await startUp(cluster, api, mode, t);
        busiest.push(result.loads[0]!);
        spreads.push(result.spreadMs / 1000);
        if (result.loads.join() === '4,4,4') exact++;
      }
      lines.push(
        `${WORDS[mode]}: busiest node median ${median(busiest)}, max ${Math.max(...busiest)} groups; 4-4-4 in ${exact} of ${TRIALS} (busiest per start-up: ${busiest.join(' ')}; first to last agent started ${Math.min(...spreads).toFixed(2)}-${Math.max(...spreads).toFixed(2)} s apart)`,
      );
    } finally {
      api?.stop();
      cluster.destroy();
    }
  }
  return lines;
}

/**
 * A rolling change of a failover Deployment, played on the e2e cluster the way Kubernetes plays
 * `RollingUpdate` with `maxUnavailable: 1, maxSurge: 0` (a surge pod cannot schedule: the
 * hostPort holds every node): one node at a time, the old pod gets SIGTERM, the kubelet starts
 * the new pod once the old one has exited (the hostPort is free only then), and the next node's
 * turn comes when the new pod is up. Shared by test/e2e/rolling.test.ts and `npm run bench`.
 */
import { Planner, failoverObjects, type IpFailoverOptions } from '../../lib';
import { type HolderWatch, vipWindow, type VipWindow } from './holders';
import { peersOf, waitFor, type Agent, type Cluster } from './cluster';

/** One change rolled out: a name, and the props the new pods are synthesized from. */
export interface RollStep {
  readonly name: string;
  readonly props: IpFailoverOptions;
}

/**
 * The issue's three changes, each rolled out after the one before, from six VIPs over three
 * nodes (defaults elsewhere, unicast so the ranks are exact): a new image tag (the same
 * settings), one VIP added, the check interval changed. `extra` props apply to every version.
 */
export function threeChanges(
  monitorPort: number,
  extra: Partial<IpFailoverOptions> = {},
): { first: IpFailoverOptions; steps: RollStep[] } {
  const first: IpFailoverOptions = {
    virtualIps: '192.0.2.101-106',
    replicas: 3,
    unicastPeers: peersOf(3).split(','),
    monitorPort,
    image: 'registry.example/ipfailover:1.0.0',
    strategy: 'RollingUpdate',
    ...extra,
  };
  const retagged = { ...first, image: 'registry.example/ipfailover:1.0.1' };
  const grown = { ...retagged, virtualIps: '192.0.2.101-107' };
  return {
    first,
    steps: [
      { name: 'new image tag', props: retagged },
      { name: 'one VIP added', props: grown },
      { name: 'check interval changed', props: { ...grown, checkIntervalSeconds: 1 } },
    ],
  };
}

/** What one step did to the VIPs it did not change. */
export interface StepReport {
  readonly name: string;
  /** Each VIP served before and after the step, with what the samples of the step say. */
  readonly unchanged: ReadonlyMap<string, VipWindow>;
  /** How long the step took, from the first SIGTERM to the last new pod up, in ms. */
  readonly durationMs: number;
}

/** What the pods of a Deployment synthesized from the props run with. */
export interface Rollout {
  /** The failover container's environment, as the constructs write it. */
  readonly env: Record<string, string>;
  readonly vips: readonly string[];
  readonly groups: number;
}

/** Plans the props as the constructs do and reads the Deployment's container environment. */
export function rolloutOf(props: IpFailoverOptions): Rollout {
  const { plan, issues } = new Planner().add(props, { path: 'e2e/Rolling', id: 'rolling', defaultNamespace: 'e2e' });
  if (plan === undefined) throw new Error(`the props do not plan: ${JSON.stringify(issues)}`);
  const deployment = failoverObjects(plan).find((o) => o.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } };
  };
  const env = deployment.spec.template.spec.containers[0]!.env;
  return {
    env: Object.fromEntries(env.map((e) => [e.name, e.value ?? ''])),
    vips: plan.settings.virtualIps,
    groups: plan.groups.length,
  };
}

/** The VRRP instances of the agent that have reported MASTER or BACKUP. */
function settledInstances(agent: Agent): Set<string> {
  const settled = new Set<string>();
  for (const line of agent.lines) {
    const m = /^ipfailover: (\S+) \(vrid \d+ [^)]*\) (MASTER|BACKUP)$/.exec(line);
    if (m) settled.add(m[1]!);
  }
  return settled;
}

/**
 * Up, as the readiness of a new pod: keepalived runs and every VRRP group has reported MASTER
 * or BACKUP (it speaks VRRP for each; a group in FAULT could not take its VIPs).
 */
export function isUp(agent: Agent, groups: number): boolean {
  return agent.lines.includes('ipfailover: keepalived running') && settledInstances(agent).size === groups;
}

/** Starts one agent per node with the props' environment and waits until each is up and every VIP held once. */
export async function startAll(cluster: Cluster, props: IpFailoverOptions): Promise<Agent[]> {
  const { env, vips, groups } = rolloutOf(props);
  const agents = cluster.nodes.map((_, i) => cluster.startAgent(i, env, `n${i}-0`));
  await waitFor('every agent up', () => agents.every((a) => isUp(a, groups)), 30_000);
  await waitFor('every VIP held once', () => cluster.oneOwnerEach(vips), 30_000);
  return agents;
}

/**
 * Rolls each step out over the nodes in order, one node at a time, while `watch` samples the
 * holders; returns the new agents and, per step, the holders of the VIPs it left unchanged.
 *
 * A new pod counts as ready once it is up and `readyAfterMs` have passed since it started: in a
 * cluster the readiness probe's first success, and so the next node's turn, comes seconds after
 * the container starts. Give it more than the master-down interval (3 adverts and a skew), so a
 * new pod has had the time to take any VIP no one announces before the next old pod stops.
 */
export async function rollOut(
  cluster: Cluster,
  watch: HolderWatch,
  agents: Agent[],
  first: IpFailoverOptions,
  steps: readonly RollStep[],
  readyAfterMs: number,
): Promise<{ agents: Agent[]; reports: StepReport[] }> {
  const reports: StepReport[] = [];
  let before = first;
  let generation = 0;
  for (const step of steps) {
    generation++;
    const { env, vips, groups } = rolloutOf(step.props);
    const oldVips = new Set(rolloutOf(before).vips);
    const unchanged = vips.filter((vip) => oldVips.has(vip));
    const from = Date.now();
    for (let i = 0; i < cluster.nodes.length; i++) {
      const old = agents[i]!;
      old.child.kill('SIGTERM');
      const code = await old.exited;
      if (code !== 0) throw new Error(`the old agent on node ${i} exited ${code}: ${old.lines.slice(-3).join(' | ')}`);
      const started = Date.now();
      const fresh = cluster.startAgent(i, env, `n${i}-${generation}`);
      agents[i] = fresh;
      await waitFor(`the new agent on node ${i} up (${step.name})`, () => isUp(fresh, groups), 30_000);
      await new Promise((r) => setTimeout(r, started + readyAfterMs - Date.now()));
    }
    const to = Date.now();
    // Read one more pass so the window ends with a sample taken after the last pod was up.
    await watch.passAfter(to);
    reports.push({
      name: step.name,
      unchanged: new Map(unchanged.map((vip) => [vip, vipWindow(watch.samples, vip, from, Date.now())])),
      durationMs: to - from,
    });
    before = step.props;
  }
  return { agents, reports };
}

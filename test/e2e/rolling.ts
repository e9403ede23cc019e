/**
 * A rolling change of a failover Deployment, played on the e2e cluster the way Kubernetes plays
 * `RollingUpdate` with `maxUnavailable: 1, maxSurge: 0` (a surge pod cannot schedule: the
 * hostPort holds every node): one node at a time, the old pod gets SIGTERM, the kubelet starts
 * the new pod once the old one has exited (the hostPort is free only then), and the next node's
 * turn comes when the new pod is ready: when the Deployment's own readiness probe, run as the
 * kubelet runs it (from the container's start, every `periodSeconds`), gets a 200 from the
 * agent. Shared by test/e2e/rolling.test.ts and `npm run bench`.
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
  /** How long the step took, from the first SIGTERM to the last new pod ready, in ms. */
  readonly durationMs: number;
}

/** The Deployment's readiness probe: an HTTP GET of a path on a port, every `periodSeconds`. */
export interface ReadinessProbe {
  readonly path: string;
  readonly port: number;
  readonly periodSeconds: number;
}

/** What the pods of a Deployment synthesized from the props run with. */
export interface Rollout {
  /** The failover container's environment on node i of the cluster, as the kubelet gives it. */
  readonly envOn: (cluster: Cluster, i: number) => Record<string, string>;
  readonly vips: readonly string[];
  readonly probe: ReadinessProbe;
}

interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath?: string } };
}

interface Container {
  readonly env: readonly EnvVar[];
  readonly readinessProbe?: {
    readonly httpGet?: { readonly path: string; readonly port: number };
    readonly periodSeconds?: number;
  };
}

/**
 * The variable's value on node i: its value, or what the downward API gives: `status.podIP` (the
 * node's address, with hostNetwork) or `spec.nodeName`.
 */
function valueOn(v: EnvVar, cluster: Cluster, i: number): string {
  if (v.value !== undefined) return v.value;
  const field = v.valueFrom?.fieldRef?.fieldPath;
  if (field === 'status.podIP') return cluster.address(i);
  if (field === 'spec.nodeName') return cluster.nodeName(i);
  throw new Error(`no stand-in for ${v.name}'s ${JSON.stringify(v.valueFrom)}`);
}

/** Plans the props as the constructs do and reads the Deployment's failover container. */
export function rolloutOf(props: IpFailoverOptions): Rollout {
  const { plan, issues } = new Planner().add(props, { path: 'e2e/Rolling', id: 'rolling', defaultNamespace: 'e2e' });
  if (plan === undefined) throw new Error(`the props do not plan: ${JSON.stringify(issues)}`);
  const deployment = failoverObjects(plan).find((o) => o.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: Container[] } } };
  };
  const container = deployment.spec.template.spec.containers[0]!;
  const probe = container.readinessProbe;
  if (probe?.httpGet === undefined) throw new Error('the Deployment has no HTTP readiness probe');
  return {
    envOn: (cluster, i) => Object.fromEntries(container.env.map((v) => [v.name, valueOn(v, cluster, i)])),
    vips: plan.settings.virtualIps,
    // Kubernetes' default period is 10 s.
    probe: { ...probe.httpGet, periodSeconds: probe.periodSeconds ?? 10 },
  };
}

/** One probe of the agent on node i, as the kubelet sends it (hostNetwork: to the node's address). */
function probeReady(cluster: Cluster, i: number, probe: ReadinessProbe): boolean {
  return cluster.httpGet(i, `http://${cluster.address(i)}:${probe.port}${probe.path}`).status === 200;
}

/**
 * Resolves once the kubelet would call the pod on node i ready: probes from the container's
 * start, then every period, until one succeeds (`initialDelaySeconds` 0, `successThreshold` 1).
 */
async function becomesReady(cluster: Cluster, i: number, probe: ReadinessProbe, what: string): Promise<void> {
  const end = Date.now() + 30_000;
  while (!probeReady(cluster, i, probe)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, probe.periodSeconds * 1000));
  }
}

/** Starts one agent per node with the props' environment and waits until each is ready and every VIP held once. */
export async function startAll(cluster: Cluster, props: IpFailoverOptions): Promise<Agent[]> {
  const { envOn, vips, probe } = rolloutOf(props);
  const agents = cluster.nodes.map((_, i) => cluster.startAgent(i, envOn(cluster, i), `n${i}-0`));
  await Promise.all(agents.map((_, i) => becomesReady(cluster, i, probe, `the agent on node ${i} ready`)));
  await waitFor('every VIP held once', () => cluster.oneOwnerEach(vips), 30_000);
  return agents;
}

/**
 * Rolls each step out over the nodes in order, one node at a time, while `watch` samples the
 * holders; returns the new agents and, per step, the holders of the VIPs it left unchanged.
 */
export async function rollOut(
  cluster: Cluster,
  watch: HolderWatch,
  agents: Agent[],
  first: IpFailoverOptions,
  steps: readonly RollStep[],
): Promise<{ agents: Agent[]; reports: StepReport[] }> {
  const reports: StepReport[] = [];
  let before = first;
  let generation = 0;
  for (const step of steps) {
    generation++;
    const { envOn, vips, probe } = rolloutOf(step.props);
    const oldVips = new Set(rolloutOf(before).vips);
    const unchanged = vips.filter((vip) => oldVips.has(vip));
    const from = Date.now();
    for (let i = 0; i < cluster.nodes.length; i++) {
      const old = agents[i]!;
      old.child.kill('SIGTERM');
      const code = await old.exited;
      if (code !== 0) throw new Error(`the old agent on node ${i} exited ${code}: ${old.lines.slice(-3).join(' | ')}`);
      agents[i] = cluster.startAgent(i, envOn(cluster, i), `n${i}-${generation}`);
      await becomesReady(cluster, i, probe, `the new pod on node ${i} ready (${step.name})`);
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

/**
 * Synthesis at the cluster limit: 254 VRRP groups over 127 IpFailover instances, against the
 * same number of plain cdk8s Deployments built directly, in the same run; and the planner alone
 * on 10,000 candidate allocations. Prints medians, ratios and peak memory; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { ApiObject, App, Chart } from 'cdk8s';
import type * as Cdk8sApi from '../lib/cdk8s';
import type * as ManifestsApi from '../lib/core/emit/manifests';
import type { KubeObject } from '../lib/core/model/kube-object';
import type * as PlannerApi from '../lib/core/plan/planner';
import type * as NormalizeApi from '../lib/core/spec/normalize';

/**
 * The library as users run it: compiled by `npm run build` (the bench script builds first).
 * tsx's on-the-fly transform turns every import into a getter, which alone costs the planner
 * about half again its time.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const { IpFailover, configureFailoverPlanner } = require('../dist/cdk8s') as typeof Cdk8sApi;
const { failoverObjects } = require('../dist/core/emit/manifests') as typeof ManifestsApi;
const { Planner } = require('../dist/core/plan/planner') as typeof PlannerApi;
const { normalize } = require('../dist/core/spec/normalize') as typeof NormalizeApi;
/* eslint-enable @typescript-eslint/no-require-imports */

const INSTANCES = 127;
const TRIALS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** 127 failover instances of two VIPs each: 254 groups, the cluster limit. */
function failoverStack(): string {
  const app = new App({ outdir: '/nonexistent' });
  // Synthesis as it was measured before the lock file, and never the repository's lock.
  configureFailoverPlanner(app, { lockMode: 'off' });
  const chart = new Chart(app, 'bench', { namespace: 'bench' });
  for (let i = 0; i < INSTANCES; i++) {
    new IpFailover(chart, `vips-${i}`, {
      virtualIps: [`198.51.${i}.1`, `198.51.${i}.2`],
      nodeSelector: { pool: `p${i % 4}` },
    });
  }
  return app.synthYaml();
}

/**
 * Every object our stack emits (each instance's Deployment, PodDisruptionBudget and peers Role
 * and RoleBinding, and the shared service account and its SCC bindings once), written once as
 * plain data: what a user would otherwise hand-write for the same cluster.
 */
const handWritten: KubeObject[] = (() => {
  const planner = new Planner();
  const byName = new Map<string, KubeObject>();
  for (let i = 0; i < INSTANCES; i++) {
    const { plan } = planner.add(
      { virtualIps: [`198.51.${i}.1`, `198.51.${i}.2`], nodeSelector: { pool: `p${i % 4}` } },
      { path: `bench/vips-${i}`, id: `vips-${i}`, defaultNamespace: 'bench' },
    );
    for (const object of failoverObjects(plan!)) byName.set(`${object.kind}/${object.metadata.name}`, object);
  }
  return [...byName.values()];
})();

/** The baseline: the same objects built directly as cdk8s ApiObjects, no planning. */
function plainStack(): string {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, 'bench', { namespace: 'bench' });
  handWritten.forEach((object, i) => new ApiObject(chart, `o-${i}`, structuredClone(object)));
  return app.synthYaml();
}

function time(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** Runs the synthesis benchmarks and returns the lines to print. */
export function benchSynth(): string[] {
  // Warm up both paths so the first measured trial does not pay for module loading and JIT.
  failoverStack();
  plainStack();
  const ours: number[] = [];
  const plain: number[] = [];
  let peakRss = process.memoryUsage().rss;
  for (let t = 0; t < TRIALS; t++) {
    // Alternate the order so neither side always runs on a warmer heap.
    if (t % 2 === 0) {
      ours.push(time(failoverStack));
      plain.push(time(plainStack));
    } else {
      plain.push(time(plainStack));
      ours.push(time(failoverStack));
    }
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const ratio = median(ours) / median(plain);

  // The same 10,000 candidate instances for both loops, built outside the timing.
  const candidates = Array.from({ length: 10_000 }, (_, i) => ({
    props: {
      virtualIps: `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255 || 1}`,
      ...(i % 3 === 0 && { vrrpIdOffset: i % 250 }),
    },
    context: { path: `c/${i}`, id: `v${i}` },
  }));
  const allocations: number[] = [];
  const validationOnly: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    allocations.push(
      time(() => {
        const planner = new Planner();
        for (const { props, context } of candidates) planner.add(props, context);
      }),
    );
    // Baseline: each instance's props validated and normalized alone, with nothing planned.
    validationOnly.push(
      time(() => {
        for (const { props, context } of candidates) normalize(props, context);
      }),
    );
  }
  return [
    `synth, 127 instances / 254 VRRP groups: median ${median(ours).toFixed(1)} ms vs ${median(plain).toFixed(1)} ms for the same ${handWritten.length} objects as plain cdk8s ApiObjects: ${ratio.toFixed(2)}x (target <= 1.5x)`,
    `synth peak RSS: ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
    `planner, 10,000 candidate allocations in one stack: median ${median(allocations).toFixed(1)} ms (target < 50 ms); ${(median(allocations) / median(validationOnly)).toFixed(2)}x the same props only validated and normalized (${median(validationOnly).toFixed(1)} ms): the rest is planning`,
  ];
}

if (require.main === module) {
  for (const line of benchSynth()) console.log(line);
}

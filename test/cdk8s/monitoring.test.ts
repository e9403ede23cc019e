/**
 * The agent's endpoints in the synthesized objects: the Deployment's readiness probe, named port
 * and listen address, and, with `monitoring: true`, the PodMonitor and PrometheusRule, which
 * scrape and read exactly what the Deployment and the agent provide.
 */
import { Testing } from 'cdk8s';
import { IpFailover } from '../../lib/cdk8s';
import { ALERTS } from '../../lib/core/emit/monitoring';
import { AGENT_METRICS } from '../../lib/core/model/agent-endpoints';
import type { IpFailoverOptions } from '../../lib/core/model/props';
import { validateAgainstSchema } from '../support/schema';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(props: Partial<IpFailoverOptions> = {}): Obj[] {
  const chart = Testing.chart();
  new IpFailover(chart, 'edge', { virtualIps: '192.0.2.10-13', vipGroups: 2, vrrpIdOffset: 30, ...props });
  return Testing.synth(chart) as Obj[];
}

const one = (objects: Obj[], kind: string): Obj => {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`${found.length} ${kind}`);
  return found[0]!;
};
const containerOf = (objects: Obj[]): Obj => one(objects, 'Deployment').spec.template.spec.containers[0];

describe('the Deployment and the agent endpoints', () => {
  test('the readiness probe GETs /readyz on the host port, which is 63000 + offset and named metrics', () => {
    const container = containerOf(synth());
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 63030, hostPort: 63030 }]);
    expect(container.readinessProbe).toEqual({ httpGet: { path: '/readyz', port: 63030 }, periodSeconds: 2 });
    // The liveness probe stays what it was: keepalived running.
    expect(container.livenessProbe).toEqual({ initialDelaySeconds: 10, exec: { command: ['pgrep', 'keepalived'] } });
  });

  test('the agent is told the pod IP (the node IP with hostNetwork) to serve on, the address the kubelet probes', () => {
    const objects = synth();
    expect(one(objects, 'Deployment').spec.template.spec.hostNetwork).toBe(true);
    expect(containerOf(objects).env.filter((e: Obj) => e.name === 'IPFAILOVER_LISTEN_ADDRESS')).toEqual([
      { name: 'IPFAILOVER_LISTEN_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    ]);
  });

  test('no monitoring objects by default', () => {
    expect(synth().map((o) => o.kind)).toEqual([
      'ServiceAccount',
      'RoleBinding',
      'RoleBinding',
      'Role',
      'RoleBinding',
      'Deployment',
      'PodDisruptionBudget',
    ]);
  });
});

describe('monitoring: true', () => {
  const objects = synth({ monitoring: true });
  const deployment = one(objects, 'Deployment');
  const podMonitor = one(objects, 'PodMonitor');
  const rule = one(objects, 'PrometheusRule');

  test('adds a PodMonitor and a PrometheusRule after the Deployment and its budget, valid against their CRD schemas', () => {
    expect(objects.map((o) => o.kind).slice(-4)).toEqual([
      'Deployment',
      'PodDisruptionBudget',
      'PodMonitor',
      'PrometheusRule',
    ]);
    for (const o of objects) expect(() => validateAgainstSchema(o as never)).not.toThrow();
  });

  test("the PodMonitor selects the Deployment's pods, in its namespace, on the port the container names", () => {
    expect(podMonitor.metadata.namespace).toBe(deployment.metadata.namespace);
    expect(podMonitor.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    const [endpoint] = podMonitor.spec.podMetricsEndpoints;
    expect(containerOf(objects).ports.map((p: Obj) => p.name)).toContain(endpoint.port);
    expect(endpoint).toMatchObject({ path: '/metrics', interval: '30s' });
  });

  test("the rule's four alerts read this instance's config name, which the agent reports as config", () => {
    const configName = containerOf(objects).env.find((e: Obj) => e.name === 'OPENSHIFT_HA_CONFIG_NAME').value;
    const rules: Obj[] = rule.spec.groups[0].rules;
    expect(rules.map((r) => r.alert)).toEqual(Object.values(ALERTS));
    for (const r of rules) {
      expect(r.expr).toContain(`namespace="default",config="${configName}"`);
      expect(r.expr).toMatch(new RegExp(Object.values(AGENT_METRICS).join('|')));
      expect(['critical', 'warning']).toContain(r.labels.severity);
    }
  });

  test('a value that is not true or false: synthesis fails naming the prop and the fix', () => {
    expect(() => synth({ monitoring: 'yes' as never })).toThrow(
      '[test/edge] \'monitoring\' "yes" is not true or false; use true to emit a PodMonitor and a PrometheusRule, or false (the default) for neither',
    );
  });
});

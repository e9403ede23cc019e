import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { ExternalIpPool, HaService } from '../../lib/cdk8s';
import { buildApp } from '../../examples/cdk8s/main';
import { validateAgainstSchema } from '../support/schema';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const app = buildApp(Testing.app());
const byChart = Object.fromEntries(app.charts.map((chart) => [chart.node.id, Testing.synth(chart) as Obj[]]));
const all = Object.values(byChart).flat();
const deployment = (name: string): Obj => all.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;
const env = (name: string): Record<string, string> =>
  Object.fromEntries(deployment(name).spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e.value]));

describe('the example app (README main job)', () => {
  test('matches the snapshot', () => {
    expect(byChart).toMatchSnapshot();
  });

  test('every object validates against its Kubernetes schema', () => {
    const checked = all.filter((o) => o.apiVersion !== 'config.openshift.io/v1');
    for (const obj of checked) expect(() => validateAgainstSchema(obj as never)).not.toThrow();
    expect(checked.length).toBe(all.length - 1);
  });

  test('one planner numbers every chart: VRRP ID ranges are disjoint and within 1..255', () => {
    const ranges = all
      .filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('ipf-'))
      .map((o) => {
        const e = env(o.metadata.name);
        const first = Number(e.OPENSHIFT_HA_VRRP_ID_OFFSET) + 1;
        return [first, first + Number(e.OPENSHIFT_HA_VIP_GROUPS) - 1] as const;
      })
      .sort((a, b) => a[0] - b[0]);
    expect(ranges).toEqual([
      [1, 5],
      [6, 7],
      [8, 8],
      [9, 10],
    ]); // router, geo-cache, postgresql, the pool
  });

  test("router: the failover copies the host-networked router's nodes, replicas and port", () => {
    const router = deployment('ipf-router-us-west');
    expect(router.spec.replicas).toBe(5);
    expect(router.spec.template.spec.nodeSelector).toEqual({ 'ha-svc-nodes': 'geo-us-west' });
    expect(env('ipf-router-us-west').OPENSHIFT_HA_MONITOR_PORT).toBe('80');
    expect(byChart['geo-us-west']!.filter((o) => o.kind === 'Service')).toEqual([]);
  });

  test('postgresql: a NodePort Service, and the failover checks the node port', () => {
    const service = byChart.postgresql!.find((o) => o.kind === 'Service')!;
    expect(service.spec).toMatchObject({
      type: 'NodePort',
      ports: [{ port: 5432, nodePort: 32439, targetPort: 5432, protocol: 'TCP' }],
    });
    expect(service.spec.externalIPs).toBeUndefined();
    expect(env('ipf-postgresql')).toMatchObject({
      OPENSHIFT_HA_MONITOR_PORT: '32439',
      OPENSHIFT_HA_VIRTUAL_IPS: '203.0.113.50',
    });
  });

  test('external-ip: the cluster Network patch, the pool failover, and a service with an allocated external IP', () => {
    const network = byChart['external-ip']!.find((o) => o.kind === 'Network')!;
    expect(network).toEqual({
      apiVersion: 'config.openshift.io/v1',
      kind: 'Network',
      metadata: { name: 'cluster' },
      spec: { externalIP: { autoAssignCIDRs: ['192.0.2.0/28'], policy: { allowedCIDRs: ['192.0.2.0/28'] } } },
    });
    expect(env('ipf-external-ips')).toMatchObject({
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1-14',
      OPENSHIFT_HA_VIP_GROUPS: '2',
      OPENSHIFT_HA_MONITOR_PORT: '443',
    });
    const web = byChart['external-ip']!.find((o) => o.kind === 'Service')!;
    expect(web.spec.type).toBe('ClusterIP');
    expect(web.spec.externalIPs).toHaveLength(1);
    expect(web.spec.externalIPs[0]).toMatch(/^192\.0\.2\.([1-9]|1[0-4])$/);
    expect(all.filter((o) => o.kind === 'Deployment' && o.metadata.name === 'ipf-web')).toEqual([]);
  });
});

test("the README's pool example allocates what the README says", () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const claimed = /pool\.allocate\('reporting'\); {3}\/\/ \['([0-9.]+)'\]/.exec(readme)?.[1];
  const chart = new Chart(Testing.app(), 'c');
  const pool = new ExternalIpPool(chart, 'external-ips', { cidr: '192.0.2.0/28', vipGroups: 2 });
  new HaService(chart, 'web', { exposure: 'externalIp', pool, selector: { app: 'web' }, ports: [{ port: 8080 }] });
  expect(pool.allocate('reporting')).toEqual([claimed]);
});

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { IpFailover, configureFailoverPlanner } from '../../lib/cdk8s';
import { DEFAULT_IMAGE } from '../../lib/core/model/defaults';
import type { IpFailoverOptions, ScriptSource } from '../../lib/core/model/props';
import { validateAgainstSchema } from '../support/schema';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const synthApp = (app: App): Obj[] => app.charts.flatMap((chart) => Testing.synth(chart) as Obj[]);
const find = (objects: Obj[], kind: string, name: string): Obj => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const envOf = (deployment: Obj): Record<string, string> =>
  Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e.value]));

/** The docs' router + geo-cache pair, both as plain IpFailovers on the same labelled nodes. */
function routerAndGeoCache(): App {
  const app = Testing.app();
  const chart = new Chart(app, 'geo', { namespace: 'ipfailover' });
  const nodeSelector = { 'ha-svc-nodes': 'geo-us-west' };
  new IpFailover(chart, 'ipf-ha-router-us-west', {
    virtualIps: '203.0.113.101-105',
    monitorPort: 80,
    replicas: 5,
    nodeSelector,
  });
  new IpFailover(chart, 'ipf-ha-geo-cache', {
    virtualIps: ['198.51.100.101-103', '198.51.100.104', '198.51.100.105'],
    vipGroups: 2,
    monitorPort: 9736,
    replicas: 5,
    nodeSelector,
    checkScript: { inline: '#!/bin/sh\nexec nc -z 127.0.0.1 9736\n' },
    preemption: 'nopreempt',
    strategy: 'RollingUpdate',
  });
  return app;
}

describe('two instances on the same nodes (router + geo-cache)', () => {
  const app = routerAndGeoCache();
  const objects = synthApp(app);

  test('matches the snapshot', () => {
    expect(objects).toMatchSnapshot();
  });

  test('emits one service account with its two SCC bindings, then each instance', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/ipfailover',
      'RoleBinding/ipfailover-scc-privileged',
      'RoleBinding/ipfailover-scc-hostnetwork',
      'Role/ipf-ha-router-us-west-peers',
      'RoleBinding/ipf-ha-router-us-west-peers',
      'Deployment/ipf-ha-router-us-west',
      'PodDisruptionBudget/ipf-ha-router-us-west',
      'Role/ipf-ha-geo-cache-peers',
      'RoleBinding/ipf-ha-geo-cache-peers',
      'ConfigMap/ipf-ha-geo-cache-scripts',
      'Deployment/ipf-ha-geo-cache',
      'PodDisruptionBudget/ipf-ha-geo-cache',
    ]);
    expect(objects.every((o) => o.metadata.namespace === 'ipfailover')).toBe(true);
  });

  test('binds the account to the privileged and hostnetwork SCC cluster roles in its namespace', () => {
    for (const scc of ['privileged', 'hostnetwork']) {
      const binding = find(objects, 'RoleBinding', `ipfailover-scc-${scc}`);
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: `system:openshift:scc:${scc}`,
      });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ipfailover', namespace: 'ipfailover' }]);
    }
  });

  test('gives the two instances disjoint VRRP IDs and host ports', () => {
    const router = envOf(find(objects, 'Deployment', 'ipf-ha-router-us-west'));
    const geo = envOf(find(objects, 'Deployment', 'ipf-ha-geo-cache'));
    expect([router.OPENSHIFT_HA_VRRP_ID_OFFSET, router.OPENSHIFT_HA_VIP_GROUPS]).toEqual(['0', '5']);
    expect([geo.OPENSHIFT_HA_VRRP_ID_OFFSET, geo.OPENSHIFT_HA_VIP_GROUPS]).toEqual(['5', '2']);
    const ports = ['ipf-ha-router-us-west', 'ipf-ha-geo-cache'].map(
      (name) => find(objects, 'Deployment', name).spec.template.spec.containers[0].ports[0],
    );
    expect(ports).toEqual([
      { name: 'metrics', containerPort: 63000, hostPort: 63000 },
      { name: 'metrics', containerPort: 63005, hostPort: 63005 },
    ]);
  });

  test('exposes the plan as read-only properties', () => {
    const chart = app.charts[0]!;
    const [router, geo] = ['ipf-ha-router-us-west', 'ipf-ha-geo-cache'].map(
      (id) => chart.node.findChild(id) as IpFailover,
    );
    expect(router!.vrrpIds).toEqual([1, 2, 3, 4, 5]);
    expect(geo!.vrrpIds).toEqual([6, 7]);
    expect(geo!.groups).toEqual([
      ['198.51.100.101', '198.51.100.102', '198.51.100.103'],
      ['198.51.100.104', '198.51.100.105'],
    ]);
    expect(geo!.env.OPENSHIFT_HA_PREEMPTION).toBe('nopreempt');
    expect(geo!.deployment.name).toBe('ipf-ha-geo-cache');
  });

  test('mounts the inline check script from its ConfigMap with mode 0755', () => {
    const geo = find(objects, 'Deployment', 'ipf-ha-geo-cache');
    const pod = geo.spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'config-volume',
      configMap: { name: 'ipf-ha-geo-cache-scripts', defaultMode: 0o755 },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'config-volume', mountPath: '/etc/keepalive' });
    expect(envOf(geo).OPENSHIFT_HA_CHECK_SCRIPT).toBe('/etc/keepalive/check.sh');
    expect(find(objects, 'ConfigMap', 'ipf-ha-geo-cache-scripts').data['check.sh']).toMatch(/^#!\/bin\/sh\n/);
    expect(geo.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
  });

  test('every object validates against the Kubernetes schema', () => {
    for (const obj of objects) expect(() => validateAgainstSchema(obj as never)).not.toThrow();
  });

  test("rolls one pod at a time by default, and each instance's disruption budget covers its own pods only", () => {
    for (const name of ['ipf-ha-router-us-west', 'ipf-ha-geo-cache']) {
      const deployment = find(objects, 'Deployment', name);
      // The router sets no strategy: the default is the one-at-a-time roll.
      expect(deployment.spec.strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
      });
      const budget = find(objects, 'PodDisruptionBudget', name);
      expect(budget.spec).toEqual({
        maxUnavailable: 1,
        selector: { matchLabels: deployment.spec.template.metadata.labels },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      });
      expect(budget.spec.selector).toEqual(deployment.spec.selector);
    }
    const selectors = objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.spec.selector);
    expect(new Set(selectors.map((sel) => JSON.stringify(sel))).size).toBe(2);
  });
});

describe('strategy', () => {
  test("'Recreate' is still the docs' strategy, and the disruption budget stays", () => {
    const chart = Testing.chart();
    new IpFailover(chart, 'vips', { virtualIps: '192.0.2.10', strategy: 'Recreate' });
    const objects = Testing.synth(chart) as Obj[];
    expect(find(objects, 'Deployment', 'vips').spec.strategy).toEqual({ type: 'Recreate' });
    expect(find(objects, 'PodDisruptionBudget', 'vips').spec.maxUnavailable).toBe(1);
  });
});

describe("the docs' example Deployment", () => {
  // YAML 1.1, as kubectl reads it: `defaultMode: 0755` is octal (493).
  const documented = parse(readFileSync(join(__dirname, '../fixtures/docs-deployment.yaml'), 'utf8'), {
    version: '1.1',
  }) as Obj;

  /** The docs' instance as props, with the given check script. */
  const docsProps = (checkScript: ScriptSource): IpFailoverOptions => ({
    virtualIps: '1.1.1.1-2',
    vipGroups: 10,
    networkInterface: 'ens3',
    monitorPort: 30060,
    vrrpIdOffset: 0,
    replicas: 2,
    iptablesChain: 'INPUT',
    checkScript,
    preemption: { delaySeconds: 300 },
    checkIntervalSeconds: 2,
    imagePullSecrets: ['openshift-pull-secret'],
  });

  /** The documented Deployment with the deviations every instance has. */
  function expectedDeployment(): { expected: Obj; env: Obj[] } {
    const expected = structuredClone(documented);
    const labels = { ipfailover: 'ipfailover-keepalived' }; // the instance's own name, not "hello-openshift"
    expected.metadata.labels = labels;
    expected.metadata.namespace = 'default';
    expected.spec.selector.matchLabels = labels;
    expected.spec.template.metadata.labels = labels;
    const container = expected.spec.template.spec.containers[0];
    container.image = DEFAULT_IMAGE; // our agent image
    const env = container.env as Obj[];
    const set = (name: string, value: string): void => void (env.find((e) => e.name === name)!.value = value);
    set('OPENSHIFT_HA_CONFIG_NAME', 'ipfailover-keepalived'); // the config name is the Deployment's
    set('OPENSHIFT_HA_VIP_GROUPS', '2'); // 10 groups of 2 VIPs is 2 groups: written as meant
    env.push(
      { name: 'IPFAILOVER_ADVERT_INTERVAL', value: '1' }, // ours; Red Hat's image ignores them
      { name: 'IPFAILOVER_GARP_REFRESH_INTERVAL', value: '60' },
      { name: 'IPFAILOVER_PEERS', value: 'cluster' },
    );
    // One pod at a time instead of the docs' Recreate (strategy: 'Recreate' gives theirs).
    expected.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } };
    // The agent's endpoints: the port named for the PodMonitor, served on the pod's IP alone, and
    // the readiness probe on it.
    container.ports[0].name = 'metrics';
    env.push({ name: 'IPFAILOVER_LISTEN_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    container.readinessProbe = { httpGet: { path: '/readyz', port: 63000 }, periodSeconds: 2 };
    // The nodes from the cluster (peers 'cluster'): the pod's API token, its node's name, and an
    // emptyDir state directory that keeps the nodes last listed across a container's restarts.
    expected.spec.template.spec.automountServiceAccountToken = true;
    env.push({ name: 'IPFAILOVER_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    container.volumeMounts.push({ name: 'state', mountPath: '/var/lib/ipfailover' });
    expected.spec.template.spec.volumes.push({ name: 'state', emptyDir: {} });
    return { expected, env };
  }

  test('is reproduced fact for fact, with only the listed deviations', () => {
    const chart = Testing.chart();
    const failover = new IpFailover(chart, 'ipfailover-keepalived', docsProps({ inline: '#!/bin/bash\nexit 0\n' }));
    const ours = find(Testing.synth(chart) as Obj[], 'Deployment', 'ipfailover-keepalived');
    const { expected, env } = expectedDeployment();
    env.find((e) => e.name === 'OPENSHIFT_HA_CHECK_SCRIPT')!.value = '/etc/keepalive/check.sh'; // the inline script's file
    expected.spec.template.spec.volumes[3].configMap.name = 'ipfailover-keepalived-scripts';
    expect(ours).toEqual(expected);
    expect(failover.vrrpIds).toEqual([1, 2]);
  });

  test("with the docs' own ConfigMap: the same path; the volume projects the one key", () => {
    const chart = Testing.chart();
    new IpFailover(
      chart,
      'ipfailover-keepalived',
      docsProps({ configMap: 'keepalived-checkscript', key: 'mycheckscript.sh' }),
    );
    const ours = find(Testing.synth(chart) as Obj[], 'Deployment', 'ipfailover-keepalived');
    const { expected } = expectedDeployment();
    // OPENSHIFT_HA_CHECK_SCRIPT stays /etc/keepalive/mycheckscript.sh, as documented.
    expected.spec.template.spec.volumes[3] = {
      name: 'config-volume',
      projected: {
        defaultMode: 0o755,
        sources: [
          {
            configMap: {
              name: 'keepalived-checkscript',
              items: [{ key: 'mycheckscript.sh', path: 'mycheckscript.sh' }],
            },
          },
        ],
      },
    };
    expect(ours).toEqual(expected);
    expect(() => validateAgainstSchema(ours as never)).not.toThrow();
  });
});

describe('validation', () => {
  test('synth fails listing every problem of every instance with its path, and writes nothing', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ipfailover-synth-'));
    const app = new App({ outdir });
    const chart = new Chart(app, 'edge');
    new IpFailover(chart, 'router', { virtualIps: '192.0.2.1-5', vrrpIdOffset: 7 });
    new IpFailover(chart, 'cache', { virtualIps: '192.0.2.5,192.0.2.20', vrrpIdOffset: 10 });
    new IpFailover(chart, 'broken', { virtualIps: '10.0.0.4-2', monitorPort: -1 });
    expect(() => app.synth()).toThrow(
      [
        'Validation failed with the following errors:',
        "  [edge/cache] 'virtualIps' \"192.0.2.5\" is already served by 'edge/router'; give each VIP to one instance only",
        "  [edge/cache] 'vrrpIdOffset' 10 overlaps 'edge/router' (IDs 8..12); use 0 (first free)",
        '  [edge/broken] \'virtualIps\' "10.0.0.4-2" ends before it starts; write 10.0.0.2-4',
        "  [edge/broken] 'monitorPort' -1 is not a port; use a whole number from 0 to 65535",
      ].join('\n'),
    );
    expect(readdirSync(outdir)).toEqual([]);
  });

  test('an invalid instance emits no objects and its deployment accessor says why', () => {
    const chart = Testing.chart();
    const bad = new IpFailover(chart, 'bad', { virtualIps: 'nope' });
    expect(bad.apiObjects).toEqual([]);
    expect(bad.planned).toBe(false);
    expect(() => bad.deployment).toThrow(
      /bad has no Deployment because its props are invalid:\n.*'virtualIps' "nope" is not an IP address/,
    );
  });

  test('planners are per app: the same VIPs in two apps do not conflict', () => {
    for (const app of [Testing.app(), Testing.app()]) {
      const failover = new IpFailover(new Chart(app, 'c'), 'vips', { virtualIps: '192.0.2.1' });
      expect(failover.vrrpIds).toEqual([1]);
    }
  });

  test("configureFailoverPlanner reserves the cluster's VRRP IDs and VIPs", () => {
    const app = Testing.app();
    configureFailoverPlanner(app, { reservedVrrpIds: [1, 2], reservedVips: ['192.0.2.100'] });
    const chart = new Chart(app, 'c');
    expect(new IpFailover(chart, 'a', { virtualIps: '192.0.2.1' }).vrrpIds).toEqual([3]);
    new IpFailover(chart, 'b', { virtualIps: '192.0.2.100' });
    expect(() => app.synth()).toThrow(/\[c\/b\] 'virtualIps' "192\.0\.2\.100" is the cluster's own API or ingress VIP/);
    expect(() => configureFailoverPlanner(app, {})).toThrow(/before creating the first IpFailover/);
  });

  test("takes the chart's namespace, else 'default', and the id as the name", () => {
    const app = Testing.app();
    const inNs = new IpFailover(new Chart(app, 'a', { namespace: 'edge' }), 'Geo_Cache', { virtualIps: '192.0.2.1' });
    const plain = new IpFailover(new Chart(app, 'b'), 'vips', { virtualIps: '192.0.2.2' });
    expect([inNs.deploymentName, inNs.namespace, plain.namespace]).toEqual(['geo-cache', 'edge', 'default']);
  });
});

describe('RHOSP (openstack prop)', () => {
  test('synthesizes the allowed-address-pair scripts as a ConfigMap beside the Deployment', () => {
    const chart = Testing.chart();
    new IpFailover(chart, 'db', {
      virtualIps: '192.0.2.30-31',
      openstack: { portIds: ['6f1e2a3b-0000-4000-8000-000000000001', 'worker-1-port'] },
    });
    const objects = Testing.synth(chart) as Obj[];
    const scripts = find(objects, 'ConfigMap', 'db-rhosp');
    expect(scripts.metadata.labels).toEqual({ ipfailover: 'db' });
    expect(scripts.data['apply.sh']).toContain("ports='6f1e2a3b-0000-4000-8000-000000000001 worker-1-port'");
    expect(scripts.data['apply.sh']).toContain("vips='192.0.2.30 192.0.2.31'");
    expect(scripts.data['apply.sh']).toContain('openstack port set --allowed-address');
    expect(scripts.data['remove.sh']).toContain('openstack port unset --allowed-address');
    expect(() => validateAgainstSchema(scripts as never)).not.toThrow();
  });

  test('refuses port IDs that are not IDs, and an empty list', () => {
    const app = new App({ outdir: Testing.app().outdir });
    const chart = new Chart(app, 'c');
    new IpFailover(chart, 'a', { virtualIps: '192.0.2.1', openstack: { portIds: ['port; reboot'] } });
    new IpFailover(chart, 'b', { virtualIps: '192.0.2.2', openstack: { portIds: [] } });
    expect(() => app.synth()).toThrow(
      [
        '[c/a] \'openstack.portIds\' "port; reboot" is not an OpenStack port ID; use the port UUID from `openstack port list`',
        "  [c/b] 'openstack.portIds' [] lists no port; give the Neutron port IDs of the nodes",
      ].join('\n'),
    );
  });

  test('refuses port IDs of the wrong shape, once each: a string, an option, null, a port twice', () => {
    const app = new App({ outdir: Testing.app().outdir });
    const chart = new Chart(app, 'c');
    new IpFailover(chart, 'a', { virtualIps: '192.0.2.1', openstack: { portIds: 'abc' as never } });
    new IpFailover(chart, 'b', { virtualIps: '192.0.2.2', openstack: { portIds: ['-h'] } });
    new IpFailover(chart, 'c', { virtualIps: '192.0.2.3', openstack: null as never });
    new IpFailover(chart, 'd', { virtualIps: '192.0.2.4', openstack: { portIds: ['p1', 'p1'] } });
    expect(() => app.synth()).toThrow(
      [
        '[c/a] \'openstack.portIds\' "abc" is not a list of port IDs; give portIds: ["abc"]',
        '  [c/b] \'openstack.portIds\' "-h" is not an OpenStack port ID; use the port UUID from `openstack port list`',
        '  [c/c] \'openstack\' null is not an object; give { portIds: ["<port UUID>", …] }',
        '  [c/d] \'openstack.portIds\' "p1" is listed twice; list each port once',
      ].join('\n'),
    );
  });
});

test("node.defaultChild is the instance's Deployment, as cdk8s escape hatches expect", () => {
  const failover = new IpFailover(Testing.chart(), 'router', { virtualIps: '192.0.2.1' });
  expect(failover.node.defaultChild).toBe(failover.deployment);
});

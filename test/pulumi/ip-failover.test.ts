import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import fc from 'fast-check';
import { Planner } from '../../lib/core/plan/planner';
import { configureFailoverPlanner, IpFailover, resetFailoverPlanner } from '../../lib/pulumi';
import { recordResources, registered, registeredOutputs, thrown, valueOf, type Recorded, type Recorder } from './mocks';

const TYPE = 'ipfailover:index:IpFailover';

// One mock monitor per file: components register their outputs late, and a monitor swapped
// in between tests would not know them.
let rec: Recorder;
beforeAll(async () => {
  rec = await recordResources();
});
beforeEach(() => {
  resetFailoverPlanner();
  rec.resources.length = 0;
});

const envOf = (deployment: Recorded): Record<string, string> => {
  const spec = deployment.inputs['spec'] as {
    template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }>; image: string }> } };
  };
  return Object.fromEntries(spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
};
const byName = (name: string): Recorded => {
  const found = rec.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}; have ${rec.resources.map((r) => r.name).join(', ')}`);
  return found;
};

describe('IpFailover component', () => {
  test('registers itself and its Kubernetes objects as typed children, parented to it', async () => {
    const edge = new IpFailover('edge', { virtualIps: '192.0.2.10-11', planner: new Planner() });
    await registered(edge, ...edge.apiObjects);

    expect(rec.resources.filter((r) => r.type === TYPE)).toEqual([
      expect.objectContaining({ name: 'edge', custom: false }),
    ]);
    const children = rec.resources.filter((r) => r.custom).map((r) => [r.type, r.name]);
    expect(children).toEqual([
      ['kubernetes:core/v1:ServiceAccount', 'edge-serviceaccount-ipfailover'],
      ['kubernetes:policy/v1:PodDisruptionBudget', 'edge-poddisruptionbudget-edge'],
      ['kubernetes:rbac.authorization.k8s.io/v1:Role', 'edge-role-edge-peers'],
      ['kubernetes:rbac.authorization.k8s.io/v1:RoleBinding', 'edge-rolebinding-ipfailover-scc-privileged'],
      ['kubernetes:rbac.authorization.k8s.io/v1:RoleBinding', 'edge-rolebinding-ipfailover-scc-hostnetwork'],
      ['kubernetes:rbac.authorization.k8s.io/v1:RoleBinding', 'edge-rolebinding-edge-peers'],
      ['kubernetes:apps/v1:Deployment', 'edge-deployment-edge'],
    ]);
    for (const child of edge.apiObjects) {
      expect(await valueOf(child.urn)).toMatch(
        new RegExp(`::${TYPE.replace(/\$/g, '\\$')}\\$kubernetes:[^:]+(/[^:]+)?:[A-Za-z]+::edge-`),
      );
    }
    expect(edge.deployment).toBeInstanceOf(k8s.apps.v1.Deployment);
  });

  test('the Deployment carries the planned name, namespace, replicas and env', async () => {
    const edge = new IpFailover('Edge', {
      virtualIps: ['192.0.2.10', '192.0.2.11', '192.0.2.12'],
      vipGroups: 2,
      namespace: 'ha',
      replicas: 3,
      planner: new Planner(),
    });
    await registered(...edge.apiObjects);
    const deployment = byName('Edge-deployment-edge');
    expect(deployment.inputs['metadata']).toEqual({ name: 'edge', namespace: 'ha', labels: { ipfailover: 'edge' } });
    expect((deployment.inputs['spec'] as { replicas: number }).replicas).toBe(3);
    expect(envOf(deployment)).toMatchObject({
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.10-12',
      OPENSHIFT_HA_VIP_GROUPS: '2',
      OPENSHIFT_HA_VRRP_ID_OFFSET: '0',
      OPENSHIFT_HA_REPLICA_COUNT: '3',
    });
    expect(edge.vrrpIds).toEqual([1, 2]);
    expect(edge.groups).toEqual([['192.0.2.10', '192.0.2.11'], ['192.0.2.12']]);
    expect(edge.env['OPENSHIFT_HA_VIRTUAL_IPS']).toBe('192.0.2.10-12');
  });

  test('registerOutputs carries the VRRP IDs, the groups and the Deployment name', async () => {
    const planner = new Planner();
    const router = new IpFailover('router', { virtualIps: '192.0.2.1-3', planner });
    const edge = new IpFailover('edge', { virtualIps: '192.0.2.10-11', vipGroups: 1, planner });
    // Let every registration land in this test, not in the next one's records.
    await registered(router, ...router.apiObjects, ...edge.apiObjects);
    expect(await registeredOutputs(edge)).toEqual({
      deploymentName: 'edge',
      namespace: 'default',
      vrrpIdOffset: 3,
      vrrpIds: [4],
      groups: [['192.0.2.10', '192.0.2.11']],
      virtualIps: ['192.0.2.10', '192.0.2.11'],
    });
  });

  test('an Output image replaces the container image; the planner checks the rest', async () => {
    const image = pulumi.output('registry.example/ipfailover@sha256:' + 'a'.repeat(64));
    const edge = new IpFailover('edge', { virtualIps: '192.0.2.10', image, planner: new Planner() });
    await registered(...edge.apiObjects);
    const spec = byName('edge-deployment-edge').inputs['spec'] as {
      template: { spec: { containers: Array<{ image: string; name: string }> } };
    };
    expect(spec.template.spec.containers).toEqual([
      expect.objectContaining({ name: 'openshift-ipfailover', image: await valueOf(image) }),
    ]);
  });

  test('instances sharing a namespace share one service account, created by the first', async () => {
    const planner = new Planner();
    const a = new IpFailover('a', { virtualIps: '192.0.2.1', planner });
    const b = new IpFailover('b', { virtualIps: '192.0.2.2', planner });
    await registered(...a.apiObjects, ...b.apiObjects);
    expect(rec.resources.filter((r) => r.type === 'kubernetes:core/v1:ServiceAccount').map((r) => r.name)).toEqual([
      'a-serviceaccount-ipfailover',
    ]);
    expect(b.apiObjects.map((r) => r.constructor.name)).toEqual([
      'Role',
      'RoleBinding',
      'Deployment',
      'PodDisruptionBudget',
    ]);
  });
});

describe('providers', () => {
  test.each([
    ['provider', (p: k8s.Provider): pulumi.ComponentResourceOptions => ({ provider: p })],
    ['providers (list)', (p: k8s.Provider): pulumi.ComponentResourceOptions => ({ providers: [p] })],
    ['providers (map)', (p: k8s.Provider): pulumi.ComponentResourceOptions => ({ providers: { kubernetes: p } })],
  ])("the user's Kubernetes provider given as %s reaches every child", async (_how, opts) => {
    const cluster = new k8s.Provider('cluster-a', { kubeconfig: 'apiVersion: v1\nkind: Config\n' });
    const edge = new IpFailover('edge', { virtualIps: '192.0.2.10', planner: new Planner() }, opts(cluster));
    await registered(cluster, ...edge.apiObjects);
    const providerRef = `${await valueOf(cluster.urn)}::${await valueOf(cluster.id)}`;
    const children = rec.resources.filter((r) => r.type.startsWith('kubernetes:') && r.custom);
    expect(children).toHaveLength(7);
    for (const child of children) expect(child.provider).toBe(providerRef);
  });

  test('without a provider the children use the default one', async () => {
    const edge = new IpFailover('edge', { virtualIps: '192.0.2.10', planner: new Planner() });
    await registered(...edge.apiObjects);
    const children = rec.resources.filter((r) => r.custom);
    expect(children).toHaveLength(7);
    // The mock monitor passes no provider reference for the default provider.
    for (const child of children) expect(child.provider).toBeUndefined();
  });
});

describe('the stack planner', () => {
  test('components without a planner arg share the program planner', async () => {
    const a = new IpFailover('a', { virtualIps: '192.0.2.1-2' });
    const b = new IpFailover('b', { virtualIps: '192.0.2.3' });
    expect([a.vrrpIds, b.vrrpIds]).toEqual([[1, 2], [3]]);
    await registered(...a.apiObjects, ...b.apiObjects);
  });

  test('an overlapping offset throws a ResourceError naming path, field, value, owner and fix', () => {
    const planner = new Planner();
    new IpFailover('router', { virtualIps: '192.0.2.1-5', vrrpIdOffset: 7, planner });
    const error = thrown(() => new IpFailover('edge', { virtualIps: '192.0.2.10-11', vrrpIdOffset: 10, planner }));
    expect(error).toBeInstanceOf(pulumi.ResourceError);
    expect((error as pulumi.ResourceError).hideStack).toBe(true);
    expect(error.message).toBe("edge: 'vrrpIdOffset' 10 overlaps 'router' (IDs 8..12); use 0 (first free)");
  });

  test('every problem of an instance is reported at once, one per line, its stack conflicts too', () => {
    const planner = new Planner();
    new IpFailover('router', { virtualIps: '192.0.2.1', planner });
    const error = thrown(
      () =>
        new IpFailover('edge', { virtualIps: ['192.0.2.1', '192.0.2.300'], monitorPort: 70000, replicas: 0, planner }),
    );
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^edge: 'virtualIps' "192\.0\.2\.300" .+; .+/),
        expect.stringMatching(/^edge: 'monitorPort' 70000 .+; .+/),
        expect.stringMatching(/^edge: 'replicas' 0 .+; .+/),
      ]),
    );
    // The valid VIP is still checked against the stack, so the next run has nothing new to say.
    expect(lines).toContain(
      "edge: 'virtualIps' \"192.0.2.1\" is already served by 'router'; give each VIP to one instance only",
    );
  });

  test('a VIP served twice and a reused name are both reported', () => {
    const planner = new Planner();
    new IpFailover('edge', { virtualIps: '192.0.2.1-2', planner });
    const error = thrown(() => new IpFailover('edge2', { name: 'edge', virtualIps: '192.0.2.2-3', planner }));
    expect(error.message).toBe(
      [
        "edge2: 'name' \"edge\" is already used by 'edge' in namespace default; set a different 'name'",
        "edge2: 'virtualIps' \"192.0.2.2\" is already served by 'edge'; give each VIP to one instance only",
      ].join('\n'),
    );
  });

  test("configureFailoverPlanner reserves the cluster's VIPs and VRRP IDs for the whole program", () => {
    configureFailoverPlanner({ reservedVips: ['192.168.0.5'], reservedVrrpIds: [1, 2] });
    const a = new IpFailover('a', { virtualIps: '192.0.2.1' });
    expect(a.vrrpIds).toEqual([3]);
    expect(thrown(() => new IpFailover('b', { virtualIps: '192.168.0.5' })).message).toMatch(
      /^b: 'virtualIps' "192\.168\.0\.5" is the cluster's own API or ingress VIP/,
    );
    expect(() => configureFailoverPlanner({})).toThrow(/before creating the first IpFailover/);
  });

  test('automatic offsets are the same on every run and do not move when an instance is appended', () => {
    const instance = fc.record({
      groups: fc.integer({ min: 1, max: 20 }),
      offset: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(instance, { minLength: 1, maxLength: 6 }), instance, (instances, extra) => {
        const program = (list: typeof instances): Array<readonly number[] | string> => {
          const planner = new Planner();
          return list.map((spec, i) => {
            const args = {
              virtualIps: Array.from({ length: spec.groups }, (_, j) => `10.${i}.${j}.1`),
              planner,
              ...(spec.offset !== undefined && { vrrpIdOffset: spec.offset }),
            };
            try {
              return new IpFailover(`i${i}`, args).vrrpIds;
            } catch (error) {
              return (error as Error).message;
            }
          });
        };
        const first = program(instances);
        expect(program(instances)).toEqual(first);
        expect(program([...instances, extra]).slice(0, instances.length)).toEqual(first);
        for (const ids of first)
          if (typeof ids !== 'string') for (const id of ids) expect(id).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 25 },
    );
  });
});

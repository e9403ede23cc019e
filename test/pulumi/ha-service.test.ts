import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { Planner } from '../../lib/core/plan/planner';
import { ExternalIpPool, HaService } from '../../lib/pulumi';
import { recordResources, registered, registeredOutputs, thrown, valueOf, type Recorder } from './mocks';

let rec: Recorder;
beforeAll(async () => {
  rec = await recordResources();
});
beforeEach(() => {
  rec.resources.length = 0;
});

const router = (replicas: number | pulumi.Output<number>): k8s.apps.v1.DeploymentArgs => ({
  metadata: { name: 'router' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'router' } },
    template: {
      metadata: { labels: { app: 'router' } },
      spec: {
        hostNetwork: true,
        nodeSelector: { edge: 'true' },
        containers: [{ name: 'router', image: pulumi.output('router:1'), ports: [{ containerPort: 80 }] }],
      },
    },
  },
});

describe('HaService component', () => {
  test('nodePort: a Service and an IpFailover checking the node port, parented to the component', async () => {
    const db = new HaService('postgresql', {
      exposure: 'nodePort',
      selector: { app: 'postgresql' },
      ports: [{ port: 5432, nodePort: 32439 }],
      virtualIps: '203.0.113.50',
      planner: new Planner(),
    });
    await registered(db, db.service!, db.failover!, ...db.failover!.apiObjects);
    expect(rec.resources.filter((r) => r.type.startsWith('ipfailover:')).map((r) => [r.type, r.name])).toEqual([
      ['ipfailover:index:HaService', 'postgresql'],
      ['ipfailover:index:IpFailover', 'postgresql-failover'],
    ]);
    const service = rec.resources.find((r) => r.type === 'kubernetes:core/v1:Service');
    expect(service).toMatchObject({
      name: 'postgresql-service-postgresql',
      inputs: {
        spec: { type: 'NodePort', ports: [{ port: 5432, targetPort: 5432, protocol: 'TCP', nodePort: 32439 }] },
      },
    });
    expect(await valueOf(db.service!.urn)).toContain(
      'ipfailover:index:HaService$kubernetes:core/v1:Service::postgresql-service-postgresql',
    );
    expect(await valueOf(db.failover!.urn)).toBe(
      'urn:pulumi:stack::project::ipfailover:index:HaService$ipfailover:index:IpFailover::postgresql-failover',
    );
    // (The mock monitor qualifies a URN by the immediate parent's type only.)
    expect(await valueOf(db.failover!.deployment.urn)).toContain(
      'ipfailover:index:IpFailover$kubernetes:apps/v1:Deployment::postgresql-failover-deployment-ipf-postgresql',
    );
    expect(db.failover!.env['OPENSHIFT_HA_MONITOR_PORT']).toBe('32439');
    expect(await registeredOutputs(db)).toEqual({
      serviceName: 'postgresql',
      virtualIps: ['203.0.113.50'],
      failover: 'ipf-postgresql',
      vrrpIds: [1],
    });
  });

  test('hostNetwork: the failover follows the workload args (replicas, node selector, first port)', async () => {
    const ha = new HaService('router-vips', {
      exposure: 'hostNetwork',
      workload: router(3),
      virtualIps: '192.0.2.1-2',
      planner: new Planner(),
    });
    await registered(...ha.failover!.apiObjects);
    const spec = rec.resources.find((r) => r.type === 'kubernetes:apps/v1:Deployment')!.inputs['spec'] as {
      replicas: number;
      template: { spec: { nodeSelector: Record<string, string> } };
    };
    expect(spec.replicas).toBe(3);
    expect(spec.template.spec.nodeSelector).toEqual({ edge: 'true' });
    expect(ha.failover!.env['OPENSHIFT_HA_MONITOR_PORT']).toBe('80');
    expect(ha.service).toBeUndefined();
  });

  test("refuses replicas that differ from the workload's, naming both", () => {
    expect(
      thrown(
        () =>
          new HaService('router-vips', {
            exposure: 'hostNetwork',
            workload: router(3),
            virtualIps: '192.0.2.1',
            replicas: 2,
            planner: new Planner(),
          }),
      ).message,
    ).toBe(
      "router-vips: 'replicas' 2 differs from the 3 replicas of 'router': some nodes would never serve or never get traffic; use 3, or leave it out",
    );
  });

  test('refuses a workload whose replica count is an Output, since the failover must match it now', () => {
    const error = thrown(
      () =>
        new HaService('router-vips', {
          exposure: 'hostNetwork',
          workload: router(pulumi.output(3)),
          virtualIps: '192.0.2.1',
          planner: new Planner(),
        }),
    );
    expect(error).toBeInstanceOf(pulumi.ResourceError);
    expect(error.message).toBe(
      'router-vips: \'workload\' "spec.replicas" is not a plain value, so the failover cannot match it; give replicas, node selector, affinity, hostNetwork and container ports as plain values',
    );
  });
});

describe('ExternalIpPool component', () => {
  test('patches the cluster Network by server-side apply and serves the range with its IpFailover', async () => {
    const pool = new ExternalIpPool('external-ips', { cidr: '192.0.2.0/29', monitorPort: 0, planner: new Planner() });
    await registered(pool.clusterNetwork, ...pool.failover.apiObjects);
    const patch = rec.resources.find((r) => r.type === 'kubernetes:config.openshift.io/v1:NetworkPatch');
    expect(patch).toMatchObject({
      name: 'external-ips-network-cluster',
      inputs: {
        apiVersion: 'config.openshift.io/v1',
        kind: 'Network',
        metadata: { name: 'cluster' },
        spec: { externalIP: { autoAssignCIDRs: ['192.0.2.0/29'], policy: { allowedCIDRs: ['192.0.2.0/29'] } } },
      },
    });
    expect(pool.failover.virtualIps).toEqual([
      '192.0.2.1',
      '192.0.2.2',
      '192.0.2.3',
      '192.0.2.4',
      '192.0.2.5',
      '192.0.2.6',
    ]);
    expect(pool.failover.deploymentName).toBe('ipf-external-ips');
    expect(await valueOf(pool.failover.urn)).toBe(
      'urn:pulumi:stack::project::ipfailover:index:ExternalIpPool$ipfailover:index:IpFailover::external-ips-failover',
    );
    expect(pool.allocate('x')).toEqual(pool.allocate('x'));
    expect(() => pool.allocate('y', 10)).toThrow(
      "'count' 10 addresses do not fit: 5 of 192.0.2.0/29 are free; ask for fewer or use a larger pool",
    );
  });

  test('an externalIp HaService takes its address from the pool and needs no failover of its own', async () => {
    const pool = new ExternalIpPool('external-ips', { cidr: '192.0.2.0/28', planner: new Planner() });
    const web = new HaService('web', {
      exposure: 'externalIp',
      pool,
      selector: { app: 'web' },
      ports: [{ port: 8080 }],
    });
    await registered(web.service!);
    expect(web.failover).toBeUndefined();
    expect(pool.addresses).toEqual(expect.arrayContaining([...web.virtualIps]));
    const service = rec.resources.find((r) => r.name === 'web-service-web');
    expect((service?.inputs['spec'] as { externalIPs: string[] }).externalIPs).toEqual(web.virtualIps);
  });

  test('openstack on a pool-served HaService is refused: the pool owns the VIPs', () => {
    const pool = new ExternalIpPool('external-ips', { cidr: '192.0.2.0/28', planner: new Planner() });
    expect(
      thrown(
        () =>
          new HaService('web', {
            exposure: 'externalIp',
            pool,
            selector: { app: 'web' },
            ports: [{ port: 80 }],
            openstack: { portIds: ['master-0'] },
          }),
      ).message,
    ).toBe(
      "web: 'openstack' \"192.0.2.0/28\" is ignored: the pool's failover serves these VIPs; set openstack on the ExternalIpPool",
    );
  });

  test('refuses a range over /24 and a second pool in one program', () => {
    expect(thrown(() => new ExternalIpPool('big', { cidr: '192.0.0.0/23', planner: new Planner() })).message).toMatch(
      /^big: 'cidr' "192\.0\.0\.0\/23" .+; .+/,
    );
    const planner = new Planner();
    new ExternalIpPool('first', { cidr: '192.0.2.0/29', planner });
    expect(thrown(() => new ExternalIpPool('second', { cidr: '198.51.100.0/29', planner })).message).toBe(
      "second: 'cidr' \"198.51.100.0/29\" is a second ExternalIP pool; the cluster takes one auto-assign range and 'first' is it; use one ExternalIpPool per app",
    );
  });
});

import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ExternalIpPool, HaService } from '../../lib/cdk8s';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function routerWorkload(chart: Chart, replicas: number): kplus.Deployment {
  const router = new kplus.Deployment(chart, 'router', {
    replicas,
    hostNetwork: true,
    containers: [{ image: 'router', portNumber: 80, securityContext: { ensureNonRoot: false } }],
  });
  router.scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.is('edge', 'true')));
  return router;
}

describe('HaService', () => {
  test('follows a cdk8s-plus host-network workload', () => {
    const chart = Testing.chart();
    const ha = new HaService(chart, 'router-vips', {
      exposure: 'hostNetwork',
      workload: routerWorkload(chart, 3),
      virtualIps: '192.0.2.1-2',
    });
    const deployment = (Testing.synth(chart) as Obj[]).find((o) => o.metadata.name === 'ipf-router-vips')!;
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ edge: 'true' });
    expect(ha.failover?.vrrpIds).toEqual([1, 2]);
    expect(ha.service).toBeUndefined();
  });

  test("refuses replicas that differ from the workload's at synth, naming both", () => {
    const app = Testing.app();
    const chart = new Chart(app, 'edge');
    new HaService(chart, 'router-vips', {
      exposure: 'hostNetwork',
      workload: routerWorkload(chart, 3),
      virtualIps: '192.0.2.1',
      replicas: 2,
    });
    expect(() => app.synth()).toThrow(
      "[edge/router-vips] 'replicas' 2 differs from the 3 replicas of 'edge/router': some nodes would never serve or never get traffic; use 3, or leave it out",
    );
  });

  test('explicit VIPs inside a pool must come from the pool', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    new ExternalIpPool(chart, 'pool', { cidr: '192.0.2.0/29' });
    new HaService(chart, 'web', {
      exposure: 'nodePort',
      virtualIps: '192.0.2.3',
      selector: { app: 'web' },
      ports: [{ port: 80, nodePort: 30080 }],
    });
    expect(() => app.synth()).toThrow(
      /\[c\/web\/Failover\] 'virtualIps' "192\.0\.2\.3" is already served by 'c\/pool\/Failover'/,
    );
  });
});

describe('ExternalIpPool', () => {
  test('emits the cluster-scoped Network patch without a namespace, and a failover over the hosts', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'edge' });
    const pool = new ExternalIpPool(chart, 'pool', { cidr: '192.0.2.0/29', monitorPort: 0 });
    const objects = Testing.synth(chart) as Obj[];
    expect(objects.find((o) => o.kind === 'Network')!.metadata).toEqual({ name: 'cluster' });
    expect(pool.failover?.virtualIps).toEqual([
      '192.0.2.1',
      '192.0.2.2',
      '192.0.2.3',
      '192.0.2.4',
      '192.0.2.5',
      '192.0.2.6',
    ]);
    expect(pool.failover?.env.OPENSHIFT_HA_MONITOR_PORT).toBe('0');
    expect(pool.allocate('x')).toEqual(pool.allocate('x'));
    expect(() => pool.allocate('y', 10)).toThrow(
      "c/pool: 'count' 10 addresses do not fit: 5 of 192.0.2.0/29 are free; ask for fewer or use a larger pool",
    );
  });

  test('refuses a range over /24 and a second pool, and synthesizes nothing', () => {
    const app = new App({ outdir: Testing.app().outdir });
    const chart = new Chart(app, 'c');
    new ExternalIpPool(chart, 'big', { cidr: '10.0.0.0/16' });
    new ExternalIpPool(chart, 'second', { cidr: '192.0.2.0/28' });
    expect(() => app.synth()).toThrow(
      [
        "[c/big] 'cidr' \"10.0.0.0/16\" is larger than /24, more addresses than the cluster's 254 VRRP groups can serve; use a /24 or smaller range",
        "  [c/second] 'cidr' \"192.0.2.0/28\" is a second ExternalIP pool; the cluster takes one auto-assign range and 'c/big' is it; use one ExternalIpPool per app",
      ].join('\n'),
    );
  });
});

describe('props of the wrong kind or shape fail synth naming the path, never a TypeError', () => {
  const synthErrors = (build: (chart: Chart) => void): string => {
    const app = new App({ outdir: Testing.app().outdir });
    const chart = new Chart(app, 'c');
    build(chart);
    try {
      app.synth();
    } catch (error) {
      expect(error).not.toBeInstanceOf(TypeError);
      return (error as Error).message;
    }
    throw new Error('expected synth to fail');
  };
  const web = {
    exposure: 'externalIp',
    virtualIps: '192.0.2.1',
    selector: { app: 'web' },
    ports: [{ port: 443 }],
  } as const;

  test('a pool or workload that is not a construct of the right kind', () => {
    expect(
      synthErrors(
        (chart) => new HaService(chart, 'web', { ...web, virtualIps: undefined, pool: 'external-ips' as never }),
      ),
    ).toContain(`[c/web] 'pool' "external-ips" is not an ExternalIpPool; pass an ExternalIpPool, or leave it out`);
    expect(
      synthErrors(
        (chart) =>
          new HaService(chart, 'router', {
            exposure: 'hostNetwork',
            virtualIps: '192.0.2.1',
            workload: { spec: {} } as never,
          }),
      ),
    ).toContain(
      `[c/router] 'workload' {"spec":{}} is not a Deployment construct; pass a Deployment construct, or leave it out`,
    );
  });

  test('ports, selector and virtualIps of the wrong shape, each once', () => {
    const message = synthErrors(
      (chart) => new HaService(chart, 'web', { ...web, virtualIps: 5, ports: { port: 443 }, selector: 'web' } as never),
    );
    expect(message.split('\n').filter((l) => l.includes('[c/web]'))).toHaveLength(3);
    expect(message).toMatch(/'virtualIps' 5 is not a string or list of strings/);
    expect(message).toMatch(/'ports' \{"port":443\} is not a list of ports/);
    expect(message).toMatch(/'selector' "web" is not a map of labels/);
  });

  test('a bad cidr is reported once, not once per address', () => {
    const message = synthErrors((chart) => new ExternalIpPool(chart, 'pool', { cidr: '127.0.0.0/24' }));
    expect(message).toBe(
      'Validation failed with the following errors:\n  [c/pool] \'cidr\' "127.0.0.0/24" holds 127.0.0.1, a loopback address, which cannot be a VIP; use a range of addresses reachable from outside the cluster',
    );
  });
});

describe('an IPv6 /120 pool, as the docs allow', () => {
  test('synthesizes a failover serving its 254 addresses in 254 VRRP groups', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'edge' });
    const pool = new ExternalIpPool(chart, 'pool', { cidr: '2001:db8::/120' });
    new HaService(chart, 'web', { exposure: 'externalIp', pool, selector: { app: 'web' }, ports: [{ port: 443 }] });
    const objects = Testing.synth(chart) as Obj[];
    expect(pool.failover?.vrrpIds).toHaveLength(254);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e.value]));
    expect(env.OPENSHIFT_HA_VIP_GROUPS).toBe('254');
    expect(env.OPENSHIFT_HA_VIRTUAL_IPS.split(',')).toHaveLength(254);
    const service = objects.find((o) => o.kind === 'Service')!;
    expect(pool.addresses).toContain(service.spec.externalIPs[0]);
  });
});

describe('node.defaultChild is the main object, as cdk8s escape hatches expect', () => {
  test("a Service's HaService gives the Service, a hostNetwork one none, a pool its Network patch", () => {
    const chart = Testing.chart();
    const pool = new ExternalIpPool(chart, 'pool', { cidr: '192.0.2.0/28' });
    const service = new HaService(chart, 'db', {
      exposure: 'externalIp',
      pool,
      ports: [{ port: 5432 }],
      selector: { app: 'db' },
    });
    const router = new HaService(chart, 'router-vips', {
      exposure: 'hostNetwork',
      workload: routerWorkload(chart, 2),
      virtualIps: '198.51.100.1',
    });
    expect(service.service).toBeDefined();
    expect(service.node.defaultChild).toBe(service.service);
    expect(router.node.defaultChild).toBeUndefined();
    expect(pool.clusterNetwork).toBeDefined();
    expect(pool.node.defaultChild).toBe(pool.clusterNetwork);
  });
});

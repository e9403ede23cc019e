/**
 * Every component checks all its args before it registers a child: bad args register no
 * Kubernetes object, no OpenStack resource and no child component.
 */
import * as pulumi from '@pulumi/pulumi';
import { Planner } from '../../lib/core/plan/planner';
import { ExternalIpPool, HaService, IpFailover, IpFailoverRemoval } from '../../lib/pulumi';
import { recordResources, registered, thrown, type Recorder } from './mocks';

let rec: Recorder;
beforeAll(async () => {
  rec = await recordResources();
});
beforeEach(() => {
  rec.resources.length = 0;
});

/** The message of the ResourceError the constructor throws. */
const refusal = (make: () => unknown): { message: string } => {
  const error = thrown(make);
  expect(error).toBeInstanceOf(pulumi.ResourceError);
  return { message: error.message };
};
/** The types of what component `name` and its children registered, once registrations have landed. */
const registeredBy = async (name: string): Promise<string[]> => {
  await new Promise((resolve) => setTimeout(resolve, 200));
  return rec.resources.filter((r) => r.name === name || r.name.startsWith(`${name}-`)).map((r) => r.type);
};

describe('openstack.portIds, checked as cdk8s checks them', () => {
  test.each([
    ['abc', `edge: 'openstack.portIds' "abc" is not a list of port IDs; give portIds: ["abc"]`],
    [
      ['-h'],
      'edge: \'openstack.portIds\' "-h" is not an OpenStack port ID; use the port UUID from `openstack port list`',
    ],
    [[], "edge: 'openstack.portIds' [] lists no port; give the Neutron port IDs of the nodes"],
  ])('%j', async (portIds, message) => {
    const { message: got } = refusal(
      () =>
        new IpFailover('edge', {
          virtualIps: '192.0.2.1',
          openstack: { portIds: portIds as never },
          planner: new Planner(),
        }),
    );
    expect(got).toBe(message);
    expect(await registeredBy('edge')).toEqual(['ipfailover:index:IpFailover']);
  });

  test('outputs are left to the resource, which checks them when they resolve (test/pulumi/allowed-address-pairs.test.ts)', async () => {
    const edge = new IpFailover('edge', {
      virtualIps: '192.0.2.1',
      openstack: { portIds: pulumi.output(['-h']) },
      planner: new Planner(),
    });
    await registered(edge.allowedAddressPairs!, ...edge.apiObjects);
  });

  test('a bad port and a bad prop are reported together, and the prop is not planned', () => {
    const planner = new Planner();
    const { message } = refusal(
      () =>
        new IpFailover('edge', { virtualIps: '192.0.2.1', monitorPort: -1, openstack: { portIds: ['-h'] }, planner }),
    );
    expect(message.split('\n').map((l) => l.split("'")[1])).toEqual(['monitorPort', 'openstack.portIds']);
    expect(planner.instances).toEqual([]);
  });
});

describe('image', () => {
  test.each([5, null, ['nginx'], { name: 'nginx' }])('a non-string image %j is checked, not skipped', (image) => {
    const { message } = refusal(
      () => new IpFailover('edge', { virtualIps: '192.0.2.1', image: image as never, planner: new Planner() }),
    );
    expect(message).toBe(
      `edge: 'image' ${JSON.stringify(image)} is not an image reference; use registry/name:tag or name@sha256:digest`,
    );
  });
});

describe('nothing registered before every arg is checked', () => {
  test("HaService registers no Service when its failover's args are bad", async () => {
    const planner = new Planner();
    const { message } = refusal(
      () =>
        new HaService('web', {
          exposure: 'externalIp',
          virtualIps: '192.0.2.1',
          selector: { app: 'web' },
          ports: [{ port: 443 }],
          checkIntervalSeconds: 0,
          planner,
        }),
    );
    expect(message).toBe(
      "web-failover: 'checkIntervalSeconds' 0 is not a check interval in whole seconds; use a whole number from 1 to 3600",
    );
    expect(await registeredBy('web')).toEqual(['ipfailover:index:HaService']);
    expect(planner.instances).toEqual([]);
  });

  test('HaService registers no Service when its failover overlaps an earlier instance', async () => {
    const planner = new Planner();
    new IpFailover('router', { virtualIps: '192.0.2.1', planner });
    const { message } = refusal(
      () =>
        new HaService('web', {
          exposure: 'externalIp',
          virtualIps: '192.0.2.1',
          selector: { app: 'web' },
          ports: [{ port: 443 }],
          planner,
        }),
    );
    expect(message).toBe(
      "web-failover: 'virtualIps' \"192.0.2.1\" is already served by 'router'; give each VIP to one instance only",
    );
    expect(await registeredBy('web')).toEqual(['ipfailover:index:HaService']);
  });

  test("ExternalIpPool registers no child when its failover's args are bad", async () => {
    const { message } = refusal(
      () => new ExternalIpPool('pool', { cidr: '192.0.2.0/29', replicas: 0, planner: new Planner() }),
    );
    expect(message).toBe("pool-failover: 'replicas' 0 is not a replica count; use a whole number from 1 to 255");
    expect(await registeredBy('pool')).toEqual(['ipfailover:index:ExternalIpPool']);
  });

  test.each([
    ['IpFailover', (): unknown => new IpFailover('x', undefined as never)],
    ['HaService', (): unknown => new HaService('x', 'web' as never)],
    ['ExternalIpPool', (): unknown => new ExternalIpPool('x', null as never)],
    ['IpFailoverRemoval', (): unknown => new IpFailoverRemoval('x', 5 as never)],
  ])('%s with args that are not an object', (_kind, make) => {
    expect(refusal(make).message).toMatch(/^x: 'props' .+ is not an object of props; give an object such as \{.+\}$/);
  });

  test('a planner, pool or workload of the wrong kind is an error naming it', () => {
    expect(refusal(() => new IpFailover('x', { virtualIps: '192.0.2.1', planner: {} as never })).message).toBe(
      "x: 'planner' {} is not a Planner; pass a Planner from ipfailover/pulumi, or leave it out",
    );
    expect(
      refusal(
        () =>
          new HaService('x', {
            exposure: 'externalIp',
            pool: 'pool' as never,
            selector: { a: 'b' },
            ports: [{ port: 80 }],
            planner: new Planner(),
          }),
      ).message,
    ).toMatch(/^x: 'pool' "pool" is not an ExternalIpPool; pass an ExternalIpPool, or leave it out/);
  });
});

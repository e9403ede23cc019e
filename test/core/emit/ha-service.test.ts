import { AddressAllocator, parsePoolCidr, type PoolRange } from '../../../lib/core/plan/address-pool';
import { resolveHaService, workloadFactsOf, type WorkloadFacts } from '../../../lib/core/emit/ha-service';
import { formatIssues } from '../../../lib/core/model/issues';
import type { HaServiceOptions } from '../../../lib/core/model/props';

const ctx = { path: 'app/svc', id: 'svc', defaultNamespace: 'shop' };
const errors = (props: HaServiceOptions, extra: object = {}): string =>
  formatIssues(resolveHaService(props, { ...ctx, ...extra }).issues);
const router: WorkloadFacts = {
  path: 'app/router',
  replicas: 3,
  nodeSelector: { edge: 'true' },
  hostNetwork: true,
  containerPorts: [80, 443],
};

describe('exposure externalIp', () => {
  test('creates a Service whose external IPs are the VIPs, and a failover checking the service port', () => {
    const r = resolveHaService(
      {
        exposure: 'externalIp',
        virtualIps: '192.0.2.10-11',
        selector: { app: 'web' },
        ports: [{ port: 8080, targetPort: 80 }],
      },
      ctx,
    );
    expect(r.issues).toEqual([]);
    expect(r.service).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc', namespace: 'shop' },
      spec: {
        type: 'ClusterIP',
        selector: { app: 'web' },
        ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }],
        externalIPs: ['192.0.2.10', '192.0.2.11'],
      },
    });
    expect(r.failover).toMatchObject({
      name: 'ipf-svc',
      namespace: 'shop',
      monitorPort: 8080,
      virtualIps: ['192.0.2.10', '192.0.2.11'],
    });
  });

  test('takes its VIPs from a pool and leaves failover to the pool', () => {
    const pool = new AddressAllocator(parsePoolCidr('192.0.2.0/28') as PoolRange);
    const r = resolveHaService(
      { exposure: 'externalIp', selector: { app: 'web' }, ports: [{ port: 80 }], addressCount: 2 },
      { ...ctx, pool },
    );
    expect(r.issues).toEqual([]);
    expect(r.virtualIps).toEqual(pool.allocations.get('svc'));
    expect(r.failover).toBeUndefined();
    expect((r.service!.spec as { externalIPs: string[] }).externalIPs).toEqual(r.virtualIps);
  });

  test('refuses explicit addresses outside the pool', () => {
    const pool = new AddressAllocator(parsePoolCidr('192.0.2.0/28') as PoolRange);
    expect(
      errors(
        { exposure: 'externalIp', virtualIps: '198.51.100.7', selector: { a: 'b' }, ports: [{ port: 80 }] },
        { pool },
      ),
    ).toBe(
      'app/svc: \'virtualIps\' "198.51.100.7" is outside the pool 192.0.2.0/28; use an address of the pool, or leave it out to be allocated one',
    );
  });
});

describe('exposure nodePort', () => {
  test('creates a NodePort Service and checks the node port', () => {
    const r = resolveHaService(
      {
        exposure: 'nodePort',
        virtualIps: '192.0.2.50',
        selector: { app: 'postgresql' },
        ports: [{ port: 5432, nodePort: 32439 }],
      },
      ctx,
    );
    expect(r.service?.spec).toMatchObject({ type: 'NodePort', ports: [{ port: 5432, nodePort: 32439 }] });
    expect(r.failover?.monitorPort).toBe(32439);
  });

  test('requires the node port, saying why', () => {
    expect(
      errors({ exposure: 'nodePort', virtualIps: '192.0.2.50', selector: { app: 'pg' }, ports: [{ port: 5432 }] }),
    ).toMatch(
      /'ports' \{"port":5432\} has no nodePort; set nodePort \(30000\.\.32767 by default\): the failover pods check it from the start/,
    );
  });
});

describe('exposure hostNetwork', () => {
  test("runs the failover with the workload's node selector, replicas and first port", () => {
    const r = resolveHaService({ exposure: 'hostNetwork', virtualIps: '192.0.2.60' }, { ...ctx, workload: router });
    expect(r.service).toBeUndefined();
    expect(r.failover).toMatchObject({ replicas: 3, nodeSelector: { edge: 'true' }, monitorPort: 80 });
  });

  test.each([
    [
      { replicas: 5 },
      router,
      /'replicas' 5 differs from the 3 replicas of 'app\/router': some nodes would never serve or never get traffic; use 3, or leave it out/,
    ],
    [
      { nodeSelector: { edge: 'false' } },
      router,
      /'nodeSelector' \{"edge":"false"\} differs from the node selector of 'app\/router'/,
    ],
    [
      {},
      { ...router, hostNetwork: false },
      /'workload' "app\/router" does not use the host network; use exposure 'externalIp' or 'nodePort'/,
    ],
    [
      {},
      { ...router, complexAffinity: true },
      /'nodeSelector' \(unset\) cannot be copied from the node affinity of 'app\/router'/,
    ],
    [
      {},
      { ...router, containerPorts: [] },
      /'monitorPort' \(unset\) cannot be taken from 'app\/router', which declares no container port/,
    ],
    [{}, undefined, /'workload' \(unset\) is required with exposure 'hostNetwork'/],
  ])('refuses a mismatch: %j', (props, workload, message) => {
    expect(
      errors({ exposure: 'hostNetwork', virtualIps: '192.0.2.60', ...props }, workload ? { workload } : {}),
    ).toMatch(message);
  });

  test('reads workload facts off a Deployment, including cdk8s-plus attract() affinity', () => {
    const facts = workloadFactsOf('app/router', {
      spec: {
        replicas: 4,
        template: {
          spec: {
            hostNetwork: true,
            nodeSelector: { zone: 'a' },
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchExpressions: [{ key: 'edge', operator: 'In', values: ['true'] }] }],
                },
              },
            },
            containers: [
              { ports: [{ containerPort: 80 }, { containerPort: 443 }] },
              { ports: [{ containerPort: 1936 }] },
            ],
          },
        },
      },
    });
    expect(facts).toEqual({
      path: 'app/router',
      replicas: 4,
      nodeSelector: { zone: 'a', edge: 'true' },
      hostNetwork: true,
      containerPorts: [80, 443, 1936],
    });
    const notIn = workloadFactsOf('w', {
      spec: {
        template: {
          spec: {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['y'] }] }],
                },
              },
            },
          },
        },
      },
    });
    expect(notIn.complexAffinity).toBe(true);
  });
});

describe('props', () => {
  test.each([
    [
      { exposure: 'externalIp', selector: { a: 'b' }, ports: [{ port: 80 }] },
      /'virtualIps' \(unset\) is required without a pool/,
    ],
    [
      { exposure: 'externalIp', virtualIps: '192.0.2.1', selector: { a: 'b' }, ports: [] },
      /'ports' \[\] lists no port/,
    ],
    [{ exposure: 'externalIp', virtualIps: '192.0.2.1', ports: [{ port: 80 }] }, /'selector' \{\} selects no pods/],
    [
      { exposure: 'externalIp', virtualIps: '192.0.2.1', selector: { a: 'b' }, ports: [{ port: 80 }, { port: 81 }] },
      /'ports' 2 ports are not all named; name every port/,
    ],
    [
      { exposure: 'externalIp', virtualIps: '192.0.2.1', selector: { a: 'b' }, ports: [{ port: 70000 }] },
      /'ports' 70000 is not a service port; use a whole number from 1 to 65535/,
    ],
    [
      { exposure: 'loadBalancer', virtualIps: '192.0.2.1' },
      /'exposure' "loadBalancer" is not a way to expose a service/,
    ],
    [
      { exposure: 'externalIp', virtualIps: '192.0.2.1', selector: { a: 'b' }, ports: [{ port: 80 }], name: 'Web' },
      /'name' "Web" is not a valid name/,
    ],
  ])('refuses %j', (props, message) => {
    expect(errors(props as HaServiceOptions)).toMatch(message);
  });

  test('a pool serves ExternalIP services only', () => {
    const pool = new AddressAllocator(parsePoolCidr('192.0.2.0/28') as PoolRange);
    expect(
      errors({ exposure: 'nodePort', selector: { a: 'b' }, ports: [{ port: 80, nodePort: 30080 }] }, { pool }),
    ).toMatch(/'pool' "192\.0\.2\.0\/28" serves ExternalIP services only/);
  });
});

describe('props checked by shape, and Service ports as the API server checks them', () => {
  const web = {
    exposure: 'externalIp',
    virtualIps: '192.0.2.1',
    selector: { app: 'web' },
    ports: [{ port: 443 }],
  } as const;
  const lines = (props: Record<string, unknown>, extra: object = {}): string[] =>
    errors({ ...web, ...props } as unknown as HaServiceOptions, extra)
      .split('\n')
      .filter((l) => l !== '');

  test.each([
    [{ virtualIps: 5 }, `'virtualIps' 5 is not a string or list of strings; give "192.0.2.10-12" or ["192.0.2.10"]`],
    [{ ports: { port: 443 } }, `'ports' {"port":443} is not a list of ports; give a list such as [{ port: 443 }]`],
    [
      { ports: [null] },
      `'ports' null is not a port; give { port: 443 }, with targetPort, nodePort, protocol and name as needed`,
    ],
    [
      { ports: [443] },
      `'ports' 443 is not a port; give { port: 443 }, with targetPort, nodePort, protocol and name as needed`,
    ],
    [{ selector: 'web' }, `'selector' "web" is not a map of labels; give labels such as {"app":"web"}`],
    [{ selector: [] }, `'selector' [] is not a map of labels; give labels such as {"app":"web"}`],
    [
      { ports: [{ port: 443, protocol: 'ICMP' }] },
      `'ports' "ICMP" is not a Service protocol; use 'TCP', 'UDP' or 'SCTP'`,
    ],
    [{ ports: [{ port: 443, targetPort: 0 }] }, `'ports' 0 is not a target port; use a whole number from 1 to 65535`],
    [
      { ports: [{ port: 443, targetPort: 65536 }] },
      `'ports' 65536 is not a target port; use a whole number from 1 to 65535`,
    ],
    [{ ports: [{ port: 0 }] }, `'ports' 0 is not a service port; use a whole number from 1 to 65535`],
    [
      { namespace: 'Shop' },
      `'namespace' "Shop" is not a valid name; use lower-case letters, digits and "-", at most 63 characters`,
    ],
  ])('%j', (props, message) => {
    expect(lines(props)).toEqual([`app/svc: ${message}`]);
  });

  test.each(['https-port-12345', 'HTTPS', '-https', 'https-', 'ht--ps', '8443', 'web_1', ''])(
    'port name %j is not an IANA service name',
    (name) => {
      expect(lines({ ports: [{ port: 443, name }] })).toEqual([
        `app/svc: 'ports' ${JSON.stringify(name)} is not a port name; use up to 15 lower-case letters, digits and single "-" inside, with at least one letter, such as https`,
      ]);
    },
  );

  test.each(['https', 'h2c', 'web-8443', 'a'])('port name %j is one', (name) => {
    expect(lines({ ports: [{ port: 443, name }] })).toEqual([]);
  });

  test('two ports of one name, one port twice, one node port twice', () => {
    expect(
      lines({
        ports: [
          { port: 443, name: 'web' },
          { port: 8443, name: 'web' },
        ],
      }),
    ).toEqual([`app/svc: 'ports' "web" names two ports; give each port its own name`]);
    expect(
      lines({
        ports: [
          { port: 443, name: 'a' },
          { port: 443, name: 'b' },
        ],
      }),
    ).toEqual([`app/svc: 'ports' "443/TCP" is listed twice; list each port and protocol once`]);
    expect(
      lines({
        ports: [
          { port: 443, name: 'a' },
          { port: 443, name: 'b', protocol: 'UDP' },
        ],
      }),
    ).toEqual([]);
    expect(
      lines({
        exposure: 'nodePort',
        ports: [
          { port: 443, name: 'a', nodePort: 30443 },
          { port: 80, name: 'b', nodePort: 30443 },
        ],
      }),
    ).toEqual([`app/svc: 'ports' "30443/TCP" is the node port of two ports; give each port its own nodePort`]);
  });

  test('a wrong-typed replicas or nodeSelector beside a workload gets its own message, not "differs"', () => {
    const host = { exposure: 'hostNetwork', virtualIps: '192.0.2.1' };
    expect(errors({ ...host, replicas: '3' } as unknown as HaServiceOptions, { workload: router })).toBe(
      `app/svc: 'replicas' "3" is not a replica count; use a whole number from 1 to 255`,
    );
    expect(errors({ ...host, nodeSelector: 'edge' } as unknown as HaServiceOptions, { workload: router })).toBe(
      `app/svc: 'nodeSelector' "edge" is not a map of labels; give labels such as {"edge":"true"}`,
    );
  });

  test('workload facts are read defensively from any data', () => {
    expect(
      workloadFactsOf('w', {
        spec: {
          replicas: 2,
          template: {
            spec: { nodeSelector: 'x', containers: [{ ports: 5 }, null, { ports: [{ containerPort: 80 }] }] },
          },
        },
      }),
    ).toEqual({
      path: 'w',
      replicas: 2,
      nodeSelector: {},
      hostNetwork: false,
      containerPorts: [80],
    });
  });
});

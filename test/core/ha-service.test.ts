import { AddressAllocator, parsePoolCidr, type PoolRange } from '../../lib/core/address-pool';
import { resolveHaService, workloadFactsOf, type WorkloadFacts } from '../../lib/core/ha-service';
import { formatIssues } from '../../lib/core/issues';
import type { HaServiceOptions } from '../../lib/core/props';

const ctx = { path: 'app/svc', id: 'svc', defaultNamespace: 'shop' };
const errors = (props: HaServiceOptions, extra: object = {}): string => formatIssues(resolveHaService(props, { ...ctx, ...extra }).issues);
const router: WorkloadFacts = { path: 'app/router', replicas: 3, nodeSelector: { edge: 'true' }, hostNetwork: true, containerPorts: [80, 443] };

describe('exposure externalIp', () => {
  test('creates a Service whose external IPs are the VIPs, and a failover checking the service port', () => {
    const r = resolveHaService({ exposure: 'externalIp', virtualIps: '192.0.2.10-11', selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 80 }] }, ctx);
    expect(r.issues).toEqual([]);
    expect(r.service).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc', namespace: 'shop' },
      spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }], externalIPs: ['192.0.2.10', '192.0.2.11'] },
    });
    expect(r.failover).toMatchObject({ name: 'ipf-svc', namespace: 'shop', monitorPort: 8080, virtualIps: ['192.0.2.10', '192.0.2.11'] });
  });

  test('takes its VIPs from a pool and leaves failover to the pool', () => {
    const pool = new AddressAllocator(parsePoolCidr('192.0.2.0/28') as PoolRange);
    const r = resolveHaService({ exposure: 'externalIp', selector: { app: 'web' }, ports: [{ port: 80 }], addressCount: 2 }, { ...ctx, pool });
    expect(r.issues).toEqual([]);
    expect(r.virtualIps).toEqual(pool.allocations.get('svc'));
    expect(r.failover).toBeUndefined();
    expect((r.service!.spec as { externalIPs: string[] }).externalIPs).toEqual(r.virtualIps);
  });

  test('refuses explicit addresses outside the pool', () => {
    const pool = new AddressAllocator(parsePoolCidr('192.0.2.0/28') as PoolRange);
    expect(errors({ exposure: 'externalIp', virtualIps: '198.51.100.7', selector: { a: 'b' }, ports: [{ port: 80 }] }, { pool })).toBe(
      "app/svc: 'virtualIps' \"198.51.100.7\" is outside the pool 192.0.2.0/28; use an address of the pool, or leave it out to be allocated one",
    );
  });
});

describe('exposure nodePort', () => {
  test('creates a NodePort Service and checks the node port', () => {
    const r = resolveHaService({ exposure: 'nodePort', virtualIps: '192.0.2.50', selector: { app: 'postgresql' }, ports: [{ port: 5432, nodePort: 32439 }] }, ctx);
    expect(r.service?.spec).toMatchObject({ type: 'NodePort', ports: [{ port: 5432, nodePort: 32439 }] });
    expect(r.failover?.monitorPort).toBe(32439);
  });

  test('requires the node port, saying why', () => {
    expect(errors({ exposure: 'nodePort', virtualIps: '192.0.2.50', selector: { app: 'pg' }, ports: [{ port: 5432 }] })).toMatch(
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
    [{ replicas: 5 }, router, /'replicas' 5 differs from the 3 replicas of 'app\/router': some nodes would never serve or never get traffic; use 3, or leave it out/],
    [{ nodeSelector: { edge: 'false' } }, router, /'nodeSelector' \{"edge":"false"\} differs from the node selector of 'app\/router'/],
    [{}, { ...router, hostNetwork: false }, /'workload' "app\/router" does not use the host network; use exposure 'externalIp' or 'nodePort'/],
    [{}, { ...router, complexAffinity: true }, /'nodeSelector' \(unset\) cannot be copied from the node affinity of 'app\/router'/],
    [{}, { ...router, containerPorts: [] }, /'monitorPort' \(unset\) cannot be taken from 'app\/router', which declares no container port/],
    [{}, undefined, /'workload' \(unset\) is required with exposure 'hostNetwork'/],
  ])('refuses a mismatch: %j', (props, workload, message) => {
    expect(errors({ exposure: 'hostNetwork', virtualIps: '192.0.2.60', ...props }, workload ? { workload } : {})).toMatch(message);
  });

  test('reads workload facts off a Deployment, including cdk8s-plus attract() affinity', () => {
    const facts = workloadFactsOf('app/router', {
      spec: {
        replicas: 4,
        template: {
          spec: {
            hostNetwork: true,
            nodeSelector: { zone: 'a' },
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'edge', operator: 'In', values: ['true'] }] }] } } },
            containers: [{ ports: [{ containerPort: 80 }, { containerPort: 443 }] }, { ports: [{ containerPort: 1936 }] }],
          },
        },
      },
    });
    expect(facts).toEqual({ path: 'app/router', replicas: 4, nodeSelector: { zone: 'a', edge: 'true' }, hostNetwork: true, containerPorts: [80, 443, 1936] });
    const notIn = workloadFactsOf('w', { spec: { template: { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['y'] }] }] } } } } } } });
    expect(notIn.complexAffinity).toBe(true);
  });
});

describe('props', () => {
  test.each([
    [{ exposure: 'externalIp', selector: { a: 'b' }, ports: [{ port: 80 }] }, /'virtualIps' \(unset\) is required without a pool/],
    [{ exposure: 'externalIp', virtualIps: '192.0.2.1', selector: { a: 'b' }, ports: [] }, /'ports' \[\] lists no port/],
    [{ exposure: 'externalIp', virtualIps: '192.0.2.1', ports: [{ port: 80 }] }, /'selector' \{\} selects no pods/],
    [{ exposure: 'externalIp', virtualIps: '192.0.2.1', selector: { a: 'b' }, ports: [{ port: 80 }, { port: 81 }] }, /'ports' 2 ports are not all named; name every port/],
    [{ exposure: 'externalIp', virtualIps: '192.0.2.1', selector: { a: 'b' }, ports: [{ port: 70000 }] }, /'ports' 70000 is not a port/],
    [{ exposure: 'loadBalancer', virtualIps: '192.0.2.1' }, /'exposure' "loadBalancer" is not a way to expose a service/],
    [{ exposure: 'externalIp', virtualIps: '192.0.2.1', selector: { a: 'b' }, ports: [{ port: 80 }], name: 'Web' }, /'name' "Web" is not a valid name/],
  ])('refuses %j', (props, message) => {
    expect(errors(props as HaServiceOptions)).toMatch(message);
  });

  test('a pool serves ExternalIP services only', () => {
    const pool = new AddressAllocator(parsePoolCidr('192.0.2.0/28') as PoolRange);
    expect(errors({ exposure: 'nodePort', selector: { a: 'b' }, ports: [{ port: 80, nodePort: 30080 }] }, { pool })).toMatch(
      /'pool' "192\.0\.2\.0\/28" serves ExternalIP services only/,
    );
  });
});

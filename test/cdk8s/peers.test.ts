/**
 * `peers`: what the construct synthesizes for agents that read their instance's nodes from the
 * cluster (a namespaced Role allowing list and watch on pods, its RoleBinding, the pod's token and
 * node name), and nothing of it where they do not. Every object validates against the official
 * schemas.
 */
import { Testing } from 'cdk8s';
import { IpFailover } from '../../lib/cdk8s';
import type { IpFailoverOptions } from '../../lib/core/model/props';
import { validateAgainstSchema } from '../support/schema';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

function synth(props: Partial<IpFailoverOptions> = {}): Obj[] {
  const chart = Testing.chart();
  new IpFailover(chart, 'edge', { virtualIps: '192.0.2.10-12', namespace: 'ha', ...props });
  return Testing.synth(chart) as Obj[];
}

const find = (objects: Obj[], kind: string, name: string): Obj =>
  objects.find((o) => o.kind === kind && o.metadata.name === name)!;

/** The Deployment's pod spec and its container's env. */
function podOf(objects: Obj[]): { pod: Record<string, unknown>; env: Array<Record<string, unknown>> } {
  const deployment = find(objects, 'Deployment', 'edge') as unknown as {
    spec: {
      template: { spec: Record<string, unknown> & { containers: Array<{ env: Array<Record<string, unknown>> }> } };
    };
  };
  const pod = deployment.spec.template.spec;
  return { pod, env: pod.containers[0]!.env };
}

describe('by default: the nodes from the cluster, VRRP multicast', () => {
  const objects = synth();

  test("a Role in the instance's namespace that may list and watch pods, and nothing else", () => {
    const role = find(objects, 'Role', 'edge-peers');
    expect(role).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'edge-peers', namespace: 'ha', labels: { ipfailover: 'edge' } },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }],
    });
    expect(objects.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toBe(false);
  });

  test("bound to the instance's service account in its namespace", () => {
    expect(find(objects, 'RoleBinding', 'edge-peers')).toMatchObject({
      metadata: { namespace: 'ha' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'edge-peers' },
      subjects: [{ kind: 'ServiceAccount', name: 'ipfailover', namespace: 'ha' }],
    });
  });

  test("the pod gets its token and its node's name; the agent is told to read the cluster", () => {
    const { pod, env } = podOf(objects);
    expect(pod.automountServiceAccountToken).toBe(true);
    // The nodes last listed outlive a container's restart: an emptyDir at the image's state dir.
    expect(pod.volumes).toContainEqual({ name: 'state', emptyDir: {} });
    expect((pod.containers as Array<{ volumeMounts: unknown[] }>)[0]!.volumeMounts).toContainEqual({
      name: 'state',
      mountPath: '/var/lib/ipfailover',
    });
    expect(env).toContainEqual({ name: 'IPFAILOVER_PEERS', value: 'cluster' });
    expect(env).toContainEqual({
      name: 'IPFAILOVER_NODE_NAME',
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    expect(env).toContainEqual({ name: 'OPENSHIFT_HA_USE_UNICAST', value: 'false' });
  });

  test('every object validates against the official schemas', () => {
    for (const o of objects) expect(() => validateAgainstSchema(o)).not.toThrow();
  });
});

test("clusterUnicast: the same objects, and the agent runs VRRP unicast to the nodes' addresses", () => {
  const objects = synth({ peers: 'clusterUnicast' });
  expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toContain('Role/edge-peers');
  expect(podOf(objects).env).toContainEqual({ name: 'IPFAILOVER_PEERS', value: 'clusterUnicast' });
});

test.each([
  ['static', { peers: 'static' as const }],
  ['a unicast peer list', { unicastPeers: ['192.0.2.1', '192.0.2.2'] }],
])('%s: no Role, no binding, no token, nothing read from the API', (_what, props) => {
  const objects = synth(props);
  expect(objects.filter((o) => o.metadata.name === 'edge-peers')).toEqual([]);
  const { pod, env } = podOf(objects);
  expect(pod.automountServiceAccountToken).toBe(false);
  expect((pod.volumes as Array<{ name: string }>).map((v) => v.name)).not.toContain('state');
  expect(env.map((e) => e.name)).not.toContain('IPFAILOVER_PEERS');
  expect(env.map((e) => e.name)).not.toContain('IPFAILOVER_NODE_NAME');
});

test('a peer list with the nodes from the cluster, or an unknown source, fails synthesis naming the prop', () => {
  expect(() => synth({ peers: 'cluster', unicastPeers: ['192.0.2.1', '192.0.2.2'] })).toThrow(
    /\[test\/edge\] 'peers' "cluster" reads the instance's nodes from the Kubernetes API, but a unicast peer list names them; leave out the peer list, or use 'static' with it/,
  );
  expect(() => synth({ peers: 'k8s' as never })).toThrow(
    /'peers' "k8s" is not a source of peers; use 'cluster', 'clusterUnicast' or 'static'/,
  );
});

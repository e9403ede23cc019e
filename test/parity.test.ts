/**
 * Same props, same objects: what the Pulumi component registers equals, field by field, what the
 * cdk8s construct synthesizes.
 */
import { Chart, Testing } from 'cdk8s';
import { IpFailover as Cdk8sIpFailover } from '../lib/cdk8s';
import type { IpFailoverProps } from '../lib/core/props';
import { Planner } from '../lib/core/planner';
import { IpFailover as PulumiIpFailover } from '../lib/pulumi';
import { recordResources, registered, valueOf, type Recorder } from './pulumi/mocks';

/** Instances declared together, as one cdk8s chart and one Pulumi program. */
const CASES: Record<string, Array<[string, IpFailoverProps]>> = {
  defaults: [['edge', { virtualIps: '192.0.2.10-12' }]],
  'every prop': [
    [
      'router',
      {
        virtualIps: ['192.0.2.20', '192.0.2.21', '192.0.2.25'],
        vipGroups: 2,
        networkInterface: 'br-ex',
        monitorPort: 1936,
        vrrpIdOffset: 40,
        replicas: 3,
        nodeSelector: { 'node-role.kubernetes.io/infra': '' },
        unicastPeers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
        iptablesChain: '',
        checkScript: { inline: '#!/bin/sh\nexec curl -fsS http://127.0.0.1:1936/healthz\n' },
        notifyScript: { path: '/usr/local/bin/notify.sh' },
        preemption: 'nopreempt',
        checkIntervalSeconds: 5,
        advertIntervalSeconds: 0.5,
        name: 'router-vips',
        namespace: 'openshift-ingress',
        image: 'quay.example/ipfailover:1.2.3',
        imagePullSecrets: ['quay-pull'],
        serviceAccountName: 'router-failover',
        strategy: 'RollingUpdate',
      },
    ],
  ],
  'shared service account and automatic offsets': [
    ['a', { virtualIps: '192.0.2.30-31', notifyScript: { inline: '#!/bin/sh\nlogger "$@"\n' } }],
    ['b', { virtualIps: '192.0.2.32', monitorPort: 0 }],
    ['c', { virtualIps: '192.0.2.33', namespace: 'other' }],
  ],
};

let rec: Recorder;
beforeAll(async () => {
  rec = await recordResources();
});

/** Drops what JSON would not carry, so both sides compare as data. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe.each(Object.entries(CASES))('parity: %s', (_name, instances) => {
  test('the Pulumi component registers exactly the objects cdk8s synthesizes', async () => {
    const app = Testing.app();
    const chart = new Chart(app, 'chart');
    for (const [id, props] of instances) new Cdk8sIpFailover(chart, id, props);
    const synthesized = Testing.synth(chart);

    rec.resources.length = 0;
    const planner = new Planner();
    const components = instances.map(([id, props]) => new PulumiIpFailover(id, { ...props, planner }));
    const children = components.flatMap((c) => c.resources);
    await registered(...children);
    // The monitor sees registrations in the order their dependencies resolve; put them back in
    // declaration order (each component's apply order) by their URNs.
    const kube = rec.resources.filter((r) => r.custom && r.type.startsWith('kubernetes:'));
    expect(kube).toHaveLength(children.length);
    const registeredObjects = await Promise.all(
      children.map(async (child) => {
        const urn = await valueOf(child.urn);
        const found = kube.filter((r) => urn.endsWith(`$${r.type}::${r.name}`));
        expect(found).toHaveLength(1);
        return found[0]!.inputs;
      }),
    );

    expect(registeredObjects.length).toBeGreaterThan(0);
    expect(plain(registeredObjects)).toEqual(plain(synthesized));
  });
});

describe('parity of errors', () => {
  /** The cdk8s validation lines and the Pulumi error lines, with each front end's path form removed. */
  const messages = (instances: Array<[string, IpFailoverProps]>): { cdk8s: string[]; pulumi: string[] } => {
    const chart = new Chart(Testing.app(), 'chart');
    for (const [id, props] of instances) new Cdk8sIpFailover(chart, id, props);
    let cdk8s: string[] = [];
    try {
      Testing.synth(chart);
    } catch (error) {
      cdk8s = (error as Error).message.split('\n').filter((l) => l.trim().startsWith('[')).map((l) => l.trim().replace(/^\[chart\/([^\]]+)\] /, '$1: ').replace(/'chart\//g, "'"));
    }
    const planner = new Planner();
    const pulumi: string[] = [];
    for (const [id, props] of instances) {
      try {
        new PulumiIpFailover(id, { ...props, planner });
      } catch (error) {
        pulumi.push(...(error as Error).message.split('\n'));
      }
    }
    return { cdk8s, pulumi };
  };

  test('the same bad props give the same messages in both front ends', () => {
    const { cdk8s, pulumi } = messages([
      ['router', { virtualIps: '192.0.2.1-5', vrrpIdOffset: 7 }],
      ['edge', { virtualIps: ['192.0.2.5', '192.0.2.300'], vrrpIdOffset: 10, monitorPort: -1, checkIntervalSeconds: 0 }],
      ['late', { virtualIps: '192.0.2.40', vrrpIdOffset: 9 }],
    ]);
    expect(pulumi.length).toBeGreaterThanOrEqual(4);
    expect(pulumi).toEqual(cdk8s);
  });
});

/**
 * Same props, same objects: what the Pulumi component registers equals, field by field, what the
 * cdk8s construct synthesizes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, Chart, Testing } from 'cdk8s';
import type * as pulumi from '@pulumi/pulumi';
import {
  configureFailoverPlanner as configureCdk8sPlanner,
  ExternalIpPool as Cdk8sPool,
  HaService as Cdk8sHaService,
  IpFailover as Cdk8sIpFailover,
  type FailoverPlannerOptions,
} from '../lib/cdk8s';
import type { IpFailoverOptions } from '../lib/core/model/props';
import { Planner } from '../lib/core/plan/planner';
import {
  configureFailoverPlanner as configurePulumiPlanner,
  ExternalIpPool as PulumiPool,
  HaService as PulumiHaService,
  IpFailover as PulumiIpFailover,
  resetFailoverPlanner,
} from '../lib/pulumi';
import { recordResources, registered, valueOf, type Recorder } from './pulumi/mocks';

/** Instances declared together, as one cdk8s chart and one Pulumi program. */
const CASES: Record<string, Array<[string, IpFailoverOptions]>> = {
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
        peers: 'static',
        iptablesChain: '',
        checkScript: { inline: '#!/bin/sh\nexec curl -fsS http://127.0.0.1:1936/healthz\n' },
        notifyScript: { path: '/usr/local/bin/notify.sh' },
        preemption: 'nopreempt',
        checkIntervalSeconds: 5,
        advertIntervalSeconds: 0.5,
        garpRefreshIntervalSeconds: 10,
        name: 'router-vips',
        namespace: 'openshift-ingress',
        image: 'quay.example/ipfailover:1.2.3',
        imagePullSecrets: ['quay-pull'],
        serviceAccountName: 'router-failover',
        strategy: 'RollingUpdate',
        monitoring: true,
      },
    ],
  ],
  'peers from the cluster, unicast': [['edge', { virtualIps: '192.0.2.50-51', peers: 'clusterUnicast' }]],
  "scripts from the user's ConfigMap beside an inline one": [
    [
      'checked',
      {
        virtualIps: '192.0.2.40',
        checkScript: { configMap: 'mycustomcheck', key: 'mycheckscript.sh' },
        notifyScript: { inline: '#!/bin/sh\nlogger "$@"\n' },
      },
    ],
    ['notified', { virtualIps: '192.0.2.41', notifyScript: { configMap: 'mycustomcheck', key: 'notify-me.sh' } }],
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

/**
 * The objects the given Kubernetes resources registered, in the given (declaration) order: the
 * monitor sees registrations in the order their dependencies resolve, so match them by URN.
 */
async function objectsOf(children: readonly pulumi.Resource[]): Promise<unknown[]> {
  await registered(...children);
  const kube = rec.resources.filter((r) => r.custom && r.type.startsWith('kubernetes:'));
  expect(kube).toHaveLength(children.length);
  return Promise.all(
    children.map(async (child) => {
      const urn = await valueOf(child.urn);
      const found = kube.filter((r) => urn.endsWith(`$${r.type}::${r.name}`));
      expect(found).toHaveLength(1);
      return found[0]!.inputs;
    }),
  );
}

describe.each(Object.entries(CASES))('parity: %s', (_name, instances) => {
  test('the Pulumi component registers exactly the objects cdk8s synthesizes', async () => {
    const app = Testing.app();
    const chart = new Chart(app, 'chart');
    for (const [id, props] of instances) new Cdk8sIpFailover(chart, id, props);
    const synthesized = Testing.synth(chart);

    rec.resources.length = 0;
    const planner = new Planner();
    const components = instances.map(([id, props]) => new PulumiIpFailover(id, { ...props, planner }));
    const registeredObjects = await objectsOf(components.flatMap((c) => c.apiObjects));

    expect(registeredObjects.length).toBeGreaterThan(0);
    expect(plain(registeredObjects)).toEqual(plain(synthesized));
    // One disruption budget per instance, on both sides.
    const budgets = registeredObjects.filter((o) => (o as { kind: string }).kind === 'PodDisruptionBudget');
    expect(budgets).toHaveLength(instances.length);
  });
});

describe('parity: HaService and ExternalIpPool', () => {
  test('an ExternalIP pool and a service drawing on it', async () => {
    const chart = new Chart(Testing.app(), 'chart');
    const cdk8sPool = new Cdk8sPool(chart, 'external-ips', { cidr: '192.0.2.0/28', vipGroups: 2, monitorPort: 443 });
    new Cdk8sHaService(chart, 'web', {
      exposure: 'externalIp',
      pool: cdk8sPool,
      selector: { app: 'web' },
      ports: [{ port: 8080 }],
    });
    const synthesized = Testing.synth(chart);

    rec.resources.length = 0;
    const pool = new PulumiPool('external-ips', {
      cidr: '192.0.2.0/28',
      vipGroups: 2,
      monitorPort: 443,
      planner: new Planner(),
    });
    const web = new PulumiHaService('web', {
      exposure: 'externalIp',
      pool,
      selector: { app: 'web' },
      ports: [{ port: 8080 }],
    });
    const objects = await objectsOf([...pool.failover.apiObjects, pool.clusterNetwork, web.service!]);
    expect(objects.map((o) => (o as { kind: string }).kind)).toContain('Network');
    expect(plain(objects)).toEqual(plain(synthesized));
  });

  test('a NodePort service and a host-networked router', async () => {
    const routerArgs = {
      apiVersion: 'apps/v1' as const,
      kind: 'Deployment' as const,
      metadata: { name: 'router' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'router' } },
        template: {
          metadata: { labels: { app: 'router' } },
          spec: {
            hostNetwork: true,
            nodeSelector: { edge: 'true' },
            containers: [{ name: 'router', image: 'router:1', ports: [{ containerPort: 1936 }] }],
          },
        },
      },
    };
    const postgresql = {
      exposure: 'nodePort',
      selector: { app: 'postgresql' },
      ports: [{ port: 5432, nodePort: 32439 }],
      virtualIps: '203.0.113.50',
      replicas: 2,
      nodeSelector: { 'app-type': 'postgresql' },
    } as const;
    const chart = new Chart(Testing.app(), 'chart');
    new Cdk8sHaService(chart, 'postgresql', postgresql);
    const workload = new ApiObject(chart, 'router', routerArgs);
    new Cdk8sHaService(chart, 'router-vips', {
      exposure: 'hostNetwork',
      workload,
      virtualIps: '203.0.113.101-105',
      vipGroups: 2,
    });
    // The workload is the user's own object, not the service's.
    const synthesized = Testing.synth(chart).filter((o) => o.metadata.name !== 'router');

    rec.resources.length = 0;
    const planner = new Planner();
    const db = new PulumiHaService('postgresql', { ...postgresql, planner });
    const routerVips = new PulumiHaService('router-vips', {
      exposure: 'hostNetwork',
      workload: routerArgs,
      virtualIps: '203.0.113.101-105',
      vipGroups: 2,
      planner,
    });
    const objects = await objectsOf([db.service!, ...db.failover!.apiObjects, ...routerVips.failover!.apiObjects]);
    expect(plain(objects)).toEqual(plain(synthesized));
  });
});

describe('parity of errors', () => {
  /** The cdk8s validation lines and the Pulumi error lines, with each front end's path form removed. */
  const messages = (instances: Array<[string, IpFailoverOptions]>): { cdk8s: string[]; pulumi: string[] } => {
    const chart = new Chart(Testing.app(), 'chart');
    for (const [id, props] of instances) new Cdk8sIpFailover(chart, id, props);
    let cdk8s: string[] = [];
    try {
      Testing.synth(chart);
    } catch (error) {
      cdk8s = (error as Error).message
        .split('\n')
        .filter((l) => l.trim().startsWith('['))
        .map((l) =>
          l
            .trim()
            .replace(/^\[chart\/([^\]]+)\] /, '$1: ')
            .replace(/'chart\//g, "'"),
        );
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
      [
        'edge',
        { virtualIps: ['192.0.2.5', '192.0.2.300'], vrrpIdOffset: 10, monitorPort: -1, checkIntervalSeconds: 0 },
      ],
      ['late', { virtualIps: '192.0.2.40', vrrpIdOffset: 9 }],
    ]);
    expect(pulumi.length).toBeGreaterThanOrEqual(4);
    expect(pulumi).toEqual(cdk8s);
  });
});

describe('parity: the VRRP ID lock file', () => {
  type Decl = [id: string, props: IpFailoverOptions];
  interface Outcome {
    readonly ids: Record<string, readonly number[]>;
    /** The error lines, each front end's path form removed. */
    readonly errors: string[];
    readonly lock: string;
  }

  /** One synth of `decls` against the lock file in `dir`. */
  function cdk8sRun(dir: string, decls: Decl[], options: FailoverPlannerOptions): Outcome {
    const app = Testing.app();
    configureCdk8sPlanner(app, { lockFile: join(dir, 'ipfailover.lock.json'), ...options });
    const chart = new Chart(app, 'chart', { namespace: 'ns' });
    const made = decls.map(([id, props]) => new Cdk8sIpFailover(chart, id, props));
    let errors: string[] = [];
    try {
      Testing.synth(chart);
    } catch (error) {
      errors = (error as Error).message
        .split('\n')
        .filter((l) => l.trim().startsWith('['))
        .map((l) => l.trim().replace(/^\[chart\/([^\]]+)\] /, '$1: '));
    }
    const ids = Object.fromEntries(made.filter((m) => m.planned).map((m) => [m.node.id, m.vrrpIds]));
    return { ids, errors, lock: readFileSync(join(dir, 'ipfailover.lock.json'), 'utf8') };
  }

  /** One program run of `decls` against the lock file in `dir`. */
  function pulumiRun(dir: string, decls: Decl[], options: FailoverPlannerOptions): Outcome {
    resetFailoverPlanner();
    configurePulumiPlanner({ lockFile: join(dir, 'ipfailover.lock.json'), ...options });
    const ids: Record<string, readonly number[]> = {};
    const errors: string[] = [];
    for (const [id, props] of decls) {
      try {
        ids[id] = new PulumiIpFailover(id, { namespace: 'ns', ...props }).vrrpIds;
      } catch (error) {
        errors.push(...(error as Error).message.split('\n'));
      }
    }
    resetFailoverPlanner();
    return { ids, errors, lock: readFileSync(join(dir, 'ipfailover.lock.json'), 'utf8') };
  }

  const vips = (third: number, n: number): string[] => Array.from({ length: n }, (_, i) => `192.0.${third}.${i + 1}`);
  /** Successive runs of one stack: first, grown, shrunk with one added and one removed, reordered, moved. */
  const RUNS: Array<[string, Decl[], FailoverPlannerOptions]> = [
    [
      'first',
      [
        ['router', { virtualIps: vips(2, 5) }],
        ['cache', { virtualIps: vips(3, 2) }],
        ['db', { virtualIps: vips(4, 1) }],
      ],
      {},
    ],
    [
      'grown',
      [
        ['router', { virtualIps: vips(2, 7) }],
        ['cache', { virtualIps: vips(3, 2) }],
        ['db', { virtualIps: vips(4, 1) }],
      ],
      {},
    ],
    [
      'changed',
      [
        ['router', { virtualIps: vips(2, 2) }],
        ['new', { virtualIps: vips(5, 3) }],
        ['cache', { virtualIps: vips(3, 2) }],
      ],
      {},
    ],
    [
      'reordered',
      [
        ['cache', { virtualIps: vips(3, 2) }],
        ['new', { virtualIps: vips(5, 3) }],
        ['router', { virtualIps: vips(2, 7) }],
      ],
      {},
    ],
    [
      'moved',
      [
        ['cache', { virtualIps: vips(3, 2), vrrpIdOffset: 100 }],
        ['router', { virtualIps: vips(2, 7) }],
      ],
      {},
    ],
    [
      'frozen',
      [
        ['cache', { virtualIps: vips(3, 4), vrrpIdOffset: 100 }],
        ['router', { virtualIps: vips(2, 15) }],
        ['late', { virtualIps: vips(6, 1) }],
      ],
      { lockMode: 'frozen' },
    ],
  ];

  test('run after run, both front ends give the same VRRP IDs, write the same lock bytes, and fail alike', () => {
    const cdk8sDir = mkdtempSync(join(tmpdir(), 'ipfailover-parity-'));
    const pulumiDir = mkdtempSync(join(tmpdir(), 'ipfailover-parity-'));
    for (const [name, decls, options] of RUNS) {
      const cdk8s = cdk8sRun(cdk8sDir, decls, options);
      const pulumi = pulumiRun(pulumiDir, decls, options);
      expect({ name, ids: pulumi.ids, lock: pulumi.lock }).toEqual({ name, ids: cdk8s.ids, lock: cdk8s.lock });
      expect(pulumi.errors).toEqual(cdk8s.errors.map((l) => l.replaceAll(cdk8sDir, pulumiDir)));
      expect(cdk8s.errors.map((l) => l.split(':')[0])).toEqual(name === 'frozen' ? ['cache', 'router', 'late'] : []);
    }
    // The frozen run refused the grown cache and router and the new instance, and wrote nothing.
    expect(pulumiRun(pulumiDir, RUNS[4]![1], { lockMode: 'frozen' }).errors).toEqual([]);
  });
});

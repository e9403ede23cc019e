/** The Pulumi example program (examples/pulumi) runs under mocks and creates what it says. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { recordResources, registered, valueOf, type Recorder } from './mocks';

const DIR = join(__dirname, '../../examples/pulumi');

let rec: Recorder;
beforeAll(async () => {
  rec = await recordResources();
});

test('Pulumi.yaml is a TypeScript Node.js project whose config defaults the program reads', () => {
  const project = parse(readFileSync(join(DIR, 'Pulumi.yaml'), 'utf8')) as {
    name: string;
    runtime: { name: string; options: { typescript: boolean } };
    config: Record<string, unknown>;
  };
  expect(project.runtime).toEqual({ name: 'nodejs', options: { typescript: true } });
  expect(Object.keys(project.config).sort()).toEqual([
    'kubeconfig',
    'rhospNetworkId',
    'rhospNodePorts',
    'rhospSubnetId',
  ]);
});

test('the program plans both instances around the cluster reservations and registers their resources', async () => {
  const program = await import('../../examples/pulumi/index');
  expect(program.vrrpIds).toEqual({ router: [4, 5, 6], database: [7], externalIps: [8, 9] });
  expect(program.webIp).toHaveLength(1);
  expect(program.pool.addresses).toContain(program.webIp[0]);
  const all = [program.router, program.database, program.pool.failover];
  await registered(
    ...all,
    ...all.flatMap((f) => f.apiObjects),
    program.database.allowedAddressPairs!,
    program.pool.clusterNetwork,
    program.web.service!,
  );
  expect(await Promise.all(program.deployments.map((n) => valueOf(n)))).toEqual([
    'router',
    'database',
    'ipf-external-ips',
  ]);

  const kinds = rec.resources.filter((r) => r.custom).map((r) => `${r.type} ${r.name}`);
  expect(kinds).toEqual(
    expect.arrayContaining([
      'pulumi:providers:kubernetes cluster',
      'kubernetes:apps/v1:Deployment router-deployment-router',
      'kubernetes:apps/v1:Deployment database-deployment-database',
      'pulumi-nodejs:dynamic/ipfailover:AllowedAddressPairs database-allowed-address-pairs',
      'kubernetes:config.openshift.io/v1:NetworkPatch external-ips-network-cluster',
      'kubernetes:core/v1:Service web-service-web',
    ]),
  );
  const pairs = rec.resources.find((r) => r.name === 'database-allowed-address-pairs');
  expect(pairs?.inputs).toMatchObject({
    portIds: ['ostest-abcde-worker-0', 'ostest-abcde-worker-1'],
    vips: ['192.168.0.150'],
  });
  // The program's own provider (URN::ID, as the mocks name them) reaches every Kubernetes child.
  const clusterRef = 'urn:pulumi:stack::project::pulumi:providers:kubernetes::cluster::cluster-id';
  for (const child of rec.resources.filter((r) => r.type.startsWith('kubernetes:')))
    expect(child.provider).toBe(clusterRef);
});

import * as k8s from '@pulumi/kubernetes';
import * as openstack from '@pulumi/openstack';
import { Planner } from '../../lib/core/plan/planner';
import { IpFailover } from '../../lib/pulumi';
import * as core from '../../lib/internal/openstack';
import {
  allowedAddressPairsProvider,
  type AllowedAddressPairsState,
  type OpenStackCli,
} from '../../lib/pulumi/allowed-address-pairs';
import { fakeOpenstack, nodePort, type CommandLog, type FakeNeutron } from './fake-openstack';
import { fakeOpenstackBin, type FakeOpenstackBin } from './fake-openstack-bin';
import { recordResources, registered, registeredOutputs, valueOf, type Recorder } from './mocks';

const PAIRS_TYPE = 'pulumi-nodejs:dynamic/ipfailover:AllowedAddressPairs';
const MAC0 = 'fa:16:3e:31:f9:cb';
const MAC1 = 'fa:16:3e:00:00:01';

let rec: Recorder;
beforeAll(async () => {
  rec = await recordResources();
});
beforeEach(() => {
  rec.resources.length = 0;
});

describe('IpFailover with openstack', () => {
  test('registers the pairs resource and one reservation port per VIP, parented to the component, with the openstack provider', async () => {
    const k8sProvider = new k8s.Provider('cluster-a', { kubeconfig: 'apiVersion: v1\nkind: Config\n' });
    const osProvider = new openstack.Provider('rhosp', {
      authUrl: 'https://keystone.example:5000/v3',
      cloud: 'ostest',
    });
    const edge = new IpFailover(
      'edge',
      {
        virtualIps: '192.0.2.10-11',
        planner: new Planner(),
        openstack: { portIds: ['master-0', 'master-1'], reserveOn: { networkId: 'net-1', subnetId: 'subnet-1' } },
      },
      { providers: [k8sProvider, osProvider] },
    );
    await registered(k8sProvider, osProvider, edge, ...edge.apiObjects, ...edge.vipPorts, edge.allowedAddressPairs!);
    const osRef = `${await valueOf(osProvider.urn)}::${await valueOf(osProvider.id)}`;

    const ports = rec.resources.filter((r) => r.type === 'openstack:networking/port:Port');
    expect(ports.map((p) => p.name)).toEqual(['edge-vip-192.0.2.10', 'edge-vip-192.0.2.11']);
    expect(ports[0]!.inputs).toMatchObject({
      name: 'edge-vip-192.0.2.10',
      networkId: 'net-1',
      fixedIps: [{ subnetId: 'subnet-1', ipAddress: '192.0.2.10' }],
      adminStateUp: false,
    });
    for (const port of ports) expect(port.provider).toBe(osRef);
    for (const port of edge.vipPorts)
      expect(await valueOf(port.urn)).toContain(
        'ipfailover:index:IpFailover$openstack:networking/port:Port::edge-vip-',
      );

    const pairs = rec.resources.filter((r) => r.type === PAIRS_TYPE);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({
      name: 'edge-allowed-address-pairs',
      inputs: { path: 'edge', portIds: ['master-0', 'master-1'], vips: ['192.0.2.10', '192.0.2.11'], cli: 'openstack' },
    });
    // The provider travels in the state as code, so `pulumi destroy` can run it without the program.
    expect(typeof pairs[0]!.inputs['__provider']).toBe('string');
    expect(await valueOf(edge.allowedAddressPairs!.urn)).toContain(
      `ipfailover:index:IpFailover$${PAIRS_TYPE}::edge-allowed-address-pairs`,
    );
    // The Kubernetes children still use the cluster's provider.
    for (const child of rec.resources.filter((r) => r.type.startsWith('kubernetes:') && r.custom)) {
      expect(child.provider).toBe(`${await valueOf(k8sProvider.urn)}::${await valueOf(k8sProvider.id)}`);
    }
  });

  test('an IPv6 VIP gets a reservation port whose name has no colons (URNs split on ::)', async () => {
    const edge = new IpFailover('v6', {
      virtualIps: '2001:db8::10',
      planner: new Planner(),
      openstack: { portIds: ['master-0'], reserveOn: { networkId: 'net-6', subnetId: 'subnet-6' } },
    });
    await registered(...edge.vipPorts, edge.allowedAddressPairs!, ...edge.apiObjects);
    const port = rec.resources.find((r) => r.type === 'openstack:networking/port:Port');
    expect(port).toMatchObject({
      name: 'v6-vip-2001-db8--10',
      inputs: { name: 'v6-vip-2001-db8--10', fixedIps: [{ subnetId: 'subnet-6', ipAddress: '2001:db8::10' }] },
    });
  });

  test('port IDs may be outputs of other resources; the component outputs carry the kept pairs', async () => {
    // As the provider's create would report them.
    rec.outputs.set(PAIRS_TYPE, (inputs) => ({ ...inputs, keptPairs: { 'worker-0-port-id': ['192.168.0.5'] } }));
    const port = new openstack.networking.Port('worker-0-port', { networkId: 'net-1' });
    const edge = new IpFailover('edge', {
      virtualIps: '192.0.2.20',
      planner: new Planner(),
      openstack: { portIds: [port.id], cli: '/opt/osc/bin/openstack' },
    });
    await registered(port, edge.allowedAddressPairs!);
    expect(rec.resources.find((r) => r.type === PAIRS_TYPE)?.inputs).toMatchObject({
      portIds: ['worker-0-port-id'],
      cli: '/opt/osc/bin/openstack',
    });
    expect(edge.vipPorts).toEqual([]);
    expect((await registeredOutputs(edge))['keptPairs']).toEqual({ 'worker-0-port-id': ['192.168.0.5'] });
    rec.outputs.clear();
  });

  test('without openstack args nothing OpenStack is registered', async () => {
    const edge = new IpFailover('plain', { virtualIps: '192.0.2.30', planner: new Planner() });
    await registered(edge, ...edge.apiObjects);
    expect(rec.resources.filter((r) => r.type.startsWith('openstack:') || r.type.startsWith('pulumi-nodejs:'))).toEqual(
      [],
    );
    expect(edge.allowedAddressPairs).toBeUndefined();
  });
});

describe('the serialized provider, as the engine loads it from the state', () => {
  let bin: FakeOpenstackBin;
  beforeAll(() => {
    bin = fakeOpenstackBin();
  });
  afterAll(() => bin.remove());

  test('creates and deletes through the openstack CLI named by `cli`', async () => {
    const edge = new IpFailover('serialized', {
      virtualIps: '192.0.2.40',
      planner: new Planner(),
      openstack: { portIds: ['master-0'], cli: bin.program },
    });
    await registered(edge.allowedAddressPairs!);
    const text = rec.resources.find((r) => r.type === PAIRS_TYPE)!.inputs['__provider'] as string;
    const loaded = { exports: {} as { handler: () => ReturnType<typeof allowedAddressPairsProvider> } };
    // The engine resolves `ipfailover/internal/openstack` from the program's node_modules; here it is the source tree.
    const providerRequire = (id: string): unknown =>
      id === 'ipfailover/internal/openstack' ? core : jest.requireActual(id);
    new Function('exports', 'require', 'module', text)(loaded.exports, providerRequire, loaded);
    const provider = loaded.exports.handler();

    const before = { 'master-0': nodePort('master-0', MAC0) };
    bin.write(structuredClone(before));
    const inputs = rec.resources.find((r) => r.type === PAIRS_TYPE)!.inputs as unknown as AllowedAddressPairsState;
    const { id, outs } = await provider.create(inputs);
    expect(bin.read().ports['master-0']!.allowed_address_pairs.map((p) => p.ip_address)).toEqual([
      '192.168.0.5',
      '192.168.0.7',
      '192.0.2.40',
    ]);
    await provider.delete!(id, outs);
    expect(bin.read().ports).toEqual(before);
  });
});

describe('the allowed address pairs provider against a fake Neutron', () => {
  let neutron: FakeNeutron;
  let log: CommandLog;
  let cli: OpenStackCli;
  const state = (vips: string[], portIds = ['master-0', 'master-1']): AllowedAddressPairsState => ({
    path: 'edge',
    portIds,
    vips,
    cli: 'openstack',
  });
  const ips = (id: string): string[] => neutron[id]!.allowed_address_pairs.map((p) => p.ip_address);
  const writes = (): string[][] => log.filter((c) => c[1] !== 'show');
  beforeEach(() => {
    neutron = { 'master-0': nodePort('master-0', MAC0), 'master-1': nodePort('master-1', MAC1) };
    log = [];
    cli = async (args) => fakeOpenstack(neutron, args, log);
  });

  test('create adds each VIP with the port MAC and keeps the cluster pairs', async () => {
    const provider = allowedAddressPairsProvider(cli, () => core);
    const { id, outs } = await provider.create(state(['192.0.2.10', '192.0.2.11']));
    expect(id).toBe('ipfailover-pairs/edge');
    expect(ips('master-0')).toEqual(['192.168.0.5', '192.168.0.7', '192.0.2.10', '192.0.2.11']);
    expect(neutron['master-1']!.allowed_address_pairs.slice(2)).toEqual([
      { ip_address: '192.0.2.10', mac_address: MAC1 },
      { ip_address: '192.0.2.11', mac_address: MAC1 },
    ]);
    expect(outs.keptPairs).toEqual({
      'master-0': ['192.168.0.5', '192.168.0.7'],
      'master-1': ['192.168.0.5', '192.168.0.7'],
    });
  });

  test('delete (destroy) removes only the pairs it added', async () => {
    const before = structuredClone(neutron);
    const provider = allowedAddressPairsProvider(cli, () => core);
    const { id, outs } = await provider.create(state(['192.0.2.10']));
    // Someone else adds a pair meanwhile: destroy must leave it.
    fakeOpenstack(neutron, ['port', 'set', '--allowed-address', 'ip-address=10.9.9.9', 'master-0']);
    await provider.delete!(id, outs);
    expect(ips('master-0')).toEqual(['192.168.0.5', '192.168.0.7', '10.9.9.9']);
    expect(neutron['master-1']).toEqual(before['master-1']);
    expect(neutron['master-0']!.tags).toEqual(before['master-0']!.tags);
  });

  test("refuses the cluster's API VIP and writes nothing to any port", async () => {
    const provider = allowedAddressPairsProvider(cli, () => core);
    await expect(provider.create(state(['192.0.2.10', '192.168.0.7']))).rejects.toThrow(
      "edge: 'virtualIps' \"192.168.0.7\" is already an allowed address pair of port master-0, not added by ipfailover (the cluster's API or ingress VIP); choose an address the cluster does not use; never reuse its API or ingress VIPs\n" +
        "edge: 'virtualIps' \"192.168.0.7\" is already an allowed address pair of port master-1, not added by ipfailover (the cluster's API or ingress VIP); choose an address the cluster does not use; never reuse its API or ingress VIPs",
    );
    expect(writes()).toEqual([]);
  });

  test('update moves pairs: a dropped VIP and a dropped port lose ours, new ones gain them', async () => {
    const provider = allowedAddressPairsProvider(cli, () => core);
    const { id, outs } = await provider.create(state(['192.0.2.10', '192.0.2.11']));
    const news = state(['192.0.2.11', '192.0.2.12'], ['master-0']);
    expect(await provider.diff!(id, outs, news)).toMatchObject({ changes: true, replaces: [] });
    await provider.update!(id, outs, news);
    expect(ips('master-0')).toEqual(['192.168.0.5', '192.168.0.7', '192.0.2.11', '192.0.2.12']);
    expect(ips('master-1')).toEqual(['192.168.0.5', '192.168.0.7']);
    expect(neutron['master-0']!.tags.sort()).toEqual([
      'ipfailover-vip:192.0.2.11',
      'ipfailover-vip:192.0.2.12',
      'openshiftClusterID=ostest-abcde',
    ]);
  });

  test('destroy after a node (and its port) was deleted removes the rest and succeeds', async () => {
    const provider = allowedAddressPairsProvider(cli, () => core);
    const { id, outs } = await provider.create(state(['192.0.2.10']));
    delete neutron['master-1'];
    await provider.delete!(id, outs);
    expect(ips('master-0')).toEqual(['192.168.0.5', '192.168.0.7']);
  });

  test('create on a port that does not exist fails, naming it', async () => {
    await expect(
      allowedAddressPairsProvider(cli, () => core).create(state(['192.0.2.10'], ['master-0', 'gone'])),
    ).rejects.toThrow('No Port found for gone');
    expect(writes()).toEqual([]);
  });

  test.each([[['-h']], [['master-0', '--help']], [[]], [['a b']]])(
    'port IDs known only when they resolve, %j, never reach the CLI',
    async (portIds) => {
      const provider = allowedAddressPairsProvider(cli, () => core);
      await expect(provider.create(state(['192.0.2.10'], portIds))).rejects.toThrow(
        /^edge: 'openstack\.portIds' .+; .+/,
      );
      expect(log).toEqual([]);
    },
  );

  test('diff reports no change for the same ports and VIPs in another order', async () => {
    const provider = allowedAddressPairsProvider(cli, () => core);
    const diff = await provider.diff!(
      'x',
      state(['192.0.2.10', '192.0.2.11']),
      state(['192.0.2.11', '192.0.2.10'], ['master-1', 'master-0']),
    );
    expect(diff.changes).toBe(false);
  });

  test('create after a half-finished run does not refuse its own tagged pairs', async () => {
    fakeOpenstack(neutron, [
      'port',
      'set',
      '--allowed-address',
      `ip-address=192.0.2.10,mac-address=${MAC0}`,
      '--tag',
      'ipfailover-vip:192.0.2.10',
      'master-0',
    ]);
    await allowedAddressPairsProvider(cli, () => core).create(state(['192.0.2.10']));
    expect(ips('master-0').filter((ip) => ip === '192.0.2.10')).toHaveLength(1);
    expect(ips('master-1')).toContain('192.0.2.10');
  });
});

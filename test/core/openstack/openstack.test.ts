import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssues } from '../../../lib/core/model/issues';
import { Planner } from '../../../lib/core/plan/planner';
import { parsePortShow, portChangeArgs } from '../../../lib/core/openstack/openstack-cli';
import { planPortPairs, type PortState } from '../../../lib/core/openstack/port-pairs';
import { openStackConfigMap, openStackScripts } from '../../../lib/core/openstack/scripts';
import { fakeOpenstack, nodePort, type CommandLog, type FakeNeutron } from '../../pulumi/fake-openstack';
import { fakeOpenstackBin, type FakeOpenstackBin } from '../../pulumi/fake-openstack-bin';

const MAC = 'fa:16:3e:31:f9:cb';
const cluster = (tags: string[] = []): PortState => ({
  portId: 'master-0',
  macAddress: MAC,
  allowedAddressPairs: [
    { ipAddress: '192.168.0.5', macAddress: MAC },
    { ipAddress: '192.168.0.7', macAddress: MAC },
  ],
  tags,
});

describe('planPortPairs', () => {
  test('adds the VIPs with the port MAC and keeps the cluster pairs', () => {
    const plan = planPortPairs(cluster(), ['1.1.1.1', '1.1.1.2'], 'edge');
    expect(plan.issues).toEqual([]);
    expect(plan.add).toEqual([
      { ipAddress: '1.1.1.1', macAddress: MAC },
      { ipAddress: '1.1.1.2', macAddress: MAC },
    ]);
    expect(plan.keep.map((p) => p.ipAddress)).toEqual(['192.168.0.5', '192.168.0.7']);
    expect(plan.remove).toEqual([]);
    expect(plan.addTags).toEqual(['ipfailover-vip:1.1.1.1', 'ipfailover-vip:1.1.1.2']);
  });

  test('refuses a VIP the port already carries without our tag, naming path, field, value and fix', () => {
    const plan = planPortPairs(cluster(), ['1.1.1.1', '192.168.0.5'], 'edge');
    expect(plan.add).toEqual([]);
    expect(formatIssues(plan.issues)).toBe(
      "edge: 'virtualIps' \"192.168.0.5\" is already an allowed address pair of port master-0, not added by ipfailover (the cluster's API or ingress VIP); choose an address the cluster does not use; never reuse its API or ingress VIPs",
    );
    expect(portChangeArgs(plan)).toEqual([]);
  });

  test('a pair tagged as ours is left alone when wanted and removed, with its tag, when not', () => {
    const port: PortState = {
      ...cluster(['ipfailover-vip:1.1.1.1', 'ipfailover-vip:1.1.1.2']),
      allowedAddressPairs: [
        ...cluster().allowedAddressPairs,
        { ipAddress: '1.1.1.1', macAddress: MAC },
        { ipAddress: '1.1.1.2', macAddress: MAC },
      ],
    };
    const plan = planPortPairs(port, ['1.1.1.1'], 'edge');
    expect(plan.issues).toEqual([]);
    expect(plan.add).toEqual([]);
    expect(plan.remove).toEqual([{ ipAddress: '1.1.1.2', macAddress: MAC }]);
    expect(plan.removeTags).toEqual(['ipfailover-vip:1.1.1.2']);
    expect(portChangeArgs(plan)).toEqual([
      [
        'port',
        'unset',
        '--allowed-address',
        `ip-address=1.1.1.2,mac-address=${MAC}`,
        '--tag',
        'ipfailover-vip:1.1.1.2',
        'master-0',
      ],
    ]);
  });

  test('removal (no VIPs) touches only tagged pairs; a tag whose pair is gone is dropped', () => {
    const port: PortState = {
      ...cluster(['ipfailover-vip:1.1.1.1', 'ipfailover-vip:1.1.1.9']),
      allowedAddressPairs: [...cluster().allowedAddressPairs, { ipAddress: '1.1.1.1', macAddress: MAC }],
    };
    const plan = planPortPairs(port, [], 'edge');
    expect(plan.remove.map((p) => p.ipAddress)).toEqual(['1.1.1.1']);
    expect(plan.keep.map((p) => p.ipAddress)).toEqual(['192.168.0.5', '192.168.0.7']);
    expect(plan.removeTags).toEqual(['ipfailover-vip:1.1.1.1', 'ipfailover-vip:1.1.1.9']);
  });

  test('compares IPv6 addresses canonically', () => {
    const port: PortState = { ...cluster(), allowedAddressPairs: [{ ipAddress: '2001:DB8:0:0::10', macAddress: MAC }] };
    expect(planPortPairs(port, ['2001:db8::10'], 'edge').issues).toHaveLength(1);
  });
});

describe('parsePortShow', () => {
  test('reads the list form of current CLIs and the string form of old ones', () => {
    const listForm = JSON.stringify({
      id: 'p',
      mac_address: MAC,
      allowed_address_pairs: [{ ip_address: '192.168.0.5', mac_address: MAC }],
      tags: ['a', 'b'],
    });
    expect(parsePortShow(listForm, 'p')).toEqual({
      portId: 'p',
      macAddress: MAC,
      allowedAddressPairs: [{ ipAddress: '192.168.0.5', macAddress: MAC }],
      tags: ['a', 'b'],
    });
    const stringForm = JSON.stringify({
      mac_address: MAC,
      allowed_address_pairs: `ip_address='192.168.0.5', mac_address='${MAC}'\nip_address='192.168.0.7', mac_address='${MAC}'`,
      tags: 'a, b',
    });
    const parsed = parsePortShow(stringForm, 'p');
    expect(parsed.allowedAddressPairs.map((p) => p.ipAddress)).toEqual(['192.168.0.5', '192.168.0.7']);
    expect(parsed.tags).toEqual(['a', 'b']);
  });

  test('fails loudly on output that is not a port', () => {
    expect(() => parsePortShow('Error: no port', 'p')).toThrow(/did not print JSON/);
    expect(() => parsePortShow('{"id": "p"}', 'p')).toThrow(/no mac_address/);
  });
});

describe('openStackScripts (the cdk8s artifact), run against a fake openstack CLI', () => {
  let bin: FakeOpenstackBin;
  beforeAll(() => {
    bin = fakeOpenstackBin();
  });
  afterAll(() => bin.remove());

  const run = (
    script: string,
    ports: FakeNeutron,
  ): { ports: FakeNeutron; log: CommandLog; ok: boolean; stderr: string } => {
    bin.write(ports);
    const file = join(bin.dir, 'script.sh');
    writeFileSync(file, script);
    let ok = true;
    let stderr = '';
    try {
      execFileSync('sh', [file], { env: bin.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      ok = false;
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    return { ...bin.read(), ok, stderr };
  };
  const fresh = (): FakeNeutron => ({
    'master-0': nodePort('master-0', MAC),
    'master-1': nodePort('master-1', 'fa:16:3e:00:00:01'),
  });
  const ips = (port: { allowed_address_pairs: { ip_address: string }[] }): string[] =>
    port.allowed_address_pairs.map((p) => p.ip_address);

  test('apply adds the VIPs to every port and keeps the cluster pairs; running it again changes nothing', () => {
    const { apply } = openStackScripts('App/Edge', ['1.1.1.1', '1.1.1.2'], ['master-0', 'master-1']);
    const first = run(apply, fresh());
    expect(first.ok).toBe(true);
    expect(ips(first.ports['master-0']!)).toEqual(['192.168.0.5', '192.168.0.7', '1.1.1.1', '1.1.1.2']);
    expect(first.ports['master-1']!.allowed_address_pairs.at(-1)).toEqual({
      ip_address: '1.1.1.2',
      mac_address: 'fa:16:3e:00:00:01',
    });
    const again = run(apply, first.ports);
    expect(again.ok).toBe(true);
    expect(again.ports).toEqual(first.ports);
    expect(again.log.filter((c) => c[1] === 'set')).toEqual([]);
  });

  test('remove takes away only the pairs and tags apply added', () => {
    const { apply, remove } = openStackScripts('App/Edge', ['1.1.1.1'], ['master-0', 'master-1']);
    const before = fresh();
    const applied = run(apply, fresh());
    const removed = run(remove, applied.ports);
    expect(removed.ok).toBe(true);
    expect(removed.ports).toEqual(before);
  });

  test("apply refuses the cluster's API VIP and changes nothing on that port", () => {
    const { apply } = openStackScripts('App/Edge', ['192.168.0.5'], ['master-0']);
    const result = run(apply, fresh());
    expect(result.ok).toBe(false);
    expect(result.stderr).toMatch(
      /192\.168\.0\.5 is already an allowed address pair of port master-0, not added by ipfailover/,
    );
    expect(result.ports).toEqual(fresh());
  });

  test('apply is all or nothing: a refusal on a later port leaves the earlier ports unchanged', () => {
    // worker-1 already carries 192.168.0.9 as the cluster's own pair; worker-2 comes first.
    const ports = (): FakeNeutron => ({
      'worker-2': nodePort('worker-2', 'fa:16:3e:00:00:02'),
      'worker-1': nodePort('worker-1', MAC, ['192.168.0.9']),
    });
    const { apply } = openStackScripts('App/Edge', ['192.168.0.9', '1.1.1.1'], ['worker-2', 'worker-1']);
    const result = run(apply, ports());
    expect(result.ok).toBe(false);
    expect(result.ports).toEqual(ports());
    expect(result.log.filter((c) => c[1] !== 'show')).toEqual([]);
    expect(result.stderr).toMatch(/192\.168\.0\.9 is already an allowed address pair of port worker-1/);
    expect(result.stderr).toMatch(/no port was changed/);
  });

  test('apply stops before any write when a port cannot be read', () => {
    const { apply } = openStackScripts('App/Edge', ['1.1.1.1'], ['master-0', 'gone']);
    const result = run(apply, fresh());
    expect(result.ok).toBe(false);
    expect(result.ports).toEqual(fresh());
    expect(result.stderr).toMatch(/No Port found for gone/);
  });

  test('the same fake, driven through portChangeArgs, agrees with the plan', () => {
    const ports = fresh();
    const plan = planPortPairs(
      parsePortShow(
        fakeOpenstack(ports, [
          'port',
          'show',
          '-f',
          'json',
          '-c',
          'id',
          '-c',
          'mac_address',
          '-c',
          'allowed_address_pairs',
          '-c',
          'tags',
          'master-0',
        ]),
        'master-0',
      ),
      ['1.1.1.1'],
      'edge',
    );
    for (const args of portChangeArgs(plan)) fakeOpenstack(ports, args);
    expect(ips(ports['master-0']!)).toEqual(['192.168.0.5', '192.168.0.7', '1.1.1.1']);
    expect(ports['master-0']!.tags).toContain('ipfailover-vip:1.1.1.1');
  });
});

describe('openStackConfigMap', () => {
  test("carries the instance's scripts in its namespace, labelled like its other objects", () => {
    const { plan } = new Planner().add({ virtualIps: '1.1.1.1-2', namespace: 'ha' }, { path: 'App/Edge', id: 'Edge' });
    const configMap = openStackConfigMap(plan!, ['master-0']);
    expect(configMap.metadata).toEqual({ name: 'edge-rhosp', namespace: 'ha', labels: { ipfailover: 'edge' } });
    const scripts = openStackScripts('App/Edge', ['1.1.1.1', '1.1.1.2'], ['master-0']);
    expect(configMap['data']).toEqual({ 'apply.sh': scripts.apply, 'remove.sh': scripts.remove });
    expect((configMap['data'] as { 'apply.sh': string })['apply.sh']).toContain("vips='1.1.1.1 1.1.1.2'");
  });
});

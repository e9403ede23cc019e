import fc from 'fast-check';
import { ENV_NAMES, fromEnv } from '../../../lib/core/env/env-contract';
import { renderKeepalivedConf, type NodeIdentity } from '../../../lib/core/node/keepalived-conf';
import { memberPriorities, priorityOf, rankByName } from '../../../lib/core/node/priorities';
import type { AgentSettings } from '../../../lib/core/env/setting-rules';

function settingsOf(env: Record<string, string>): AgentSettings {
  const read = fromEnv(env);
  if (!read.ok) throw new Error(JSON.stringify(read.issues));
  return read.settings;
}

function render(env: Record<string, string>, node: NodeIdentity = { address: '192.0.2.1', name: 'worker-0' }): string {
  const out = renderKeepalivedConf(settingsOf(env), node);
  if (!out.ok) throw new Error(JSON.stringify(out.issues));
  return out.config;
}

/** The body of each vrrp_instance block, by instance name. */
function instances(config: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const re = /^vrrp_instance (\S+) \{\n([\s\S]*?)^\}/gm;
  for (const m of config.matchAll(re))
    result.set(
      m[1]!,
      m[2]!
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    );
  return result;
}

const BASE = {
  OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.10-16',
  OPENSHIFT_HA_VIP_GROUPS: '3',
  OPENSHIFT_HA_VRRP_ID_OFFSET: '10',
  OPENSHIFT_HA_CONFIG_NAME: 'ipfailover',
};

describe('renderKeepalivedConf', () => {
  test("one vrrp_instance per group: VRRP ID offset + index + 1, the group's VIPs on the interface", () => {
    const blocks = instances(render({ ...BASE, OPENSHIFT_HA_NETWORK_INTERFACE: 'br-ex' }));
    expect([...blocks.keys()]).toEqual(['ipfailover_VIP_1', 'ipfailover_VIP_2', 'ipfailover_VIP_3']);
    const ids = [...blocks.values()].map((b) => b.find((l) => l.startsWith('virtual_router_id')));
    expect(ids).toEqual(['virtual_router_id 11', 'virtual_router_id 12', 'virtual_router_id 13']);
    const vips = [...blocks.values()].map((b) => b.filter((l) => / dev br-ex$/.test(l)).map((l) => l.split(' ')[0]));
    expect(vips).toEqual([
      ['192.0.2.10', '192.0.2.11', '192.0.2.12'],
      ['192.0.2.13', '192.0.2.14'],
      ['192.0.2.15', '192.0.2.16'],
    ]);
    for (const b of blocks.values()) expect(b).toContain('interface br-ex');
  });

  test("HA_EXCLUDED_VRRP_IDS skips IDs as Red Hat's image does", () => {
    const blocks = instances(render({ ...BASE, HA_EXCLUDED_VRRP_IDS: '12 13' }));
    expect([...blocks.values()].map((b) => b.find((l) => l.startsWith('virtual_router_id')))).toEqual([
      'virtual_router_id 11',
      'virtual_router_id 14',
      'virtual_router_id 15',
    ]);
  });

  test('preemption: preempt_delay N by default, nopreempt when set, never state MASTER', () => {
    const byDefault = render(BASE);
    expect(byDefault.match(/^ {2}preempt_delay 300$/gm)).toHaveLength(3);
    expect(byDefault).not.toMatch(/nopreempt|state MASTER/);
    const nopreempt = render({ ...BASE, OPENSHIFT_HA_PREEMPTION: 'nopreempt' });
    expect(nopreempt.match(/^ {2}nopreempt$/gm)).toHaveLength(3);
    expect(nopreempt).not.toMatch(/preempt_delay|state MASTER/);
    expect(
      render({ ...BASE, OPENSHIFT_HA_PREEMPTION: 'preempt_delay 30' }).match(/^ {2}preempt_delay 30$/gm),
    ).toHaveLength(3);
  });

  test('default check: a TCP connect to the monitor port on the node address, every check interval, tracked by every instance', () => {
    const config = render({ ...BASE, OPENSHIFT_HA_MONITOR_PORT: '8443', OPENSHIFT_HA_CHECK_INTERVAL: '3' });
    expect(config).toContain(
      `vrrp_script chk_ipfailover {\n  script "/bin/bash -c '</dev/tcp/192.0.2.1/8443'"\n  interval 3\n`,
    );
    for (const b of instances(config).values()) expect(b.join('\n')).toContain('track_script {\nchk_ipfailover\n}');
  });

  test('a check script replaces the port check; port 0 means no check at all', () => {
    const custom = render({ ...BASE, OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/mycheckscript.sh' });
    expect(custom).toContain('script "/etc/keepalive/mycheckscript.sh"');
    expect(custom).not.toContain('/dev/tcp');
    const none = render({ ...BASE, OPENSHIFT_HA_MONITOR_PORT: '0' });
    expect(none).not.toMatch(/vrrp_script|track_script/);
  });

  test('notify wired to the notify script in every instance', () => {
    const config = render({ ...BASE, OPENSHIFT_HA_NOTIFY_SCRIPT: '/etc/keepalive/notify.sh' });
    for (const b of instances(config).values()) expect(b).toContain('notify "/etc/keepalive/notify.sh"');
    expect(render(BASE)).not.toContain('notify');
  });

  test('script security on, scripts run as an unprivileged user', () => {
    const config = render(BASE);
    expect(config).toMatch(
      /^global_defs \{\n {2}router_id ipfailover\n {2}enable_script_security\n {2}script_user nobody\n/m,
    );
  });

  /** The priority line of each group. */
  const prioritiesIn = (config: string): string[] =>
    [...instances(config).values()].map((b) => b.find((l) => l.startsWith('priority'))!);

  test('unicast: this node is the source, the other peers are listed, the priorities are among the peers', () => {
    const env = {
      ...BASE,
      OPENSHIFT_HA_USE_UNICAST: 'true',
      OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.3,192.0.2.1,192.0.2.2',
    };
    const config = render(env, { address: '192.0.2.2', name: 'x' });
    const first = instances(config).get('ipfailover_VIP_1')!.join('\n');
    expect(first).toContain('unicast_src_ip 192.0.2.2\nunicast_peer {\n192.0.2.3\n192.0.2.1\n}');
    // The addresses name the nodes: each is first choice of one of the three groups.
    const peers = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    expect(prioritiesIn(config)).toEqual(memberPriorities('192.0.2.2', peers, 3)!.map((p) => `priority ${p}`));
    const tops = peers.map((address) => prioritiesIn(render(env, { address, name: 'x' })).indexOf('priority 254'));
    expect([...tops].sort()).toEqual([0, 1, 2]);
    expect(config).toContain(
      '! node 192.0.2.2 x: first choice of 1 of 3 group(s) among 3 peers (the unicast peer list)',
    );
    const notPeer = renderKeepalivedConf(settingsOf(env), { address: '192.0.2.9', name: 'x' });
    expect(notPeer.ok).toBe(false);
    expect(!notPeer.ok && notPeer.issues[0]!.field).toBe(ENV_NAMES.unicastPeers);
  });

  test('advert interval: whole seconds keep VRRPv2 with PASS auth; a fraction (fast profile) is VRRPv3 without auth', () => {
    const v2 = render(BASE);
    expect(v2).not.toContain('vrrp_version');
    expect(v2.match(/^ {2}advert_int 1$/gm)).toHaveLength(3);
    expect(v2).toContain('auth_pass ipfailov\n');
    const v3 = render({ ...BASE, IPFAILOVER_ADVERT_INTERVAL: '0.1' });
    expect(v3).toContain('  vrrp_version 3\n');
    expect(v3.match(/^ {2}advert_int 0\.1$/gm)).toHaveLength(3);
    expect(v3).not.toContain('authentication');
  });

  test('gratuitous ARP refresh: every 60 s unless set, in global_defs; 0 writes none', () => {
    const globalDefs = (config: string): string => /^global_defs \{\n([\s\S]*?)^\}/m.exec(config)![1]!;
    expect(globalDefs(render(BASE))).toContain('  vrrp_garp_master_refresh 60\n');
    expect(globalDefs(render({ ...BASE, IPFAILOVER_GARP_REFRESH_INTERVAL: '5' }))).toContain(
      '  vrrp_garp_master_refresh 5\n',
    );
    expect(render({ ...BASE, IPFAILOVER_GARP_REFRESH_INTERVAL: '0' })).not.toContain('garp');
  });

  test("IPv6 VIPs: VRRPv3, the check connects to the node's IPv6 address", () => {
    const config = render(
      { OPENSHIFT_HA_VIRTUAL_IPS: '2001:db8::a-c', OPENSHIFT_HA_MONITOR_PORT: '443' },
      { address: '2001:db8::1', name: 'n' },
    );
    expect(config).toContain('vrrp_version 3');
    expect(config).toContain("/dev/tcp/2001:db8::1/443'");
    expect(config).toContain('2001:db8::b dev eth0');
  });

  test("a node address that is not a clean address of the VIPs' family is refused", () => {
    const settings = settingsOf(BASE);
    for (const address of ['192.0.2.1"', '2001:db8::1', '192.0.2.1/24', '192.0.2.01', 'x; reboot']) {
      const out = renderKeepalivedConf(settings, { address, name: 'n' });
      expect(out.ok).toBe(false);
    }
  });

  test('groups rotate their first choice over the nodes: each of three nodes is first for two of six groups', () => {
    const env = {
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.10-15',
      OPENSHIFT_HA_USE_UNICAST: 'true',
      OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.1,192.0.2.2,192.0.2.3',
      OPENSHIFT_HA_REPLICA_COUNT: '3',
    };
    const tops = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((address) =>
      [...instances(render(env, { address, name: address })).values()].map((b) => b.includes('priority 254')),
    );
    for (let g = 0; g < 6; g++) expect(tops.filter((t) => t[g]).length).toBe(1);
    expect(tops.map((t) => t.filter(Boolean).length)).toEqual([2, 2, 2]);
  });
});

describe('the nodes read from the cluster (IPFAILOVER_PEERS)', () => {
  const nodes = { names: ['worker-0', 'worker-1', 'worker-2'], peerAddresses: ['192.0.2.2', '192.0.2.3'] };
  const env = { ...BASE, OPENSHIFT_HA_REPLICA_COUNT: '3' };
  const prioritiesIn = (config: string): string[] =>
    [...instances(config).values()].map((b) => b.find((l) => l.startsWith('priority'))!);

  test('cluster: priorities among the nodes, multicast; this node counted once even when missing', () => {
    const config = render({ ...env, IPFAILOVER_PEERS: 'cluster' }, { address: '192.0.2.1', name: 'worker-0', nodes });
    expect(prioritiesIn(config)).toEqual(memberPriorities('worker-0', nodes.names, 3)!.map((p) => `priority ${p}`));
    expect(config).not.toContain('unicast');
    expect(config).toMatch(
      /! node 192\.0\.2\.1 worker-0: first choice of 1 of 3 group\(s\) among 3 nodes \(read from the cluster\)/,
    );
    const without = render(
      { ...env, IPFAILOVER_PEERS: 'cluster' },
      { address: '192.0.2.1', name: 'worker-0', nodes: { ...nodes, names: ['worker-1', 'worker-2'] } },
    );
    expect(without).toBe(config);
  });

  test("cluster without the nodes (the API did not answer): the node name's hash", () => {
    const config = render({ ...env, IPFAILOVER_PEERS: 'cluster' }, { address: '192.0.2.1', name: 'worker-0' });
    const rank = rankByName('worker-0', 3);
    expect(prioritiesIn(config)).toEqual([0, 1, 2].map((g) => `priority ${priorityOf(g, rank)}`));
    expect(config).toContain(`rank ${rank.rank + 1} of 3 by the node name's hash`);
  });

  test('clusterUnicast: unicast from this node to the others; nothing without the nodes', () => {
    const settings = settingsOf({ ...env, IPFAILOVER_PEERS: 'clusterUnicast' });
    const config = render(
      { ...env, IPFAILOVER_PEERS: 'clusterUnicast' },
      { address: '192.0.2.1', name: 'worker-0', nodes },
    );
    expect(instances(config).get('ipfailover_VIP_1')!.join('\n')).toContain(
      'unicast_src_ip 192.0.2.1\nunicast_peer {\n192.0.2.2\n192.0.2.3\n}',
    );
    const unknown = renderKeepalivedConf(settings, { address: '192.0.2.1', name: 'worker-0' });
    expect(!unknown.ok && unknown.issues.map((i) => [i.field, i.problem])).toEqual([
      ['IPFAILOVER_PEERS', "needs the instance's nodes, which the agent reads from the Kubernetes API"],
    ]);
    // Addresses from the cluster reach the config: they are checked like any other.
    for (const bad of ['192.0.2.2"', '2001:db8::2', '192.0.2.02'])
      expect(
        renderKeepalivedConf(settings, {
          address: '192.0.2.1',
          name: 'worker-0',
          nodes: { ...nodes, peerAddresses: [bad] },
        }).ok,
      ).toBe(false);
  });
});

describe('nothing unvalidated reaches the config', () => {
  const VARIABLES = [
    'OPENSHIFT_HA_CONFIG_NAME',
    'OPENSHIFT_HA_VIRTUAL_IPS',
    'OPENSHIFT_HA_NETWORK_INTERFACE',
    'OPENSHIFT_HA_MONITOR_PORT',
    'OPENSHIFT_HA_VRRP_ID_OFFSET',
    'OPENSHIFT_HA_UNICAST_PEERS',
    'OPENSHIFT_HA_IPTABLES_CHAIN',
    'OPENSHIFT_HA_CHECK_SCRIPT',
    'OPENSHIFT_HA_NOTIFY_SCRIPT',
    'OPENSHIFT_HA_PREEMPTION',
    'OPENSHIFT_HA_CHECK_INTERVAL',
    'IPFAILOVER_ADVERT_INTERVAL',
    'IPFAILOVER_GARP_REFRESH_INTERVAL',
    'OPENSHIFT_HA_VIP_GROUPS',
  ];
  const GOOD: Record<string, string> = {
    OPENSHIFT_HA_CONFIG_NAME: 'ipf',
    OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.10',
    OPENSHIFT_HA_NETWORK_INTERFACE: 'eth0',
    OPENSHIFT_HA_MONITOR_PORT: '80',
    OPENSHIFT_HA_VRRP_ID_OFFSET: '10',
    OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.1,192.0.2.2',
    OPENSHIFT_HA_USE_UNICAST: 'true',
    OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
    OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/check.sh',
    OPENSHIFT_HA_NOTIFY_SCRIPT: '/etc/keepalive/notify.sh',
    OPENSHIFT_HA_PREEMPTION: 'nopreempt',
    OPENSHIFT_HA_CHECK_INTERVAL: '2',
    IPFAILOVER_ADVERT_INTERVAL: '1',
    IPFAILOVER_GARP_REFRESH_INTERVAL: '60',
    OPENSHIFT_HA_VIP_GROUPS: '1',
  };
  const HOSTILE = ['"', "'", '\n', '{', '}', ';', '$(', '`', ' ', '\\', '#', '&', '|', '>'];

  test('the good environment renders (so a refusal below is about the hostile text)', () => {
    expect(renderKeepalivedConf(settingsOf(GOOD), { address: '192.0.2.1', name: 'n' }).ok).toBe(true);
  });

  test('a quote, newline, brace or shell syntax in any variable is refused naming it, or changes nothing in the config', () => {
    const good = renderKeepalivedConf(settingsOf(GOOD), { address: '192.0.2.1', name: 'n' });
    let refused = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...VARIABLES),
        fc.constantFrom(...HOSTILE),
        fc.string({ maxLength: 6 }),
        fc.boolean(),
        (name, bad, junk, prefix) => {
          const value = prefix ? `${bad}${junk}${GOOD[name]}` : `${GOOD[name]}${bad}${junk}`;
          const read = fromEnv({ ...GOOD, [name]: value });
          if (!read.ok) {
            refused++;
            expect(read.issues.map((i) => i.field)).toContain(name);
            return;
          }
          // Accepted only where the parser trims list items ("a, b"): the config is the good one.
          expect(renderKeepalivedConf(read.settings, { address: '192.0.2.1', name: 'n' })).toEqual(good);
        },
      ),
      { numRuns: 500 },
    );
    expect(refused).toBeGreaterThan(400);
  });
});

import fc from 'fast-check';
import { ENV_NAMES, fromEnv, toEnv, USE_UNICAST_ENV } from '../../../lib/core/env/env-contract';
import { formatIssues } from '../../../lib/core/model/issues';
import type { AgentSettings } from '../../../lib/core/env/setting-rules';
import { vrrpIdsOf } from '../../../lib/core/env/setting-rules';

const base: AgentSettings = {
  configName: 'ipfailover',
  virtualIps: ['192.0.2.1', '192.0.2.2'],
  vipGroups: 2,
  networkInterface: 'ens3',
  monitorPort: 30060,
  vrrpIdOffset: 0,
  replicas: 2,
  unicastPeers: [],
  iptablesChain: 'INPUT',
  checkScript: '/etc/keepalive/mycheckscript.sh',
  preemption: { delaySeconds: 300 },
  checkIntervalSeconds: 2,
  advertIntervalSeconds: 1,
  excludedVrrpIds: [],
  garpRefreshIntervalSeconds: 60,
  peers: 'static',
};

const asRecord = (settings: AgentSettings): Record<string, string> =>
  Object.fromEntries(toEnv(settings).map((v) => [v.name, v.value]));

const issuesOf = (env: Record<string, string>): string => {
  const read = fromEnv(env);
  if (read.ok) throw new Error('expected issues');
  return formatIssues(read.issues);
};

describe('toEnv', () => {
  test("writes the documented Deployment's variables, in its order", () => {
    expect(toEnv(base)).toEqual([
      { name: 'OPENSHIFT_HA_CONFIG_NAME', value: 'ipfailover' },
      { name: 'OPENSHIFT_HA_VIRTUAL_IPS', value: '192.0.2.1-2' },
      { name: 'OPENSHIFT_HA_VIP_GROUPS', value: '2' },
      { name: 'OPENSHIFT_HA_NETWORK_INTERFACE', value: 'ens3' },
      { name: 'OPENSHIFT_HA_MONITOR_PORT', value: '30060' },
      { name: 'OPENSHIFT_HA_VRRP_ID_OFFSET', value: '0' },
      { name: 'OPENSHIFT_HA_REPLICA_COUNT', value: '2' },
      { name: 'OPENSHIFT_HA_USE_UNICAST', value: 'false' },
      { name: 'OPENSHIFT_HA_IPTABLES_CHAIN', value: 'INPUT' },
      { name: 'OPENSHIFT_HA_CHECK_SCRIPT', value: '/etc/keepalive/mycheckscript.sh' },
      { name: 'OPENSHIFT_HA_PREEMPTION', value: 'preempt_delay 300' },
      { name: 'OPENSHIFT_HA_CHECK_INTERVAL', value: '2' },
      { name: 'IPFAILOVER_ADVERT_INTERVAL', value: '1' },
      { name: 'IPFAILOVER_GARP_REFRESH_INTERVAL', value: '60' },
    ]);
  });

  test('writes unicast consistently: USE_UNICAST true exactly when peers are listed', () => {
    const env = asRecord({ ...base, unicastPeers: ['192.0.2.21', '192.0.2.22'] });
    expect(env[USE_UNICAST_ENV]).toBe('true');
    expect(env[ENV_NAMES.unicastPeers]).toBe('192.0.2.21,192.0.2.22');
    expect(asRecord(base)[ENV_NAMES.unicastPeers]).toBeUndefined();
  });
});

describe('fromEnv', () => {
  test("reads the docs' example Deployment environment", () => {
    const read = fromEnv({
      OPENSHIFT_HA_CONFIG_NAME: 'ipfailover',
      OPENSHIFT_HA_VIRTUAL_IPS: '1.1.1.1-2',
      OPENSHIFT_HA_VIP_GROUPS: '10',
      OPENSHIFT_HA_NETWORK_INTERFACE: 'ens3',
      OPENSHIFT_HA_MONITOR_PORT: '30060',
      OPENSHIFT_HA_VRRP_ID_OFFSET: '0',
      OPENSHIFT_HA_REPLICA_COUNT: '2',
      OPENSHIFT_HA_USE_UNICAST: 'false',
      OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
      OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/mycheckscript.sh',
      OPENSHIFT_HA_PREEMPTION: 'preempt_delay 300',
      OPENSHIFT_HA_CHECK_INTERVAL: '2',
    });
    expect(read.ok && read.settings).toMatchObject({
      virtualIps: ['1.1.1.1', '1.1.1.2'],
      vipGroups: 2, // 10 groups asked, 2 VIPs: one group per VIP
      monitorPort: 30060,
      checkScript: '/etc/keepalive/mycheckscript.sh',
      preemption: { delaySeconds: 300 },
    });
  });

  test('treats unset and empty alike and applies the documented defaults', () => {
    const read = fromEnv({
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.7',
      OPENSHIFT_HA_MONITOR_PORT: '',
      OPENSHIFT_HA_PREEMPTION: '',
    });
    expect(read).toEqual({
      ok: true,
      settings: {
        configName: 'OpenShift-IPFailover',
        virtualIps: ['192.0.2.7'],
        vipGroups: 1,
        networkInterface: 'eth0',
        monitorPort: 80,
        vrrpIdOffset: 0,
        replicas: 2,
        unicastPeers: [],
        iptablesChain: '', // "if the value is not set, an iptables rule is not added"
        preemption: { delaySeconds: 300 },
        checkIntervalSeconds: 2,
        advertIntervalSeconds: 1,
        excludedVrrpIds: [],
        garpRefreshIntervalSeconds: 60, // ours, on unless set to 0: Red Hat's Deployment gets the refresh too
        peers: 'static', // ours: the docs' Deployment reads no API
      },
    });
  });

  test('reads peers alone as unicast, as the reference image does', () => {
    const read = fromEnv({
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.7',
      OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.21,192.0.2.22',
    });
    expect(read.ok && read.settings.unicastPeers).toEqual(['192.0.2.21', '192.0.2.22']);
  });

  test('numbers groups around HA_EXCLUDED_VRRP_IDS like the reference (offset bump persists)', () => {
    const read = fromEnv({
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1-3',
      OPENSHIFT_HA_VRRP_ID_OFFSET: '10',
      HA_EXCLUDED_VRRP_IDS: '12 13',
    });
    expect(read.ok && vrrpIdsOf(read.settings)).toEqual([11, 14, 15]);
  });

  test.each([
    [{ OPENSHIFT_HA_VIRTUAL_IPS: '' }, /^'OPENSHIFT_HA_VIRTUAL_IPS' \(unset\) is required/],
    [{ OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1-x' }, /'OPENSHIFT_HA_VIRTUAL_IPS' "192\.0\.2\.1-x" has a range end/],
    [
      { OPENSHIFT_HA_MONITOR_PORT: '80; reboot' },
      /'OPENSHIFT_HA_MONITOR_PORT' "80; reboot" is not a port; use a whole number from 0 to 65535/,
    ],
    [{ OPENSHIFT_HA_MONITOR_PORT: '65536' }, /'OPENSHIFT_HA_MONITOR_PORT' 65536 is not a port/],
    [
      { OPENSHIFT_HA_NETWORK_INTERFACE: 'eth0 }' },
      /'OPENSHIFT_HA_NETWORK_INTERFACE' "eth0 }" is not an interface name/,
    ],
    [
      { OPENSHIFT_HA_CHECK_SCRIPT: '/bin/sh -c "reboot"' },
      /'OPENSHIFT_HA_CHECK_SCRIPT' .* is not a safe absolute path/,
    ],
    [
      { OPENSHIFT_HA_NOTIFY_SCRIPT: '/etc/../x' },
      /'OPENSHIFT_HA_NOTIFY_SCRIPT' "\/etc\/\.\.\/x" is not a safe absolute path/,
    ],
    [
      { OPENSHIFT_HA_PREEMPTION: 'preempt_nodelay 300' },
      /'OPENSHIFT_HA_PREEMPTION' "preempt_nodelay 300" is not a preemption strategy/,
    ],
    [
      { OPENSHIFT_HA_PREEMPTION: 'preempt_delay 5000' },
      /is not a preempt delay in seconds; use a whole number from 0 to 1000/,
    ],
    [
      { OPENSHIFT_HA_CHECK_INTERVAL: '0.5' },
      /'OPENSHIFT_HA_CHECK_INTERVAL' 0\.5 is not a check interval in whole seconds/,
    ],
    [{ OPENSHIFT_HA_VRRP_ID_OFFSET: '-1' }, /'OPENSHIFT_HA_VRRP_ID_OFFSET' -1 is not a VRRP ID offset/],
    [
      { OPENSHIFT_HA_VRRP_ID_OFFSET: '254', OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1-3' },
      /'OPENSHIFT_HA_VRRP_ID_OFFSET' 254 with 3 VIP groups reaches VRRP ID 257, past 255; use an offset of at most 252/,
    ],
    [{ OPENSHIFT_HA_REPLICA_COUNT: '0' }, /'OPENSHIFT_HA_REPLICA_COUNT' 0 is not a replica count/],
    [
      { OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT -j DROP' },
      /'OPENSHIFT_HA_IPTABLES_CHAIN' "INPUT -j DROP" is not an iptables chain name/,
    ],
    [{ OPENSHIFT_HA_CONFIG_NAME: 'a"b' }, /'OPENSHIFT_HA_CONFIG_NAME' "a\\"b" is not a config name/],
    [
      { OPENSHIFT_HA_USE_UNICAST: 'true' },
      /'OPENSHIFT_HA_USE_UNICAST' "true" is set but OPENSHIFT_HA_UNICAST_PEERS is empty/,
    ],
    [
      { OPENSHIFT_HA_USE_UNICAST: 'false', OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.5,192.0.2.6' },
      /is false but OPENSHIFT_HA_UNICAST_PEERS is set/,
    ],
    [{ OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.5,evil"' }, /'OPENSHIFT_HA_UNICAST_PEERS' "evil\\"" is not an IP address/],
    [{ OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.5', OPENSHIFT_HA_REPLICA_COUNT: '2' }, /lists 1 addresses for 2 replicas/],
    [{ OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1,2001:db8::1' }, /mixes IPv4 and IPv6 addresses/],
    [{ IPFAILOVER_ADVERT_INTERVAL: '0.001' }, /'IPFAILOVER_ADVERT_INTERVAL' 0\.001 is not an advert interval/],
    [{ HA_EXCLUDED_VRRP_IDS: '12,x' }, /'HA_EXCLUDED_VRRP_IDS' "12,x" has "x", which is not a VRRP ID/],
    [
      { OPENSHIFT_HA_VIRTUAL_IP: '192.0.2.1' },
      /'OPENSHIFT_HA_VIRTUAL_IP' "192\.0\.2\.1" is not a variable ipfailover knows/,
    ],
  ])('refuses %j naming the variable and the fix', (env, message) => {
    expect(issuesOf({ OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1', ...env })).toMatch(message);
  });

  test('reports every bad variable at once', () => {
    const text = issuesOf({
      OPENSHIFT_HA_VIRTUAL_IPS: 'x',
      OPENSHIFT_HA_MONITOR_PORT: 'y',
      OPENSHIFT_HA_CHECK_INTERVAL: '0',
    });
    expect(text.split('\n').map((line) => line.split(' ')[0])).toEqual([
      "'OPENSHIFT_HA_VIRTUAL_IPS'",
      "'OPENSHIFT_HA_MONITOR_PORT'",
      "'OPENSHIFT_HA_CHECK_INTERVAL'",
    ]);
  });

  test('IPFAILOVER_PEERS: the cluster, unicast to it, or static; never with a peer list', () => {
    const vips = { OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.7' };
    for (const source of ['cluster', 'clusterUnicast', 'static'] as const) {
      const read = fromEnv({ ...vips, IPFAILOVER_PEERS: source });
      expect(read.ok && read.settings.peers).toBe(source);
    }
    expect(issuesOf({ ...vips, IPFAILOVER_PEERS: 'k8s' })).toBe(
      `'IPFAILOVER_PEERS' "k8s" is not a source of peers; use 'cluster', 'clusterUnicast' or 'static'`,
    );
    expect(
      issuesOf({ ...vips, IPFAILOVER_PEERS: 'clusterUnicast', OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.1,192.0.2.2' }),
    ).toBe(
      `'IPFAILOVER_PEERS' "clusterUnicast" reads the instance's nodes from the Kubernetes API, but a unicast peer list names them; leave out the peer list, or use 'static' with it`,
    );
  });

  test('accepts the fast profile and keeps OpenShift variables at their meaning', () => {
    const read = fromEnv({ OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.1', IPFAILOVER_ADVERT_INTERVAL: '0.1' });
    expect(read.ok && read.settings.advertIntervalSeconds).toBe(0.1);
  });
});

const settingsArb: fc.Arbitrary<AgentSettings> = fc
  .record({
    configName: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/),
    count: fc.integer({ min: 1, max: 40 }),
    groups: fc.integer({ min: 1, max: 40 }),
    third: fc.nat(255),
    networkInterface: fc.constantFrom('eth0', 'ens3', 'br-ex', 'bond0.100'),
    monitorPort: fc.integer({ min: 0, max: 65535 }),
    vrrpIdOffset: fc.integer({ min: 0, max: 200 }),
    replicas: fc.integer({ min: 1, max: 5 }),
    peers: fc.boolean(),
    source: fc.constantFrom('static' as const, 'cluster' as const, 'clusterUnicast' as const),
    iptablesChain: fc.constantFrom('', 'INPUT', 'KEEPALIVED'),
    checkScript: fc.option(fc.constantFrom('/etc/keepalive/check.sh', '/opt/x/y_z.sh'), { nil: undefined }),
    notifyScript: fc.option(fc.constant('/etc/keepalive/notify.sh'), { nil: undefined }),
    preemption: fc.oneof(
      fc.constant('nopreempt' as const),
      fc.integer({ min: 0, max: 1000 }).map((delaySeconds) => ({ delaySeconds })),
    ),
    checkIntervalSeconds: fc.integer({ min: 1, max: 3600 }),
    advertIntervalSeconds: fc.oneof(
      fc.integer({ min: 1, max: 255 }),
      fc.integer({ min: 1, max: 99 }).map((c) => c / 100),
    ),
    garpRefreshIntervalSeconds: fc.integer({ min: 0, max: 3600 }),
  })
  .map((r) => {
    const virtualIps = Array.from({ length: r.count }, (_, i) => `198.51.${r.third}.${i + 1}`);
    const settings: AgentSettings = {
      configName: r.configName,
      virtualIps,
      vipGroups: Math.min(r.groups, r.count),
      networkInterface: r.networkInterface,
      monitorPort: r.monitorPort,
      vrrpIdOffset: Math.min(r.vrrpIdOffset, 255 - Math.min(r.groups, r.count)),
      replicas: r.replicas,
      unicastPeers: r.peers ? Array.from({ length: r.replicas }, (_, i) => `192.0.2.${i + 10}`) : [],
      iptablesChain: r.iptablesChain,
      preemption: r.preemption,
      checkIntervalSeconds: r.checkIntervalSeconds,
      advertIntervalSeconds: r.advertIntervalSeconds,
      excludedVrrpIds: [],
      garpRefreshIntervalSeconds: r.garpRefreshIntervalSeconds,
      // A peer list is the nodes; without one they may come from the cluster.
      peers: r.peers ? 'static' : r.source,
      ...(r.checkScript !== undefined && { checkScript: r.checkScript }),
      ...(r.notifyScript !== undefined && { notifyScript: r.notifyScript }),
    };
    return settings;
  });

test('fromEnv(toEnv(settings)) gives the settings back', () => {
  fc.assert(
    fc.property(settingsArb, (settings) => {
      expect(fromEnv(asRecord(settings))).toEqual({ ok: true, settings });
    }),
    { numRuns: 500 },
  );
});

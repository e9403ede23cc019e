import fc from 'fast-check';
import { formatIssues, type Issue } from '../../../lib/core/model/issues';
import { Planner, type PlannerOptions } from '../../../lib/core/plan/planner';
import type { IpFailoverOptions } from '../../../lib/core/model/props';

/** Adds instances named a, b, c… and returns the planner. */
function plan(instances: IpFailoverOptions[], options?: PlannerOptions): Planner {
  const planner = new Planner(options);
  instances.forEach((props, i) =>
    planner.add(props, { path: `app/${String.fromCharCode(97 + i)}`, id: String.fromCharCode(97 + i) }),
  );
  return planner;
}
const idsOf = (planner: Planner): number[][] => planner.instances.map((p) => [...p.vrrpIds]);
const errors = (planner: Planner): string => formatIssues(planner.issues);
const vips = (third: number, n: number): string[] => Array.from({ length: n }, (_, i) => `198.51.${third}.${i + 1}`);

describe('VRRP ID allocation', () => {
  test('assigns offsets first-fit in declaration order, one ID per group', () => {
    const planner = plan([{ virtualIps: '192.0.2.1-3' }, { virtualIps: '192.0.2.10-13', vipGroups: 2 }]);
    expect(errors(planner)).toBe('');
    expect(idsOf(planner)).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(planner.instances.map((p) => p.settings.vrrpIdOffset)).toEqual([0, 3]);
  });

  test('keeps explicit offsets and fills the gaps around them', () => {
    const planner = plan([
      { virtualIps: '192.0.2.1-2', vrrpIdOffset: 10 },
      { virtualIps: '192.0.2.5-9' },
      { virtualIps: '192.0.2.20-25' },
    ]);
    expect(idsOf(planner)).toEqual([
      [11, 12],
      [1, 2, 3, 4, 5],
      [13, 14, 15, 16, 17, 18],
    ]);
  });

  test('refuses an overlapping offset, naming the owner, its IDs and the first free offset', () => {
    const planner = plan([
      { virtualIps: '192.0.2.1-5', vrrpIdOffset: 7 },
      { virtualIps: '192.0.2.10-12', vrrpIdOffset: 10 },
    ]);
    expect(errors(planner)).toBe("app/b: 'vrrpIdOffset' 10 overlaps 'app/a' (IDs 8..12); use 0 (first free)");
    expect(planner.instances).toHaveLength(1);
  });

  test('the suggested offset is free of instances declared after the overlapping one, and of other suggestions', () => {
    // b overlaps a; c and d come later and take IDs 1..3 first-fit: "use 0" would collide with c.
    const planner = plan([
      { virtualIps: '192.0.2.1-5', vrrpIdOffset: 7 },
      { virtualIps: '192.0.2.10-11', vrrpIdOffset: 10 },
      { virtualIps: '192.0.2.20-22' },
      { virtualIps: '192.0.2.30-31', vrrpIdOffset: 11 },
    ]);
    expect(errors(planner).split('\n')).toEqual([
      "app/b: 'vrrpIdOffset' 10 overlaps 'app/a' (IDs 8..12); use 3 (first free)",
      "app/d: 'vrrpIdOffset' 11 overlaps 'app/a' (IDs 8..12); use 5 (first free)",
    ]);
  });

  test('an instance overlapping several owners gets one suggestion, and leaves room for the next', () => {
    // Found by the property below: f once got three different offsets, and g none.
    const planner = plan([
      { virtualIps: '192.0.2.1', vrrpIdOffset: 117 },
      { virtualIps: '192.0.2.2', vrrpIdOffset: 118 },
      { virtualIps: vips(1, 28), vrrpIdOffset: 117 },
      { virtualIps: vips(2, 26), vrrpIdOffset: 92 },
    ]);
    expect(planner.issuesFor('app/c').map((i) => i.fix)).toEqual(['use 0 (first free)', 'use 0 (first free)']);
    expect(planner.issuesFor('app/d').map((i) => i.fix)).toEqual(['use 28 (first free)']);
  });

  test('a suggestion leaves the offset another instance asked for alone, though its other props are bad', () => {
    const planner = plan([
      { virtualIps: '192.0.2.1-2' },
      { virtualIps: '192.0.2.10', vrrpIdOffset: 1 },
      { virtualIps: '192.0.2.20-21', vrrpIdOffset: 2, monitorPort: -1 },
    ]);
    expect(planner.issuesFor('app/b')[0]?.fix).toBe('use 4 (first free)');
  });

  test('bad props do not hide the stack conflicts of the valid ones', () => {
    const planner = plan([
      { virtualIps: '192.0.2.1-3', name: 'edge', vrrpIdOffset: 0 },
      { virtualIps: ['192.0.2.3', 'nope'], name: 'edge', vrrpIdOffset: 1, monitorPort: -1 },
      { virtualIps: '192.0.2.9', vrrpIdOffset: 2, replicas: 0 },
    ]);
    expect(planner.issuesFor('app/b').map((i) => i.field)).toEqual(['virtualIps', 'monitorPort', 'name', 'virtualIps']);
    expect(formatIssues(planner.issuesFor('app/c'))).toBe(
      [
        "app/c: 'replicas' 0 is not a replica count; use a whole number from 1 to 255",
        "app/c: 'vrrpIdOffset' 2 overlaps 'app/a' (IDs 1..3); use 3 (first free)",
      ].join('\n'),
    );
    expect(planner.instances).toHaveLength(1);
  });

  test('suggests the first offset where all the groups fit', () => {
    const planner = plan([{ virtualIps: '192.0.2.1-5' }, { virtualIps: '192.0.2.10-12', vrrpIdOffset: 2 }]);
    expect(errors(planner)).toMatch(/'vrrpIdOffset' 2 overlaps 'app\/a' \(IDs 1\.\.5\); use 5 \(first free\)/);
  });

  test('appending an instance never renumbers the earlier ones', () => {
    const first = [
      { virtualIps: '192.0.2.1-4' },
      { virtualIps: '192.0.2.10', vrrpIdOffset: 50 },
      { virtualIps: '192.0.2.20-22' },
    ];
    const before = idsOf(plan(first));
    const after = idsOf(plan([...first, { virtualIps: '192.0.2.30-39', vipGroups: 3 }]));
    expect(after.slice(0, 3)).toEqual(before);
  });

  test.each([
    [{ vrrpIdOffset: -1 }, /'vrrpIdOffset' -1 is not a VRRP ID offset; use a whole number from 0 to 255/],
    [{ vrrpIdOffset: 256 }, /'vrrpIdOffset' 256 is not a VRRP ID offset/],
    [{ vrrpIdOffset: 1.5 }, /'vrrpIdOffset' 1\.5 is not a VRRP ID offset/],
    [
      { vrrpIdOffset: 254 },
      /'vrrpIdOffset' 254 with 3 VIP groups reaches VRRP ID 257, past 255; use an offset of at most 252/,
    ],
  ])('refuses offset %j', (props, message) => {
    expect(errors(plan([{ virtualIps: '192.0.2.1-3', ...props }]))).toMatch(message);
  });

  test('avoids VRRP IDs reserved for the cluster and refuses offsets that take them', () => {
    const planner = plan([{ virtualIps: '192.0.2.1-3' }, { virtualIps: '192.0.2.9', vrrpIdOffset: 4 }], {
      reservedVrrpIds: [2, 5],
    });
    expect(idsOf(planner)).toEqual([[6, 7, 8]]);
    expect(errors(planner)).toBe(
      "app/b: 'vrrpIdOffset' 4 overlaps 'the cluster (reservedVrrpIds)' (ID 5); use 0 (first free)",
    );
  });
});

describe('cluster limit of 254 VRRP groups', () => {
  test('refuses 255 single VIPs in one instance', () => {
    const many = [...vips(1, 250), ...vips(2, 5)];
    expect(errors(plan([{ virtualIps: many }]))).toBe(
      "app/a: 'virtualIps' \"255 VIPs\" need one VRRP group each, more than the cluster limit of 254 VRRP groups; set 'vipGroups' to 254 or fewer",
    );
  });

  test('accepts 255 VIPs in 100 groups', () => {
    const planner = plan([{ virtualIps: [...vips(1, 250), ...vips(2, 5)], vipGroups: 100 }]);
    expect(errors(planner)).toBe('');
    expect(planner.instances[0]!.groups).toHaveLength(100);
    expect(planner.groupCount).toBe(100);
  });

  test('refuses a vipGroups over what is left', () => {
    const planner = plan([{ virtualIps: vips(1, 200) }, { virtualIps: vips(2, 100), vipGroups: 60 }]);
    expect(errors(planner)).toBe(
      "app/b: 'vipGroups' 60 is more than the 54 VRRP groups left of the cluster's 254; set 'vipGroups' to 54 or fewer",
    );
  });

  test('counts groups across instances', () => {
    const planner = plan([{ virtualIps: vips(1, 200) }, { virtualIps: vips(2, 60) }]);
    expect(errors(planner)).toBe(
      "app/b: 'virtualIps' \"60 VIPs\" need one VRRP group each, more than the 54 VRRP groups left of the cluster's 254; set 'vipGroups' to 54 or fewer",
    );
  });
});

describe('other stack-wide rules', () => {
  test('a VIP belongs to one instance only', () => {
    const planner = plan([{ virtualIps: '192.0.2.1-5' }, { virtualIps: '192.0.2.4-8' }]);
    expect(errors(planner)).toBe(
      "app/b: 'virtualIps' \"192.0.2.4-5\" are already served by 'app/a'; give each VIP to one instance only",
    );
  });

  test("refuses the cluster's own API and ingress VIPs", () => {
    expect(errors(plan([{ virtualIps: '192.0.2.5-7' }], { reservedVips: ['192.0.2.5'] }))).toMatch(
      /'virtualIps' "192\.0\.2\.5" is the cluster's own API or ingress VIP \(reservedVips\); choose addresses/,
    );
  });

  test('refuses two Deployments of one name in one namespace', () => {
    const planner = plan([
      { virtualIps: '192.0.2.1', name: 'vips' },
      { virtualIps: '192.0.2.2', name: 'vips' },
    ]);
    expect(errors(planner)).toBe(
      "app/b: 'name' \"vips\" is already used by 'app/a' in namespace default; set a different 'name'",
    );
  });

  test('the first instance naming a service account creates it; the others share it', () => {
    const planner = plan([
      { virtualIps: '192.0.2.1' },
      { virtualIps: '192.0.2.2' },
      { virtualIps: '192.0.2.3', namespace: 'other' },
    ]);
    expect(planner.instances.map((p) => p.ownsServiceAccount)).toEqual([true, false, true]);
  });

  test('an instance with bad props claims nothing, so it causes no error in later ones', () => {
    const planner = plan([{ virtualIps: '192.0.2.1-3', monitorPort: -1 }, { virtualIps: '192.0.2.1-3' }]);
    expect(planner.issuesFor('app/a')).toHaveLength(1);
    expect(planner.issuesFor('app/b')).toEqual([]);
    expect(idsOf(planner)).toEqual([[1, 2, 3]]);
  });
});

describe('props validation', () => {
  test.each([
    [{ virtualIps: '10.0.0.4-2' }, /'virtualIps' "10\.0\.0\.4-2" ends before it starts; write 10\.0\.0\.2-4/],
    [{ virtualIps: '10.0.0.256' }, /'virtualIps' "10\.0\.0\.256" is not an IP address/],
    [{ virtualIps: '10.0.0.1-' }, /'virtualIps' "10\.0\.0\.1-" has a range end/],
    [{ virtualIps: 'router' }, /'virtualIps' "router" is not an IP address/],
    [{ virtualIps: '192.0.2.1`reboot`' }, /'virtualIps' "192\.0\.2\.1`reboot`" is not an IP address/],
    [{ virtualIps: 42 as unknown as string }, /'virtualIps' 42 is not a string or list of strings/],
    [{ monitorPort: 70000 }, /'monitorPort' 70000 is not a port; use a whole number from 0 to 65535/],
    [{ monitorPort: 80.5 }, /'monitorPort' 80\.5 is not a port/],
    [{ replicas: 0 }, /'replicas' 0 is not a replica count; use a whole number from 1 to 255/],
    [
      { preemption: { delaySeconds: -5 } },
      /'preemption' -5 is not a preempt delay in seconds; use a whole number from 0 to 1000/,
    ],
    [{ preemption: 'preempt' as 'nopreempt' }, /'preemption' "preempt" is not a preemption strategy/],
    [{ vipGroups: 0 }, /'vipGroups' 0 is not a number of groups/],
    [{ networkInterface: 'eth0; reboot' }, /'networkInterface' "eth0; reboot" is not an interface name/],
    [{ iptablesChain: 'INPUT\n-j DROP' }, /'iptablesChain' "INPUT\\n-j DROP" is not an iptables chain name/],
    [{ checkScript: { inline: 'exit 0' } }, /'checkScript' "exit 0" does not start with a #! line/],
    [{ checkScript: { path: 'relative.sh' } }, /'checkScript' "relative\.sh" is not a safe absolute path/],
    [{ notifyScript: { path: '/x/"y"' } }, /'notifyScript' "\/x\/\\"y\\"" is not a safe absolute path/],
    [{ checkIntervalSeconds: 0 }, /'checkIntervalSeconds' 0 is not a check interval in whole seconds/],
    [{ advertIntervalSeconds: 0.005 }, /'advertIntervalSeconds' 0\.005 is not an advert interval/],
    [{ unicastPeers: ['192.0.2.50'] }, /'unicastPeers' "192\.0\.2\.50" lists 1 addresses for 2 replicas/],
    [{ unicastPeers: ['192.0.2.50', 'node-2'] }, /'unicastPeers' "node-2" is not an IP address/],
    [{ unicastPeers: ['192.0.2.50', '2001:db8::1'] }, /'unicastPeers' "2001:db8::1" is ipv6 but the VIPs are ipv4/],
    [{ nodeSelector: { 'bad key!': 'x' } }, /'nodeSelector' "bad key!" is not a label key/],
    [{ name: 'Router' }, /'name' "Router" is not a valid name/],
    [{ image: 'nginx latest' }, /'image' "nginx latest" is not an image reference/],
    [{ strategy: 'Rolling' as 'Recreate' }, /'strategy' "Rolling" is not a deployment strategy/],
    [{ serviceAccountName: 'Ip_Failover' }, /'serviceAccountName' "Ip_Failover" is not a valid name/],
  ])('refuses %j', (props, message) => {
    const planner = plan([{ virtualIps: '192.0.2.1-3', ...props }]);
    expect(errors(planner)).toMatch(message);
    expect(planner.instances).toEqual([]);
  });

  test('reports unrelated errors of one instance together', () => {
    const planner = plan([
      { virtualIps: '192.0.2.1-3', monitorPort: -1, replicas: 0, preemption: { delaySeconds: -1 } },
    ]);
    expect(planner.issues.map((i) => i.field)).toEqual(['monitorPort', 'replicas', 'preemption']);
  });

  test('reports errors of several instances together', () => {
    const planner = plan([{ virtualIps: 'nope' }, { virtualIps: '192.0.2.1', monitorPort: 99999 }]);
    expect(errors(planner).split('\n')).toEqual([
      'app/a: \'virtualIps\' "nope" is not an IP address; write a dotted IPv4 address without leading zeros (192.0.2.10) or an IPv6 address',
      "app/b: 'monitorPort' 99999 is not a port; use a whole number from 0 to 65535",
    ]);
  });

  test('derives the Deployment name from the construct id', () => {
    const planner = new Planner();
    const { plan: p } = planner.add(
      { virtualIps: '192.0.2.1' },
      { path: 'app/Geo_Cache', id: 'Geo_Cache', defaultNamespace: 'edge' },
    );
    expect([p?.spec.name, p?.spec.namespace]).toEqual(['geo-cache', 'edge']);
  });
});

describe('planner properties', () => {
  const instanceArb = fc.record({
    vipCount: fc.integer({ min: 1, max: 30 }),
    groups: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
    offset: fc.option(fc.integer({ min: -2, max: 258 }), { nil: undefined }),
  });
  const build = (specs: Array<{ vipCount: number; groups?: number; offset?: number }>): IpFailoverOptions[] =>
    specs.map((s, i) => ({
      virtualIps: vips(i, s.vipCount),
      ...(s.groups !== undefined && { vipGroups: s.groups }),
      ...(s.offset !== undefined && { vrrpIdOffset: s.offset }),
    }));

  test('allocated IDs stay in 1..255, never overlap, never exceed 254 groups, and errors never throw', () => {
    fc.assert(
      fc.property(
        fc.array(instanceArb, { maxLength: 25 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 255 }), { maxLength: 10 }),
        (specs, reserved) => {
          const planner = plan(build(specs), { reservedVrrpIds: reserved });
          const all = planner.instances.flatMap((p) => p.vrrpIds);
          expect(all.every((id) => id >= 1 && id <= 255 && !reserved.includes(id))).toBe(true);
          expect(new Set(all).size).toBe(all.length);
          expect(all.length).toBeLessThanOrEqual(254);
          expect(planner.instances.length + new Set(planner.issues.map((i) => i.path)).size).toBe(specs.length);
          for (const p of planner.instances) {
            expect(p.vrrpIds).toEqual(p.groups.map((_, g) => p.settings.vrrpIdOffset + g + 1));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('appending an instance never changes the plans before it', () => {
    fc.assert(
      fc.property(fc.array(instanceArb, { maxLength: 15 }), instanceArb, (specs, extra) => {
        const before = plan(build(specs));
        const after = plan(build([...specs, extra]));
        expect(after.instances.slice(0, before.instances.length)).toEqual(before.instances);
        // Only a suggested offset may change: it must stay free of the appended instance too.
        const withoutSuggestion = (issues: readonly Issue[]): unknown[] =>
          issues.map((i) => ({
            ...i,
            fix: i.fix.replace(/^(use \d+ \(first free\)|free some VRRP IDs or use fewer groups)$/, '(a suggestion)'),
          }));
        expect(withoutSuggestion(after.issues.slice(0, before.issues.length))).toEqual(
          withoutSuggestion(before.issues),
        );
      }),
      { numRuns: 200 },
    );
  });

  test('following every "use N (first free)" at once gives no overlap: N stays free after every instance is placed', () => {
    let suggestions = 0;
    fc.assert(
      fc.property(fc.array(instanceArb, { maxLength: 20 }), (specs) => {
        const props = build(specs);
        const first = plan(props);
        const fixed = props.map((p, i) => {
          const fix = first
            .issuesFor(`app/${String.fromCharCode(97 + i)}`)
            .find((issue) => issue.field === 'vrrpIdOffset' && /first free/.test(issue.fix));
          const offset = fix ? Number(/^use (\d+)/.exec(fix.fix)?.[1]) : undefined;
          if (offset !== undefined) suggestions++;
          return offset === undefined ? p : { ...p, vrrpIdOffset: offset };
        });
        const second = plan(fixed);
        expect(second.issues.filter((i) => /overlaps/.test(i.problem))).toEqual([]);
      }),
      { numRuns: 300 },
    );
    expect(suggestions).toBeGreaterThan(50);
  });
});

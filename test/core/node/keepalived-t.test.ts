/**
 * Every config the renderer produces for a valid environment passes the real `keepalived -t`
 * (keepalived 2.2.7): exit 0 and not a line of output — no error, no warning. Environments are
 * sampled with fast-check; the test runs in a throwaway network namespace whose veths carry the
 * interface names the samples use, since keepalived checks interfaces in its own namespace.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { fromEnv } from '../../../lib/core/env/env-contract';
import { renderKeepalivedConf, type RenderOptions } from '../../../lib/core/node/keepalived-conf';
import { skipReason, sh } from '../../e2e/cluster';

const reason = skipReason();
const suite = reason === undefined ? describe : describe.skip;
if (reason !== undefined) console.warn(`keepalived -t tests skipped: ${reason}`);

const NS = 'ipfkt-test';
const INTERFACES = ['eth0', 'br-ex', 'ens3'];

/**
 * keepalived 2.2.7's `-t` kills itself with SIGTERM right after checking a script as a non-root
 * `script_user` (it restores privileges, then mistakes itself for an orphaned child). The real
 * daemon is fine with it (the e2e tests run every agent with `script_user nobody`), so only for
 * `-t` the configs are rendered with scripts run as root — every other line is as the agent
 * renders it.
 */
const FOR_CONFIG_TEST: RenderOptions = { scriptUser: 'root' };

suite(`rendered configs pass keepalived -t${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let dir: string;
  let checkScript: string;
  let notifyScript: string;

  beforeAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    sh('ip', 'netns', 'add', NS);
    INTERFACES.forEach((name, i) => {
      sh('ip', '-n', NS, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `peer${i}`);
      sh('ip', '-n', NS, 'link', 'set', name, 'up');
    });
    // Root-owned and not writable by others, as script security wants (and as a ConfigMap mount is).
    dir = mkdtempSync(join(tmpdir(), 'ipfkt-'));
    chmodSync(dir, 0o755);
    checkScript = join(dir, 'check.sh');
    notifyScript = join(dir, 'notify.sh');
    for (const f of [checkScript, notifyScript]) writeFileSync(f, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  });

  afterAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function configTest(config: string): { code: number | null; output: string } {
    const file = join(dir, 'keepalived.conf');
    writeFileSync(file, config);
    const r = spawnSync('ip', ['netns', 'exec', NS, 'keepalived', '-t', '-e', '-f', file], { encoding: 'utf8' });
    return { code: r.status, output: `${r.stdout}${r.stderr}${r.signal ?? ''}` };
  }

  test('the oracle works: keepalived -t refuses a broken config', () => {
    expect(configTest('global_defs {\n  bogus_keyword 1\n}\n').code).not.toBe(0);
    expect(
      configTest(
        'vrrp_instance x {\n  interface nosuch0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n',
      ).output,
    ).not.toBe('');
  });

  test("the docs' hand-written Deployment: its environment renders a config keepalived -t faults only for the absent check script", () => {
    const deployment = parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'docs-deployment.yaml'), 'utf8'), {
      version: '1.1',
    });
    const env = Object.fromEntries(
      (deployment.spec.template.spec.containers[0].env as Array<{ name: string; value: string }>).map((v) => [
        v.name,
        v.value,
      ]),
    );
    const read = fromEnv(env);
    if (!read.ok) throw new Error(JSON.stringify(read.issues));
    const rendered = renderKeepalivedConf(read.settings, { name: 'worker-0' }, FOR_CONFIG_TEST);
    if (!rendered.ok) throw new Error(JSON.stringify(rendered.issues));
    expect(rendered.config).toContain('script "/etc/keepalive/mycheckscript.sh"');
    const { code, output } = configTest(rendered.config);
    // The docs' check script lives in the pod's ConfigMap mount; outside a pod keepalived can only
    // complain that it is missing, and must find nothing else to complain about.
    const lines = output.split('\n').filter((l) => l !== '');
    if (existsSync('/etc/keepalive/mycheckscript.sh')) {
      expect({ code, lines }).toEqual({ code: 0, lines: [] });
    } else {
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/mycheckscript\.sh|chk_ipfailover/);
    }
  });

  test('sampled valid environments render configs keepalived -t accepts without a word', () => {
    const envArb = fc.record({
      family: fc.constantFrom('ipv4', 'ipv6'),
      vipCount: fc.integer({ min: 1, max: 12 }),
      vipStart: fc.integer({ min: 10, max: 200 }),
      groups: fc.integer({ min: 0, max: 14 }),
      offset: fc.integer({ min: 0, max: 200 }),
      iface: fc.constantFrom(...INTERFACES),
      port: fc.constantFrom(0, 80, 443, 30060),
      check: fc.constantFrom('port', 'script'),
      notify: fc.boolean(),
      preemption: fc.constantFrom('', 'nopreempt', 'preempt_delay 0', 'preempt_delay 300', 'preempt_delay 1000'),
      interval: fc.integer({ min: 1, max: 60 }),
      advert: fc.constantFrom('', '1', '3', '0.1', '0.05', '0.5', '2.5'),
      garp: fc.constantFrom('', '0', '1', '60', '3600'),
      unicast: fc.boolean(),
      replicas: fc.integer({ min: 1, max: 4 }),
      name: fc.constantFrom('', 'ipfailover', 'ipf-router-us-west', 'A_b-9'),
      excluded: fc.constantFrom('', '12 13', '1 2 3'),
      peers: fc.uniqueArray(fc.integer({ min: 1, max: 9 }), { minLength: 4, maxLength: 6 }),
    });
    let checked = 0;
    fc.assert(
      fc.property(envArb, (e) => {
        const six = e.family === 'ipv6';
        const vips = six
          ? `2001:db8::${(0x100 + e.vipStart).toString(16)}-${(0x100 + e.vipStart + e.vipCount - 1).toString(16)}`
          : `198.51.100.${e.vipStart}-${e.vipStart + e.vipCount - 1}`;
        const peers = e.peers.map((n) => (six ? `2001:db8::${n}` : `192.0.2.${n}`));
        const env: Record<string, string> = {
          OPENSHIFT_HA_VIRTUAL_IPS: vips,
          OPENSHIFT_HA_VIP_GROUPS: String(e.groups),
          OPENSHIFT_HA_VRRP_ID_OFFSET: String(e.offset),
          OPENSHIFT_HA_NETWORK_INTERFACE: e.iface,
          OPENSHIFT_HA_MONITOR_PORT: String(e.port),
          OPENSHIFT_HA_PREEMPTION: e.preemption,
          OPENSHIFT_HA_CHECK_INTERVAL: String(e.interval),
          IPFAILOVER_ADVERT_INTERVAL: e.advert,
          IPFAILOVER_GARP_REFRESH_INTERVAL: e.garp,
          OPENSHIFT_HA_REPLICA_COUNT: String(e.replicas),
          OPENSHIFT_HA_CONFIG_NAME: e.name,
          HA_EXCLUDED_VRRP_IDS: e.excluded,
          ...(e.check === 'script' && { OPENSHIFT_HA_CHECK_SCRIPT: checkScript }),
          ...(e.notify && { OPENSHIFT_HA_NOTIFY_SCRIPT: notifyScript }),
          ...(e.unicast && { OPENSHIFT_HA_USE_UNICAST: 'true', OPENSHIFT_HA_UNICAST_PEERS: peers.join(',') }),
        };
        const read = fromEnv(env);
        if (!read.ok) throw new Error(`sample should be valid: ${JSON.stringify(read.issues)}`);
        const rendered = renderKeepalivedConf(read.settings, { address: peers[0]!, name: 'worker-0' }, FOR_CONFIG_TEST);
        if (!rendered.ok) throw new Error(JSON.stringify(rendered.issues));
        const { code, output } = configTest(rendered.config);
        checked++;
        expect({ code, output }).toEqual({ code: 0, output: '' });
      }),
      { numRuns: 100 },
    );
    expect(checked).toBe(100);
  }, 120_000);
});

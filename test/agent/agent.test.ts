import { EventEmitter } from 'node:events';
import { runAgent, type AgentDeps } from '../../lib/agent/agent';
import { vrrpRuleSpec } from '../../lib/agent/iptables';
import { FakeChild, FakeFs, FakeHost } from './fakes';

const ENV = {
  OPENSHIFT_HA_CONFIG_NAME: 'ipf',
  OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.10-11',
  OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
  OPENSHIFT_HA_MONITOR_PORT: '0',
};

interface World {
  deps: AgentDeps;
  host: FakeHost;
  fs: FakeFs;
  child: FakeChild;
  signals: EventEmitter;
  out: string[];
  err: string[];
  files: Map<string, string>;
  spawned: Array<{ command: string; args: readonly string[] }>;
}

function world(env: Record<string, string> = ENV): World {
  const host = new FakeHost();
  const fs = new FakeFs();
  const child = new FakeChild();
  const signals = new EventEmitter();
  const out: string[] = [];
  const err: string[] = [];
  const files = new Map<string, string>();
  const spawned: World['spawned'] = [];
  const deps: AgentDeps = {
    env,
    run: host.run,
    spawn: (command, args) => {
      spawned.push({ command, args });
      return child;
    },
    signals,
    hostname: 'worker-0',
    log: (l) => out.push(l),
    logError: (l) => err.push(l),
    writeFile: (p, t) => files.set(p, t),
    scriptFs: fs,
  };
  return { deps, host, fs, child, signals, out, err, files, spawned };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

describe('ipfailover agent (fakes)', () => {
  test('writes the config under the state dir, adds the rule, runs keepalived in the foreground with its own pid files', async () => {
    const w = world();
    const done = runAgent({ stateDir: '/state' }, w.deps);
    await tick();
    expect([...w.files.keys()]).toEqual(['/state/keepalived.conf']);
    expect(w.files.get('/state/keepalived.conf')).toContain('vrrp_instance ipf_VIP_2 {');
    expect(w.host.chains.get('INPUT')).toEqual([vrrpRuleSpec('ipf')]);
    expect(w.spawned).toEqual([{ command: 'keepalived', args: ['--dont-fork', '--log-console', '--no-syslog', '--vrrp', '-f', '/state/keepalived.conf', '-p', '/state/keepalived.pid', '-r', '/state/vrrp.pid', '-c', '/state/checkers.pid'] }]);
    w.child.exit(0);
    await done;
  });

  test('logs each state change in one line, naming the group\'s VRRP ID and VIPs', async () => {
    const w = world();
    const done = runAgent({ stateDir: '/s' }, w.deps);
    await tick();
    w.child.print('Sun Nov 22 23:43:31 2026: (ipf_VIP_1) Entering BACKUP STATE (init)');
    w.child.print('Sun Nov 22 23:43:32 2026: (ipf_VIP_1) Entering MASTER STATE');
    w.child.print('Sun Nov 22 23:43:32 2026: (ipf_VIP_2) Entering FAULT STATE');
    w.child.print('Sun Nov 22 23:43:32 2026: (other_VIP_1) Entering MASTER STATE');
    w.child.exit(1);
    await done;
    expect(w.out.filter((l) => / (MASTER|BACKUP|FAULT)$/.test(l))).toEqual([
      'ipfailover: ipf_VIP_1 (vrid 1 192.0.2.10) BACKUP',
      'ipfailover: ipf_VIP_1 (vrid 1 192.0.2.10) MASTER',
      'ipfailover: ipf_VIP_2 (vrid 2 192.0.2.11) FAULT',
    ]);
    // keepalived's own lines are passed through on stderr.
    expect(w.err).toContain('Sun Nov 22 23:43:32 2026: (ipf_VIP_1) Entering MASTER STATE');
  });

  test('SIGTERM is forwarded to keepalived; when it has released the VIPs the agent exits 0', async () => {
    const w = world();
    const done = runAgent({}, w.deps);
    await tick();
    w.signals.emit('SIGTERM');
    expect(await done).toBe(0);
    expect(w.child.signals).toEqual(['SIGTERM']);
    expect(w.out).toContain('ipfailover: SIGTERM received, stopping keepalived so it releases the VIPs');
    expect(w.signals.listenerCount('SIGTERM')).toBe(0);
  });

  test('SIGINT and SIGHUP stop it the same way', async () => {
    for (const signal of ['SIGINT', 'SIGHUP']) {
      const w = world();
      const done = runAgent({}, w.deps);
      await tick();
      w.signals.emit(signal);
      expect(await done).toBe(0);
      expect(w.child.signals).toEqual(['SIGTERM']);
    }
  });

  test('keepalived dying on its own makes the agent exit 1 so the pod restarts', async () => {
    const w = world();
    const done = runAgent({}, w.deps);
    await tick();
    w.child.exit(null, 'SIGSEGV');
    expect(await done).toBe(1);
    expect(w.err.at(-1)).toBe('ipfailover agent: keepalived exited on its own (SIGSEGV); exiting so the pod restarts');
  });

  test('keepalived missing: exit 1 with one line', async () => {
    const w = world();
    const done = runAgent({}, w.deps);
    await tick();
    w.child.emit('error', Object.assign(new Error('spawn keepalived ENOENT'), { code: 'ENOENT' }));
    expect(await done).toBe(1);
    expect(w.err.at(-1)).toBe('ipfailover agent: could not start keepalived: spawn keepalived ENOENT');
  });

  test('bad environment: exit 2, a short reason naming the variable, nothing written, nothing run', async () => {
    const w = world({ ...ENV, OPENSHIFT_HA_MONITOR_PORT: '80; rm -rf /', OPENSHIFT_HA_VIP_GROUPS: '{x}' });
    expect(await runAgent({}, w.deps)).toBe(2);
    expect(w.err).toHaveLength(1);
    expect(w.err[0]!.split('\n')).toEqual([
      "ipfailover agent: 'OPENSHIFT_HA_VIP_GROUPS' \"{x}\" is not a number of groups; use a whole number from 0 to 255",
      'and 1 more problem in: OPENSHIFT_HA_MONITOR_PORT',
    ]);
    expect(w.out).toEqual([]);
    expect(w.files.size).toBe(0);
    expect(w.spawned).toEqual([]);
    expect(w.host.calls).toEqual([]);
  });

  test('an interface the node does not have: exit 2 before writing anything', async () => {
    const w = world({ ...ENV, OPENSHIFT_HA_NETWORK_INTERFACE: 'ens3' });
    expect(await runAgent({}, w.deps)).toBe(2);
    expect(w.err).toEqual(["ipfailover agent: 'OPENSHIFT_HA_NETWORK_INTERFACE' \"ens3\" is not an interface of this node; set it to the node's interface (br-ex on OVN-Kubernetes)"]);
    expect(w.files.size).toBe(0);
  });

  test('unicast peers that do not list this node: exit 2 naming OPENSHIFT_HA_UNICAST_PEERS', async () => {
    const w = world({ ...ENV, OPENSHIFT_HA_USE_UNICAST: 'true', OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.7,192.0.2.8' });
    expect(await runAgent({}, w.deps)).toBe(2);
    expect(w.err[0]).toMatch(/^ipfailover agent: 'OPENSHIFT_HA_UNICAST_PEERS' "192.0.2.7,192.0.2.8" does not list this node's address/);
  });

  test("the node's address is read from the interface, skipping a VIP left behind by a crash", async () => {
    const w = world({ ...ENV, OPENSHIFT_HA_MONITOR_PORT: '8080' });
    w.host.addresses.set('eth0', [{ local: '192.0.2.10', prefixlen: 32, family: 'inet' }, { local: '192.0.2.5', prefixlen: 24, family: 'inet' }]);
    const done = runAgent({}, w.deps);
    await tick();
    expect(w.files.get('/etc/keepalived/keepalived.conf')).toContain("/dev/tcp/192.0.2.5/8080'");
    w.child.exit(0);
    await done;
  });

  test('a check script from a ConfigMap volume (mode 0755) runs: the config calls it', async () => {
    const w = world({ ...ENV, OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/mycheckscript.sh' });
    w.fs.configMapVolume('/etc/keepalive', { 'mycheckscript.sh': '#!/bin/sh\nexit 0\n' });
    const done = runAgent({}, w.deps);
    await tick();
    expect(w.err).toEqual([]);
    expect(w.files.get('/etc/keepalived/keepalived.conf')).toContain('script "/etc/keepalive/mycheckscript.sh"');
    w.child.exit(0);
    await done;
  });

  test('a check script that is not there: exit 2, one line naming the variable, the path and the fix; nothing written, nothing run', async () => {
    const w = world({ ...ENV, OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/mycheckscript.sh' });
    expect(await runAgent({}, w.deps)).toBe(2);
    expect(w.err).toEqual([
      'ipfailover agent: \'OPENSHIFT_HA_CHECK_SCRIPT\' "/etc/keepalive/mycheckscript.sh" does not exist; mount the script at that path in the pod (a ConfigMap volume with defaultMode 0755, as the docs do) or correct the path',
    ]);
    expect(w.files.size).toBe(0);
    expect(w.spawned).toEqual([]);
    expect(w.host.calls).toEqual([]);
  });

  test('check and notify scripts both unusable: the first in full, the other named on a second line', async () => {
    const w = world({ ...ENV, OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/check.sh', OPENSHIFT_HA_NOTIFY_SCRIPT: '/etc/keepalive/notify.sh' });
    w.fs.configMapVolume('/etc/keepalive', { 'check.sh': '#!/bin/sh\n', 'notify.sh': '#!/bin/sh\n' }, 0o644);
    expect(await runAgent({}, w.deps)).toBe(2);
    expect(w.err[0]!.split('\n')).toEqual([
      'ipfailover agent: \'OPENSHIFT_HA_CHECK_SCRIPT\' "/etc/keepalive/check.sh" is not readable and executable by nobody (uid 65534, gid 65534) (mode 0644, owner 0:0); make it mode 0755 (in a ConfigMap volume: defaultMode: 0755)',
      'and 1 more problem in: OPENSHIFT_HA_NOTIFY_SCRIPT',
    ]);
    expect(w.spawned).toEqual([]);
  });
});

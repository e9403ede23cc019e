import { EventEmitter } from 'node:events';
import { runAgent, type AgentDeps } from '../../lib/agent/agent';
import { WriteError } from '../../lib/agent/atomic-write';
import type { Responder, ServeFn } from '../../lib/agent/endpoints';
import { vrrpRuleSpec } from '../../lib/agent/iptables';
import { FakeChild, FakeFs, FakeHost, FakeLocks, FakeProcesses } from './fakes';

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
  /** The first keepalived started. */
  child: FakeChild;
  /** Every keepalived started, in order. */
  children: FakeChild[];
  /** Called with each keepalived after the first as it starts. */
  onRespawn: (child: FakeChild) => void;
  locks: FakeLocks;
  procs: FakeProcesses;
  signals: EventEmitter;
  out: string[];
  err: string[];
  files: Map<string, string>;
  spawned: Array<{ command: string; args: readonly string[] }>;
}

function world(env: Record<string, string> = ENV, locks = new FakeLocks()): World {
  const host = new FakeHost();
  const fs = new FakeFs();
  const child = new FakeChild();
  const children: FakeChild[] = [];
  const procs = new FakeProcesses();
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
      const next = children.length === 0 ? child : new FakeChild();
      children.push(next);
      if (next !== child) setImmediate(() => w.onRespawn(next));
      return next;
    },
    signals,
    hostname: 'worker-0',
    log: (l) => out.push(l),
    logError: (l) => err.push(l),
    writeFile: (p, t) => files.set(p, t),
    scriptFs: fs,
    lock: locks.lock,
    processes: procs,
    pid: 77,
  };
  const w: World = {
    deps,
    host,
    fs,
    child,
    children,
    onRespawn: () => undefined,
    locks,
    procs,
    signals,
    out,
    err,
    files,
    spawned,
  };
  return w;
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
    expect(w.spawned).toEqual([
      {
        command: 'keepalived',
        args: [
          '--dont-fork',
          '--log-console',
          '--no-syslog',
          '--vrrp',
          '-f',
          '/state/keepalived.conf',
          '-p',
          '/state/keepalived.pid',
          '-r',
          '/state/vrrp.pid',
          '-c',
          '/state/checkers.pid',
        ],
      },
    ]);
    w.child.exit(0);
    await done;
  });

  test("logs each state change in one line, naming the group's VRRP ID and VIPs", async () => {
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
      'ipfailover agent: \'OPENSHIFT_HA_VIP_GROUPS\' "{x}" is not a number of groups; use a whole number from 0 to 255',
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
    expect(w.err).toEqual([
      "ipfailover agent: 'OPENSHIFT_HA_NETWORK_INTERFACE' \"ens3\" is not an interface of this node; set it to the node's interface (br-ex on OVN-Kubernetes)",
    ]);
    expect(w.files.size).toBe(0);
  });

  test('unicast peers that do not list this node: exit 2 naming OPENSHIFT_HA_UNICAST_PEERS', async () => {
    const w = world({ ...ENV, OPENSHIFT_HA_USE_UNICAST: 'true', OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.7,192.0.2.8' });
    expect(await runAgent({}, w.deps)).toBe(2);
    expect(w.err[0]).toMatch(
      /^ipfailover agent: 'OPENSHIFT_HA_UNICAST_PEERS' "192.0.2.7,192.0.2.8" does not list this node's address/,
    );
  });

  test("the node's address is read from the interface, skipping a VIP left behind by a crash", async () => {
    const w = world({ ...ENV, OPENSHIFT_HA_MONITOR_PORT: '8080' });
    w.host.addresses.set('eth0', [
      { local: '192.0.2.10', prefixlen: 32, family: 'inet' },
      { local: '192.0.2.5', prefixlen: 24, family: 'inet' },
    ]);
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
    const w = world({
      ...ENV,
      OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/check.sh',
      OPENSHIFT_HA_NOTIFY_SCRIPT: '/etc/keepalive/notify.sh',
    });
    w.fs.configMapVolume('/etc/keepalive', { 'check.sh': '#!/bin/sh\n', 'notify.sh': '#!/bin/sh\n' }, 0o644);
    expect(await runAgent({}, w.deps)).toBe(2);
    expect(w.err[0]!.split('\n')).toEqual([
      'ipfailover agent: \'OPENSHIFT_HA_CHECK_SCRIPT\' "/etc/keepalive/check.sh" is not readable and executable by nobody (uid 65534, gid 65534) (mode 0644, owner 0:0); make it mode 0755 (in a ConfigMap volume: defaultMode: 0755)',
      'and 1 more problem in: OPENSHIFT_HA_NOTIFY_SCRIPT',
    ]);
    expect(w.spawned).toEqual([]);
  });
});

describe('ipfailover agent on faults (fakes)', () => {
  const VIPS = ['192.0.2.10', '192.0.2.11'];
  const holdVips = (w: World): void => {
    w.host.addresses.get('eth0')!.push(...VIPS.map((local) => ({ local, prefixlen: 32, family: 'inet' })));
  };

  test('a config that cannot be written whole: exit 2 naming the file and the fix; no rule, no keepalived', async () => {
    const w = world();
    w.deps = {
      ...w.deps,
      writeFile: (p) => {
        throw new WriteError(p, 'no space left on device (ENOSPC)', 'ENOSPC');
      },
    };
    expect(await runAgent({ stateDir: '/state' }, w.deps)).toBe(2);
    expect(w.err).toEqual([
      'ipfailover agent: could not write the keepalived config /state/keepalived.conf: no space left on device (ENOSPC); free space in /state or give --state-dir a directory with room',
    ]);
    expect(w.host.chains.get('INPUT')).toEqual([]);
    expect(w.spawned).toEqual([]);
    expect(w.locks.held.size).toBe(0);
  });

  test('a state dir that cannot be made (/proc/x): exit 2 at once naming the directory and the fix, no spinning', async () => {
    const w = world();
    // The real writer: the fake one would never reach /proc.
    const real: AgentDeps = { ...w.deps, writeFile: undefined };
    const started = Date.now();
    expect(await runAgent({ stateDir: '/proc/ipfailover-x' }, real)).toBe(2);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(w.err).toEqual([
      'ipfailover agent: could not write to the state directory /proc/ipfailover-x: no such file or directory (ENOENT); give --state-dir a writable directory (the image uses /var/lib/ipfailover)',
    ]);
    expect(w.spawned).toEqual([]);
  });

  test.each([
    [
      {},
      'worker-0\nvrrp_instance x {',
      'node name "worker-0\\nvrrp_instance x {" (from the host name) is not a DNS name; pass --node-name with the Kubernetes node name',
    ],
    [
      { nodeName: 'a b' },
      'worker-0',
      'node name "a b" (from --node-name) is not a DNS name; pass the Kubernetes node name',
    ],
  ])(
    'a node name that would reach the config as more than a name: exit 2 naming it (%j)',
    async (options, hostname, message) => {
      const w = world();
      expect(await runAgent(options, { ...w.deps, hostname })).toBe(2);
      expect(w.err).toEqual([`ipfailover agent: ${message} (letters, digits, '-' and '.', at most 253)`]);
      expect(w.files.size).toBe(0);
    },
  );

  test('a second agent of the same instance on the node: exit 2 naming the first; nothing written or run', async () => {
    const locks = new FakeLocks();
    const first = world(ENV, locks);
    const running = runAgent({ stateDir: '/a' }, first.deps);
    await tick();
    const second = world(ENV, locks);
    expect(await runAgent({ stateDir: '/b' }, second.deps)).toBe(2);
    expect(second.err).toEqual([
      "ipfailover agent: failover instance 'ipf' already runs on this node (the agent of 'ipf' on node worker-0, pid 77); both would be MASTER; stop the other agent, or give this one its own OPENSHIFT_HA_CONFIG_NAME and OPENSHIFT_HA_VRRP_ID_OFFSET",
    ]);
    expect(second.files.size).toBe(0);
    expect(second.spawned).toEqual([]);
    first.child.exit(0);
    await running;
    // The first one's lock goes with it: a new agent may start.
    expect(locks.held.size).toBe(0);
  });

  test('another instance with a VRRP ID of this one on the same interface: exit 2 naming the ID and the fix', async () => {
    const locks = new FakeLocks();
    const first = world({ ...ENV, OPENSHIFT_HA_CONFIG_NAME: 'other', OPENSHIFT_HA_VRRP_ID_OFFSET: '1' }, locks);
    const running = runAgent({}, first.deps);
    await tick();
    const second = world(ENV, locks);
    expect(await runAgent({}, second.deps)).toBe(2);
    expect(second.err).toEqual([
      "ipfailover agent: VRRP ID 2 on eth0 is already used on this node (the agent of 'other' on node worker-0, pid 77); both would be MASTER; give this instance a free OPENSHIFT_HA_VRRP_ID_OFFSET",
    ]);
    first.child.exit(0);
    await running;
  });

  test('keepalived not installed: exit 1 saying so, before the rule is added', async () => {
    const w = world();
    w.host.missing.add('keepalived');
    expect(await runAgent({}, w.deps)).toBe(1);
    expect(w.err).toEqual([
      'ipfailover agent: keepalived could not be run (spawn keepalived ENOENT); install keepalived (the image has it at /usr/sbin/keepalived) or put it on the PATH',
    ]);
    expect(w.host.chains.get('INPUT')).toEqual([]);
    expect(w.spawned).toEqual([]);
  });

  test('keepalived that cannot be started after the rule was added: the rule this run added is deleted again', async () => {
    const w = world();
    const done = runAgent({}, w.deps);
    await tick();
    expect(w.host.chains.get('INPUT')).toEqual([vrrpRuleSpec('ipf')]);
    w.child.emit('error', Object.assign(new Error('spawn keepalived EACCES'), { code: 'EACCES' }));
    expect(await done).toBe(1);
    expect(w.host.chains.get('INPUT')).toEqual([]);
  });

  test('iptables not installed: exit 1 naming the program and the fix, not "chain INPUT does not exist"; keepalived not started', async () => {
    const w = world();
    w.host.missing.add('iptables');
    expect(await runAgent({}, w.deps)).toBe(1);
    expect(w.err).toEqual([
      'ipfailover agent: iptables could not be run (spawn iptables ENOENT); install iptables (the nft backend, as the image has) or set OPENSHIFT_HA_IPTABLES_CHAIN to "" to manage no rule',
    ]);
    expect(w.out.join('\n')).not.toMatch(/does not exist/);
    expect(w.spawned).toEqual([]);
  });

  test('keepalived killed with its VIPs on the interface (as root): the agent deletes them with ip, then exits 1', async () => {
    const w = world();
    const done = runAgent({}, w.deps);
    await tick();
    holdVips(w);
    w.child.exit(null, 'SIGKILL');
    expect(await done).toBe(1);
    expect(w.host.held()).toEqual(['192.0.2.1']);
    expect(w.out).toContain('ipfailover: released 192.0.2.10, 192.0.2.11 from eth0 (keepalived left them)');
    expect(w.err.at(-1)).toBe('ipfailover agent: keepalived exited on its own (SIGKILL); exiting so the pod restarts');
    expect(w.spawned).toHaveLength(1);
  });

  test('as nobody, where ip is refused: keepalived is run once more, deletes them as it starts, and is stopped', async () => {
    const w = world();
    w.host.ipDenied = true;
    w.onRespawn = (again) => {
      // What keepalived 2.2.7 does: each instance enters BACKUP at start, deleting its VIPs.
      w.host.addresses.set('eth0', [{ local: '192.0.2.1', prefixlen: 24, family: 'inet' }]);
      again.print('(ipf_VIP_1) Entering BACKUP STATE (init)');
      again.print('(ipf_VIP_2) Entering BACKUP STATE (init)');
    };
    const done = runAgent({ stateDir: '/s' }, w.deps);
    await tick();
    holdVips(w);
    w.child.exit(null, 'SIGKILL');
    expect(await done).toBe(1);
    expect(w.spawned).toHaveLength(2);
    expect(w.spawned[1]).toEqual(w.spawned[0]);
    expect(w.children[1]!.signals).toEqual(['SIGTERM']);
    expect(w.host.held()).toEqual(['192.0.2.1']);
    expect(w.out).toContain(
      'ipfailover: released 192.0.2.10, 192.0.2.11 from eth0 through keepalived (keepalived left them)',
    );
  });

  test('VIPs nothing could delete: one line naming them and the fix', async () => {
    const w = world();
    w.host.ipDenied = true;
    w.onRespawn = (again) => again.exit(1);
    const done = runAgent({}, w.deps);
    await tick();
    holdVips(w);
    w.child.exit(null, 'SIGKILL');
    expect(await done).toBe(1);
    expect(w.err).toContain(
      'ipfailover agent: 192.0.2.10, 192.0.2.11 still on eth0 after keepalived died (ip: RTNETLINK answers: Operation not permitted); run ipfailover remove as root on this node (the removal Job) to release them',
    );
  });

  test('a keepalived an earlier run left for this config is stopped first; a stale pid file naming another process is deleted', async () => {
    const w = world();
    w.procs.files.set('/s/keepalived.pid', 10).set('/s/vrrp.pid', 11).set('/s/checkers.pid', 12);
    w.procs.commands.set(10, 'keepalived --dont-fork -f /s/keepalived.conf -p /s/keepalived.pid');
    w.procs.commands.set(11, 'keepalived --dont-fork -f /s/keepalived.conf -p /s/keepalived.pid');
    // The pid of a process long gone, now another program's: keepalived would think itself running.
    w.procs.commands.set(12, 'node /opt/ipfailover/dist/cli.js agent');
    const done = runAgent({ stateDir: '/s' }, w.deps);
    await tick();
    expect(w.procs.signals).toEqual([
      [10, 'SIGTERM'],
      [11, 'SIGTERM'],
    ]);
    expect(w.procs.files.size).toBe(0);
    expect(w.out).toContain(
      'ipfailover: stopped keepalived 10, 11 left running for /s/keepalived.conf by an earlier run',
    );
    expect(w.out).toContain('ipfailover: deleted stale pid file(s) /s/checkers.pid');
    expect(w.spawned).toHaveLength(1);
    w.child.exit(0);
    await done;
  });
});

describe('ipfailover agent: /metrics and /readyz (fakes)', () => {
  /** A `serve` that records where it was asked to listen and hands the test the responder. */
  function fakeServe(fail?: NodeJS.ErrnoException): {
    serve: ServeFn;
    calls: Array<{ address: string; port: number }>;
    respond: () => Responder;
    closed: () => boolean;
  } {
    const calls: Array<{ address: string; port: number }> = [];
    let responder: Responder | undefined;
    let closed = false;
    return {
      calls,
      respond: () => responder!,
      closed: () => closed,
      serve: async (address, port, respond) => {
        calls.push({ address, port });
        if (fail) throw fail;
        responder = respond;
        return {
          url: `http://${address}:${port}`,
          close: async () => {
            closed = true;
          },
        };
      },
    };
  }

  const CHECKED = { ...ENV, OPENSHIFT_HA_MONITOR_PORT: '80', OPENSHIFT_HA_VRRP_ID_OFFSET: '10' };

  test('serves on the node address and 63000 + offset; readiness and metrics follow keepalived; closed when it exits', async () => {
    const fake = fakeServe();
    const w = world(CHECKED);
    const done = runAgent({}, { ...w.deps, serve: fake.serve, version: '9.9.9' });
    await tick();
    expect(fake.calls).toEqual([{ address: '192.0.2.1', port: 63010 }]);
    expect(w.out).toContain('ipfailover: serving /metrics and /readyz on http://192.0.2.1:63010');
    const ready = async (): Promise<string> => (await fake.respond()('GET', '/readyz')).body;
    expect(await ready()).toBe('not ready: keepalived not started\n');

    w.child.print('Mon Nov 23 23:39:07 2026: Starting VRRP child process, pid=10605');
    w.child.print('Mon Nov 23 23:39:07 2026: VRRP_Script(chk_ipf) failed (exited with status 1)');
    await tick();
    // keepalived says nothing of the instances when the check fails from the start; the agent does.
    expect(w.out.filter((l) => / (MASTER|BACKUP|FAULT)$/.test(l))).toEqual([
      'ipfailover: ipf_VIP_1 (vrid 11 192.0.2.10) FAULT',
      'ipfailover: ipf_VIP_2 (vrid 12 192.0.2.11) FAULT',
    ]);
    expect(await fake.respond()('GET', '/readyz')).toMatchObject({
      status: 503,
      body: 'not ready: every group FAULT (check chk_ipf failing): this node can hold none of its VIPs\n',
    });

    w.child.print('Mon Nov 23 23:39:11 2026: VRRP_Script(chk_ipf) succeeded');
    w.child.print('Mon Nov 23 23:39:11 2026: (ipf_VIP_1) Entering BACKUP STATE');
    await tick();
    expect(await fake.respond()('GET', '/readyz')).toMatchObject({ status: 200 });
    const metrics = (await fake.respond()('GET', '/metrics')).body;
    expect(metrics).toContain(
      'ipfailover_info{config="ipf",node="worker-0",interface="eth0",vrrp_id_offset="10",groups="2",version="9.9.9",keepalived_version="2.2.7"} 1',
    );
    expect(metrics).toContain(
      'ipfailover_vrrp_state{config="ipf",group="1",vrid="11",vips="192.0.2.10",state="BACKUP"} 1',
    );
    expect(metrics).toContain('ipfailover_check_up{config="ipf",script="chk_ipf"} 1');

    w.signals.emit('SIGTERM');
    expect(await done).toBe(0);
    expect(fake.closed()).toBe(true);
  });

  test('IPFAILOVER_LISTEN_ADDRESS (the pod IP) is where it serves', async () => {
    const fake = fakeServe();
    const w = world({ ...ENV, IPFAILOVER_LISTEN_ADDRESS: '10.1.2.3' });
    const done = runAgent({}, { ...w.deps, serve: fake.serve });
    await tick();
    expect(fake.calls).toEqual([{ address: '10.1.2.3', port: 63000 }]);
    w.child.exit(0);
    await done;
  });

  test('IPFAILOVER_LISTEN_ADDRESS that is no address: exit 2 naming it, nothing written', async () => {
    const fake = fakeServe();
    const w = world({ ...ENV, IPFAILOVER_LISTEN_ADDRESS: 'pod-ip' });
    expect(await runAgent({}, { ...w.deps, serve: fake.serve })).toBe(2);
    expect(w.err).toEqual([expect.stringMatching(/^ipfailover agent: 'IPFAILOVER_LISTEN_ADDRESS' "pod-ip" /)]);
    expect(fake.calls).toEqual([]);
    expect(w.files.size).toBe(0);
  });

  test('the port cannot be had: one line with the fix, and keepalived runs anyway (the VIPs come first)', async () => {
    const fake = fakeServe(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }));
    const w = world();
    const done = runAgent({}, { ...w.deps, serve: fake.serve });
    await tick();
    expect(w.err).toContain(
      'ipfailover agent: could not serve /metrics and /readyz on 192.0.2.1:63000 (EADDRINUSE); keepalived runs without them, and the readiness probe fails; another program listens on port 63000 of this node; stop it, or move this instance (the port is 63000 + OPENSHIFT_HA_VRRP_ID_OFFSET)',
    );
    expect(w.spawned).toHaveLength(1);
    w.child.exit(0);
    await done;
  });
});

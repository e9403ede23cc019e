/**
 * Real failover: three "nodes" (network namespaces on a bridge) each run the built
 * `ipfailover agent` with the same environment, against real keepalived. Assertions are about
 * where the VIPs are, never about how fast they got there (timings are in `npm run bench`).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { preferenceOrders } from '../../lib/core/node/priorities';
import { Cluster, buildCli, peersOf, skipReason, waitFor, type Agent } from './cluster';

const reason = skipReason();
const suite = reason === undefined ? describe : describe.skip;
if (reason !== undefined) console.warn(`e2e failover tests skipped: ${reason}`);

const VIPS = ['192.0.2.101', '192.0.2.102', '192.0.2.103', '192.0.2.104', '192.0.2.105', '192.0.2.106'];

/** The same environment on every node: six single-VIP groups, unicast, no check unless asked. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPENSHIFT_HA_CONFIG_NAME: 'e2e',
    OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.101-106',
    OPENSHIFT_HA_NETWORK_INTERFACE: 'eth0',
    OPENSHIFT_HA_REPLICA_COUNT: '3',
    OPENSHIFT_HA_USE_UNICAST: 'true',
    OPENSHIFT_HA_UNICAST_PEERS: peersOf(3),
    OPENSHIFT_HA_MONITOR_PORT: '0',
    OPENSHIFT_HA_IPTABLES_CHAIN: '',
    // The fast profile (VRRPv3, 0.1 s adverts) wherever the assertion is not about the default.
    IPFAILOVER_ADVERT_INTERVAL: '0.1',
    ...extra,
  };
}

const ownersOf = (cluster: Cluster, vip: string): number[] => cluster.owners([vip]).get(vip)!;

/** The node each group prefers among the peer list (node i has address 192.0.2.i+1): two each. */
const FIRST_CHOICES = preferenceOrders(peersOf(3).split(','), VIPS.length).map((order) =>
  peersOf(3).split(',').indexOf(order[0]!),
);

/** The pids of the keepalived processes (parent and VRRP child) of node i's agent. */
function keepalivedPids(cluster: Cluster, i: number, state = `n${i}`): number[] {
  const r = spawnSync('pgrep', ['-f', `${cluster.stateRoot}/${state}/keepalived.conf`], { encoding: 'utf8' });
  return r.stdout
    .trim()
    .split('\n')
    .filter((p) => p !== '')
    .map(Number);
}

/** Polls as fast as `condition` runs until it holds (20 s at most); resolves with the moment it did. */
async function timeUntil(condition: () => boolean): Promise<number> {
  const end = performance.now() + 20_000;
  while (!condition()) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setImmediate(r));
  }
  return performance.now();
}

/** The absolute path of a program on the PATH. */
function which(program: string): string {
  return spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
}

suite(`failover between three network-namespace nodes${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let cli: string;
  let cluster: Cluster;
  const services: ChildProcess[] = [];

  beforeAll(() => {
    cli = buildCli();
  }, 60_000);

  beforeEach(() => {
    cluster = new Cluster('ipfe2e', 3, cli);
    cluster.up();
  });

  afterEach(() => {
    for (const s of services.splice(0)) if (s.exitCode === null) s.kill('SIGKILL');
    cluster?.destroy();
  });

  afterAll(() => cluster?.destroy());

  const startAll = (e: Record<string, string>): Agent[] => [0, 1, 2].map((i) => cluster.startAgent(i, e));

  test('default profile, all nodes starting together: every VIP on exactly one node, two per node', async () => {
    // At start the first choice of a group wins the race to MASTER by its skew (0.18 s here); an
    // agent that starts later than that catches up after the preempt delay, kept short here so
    // the balanced placement is reached however the three processes happen to be scheduled.
    startAll(env({ IPFAILOVER_ADVERT_INTERVAL: '1', OPENSHIFT_HA_PREEMPTION: 'preempt_delay 2' }));
    await waitFor('every VIP owned once', () => cluster.oneOwnerEach(VIPS));
    await waitFor(
      'the balanced placement',
      () => VIPS.every((vip, g) => ownersOf(cluster, vip).join() === String(FIRST_CHOICES[g])),
      20_000,
    );
    // Let a few more adverts pass: the placement must be stable, not a transient.
    await new Promise((r) => setTimeout(r, 2500));
    expect(cluster.oneOwnerEach(VIPS)).toBe(true);
    const perNode = [0, 1, 2].map((i) => VIPS.filter((vip) => ownersOf(cluster, vip)[0] === i).length);
    expect(perNode).toEqual([2, 2, 2]);
    // Each group is held by its first choice among the peer list.
    expect(VIPS.map((vip) => ownersOf(cluster, vip)[0])).toEqual(FIRST_CHOICES);
  }, 60_000);

  test("a node's link goes down: its VIPs move to the others, each still held once", async () => {
    startAll(env());
    await waitFor('every VIP owned once', () => cluster.oneOwnerEach(VIPS));
    // Whichever node won the start-up race for the first group (under load, not always node 0).
    const victim = ownersOf(cluster, VIPS[0]!)[0]!;
    const mine = VIPS.filter((vip) => ownersOf(cluster, vip)[0] === victim);
    cluster.setLink(victim, false);
    await waitFor("the victim's VIPs on other nodes", () =>
      mine.every((vip) => {
        const o = ownersOf(cluster, vip);
        return o.length === 1 && o[0] !== victim;
      }),
    );
    expect(cluster.oneOwnerEach(VIPS)).toBe(true);
  }, 60_000);

  test("multicast (no peers): every VIP on exactly one node; a lost node's VIPs move", async () => {
    startAll(
      env({ OPENSHIFT_HA_USE_UNICAST: '', OPENSHIFT_HA_UNICAST_PEERS: '', OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT' }),
    );
    await waitFor('every VIP owned once', () => cluster.oneOwnerEach(VIPS));
    for (let i = 0; i < 3; i++) expect(cluster.vrrpRules(i, 'INPUT', 'e2e')).toHaveLength(1);
    const victim = ownersOf(cluster, VIPS[0]!)[0]!;
    const lost = VIPS.filter((vip) => ownersOf(cluster, vip)[0] === victim);
    cluster.setLink(victim, false);
    await waitFor("the lost node's VIPs elsewhere", () =>
      lost.every((vip) => {
        const o = ownersOf(cluster, vip);
        return o.length === 1 && o[0] !== victim;
      }),
    );
    expect(cluster.oneOwnerEach(VIPS)).toBe(true);
  }, 60_000);

  test('SIGTERM to an agent: its VIPs are handed over, it releases them and exits 0', async () => {
    const agents = startAll(env());
    await waitFor('every VIP owned once', () => cluster.oneOwnerEach(VIPS));
    const victim = ownersOf(cluster, VIPS[0]!)[0]!;
    const mine = VIPS.filter((vip) => ownersOf(cluster, vip)[0] === victim);
    agents[victim]!.child.kill('SIGTERM');
    expect(await agents[victim]!.exited).toBe(0);
    expect(cluster.addresses(victim).filter((a) => VIPS.includes(a))).toEqual([]);
    await waitFor("the victim's VIPs taken over", () =>
      mine.every((vip) => {
        const o = ownersOf(cluster, vip);
        return o.length === 1 && o[0] !== victim;
      }),
    );
    expect(cluster.oneOwnerEach(VIPS)).toBe(true);
    expect(agents[victim]!.lines).toContain(
      'ipfailover: SIGTERM received, stopping keepalived so it releases the VIPs',
    );
    expect(agents[victim]!.lines.some((l) => /Traceback|Error:|at .*\.js:\d+/.test(l))).toBe(false);
  }, 60_000);

  test('the watched service dies on the master: its VIPs move to a healthy node', async () => {
    const port = 18080;
    for (let i = 0; i < 3; i++) services.push(cluster.startService(i, port));
    await waitFor('services listening', () => [0, 1, 2].every((i) => cluster.listening(i, port)));
    const agents = startAll(env({ OPENSHIFT_HA_MONITOR_PORT: String(port), OPENSHIFT_HA_CHECK_INTERVAL: '1' }));
    await waitFor('every VIP owned once', () => cluster.oneOwnerEach(VIPS));
    // The check ran as script_user nobody under script security, and keepalived had nothing to say about it.
    for (const a of agents)
      expect(
        a.lines.filter((l) =>
          /WARNING|SECURITY VIOLATION|Unknown keyword|Unsafe|not executable|Disabling|error/i.test(l),
        ),
      ).toEqual([]);
    const victim = ownersOf(cluster, VIPS[0]!)[0]!;
    const mine = VIPS.filter((vip) => ownersOf(cluster, vip)[0] === victim);
    services[victim]!.kill('SIGKILL');
    await waitFor("the victim's VIPs moved", () =>
      mine.every((vip) => {
        const o = ownersOf(cluster, vip);
        return o.length === 1 && o[0] !== victim;
      }),
    );
    expect(cluster.addresses(victim).filter((a) => VIPS.includes(a))).toEqual([]);
    expect(cluster.oneOwnerEach(VIPS)).toBe(true);
  }, 60_000);

  test('a partition heals: exactly one owner per VIP again', async () => {
    startAll(env());
    await waitFor('every VIP owned once', () => cluster.oneOwnerEach(VIPS));
    cluster.setPartitioned(0, true);
    // Cut off, node 0 keeps its VIPs while the others take them too: two owners.
    await waitFor('split brain during the partition', () => VIPS.some((vip) => ownersOf(cluster, vip).length === 2));
    cluster.setPartitioned(0, false);
    await waitFor('one owner per VIP after healing', () => cluster.oneOwnerEach(VIPS));
    await new Promise((r) => setTimeout(r, 1000));
    expect(cluster.oneOwnerEach(VIPS)).toBe(true);
  }, 60_000);

  test('three agent restarts leave exactly one iptables rule; remove deletes it and releases the VIPs, twice', async () => {
    const e = env({
      OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
      OPENSHIFT_HA_USE_UNICAST: '',
      OPENSHIFT_HA_UNICAST_PEERS: '',
    });
    for (let round = 0; round < 3; round++) {
      const agent = cluster.startAgent(0, e);
      await waitFor('keepalived running', () => agent.lines.includes('ipfailover: keepalived running'));
      expect(cluster.vrrpRules(0, 'INPUT', 'e2e')).toHaveLength(1);
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
    }
    expect(cluster.vrrpRules(0, 'INPUT', 'e2e')).toHaveLength(1);

    // A crash (SIGKILL) leaves the VIPs behind; that is what the removal Job cleans up.
    const agent = cluster.startAgent(0, e);
    await waitFor('node 0 holds every VIP alone', () => VIPS.every((vip) => cluster.addresses(0).includes(vip)));
    const keepalivedPids = cluster
      .exec(0, 'pgrep', '-f', `${cluster.stateRoot}/n0/keepalived.conf`)
      .trim()
      .split('\n')
      .map(Number);
    // Freeze everything first: killed one by one, keepalived's VRRP child would get its parent-death
    // SIGTERM and release the VIPs cleanly, which is not a crash.
    const crashed = [...keepalivedPids, agent.child.pid!];
    for (const pid of crashed) process.kill(pid, 'SIGSTOP');
    for (const pid of crashed) process.kill(pid, 'SIGKILL');
    await agent.exited;
    expect(VIPS.every((vip) => cluster.addresses(0).includes(vip))).toBe(true);

    const first = cluster.runCli(0, e, 'remove');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain('1 VRRP rule(s) deleted from chain INPUT');
    expect(cluster.vrrpRules(0, 'INPUT', 'e2e')).toEqual([]);
    expect(cluster.addresses(0).filter((a) => VIPS.includes(a))).toEqual([]);
    expect(cluster.addresses(0)).toContain(cluster.address(0));

    const second = cluster.runCli(0, e, 'remove');
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toContain('0 VRRP rule(s) deleted');
    expect(second.stdout).toContain('0 VIP(s) released');
  }, 90_000);

  test('no rule when the chain is empty; a missing chain adds none and keepalived still runs', async () => {
    const empty = cluster.startAgent(0, env({ OPENSHIFT_HA_IPTABLES_CHAIN: '' }));
    await waitFor('keepalived running', () => empty.lines.includes('ipfailover: keepalived running'));
    expect(
      cluster
        .exec(0, 'iptables', '-S')
        .split('\n')
        .filter((l) => l.includes('ipfailover:')),
    ).toEqual([]);
    const missing = cluster.startAgent(1, env({ OPENSHIFT_HA_IPTABLES_CHAIN: 'NO-SUCH-CHAIN' }));
    await waitFor('keepalived running', () => missing.lines.includes('ipfailover: keepalived running'));
    expect(missing.lines).toContain(
      'ipfailover: iptables chain NO-SUCH-CHAIN does not exist, so no rule was added; VRRP runs unicast to the peers',
    );
    expect(
      cluster
        .exec(1, 'iptables', '-S')
        .split('\n')
        .filter((l) => l.includes('ipfailover:')),
    ).toEqual([]);
  }, 60_000);

  test('keepalived killed while master (split brain before): the agent releases its VIPs, the peer alone holds them, the agent exits 1', async () => {
    const agents = [0, 1].map((i) =>
      cluster.startAgent(i, env({ OPENSHIFT_HA_REPLICA_COUNT: '2', OPENSHIFT_HA_UNICAST_PEERS: peersOf(2) })),
    );
    await waitFor('every VIP owned once', () => cluster.oneOwnerEach(VIPS));
    const victim = ownersOf(cluster, VIPS[0]!)[0]!;
    const mine = VIPS.filter((vip) => ownersOf(cluster, vip)[0] === victim);
    const pids = keepalivedPids(cluster, victim);
    // Both keepalived processes at once, frozen first: killed one by one, the VRRP child would get
    // its parent-death SIGTERM and release the VIPs itself, which is not what a crash does.
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const killedAt = performance.now();
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const gone = await timeUntil(() => cluster.addresses(victim).every((a) => !VIPS.includes(a)));
    console.log(
      `keepalived SIGKILLed on node ${victim} (agent as root, ip): its VIPs gone from the node after ${(gone - killedAt).toFixed(0)} ms`,
    );
    expect(await agents[victim]!.exited).toBe(1);
    await waitFor('every VIP on the peer alone', () =>
      VIPS.every((vip) => ownersOf(cluster, vip).join() === String(1 - victim)),
    );
    const released = agents[victim]!.lines.map(
      (l) => /^ipfailover: released (.*) from eth0 \(keepalived left them\)$/.exec(l)?.[1],
    ).find((l) => l !== undefined);
    expect(released?.split(', ').sort()).toEqual(mine);
    expect(agents[victim]!.lines.at(-1)).toBe(
      'ipfailover agent: keepalived exited on its own (SIGKILL); exiting so the pod restarts',
    );
  }, 60_000);

  test('an orphaned keepalived and a stale pid file: the next agent takes over instead of failing with "exited on its own (code 0)"', async () => {
    const e = env();
    const first = cluster.startAgent(0, e);
    await waitFor('keepalived running', () => first.lines.includes('ipfailover: keepalived running'));
    const orphans = keepalivedPids(cluster, 0);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(keepalivedPids(cluster, 0)).toEqual(orphans);
    const second = cluster.startAgent(0, e);
    await waitFor('keepalived running again', () => second.lines.includes('ipfailover: keepalived running'));
    expect(second.lines).toContain(
      `ipfailover: stopped keepalived ${orphans.join(', ')} left running for ${cluster.stateRoot}/n0/keepalived.conf by an earlier run`,
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // A pid file naming a live process that is no keepalived (a reused pid in a container).
    writeFileSync(join(cluster.stateRoot, 'n0', 'keepalived.pid'), `${process.pid}\n`);
    const third = cluster.startAgent(0, e);
    await waitFor('keepalived running despite the stale pid file', () =>
      third.lines.includes('ipfailover: keepalived running'),
    );
    expect(third.lines).toContain(`ipfailover: deleted stale pid file(s) ${cluster.stateRoot}/n0/keepalived.pid`);
  }, 60_000);

  test('a second agent of the same instance on a node is refused; a second instance with another name and IDs runs', async () => {
    const first = cluster.startAgent(0, env());
    await waitFor('keepalived running', () => first.lines.includes('ipfailover: keepalived running'));
    const twin = cluster.startAgent(0, env(), 'n0-twin');
    expect(await twin.exited).toBe(2);
    expect(twin.lines).toEqual([
      expect.stringMatching(
        /^ipfailover agent: failover instance 'e2e' already runs on this node \(the agent of 'e2e' on node node-0, pid \d+\); both would be MASTER; /,
      ),
    ]);
    const sameIds = cluster.startAgent(0, env({ OPENSHIFT_HA_CONFIG_NAME: 'other' }), 'n0-other');
    expect(await sameIds.exited).toBe(2);
    expect(sameIds.lines).toEqual([
      expect.stringMatching(
        /^ipfailover agent: VRRP ID 1 on eth0 is already used on this node \(the agent of 'e2e' on node node-0/,
      ),
    ]);
    const distinct = cluster.startAgent(
      0,
      env({
        OPENSHIFT_HA_CONFIG_NAME: 'other',
        OPENSHIFT_HA_VRRP_ID_OFFSET: '20',
        OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.150',
      }),
      'n0-distinct',
    );
    await waitFor('the other instance running', () => distinct.lines.includes('ipfailover: keepalived running'));
    expect(first.child.exitCode).toBeNull();
  }, 60_000);

  test('remove while the agent runs: refused, exit 1, the rule and the VIPs left to the agent', async () => {
    const e = env({
      OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
      OPENSHIFT_HA_USE_UNICAST: '',
      OPENSHIFT_HA_UNICAST_PEERS: '',
    });
    const agent = cluster.startAgent(0, e);
    await waitFor('node 0 holds every VIP', () => VIPS.every((vip) => cluster.addresses(0).includes(vip)));
    const refused = cluster.runCli(0, e, 'remove');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^ipfailover remove: failover instance 'e2e' is still running on this node \(the agent of 'e2e' on node node-0, pid \d+\); nothing was changed; stop the failover pods first/,
    );
    expect(cluster.vrrpRules(0, 'INPUT', 'e2e')).toHaveLength(1);
    expect(VIPS.every((vip) => cluster.addresses(0).includes(vip))).toBe(true);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect(cluster.runCli(0, e, 'remove')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('1 VRRP rule(s) deleted'),
    });
  }, 60_000);

  test('iptables or keepalived missing: exit 1 naming the program; a missing keepalived leaves no rule', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'ipfe2e-bin-'));
    try {
      symlinkSync(which('ip'), join(bin, 'ip'));
      symlinkSync(which('keepalived'), join(bin, 'keepalived'));
      const e = env({ OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT', PATH: bin });
      const noIptables = cluster.startAgent(0, e);
      expect(await noIptables.exited).toBe(1);
      expect(noIptables.lines.at(-1)).toMatch(
        /^ipfailover agent: iptables could not be run \(spawn iptables ENOENT\); install iptables/,
      );
      expect(cluster.runCli(0, e, 'remove')).toMatchObject({
        code: 1,
        stdout: '',
        stderr: expect.stringMatching(/^ipfailover remove: iptables could not be run/),
      });

      rmSync(join(bin, 'keepalived'));
      symlinkSync(which('iptables'), join(bin, 'iptables'));
      const noKeepalived = cluster.startAgent(1, e);
      expect(await noKeepalived.exited).toBe(1);
      expect(noKeepalived.lines.at(-1)).toBe(
        'ipfailover agent: keepalived could not be run (spawn keepalived ENOENT); install keepalived (the image has it at /usr/sbin/keepalived) or put it on the PATH',
      );
      expect(cluster.vrrpRules(1, 'INPUT', 'e2e')).toEqual([]);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 30_000);

  test('a state dir that cannot be made (/proc/x): exit 2 at once with one line naming it', async () => {
    const agent = cluster.startAgentAs(0, env(), [], '/proc/ipfe2e-x');
    expect(await agent.exited).toBe(2);
    expect(agent.lines).toEqual([
      'ipfailover agent: could not write to the state directory /proc/ipfe2e-x: no such file or directory (ENOENT); give --state-dir a writable directory (the image uses /var/lib/ipfailover)',
    ]);
  }, 30_000);

  test('bad environment: exit 2, one line naming the variable, nothing written, keepalived never started', async () => {
    const agent = cluster.startAgent(0, env({ OPENSHIFT_HA_NETWORK_INTERFACE: 'eth0"; reboot' }));
    expect(await agent.exited).toBe(2);
    expect(agent.lines).toHaveLength(1);
    expect(agent.lines[0]).toMatch(/^ipfailover agent: 'OPENSHIFT_HA_NETWORK_INTERFACE' .* is not an interface name/);
    const noIface = cluster.startAgent(1, env({ OPENSHIFT_HA_NETWORK_INTERFACE: 'eth9' }));
    expect(await noIface.exited).toBe(2);
    expect(noIface.lines).toEqual([
      expect.stringMatching(/'OPENSHIFT_HA_NETWORK_INTERFACE' "eth9" is not an interface of this node/),
    ]);
  }, 30_000);
});

/**
 * The image runs the agent as `nobody` with file capabilities on keepalived and iptables (see
 * the Dockerfile). This test reproduces that on the host, quickly, for `npm test`: copies of the
 * two binaries with the same file capabilities, first on the PATH of an agent started as uid
 * 65534 with no capabilities of its own, in a network namespace made by the test. The image
 * itself is built and run as a pod in test/image (`npm run test:image`).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Cluster, buildCli, skipReason, waitFor } from './cluster';

/** The capabilities the Dockerfile gives each binary. */
const FILE_CAPS: ReadonlyArray<[string, string, string]> = [
  ['/usr/sbin/keepalived', 'keepalived', 'cap_net_admin,cap_net_raw,cap_setuid,cap_setgid+ep'],
  ['/usr/sbin/xtables-nft-multi', 'iptables', 'cap_net_admin,cap_net_raw+ep'],
];

const NOBODY = 65534;

function why(): string | undefined {
  const base = skipReason();
  if (base) return base;
  if (spawnSync('setcap', ['-v', '']).error) return 'setcap is not installed (apt-get install libcap2-bin)';
  if (spawnSync('setpriv', ['--version']).error) return 'setpriv is not installed (util-linux)';
  return undefined;
}

const reason = why();
const suite = reason === undefined ? describe : describe.skip;
if (reason !== undefined) console.warn(`non-root agent test skipped: ${reason}`);

suite(`the agent as nobody with file capabilities, as in the image${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let cluster: Cluster;
  let bin: string;
  let cli: string;
  let state: string;
  const services: ChildProcess[] = [];

  beforeAll(() => {
    // Directly under /tmp: the test's own temporary directory may be private to root, and nobody
    // must reach the CLI, the binaries and the state directory.
    const shared = mkdtempSync('/tmp/ipfnr-');
    chmodSync(shared, 0o755);
    cpSync(dirname(buildCli()), join(shared, 'cli'), { recursive: true });
    chmodSync(join(shared, 'cli'), 0o755);
    cli = join(shared, 'cli', 'cli.js');
    bin = join(shared, 'bin');
    mkdirSync(bin, { mode: 0o755 });
    chmodSync(bin, 0o755);
    for (const [source, name, caps] of FILE_CAPS) {
      copyFileSync(source, join(bin, name));
      chmodSync(join(bin, name), 0o755);
      const r = spawnSync('setcap', [caps, join(bin, name)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`setcap ${caps} ${name}: ${r.stderr}`);
    }
    state = shared;
    mkdirSync(join(state, 'run'));
    chownSync(join(state, 'run'), NOBODY, NOBODY);
    cluster = new Cluster('ipfnr', 1, cli);
    cluster.up();
  }, 60_000);

  afterAll(() => {
    for (const s of services) if (s.exitCode === null) s.kill('SIGKILL');
    cluster?.destroy();
    if (state) rmSync(state, { recursive: true, force: true });
  });

  test('gets the VIP, adds the rule, fails over on a failing check (the script runs), releases on SIGTERM', async () => {
    const port = 18090;
    services.push(cluster.startService(0, port));
    await waitFor('service listening', () => cluster.listening(0, port));
    const env = {
      OPENSHIFT_HA_CONFIG_NAME: 'nonroot',
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.120',
      OPENSHIFT_HA_REPLICA_COUNT: '1',
      OPENSHIFT_HA_MONITOR_PORT: String(port),
      OPENSHIFT_HA_CHECK_INTERVAL: '1',
      OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
      IPFAILOVER_ADVERT_INTERVAL: '0.1',
      PATH: `${bin}:${process.env.PATH}`,
    };
    const agent = cluster.startAgentAs(
      0,
      env,
      ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--inh-caps=-all'],
      join(state, 'run'),
    );
    await waitFor('the VIP on node 0', () => cluster.addresses(0).includes('192.0.2.120')).catch((e: Error) => {
      throw new Error(`${e.message}; the agent said:\n${agent.lines.join('\n')}`);
    });
    expect(cluster.vrrpRules(0, 'INPUT', 'nonroot')).toHaveLength(1);
    // Really unprivileged: the agent and both keepalived processes run as nobody.
    const keepalived = spawnSync('pgrep', ['-f', `${join(state, 'run')}/keepalived.conf`], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    expect(keepalived).toHaveLength(2);
    for (const pid of [String(agent.child.pid), ...keepalived])
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\t65534\t65534\t65534\t65534$/m);
    expect(agent.lines.filter((l) => /Couldn't|WARNING|Unsafe|not permitted|denied/i.test(l))).toEqual([]);

    // The check really runs as nobody: with the service gone it fails and the VIP is released.
    services[0]!.kill('SIGKILL');
    await waitFor('the VIP released on a failing check', () => !cluster.addresses(0).includes('192.0.2.120'));
    await waitFor('the FAULT line', () => agent.lines.includes('ipfailover: nonroot_VIP_1 (vrid 1 192.0.2.120) FAULT'));

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);

    // The removal Job runs as root (`ip` drops file capabilities for non-root users).
    const removed = cluster.runCli(0, env, 'remove');
    expect(removed).toMatchObject({ code: 0, stderr: '' });
    expect(cluster.vrrpRules(0, 'INPUT', 'nonroot')).toEqual([]);
  }, 60_000);

  test('keepalived killed: the agent, as nobody, where ip is refused, has keepalived delete the VIPs it left, then exits 1', async () => {
    const env = {
      OPENSHIFT_HA_CONFIG_NAME: 'nonroot',
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.121-122',
      OPENSHIFT_HA_REPLICA_COUNT: '1',
      OPENSHIFT_HA_MONITOR_PORT: '0',
      OPENSHIFT_HA_IPTABLES_CHAIN: '',
      IPFAILOVER_ADVERT_INTERVAL: '0.1',
      PATH: `${bin}:${process.env.PATH}`,
    };
    const vips = ['192.0.2.121', '192.0.2.122'];
    const agent = cluster.startAgentAs(
      0,
      env,
      ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--inh-caps=-all'],
      join(state, 'run'),
    );
    await waitFor('the VIPs on node 0', () => vips.every((vip) => cluster.addresses(0).includes(vip)));
    const pids = spawnSync('pgrep', ['-f', `${join(state, 'run')}/keepalived.conf`], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .map(Number);
    // Frozen first, so the VRRP child cannot release them on its parent's death: a real crash.
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const killedAt = performance.now();
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    while (vips.some((vip) => cluster.addresses(0).includes(vip)) && performance.now() - killedAt < 20_000)
      await new Promise((r) => setImmediate(r));
    console.log(
      `keepalived SIGKILLed (agent as nobody, through keepalived): its VIPs gone from the node after ${(performance.now() - killedAt).toFixed(0)} ms`,
    );
    expect(await agent.exited).toBe(1);
    expect(cluster.addresses(0).filter((a) => vips.includes(a))).toEqual([]);
    expect(agent.lines).toContain(
      `ipfailover: released ${vips.join(', ')} from eth0 through keepalived (keepalived left them)`,
    );
    expect(agent.lines.at(-1)).toBe(
      'ipfailover agent: keepalived exited on its own (SIGKILL); exiting so the pod restarts',
    );
  }, 60_000);
});

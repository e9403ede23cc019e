/**
 * What a keepalived reload (SIGHUP) does to a VIP it holds, measured with real keepalived on
 * network-namespace nodes before the agent relies on it to change a running node's peers and
 * priorities. keepalived runs here as the agent runs it (foreground, console log, our rendered
 * config), without the agent, so each reload is exactly one SIGHUP after one config change.
 *
 * Watched on the master: its interface's address events (`ip monitor address`): a VIP deleted
 * even for a moment shows as a `Deleted` line. On the backup: its log, where keepalived 2.2.7
 * writes "Backup received priority 0 advertisement" when the master resigns and "Entering
 * MASTER STATE" when it takes over. The fast profile (0.1 s adverts) is used where the question
 * is whether adverts stop: a gap over the master-down interval (0.3 s plus skew) would hand the
 * VIP to the backup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromEnv } from '../../lib/core/env/env-contract';
import { renderKeepalivedConf } from '../../lib/core/node/keepalived-conf';
import { keepalivedArgs, statePaths } from '../../lib/agent/paths';
import { Cluster, collectLines, skipReason, waitFor } from './cluster';

const reason = skipReason();
const suite = reason === undefined ? describe : describe.skip;
if (reason !== undefined) console.warn(`e2e reload tests skipped: ${reason}`);

const VIP = '192.0.2.101';

/** A running keepalived on one node: its log and its process. */
interface Daemon {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly config: string;
}

/** The config our renderer writes for node i with these variables, priority optionally forced. */
function configFor(env: Record<string, string>, i: number, priority?: number): string {
  const read = fromEnv({
    OPENSHIFT_HA_CONFIG_NAME: 'reload',
    OPENSHIFT_HA_VIRTUAL_IPS: VIP,
    OPENSHIFT_HA_NETWORK_INTERFACE: 'eth0',
    OPENSHIFT_HA_MONITOR_PORT: '0',
    OPENSHIFT_HA_REPLICA_COUNT: '2',
    ...env,
  });
  if (!read.ok) throw new Error(JSON.stringify(read.issues));
  const rendered = renderKeepalivedConf(
    read.settings,
    { address: `192.0.2.${i + 1}`, name: `node-${i}` },
    { scriptUser: 'root' },
  );
  if (!rendered.ok) throw new Error(JSON.stringify(rendered.issues));
  return priority === undefined ? rendered.config : rendered.config.replace(/priority \d+/g, `priority ${priority}`);
}

suite(`keepalived reload with a held VIP${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let cluster: Cluster;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    cluster = new Cluster('ipfrl', 3, '');
    cluster.up();
  });

  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    cluster?.destroy();
  });

  function start(i: number, config: string): Daemon {
    const paths = statePaths(join(cluster.stateRoot, `n${i}`));
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.config, config);
    const child = spawn('ip', ['netns', 'exec', cluster.nodes[i]!, 'keepalived', ...keepalivedArgs(paths)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const lines: string[] = [];
    collectLines(child, lines);
    return { child, lines, config: paths.config };
  }

  /** Rewrites the daemon's config and sends SIGHUP; resolves when keepalived says the reload is done. */
  async function reload(d: Daemon, config: string): Promise<void> {
    const done = d.lines.filter((l) => l.includes('Reload complete')).length;
    writeFileSync(d.config, config);
    d.child.kill('SIGHUP');
    await waitFor('the reload', () => d.lines.filter((l) => l.includes('Reload complete')).length > done, 10_000);
  }

  /** Address events on node i's eth0 from now on. */
  function watchAddresses(i: number): string[] {
    const monitor = spawn('ip', ['-n', cluster.nodes[i]!, 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(monitor);
    const events: string[] = [];
    collectLines(monitor, events);
    return events;
  }

  const deletedVip = (events: readonly string[]): string[] =>
    events.filter((l) => l.startsWith('Deleted') && l.includes(VIP));
  const took = (d: Daemon): boolean => d.lines.some((l) => l.includes('Entering MASTER STATE'));
  const resigned = (d: Daemon): boolean => d.lines.some((l) => l.includes('priority 0 advertisement'));

  /** Nodes 0 and 1 started with these variables; node 0 forced to be the master. Resolves once it holds the VIP. */
  async function pair(env: Record<string, string>): Promise<[Daemon, Daemon, string[]]> {
    const master = start(0, configFor(env, 0, 254));
    const backup = start(1, configFor(env, 1, 209));
    await waitFor('node 0 holds the VIP', () => cluster.addresses(0).includes(VIP));
    await waitFor('node 1 is BACKUP', () => backup.lines.some((l) => l.includes('Entering BACKUP STATE')));
    return [master, backup, watchAddresses(0)];
  }

  const FAST = { IPFAILOVER_ADVERT_INTERVAL: '0.1', OPENSHIFT_HA_PREEMPTION: 'preempt_delay 300' };
  const UNICAST = (peers: string): Record<string, string> => ({
    OPENSHIFT_HA_USE_UNICAST: 'true',
    OPENSHIFT_HA_UNICAST_PEERS: peers,
  });

  test('unicast peers added and removed on the master: the VIP stays, no priority 0, the backup never takes over', async () => {
    const [master, backup, events] = await pair({ ...FAST, ...UNICAST('192.0.2.1,192.0.2.2') });
    await reload(master, configFor({ ...FAST, ...UNICAST('192.0.2.1,192.0.2.2,192.0.2.3') }, 0, 254));
    await new Promise((r) => setTimeout(r, 1000));
    await reload(master, configFor({ ...FAST, ...UNICAST('192.0.2.1,192.0.2.2') }, 0, 254));
    await new Promise((r) => setTimeout(r, 1000));
    expect(deletedVip(events)).toEqual([]);
    expect(cluster.addresses(0)).toContain(VIP);
    expect(cluster.addresses(1)).not.toContain(VIP);
    expect(took(backup)).toBe(false);
    expect(resigned(backup)).toBe(false);
  }, 60_000);

  test("the master's priority lowered below the backup's: it keeps the VIP; the backup waits out its preempt delay", async () => {
    const [master, backup, events] = await pair({ ...FAST, ...UNICAST('192.0.2.1,192.0.2.2') });
    await reload(master, configFor({ ...FAST, ...UNICAST('192.0.2.1,192.0.2.2') }, 0, 164));
    // Past many master-down intervals (0.33 s): only the preempt delay keeps the backup waiting.
    await new Promise((r) => setTimeout(r, 2000));
    expect(deletedVip(events)).toEqual([]);
    expect(cluster.addresses(0)).toContain(VIP);
    expect(took(backup)).toBe(false);
    expect(resigned(backup)).toBe(false);
  }, 60_000);

  test('multicast, default profile: a priority change keeps the VIP', async () => {
    const [master, backup, events] = await pair({ OPENSHIFT_HA_PREEMPTION: 'preempt_delay 300' });
    await reload(master, configFor({ OPENSHIFT_HA_PREEMPTION: 'preempt_delay 300' }, 0, 200));
    await new Promise((r) => setTimeout(r, 4000)); // past the master-down interval (3.2 s)
    expect(deletedVip(events)).toEqual([]);
    expect(took(backup)).toBe(false);
    expect(resigned(backup)).toBe(false);
  }, 60_000);

  test('twenty reloads in a second: the VIP stays', async () => {
    const [master, backup, events] = await pair({ ...FAST, ...UNICAST('192.0.2.1,192.0.2.2') });
    for (let k = 0; k < 20; k++) {
      const peers = k % 2 === 0 ? '192.0.2.1,192.0.2.2,192.0.2.3' : '192.0.2.1,192.0.2.2';
      writeFileSync(
        statePaths(join(cluster.stateRoot, 'n0')).config,
        configFor({ ...FAST, ...UNICAST(peers) }, 0, 254),
      );
      master.child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect(master.child.exitCode).toBeNull();
    expect(deletedVip(events)).toEqual([]);
    expect(took(backup)).toBe(false);
  }, 60_000);

  test("a node whose check fails stays in FAULT through a reload (the script's state is kept)", async () => {
    // The check connects to a port nothing listens on, on node 0 only.
    const env = { ...FAST, ...UNICAST('192.0.2.1,192.0.2.2') };
    const failing = configFor({ ...env, OPENSHIFT_HA_MONITOR_PORT: '9' }, 0, 254);
    const backup = start(1, configFor(env, 1, 209));
    await waitFor('node 1 holds the VIP', () => cluster.addresses(1).includes(VIP));
    const node0 = start(0, failing);
    // A check failing from the start: keepalived 2.2.7 logs only the script's failure.
    await waitFor('node 0 in FAULT', () => node0.lines.some((l) => l.includes('VRRP_Script(chk_reload) failed')));
    const events = watchAddresses(0);
    await reload(node0, failing.replace('192.0.2.2\n', '192.0.2.2\n    192.0.2.3\n'));
    await new Promise((r) => setTimeout(r, 1000));
    expect(node0.lines.some((l) => l.includes('considered unsuccessful on reload'))).toBe(true);
    expect(node0.lines.some((l) => l.includes('entering FAULT state due to script'))).toBe(true);
    expect(events.filter((l) => l.includes(VIP))).toEqual([]);
    expect(cluster.addresses(1)).toContain(VIP);
    expect(took(backup)).toBe(true); // at its start, before node 0 existed
  }, 60_000);
});

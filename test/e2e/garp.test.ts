/**
 * Gratuitous ARP refresh on the wire: two network-namespace nodes run the built agent with real
 * keepalived, from the environment the constructs write for `garpRefreshIntervalSeconds`, and
 * tcpdump on the switch's bridge sees every ARP frame any node sends. keepalived announces a
 * VIP with a burst of gratuitous ARPs when it takes it over (and a second burst a few seconds
 * later); a refresh is one more, alone, every interval for as long as it holds the VIP.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Cluster, buildCli, peersOf, skipReason, waitFor } from './cluster';
import { rolloutOf } from './rolling';

function why(): string | undefined {
  const base = skipReason();
  if (base) return base;
  if (spawnSync('tcpdump', ['--version']).error) return 'tcpdump is not installed (apt-get install tcpdump)';
  return undefined;
}

const reason = why();
const suite = reason === undefined ? describe : describe.skip;
if (reason !== undefined) console.warn(`e2e gratuitous ARP test skipped: ${reason}`);

const VIP = '192.0.2.101';
/** How long each case watches the wire after the VIP's first announcement. */
const WATCH_MS = 12_000;
/** Frames of one burst leave together; a refresh leaves alone. */
const BURST_GAP_S = 0.1;

/** A gratuitous ARP: a broadcast request for an address, sent by that address. */
interface Garp {
  readonly at: number;
  readonly mac: string;
}

const GARP = /^(\d+\.\d+) (\S+) > ff:ff:ff:ff:ff:ff, .*Request who-has (\S+) \(ff:ff:ff:ff:ff:ff\) tell (\S+),/;

/** The gratuitous ARPs for `vip` in tcpdump's `-tt -e -n` lines. */
function garpsOf(lines: readonly string[], vip: string): Garp[] {
  return lines.flatMap((line) => {
    const m = GARP.exec(line);
    return m && m[3] === vip && m[4] === vip ? [{ at: Number(m[1]), mac: m[2]! }] : [];
  });
}

/** The frames grouped into bursts: runs less than {@link BURST_GAP_S} apart. */
function bursts(garps: readonly Garp[]): Garp[][] {
  const groups: Garp[][] = [];
  for (const g of garps) {
    const last = groups.at(-1);
    if (last && g.at - last.at(-1)!.at < BURST_GAP_S) last.push(g);
    else groups.push([g]);
  }
  return groups;
}

/** The MAC address of node i's eth0. */
function macOf(cluster: Cluster, i: number): string {
  const links = JSON.parse(cluster.exec(i, 'ip', '-j', 'link', 'show', 'eth0')) as Array<{ address: string }>;
  return links[0]!.address;
}

suite(`gratuitous ARP refresh on the wire${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let cli: string;
  let cluster: Cluster | undefined;
  let dump: ChildProcess | undefined;

  beforeAll(() => {
    cli = buildCli();
  }, 60_000);

  afterEach(() => {
    if (dump?.exitCode === null) dump.kill('SIGKILL');
    cluster?.destroy();
  });

  /** Two agents with the props' refresh interval; the ARP frames seen and who held the VIP. */
  async function watch(garpRefreshIntervalSeconds: number): Promise<{ garps: Garp[]; holderMac: string }> {
    cluster = new Cluster('ipfgarp', 2, cli);
    cluster.up();
    const lines: string[] = [];
    let listening = false;
    dump = spawn('ip', ['netns', 'exec', cluster.switchNs, 'tcpdump', '-i', 'br0', '-n', '-l', '-tt', '-e', 'arp'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: dump.stdout! }).on('line', (line) => lines.push(line));
    createInterface({ input: dump.stderr! }).on('line', (line) => (listening ||= /listening on br0/.test(line)));
    await waitFor('tcpdump listening', () => listening);
    const { envOn } = rolloutOf({
      virtualIps: VIP,
      replicas: 2,
      unicastPeers: peersOf(2).split(','),
      monitorPort: 0,
      iptablesChain: '',
      garpRefreshIntervalSeconds,
    });
    const c = cluster;
    expect(envOn(c, 0).IPFAILOVER_GARP_REFRESH_INTERVAL).toBe(String(garpRefreshIntervalSeconds));
    for (const i of [0, 1]) c.startAgent(i, envOn(c, i));
    await waitFor('the VIP held', () => c.owners([VIP]).get(VIP)!.length === 1, 20_000);
    const holder = c.owners([VIP]).get(VIP)![0]!;
    await waitFor('the first announcement', () => garpsOf(lines, VIP).length > 0);
    const first = garpsOf(lines, VIP)[0]!.at;
    await waitFor('the watch', () => Date.now() / 1000 > first + WATCH_MS / 1000, WATCH_MS + 5000);
    // Still the only holder: the frames below are one master's, not a failover's.
    expect(c.owners([VIP]).get(VIP)).toEqual([holder]);
    return { garps: garpsOf(lines, VIP).filter((g) => g.at <= first + WATCH_MS / 1000), holderMac: macOf(c, holder) };
  }

  test('every 2 s: the holder repeats one gratuitous ARP each interval after its take-over bursts', async () => {
    const { garps, holderMac } = await watch(2);
    // Only the holder ever announces the VIP.
    expect([...new Set(garps.map((g) => g.mac))]).toEqual([holderMac]);
    const groups = bursts(garps);
    const refreshes = groups.filter((b) => b.length === 1).map((b) => b[0]!.at);
    const gaps = refreshes.slice(1).map((t, k) => t - refreshes[k]!);
    console.log(
      `gratuitous ARP refresh every 2 s: ${refreshes.length} single refreshes in ${WATCH_MS / 1000} s after the take-over, intervals ${gaps.map((g) => g.toFixed(3)).join(', ')} s; bursts of ${groups
        .filter((b) => b.length > 1)
        .map((b) => b.length)
        .join(', ')}`,
    );
    // 12 s after the take-over hold five or six refreshes; four leave room for a slow machine.
    expect(refreshes.length).toBeGreaterThanOrEqual(4);
    expect(groups.some((b) => b.length > 1)).toBe(true);
  }, 60_000);

  test('0: the take-over bursts only, no refresh', async () => {
    const { garps, holderMac } = await watch(0);
    expect([...new Set(garps.map((g) => g.mac))]).toEqual([holderMac]);
    const groups = bursts(garps);
    // The capture works (the take-over was seen) and nothing else was sent.
    expect(groups.length).toBeGreaterThan(0);
    expect(groups.filter((b) => b.length === 1)).toEqual([]);
  }, 60_000);
});

/**
 * A test cluster made of network namespaces: a switch namespace holding a bridge, and N node
 * namespaces each with an `eth0` veth plugged into it, addressed in TEST-NET-1 (192.0.2.0/24).
 * Each node runs the **built** `ipfailover agent`. Used by the e2e tests and the failover bench.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Why the real-network tests cannot run here, or `undefined` when they can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  if (spawnSync('keepalived', ['--version']).error) return 'keepalived is not installed (apt-get install keepalived)';
  if (spawnSync('iptables', ['--version']).error) return 'iptables is not installed (apt-get install iptables)';
  if (spawnSync('ip', ['-V']).error) return 'iproute2 is not installed';
  return undefined;
}

/** Runs a command and throws with its stderr when it fails. */
export function sh(program: string, ...args: string[]): string {
  const r = spawnSync(program, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')}: ${r.stderr || r.error}`);
  return r.stdout;
}

/** Compiles the CLI (and only what it imports) into a temporary directory; returns cli.js. */
export function buildCli(): string {
  const out = mkdtempSync(join(tmpdir(), 'ipfailover-cli-'));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(
    process.execPath,
    [
      tsc,
      join(ROOT, 'lib', 'cli.ts'),
      '--outDir',
      out,
      '--rootDir',
      join(ROOT, 'lib'),
      '--module',
      'commonjs',
      '--target',
      'ES2022',
      '--moduleResolution',
      'node10',
      '--esModuleInterop',
      '--skipLibCheck',
      '--types',
      'node',
      '--strict',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`building the CLI failed: ${r.stdout}${r.stderr}`);
  return join(out, 'cli.js');
}

/** The environment the built CLI needs to find its dependencies from a temporary directory. */
export function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(OPENSHIFT_HA_|IPFAILOVER_|HA_EXCLUDED)/.test(k)),
  );
  return { ...base, NODE_PATH: join(ROOT, 'node_modules'), ...extra };
}

/** Appends every non-empty line a child prints, on stdout or stderr, to `lines`. */
export function collectLines(child: ChildProcess, lines: string[]): void {
  const collect = (chunk: Buffer): void => {
    lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
}

/** A running agent and everything it printed. */
export interface Agent {
  readonly node: number;
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

/** The e2e tests and benches wait with the suite's one poll loop (every 25 ms, 20 s by default). */
export { waitFor } from '../support/wait-for';

/** A switch and N nodes; see the file comment. */
export class Cluster {
  readonly switchNs: string;
  readonly nodes: string[];
  readonly agents: Agent[] = [];
  readonly stateRoot: string;

  /** `prefix` must be unique per test file (namespace names are global). */
  constructor(
    prefix: string,
    count: number,
    private readonly cli: string,
  ) {
    this.switchNs = `${prefix}-sw`;
    this.nodes = Array.from({ length: count }, (_, i) => `${prefix}-n${i}`);
    this.stateRoot = mkdtempSync(join(tmpdir(), `${prefix}-state-`));
  }

  /** The address of node i. */
  address(i: number): string {
    return `192.0.2.${i + 1}`;
  }

  /** The Kubernetes node name node i's agents are given (`--node-name`). */
  nodeName(i: number): string {
    return `node-${i}`;
  }

  /** Creates the namespaces, bridge and links. */
  up(): void {
    this.down();
    sh('ip', 'netns', 'add', this.switchNs);
    sh('ip', '-n', this.switchNs, 'link', 'add', 'br0', 'type', 'bridge');
    sh('ip', '-n', this.switchNs, 'link', 'set', 'br0', 'up');
    this.nodes.forEach((ns, i) => {
      sh('ip', 'netns', 'add', ns);
      sh('ip', 'link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', this.switchNs);
      sh('ip', '-n', this.switchNs, 'link', 'set', `p${i}`, 'master', 'br0', 'up');
      sh('ip', '-n', ns, 'addr', 'add', `${this.address(i)}/24`, 'dev', 'eth0');
      sh('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
      sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    });
  }

  /** Stops every agent and process in the namespaces and deletes them. Safe to call twice. */
  down(): void {
    for (const a of this.agents) if (a.child.exitCode === null) a.child.kill('SIGKILL');
    for (const ns of [...this.nodes, this.switchNs]) {
      const pids =
        spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
          .stdout?.split('\n')
          .filter((p) => /^\d+$/.test(p)) ?? [];
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      spawnSync('ip', ['netns', 'del', ns]);
    }
  }

  /** Removes the state directories too. */
  destroy(): void {
    this.down();
    if (existsSync(this.stateRoot)) rmSync(this.stateRoot, { recursive: true, force: true });
  }

  /** Runs a command inside node i's namespace. */
  exec(i: number, program: string, ...args: string[]): string {
    return sh('ip', 'netns', 'exec', this.nodes[i]!, program, ...args);
  }

  /** Starts `ipfailover agent` on node i with the given environment. */
  startAgent(i: number, env: Record<string, string>, stateName = `n${i}`): Agent {
    return this.startAgentAs(i, env, [], join(this.stateRoot, stateName));
  }

  /** Starts the agent through a wrapper command (such as `setpriv` to drop privileges). */
  startAgentAs(i: number, env: Record<string, string>, wrapper: readonly string[], stateDir: string): Agent {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.nodes[i]!,
        ...wrapper,
        process.execPath,
        this.cli,
        'agent',
        '--state-dir',
        stateDir,
        '--node-name',
        this.nodeName(i),
      ],
      {
        env: cliEnv(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    collectLines(child, lines);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const agent = { node: i, child, lines, exited };
    this.agents.push(agent);
    return agent;
  }

  /** Runs the built CLI once in node i's namespace. */
  runCli(
    i: number,
    env: Record<string, string>,
    ...args: string[]
  ): { code: number | null; stdout: string; stderr: string } {
    return this.runCliAs(i, env, [], ...args);
  }

  /** Runs the built CLI once in node i's namespace through a wrapper command. */
  runCliAs(
    i: number,
    env: Record<string, string>,
    wrapper: readonly string[],
    ...args: string[]
  ): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.nodes[i]!, ...wrapper, process.execPath, this.cli, ...args], {
      env: cliEnv(env),
      encoding: 'utf8',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** The addresses on node i's eth0. */
  addresses(i: number): string[] {
    const r = spawnSync('ip', ['-n', this.nodes[i]!, '-j', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
    if (r.status !== 0) return [];
    const links = JSON.parse(r.stdout) as Array<{ addr_info?: Array<{ local: string }> }>;
    return links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local));
  }

  /** For each VIP, the nodes that hold it. */
  owners(vips: readonly string[]): Map<string, number[]> {
    const held = this.nodes.map((_, i) => new Set(this.addresses(i)));
    return new Map(vips.map((vip) => [vip, held.flatMap((set, i) => (set.has(vip) ? [i] : []))]));
  }

  /** Whether every VIP has exactly one owner. */
  oneOwnerEach(vips: readonly string[]): boolean {
    return [...this.owners(vips).values()].every((o) => o.length === 1);
  }

  /** Sets node i's own interface down or up (its "link"). */
  setLink(i: number, up: boolean): void {
    sh('ip', '-n', this.nodes[i]!, 'link', 'set', 'eth0', up ? 'up' : 'down');
  }

  /**
   * Partitions node i from the others or heals it: VRRP (protocol 112) is dropped both ways in its
   * namespace while its link stays up. (Downing its switch port would drop the veth's carrier,
   * and keepalived would release the VIPs instead of holding them as a partitioned node does.)
   */
  setPartitioned(i: number, partitioned: boolean): void {
    const op = partitioned ? '-I' : '-D';
    for (const chain of ['INPUT', 'OUTPUT'])
      this.exec(
        i,
        'iptables',
        '-w',
        '5',
        op,
        chain,
        '-p',
        '112',
        '-m',
        'comment',
        '--comment',
        'e2e-partition',
        '-j',
        'DROP',
      );
  }

  /** Starts a TCP listener on node i (the "watched service"); returns it so a test can kill it. */
  startService(i: number, port: number): ChildProcess {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.nodes[i]!,
        process.execPath,
        '-e',
        `require('net').createServer((s) => s.destroy()).listen(${port})`,
      ],
      { stdio: 'ignore' },
    );
    return child;
  }

  /** Whether something listens on the port in node i. */
  listening(i: number, port: number): boolean {
    const r = spawnSync('ip', ['netns', 'exec', this.nodes[i]!, 'bash', '-c', `</dev/tcp/${this.address(i)}/${port}`]);
    return r.status === 0;
  }

  /** An HTTP GET from inside node i's namespace: the status (0 when it failed) and the body, or the error code. */
  httpGet(i: number, url: string): { status: number; body: string } {
    const script = `require('http').get(process.argv[1], (r) => { let b = ''; r.setEncoding('utf8');
      r.on('data', (c) => (b += c)); r.on('end', () => process.stdout.write(JSON.stringify({ status: r.statusCode, body: b }))); })
      .on('error', (e) => process.stdout.write(JSON.stringify({ status: 0, body: e.code })));`;
    const r = spawnSync('ip', ['netns', 'exec', this.nodes[i]!, process.execPath, '-e', script, url], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    return r.status === 0
      ? (JSON.parse(r.stdout) as { status: number; body: string })
      : { status: 0, body: 'no answer' };
  }

  /** The iptables rules of node i's chain that carry the config name's comment. */
  vrrpRules(i: number, chain: string, configName: string): string[] {
    return this.exec(i, 'iptables', '-w', '5', '-S', chain)
      .split('\n')
      .filter((l) => l.includes(`ipfailover:${configName}`));
  }
}

/** The unicast peers of a cluster of n nodes. */
export function peersOf(n: number): string {
  return Array.from({ length: n }, (_, i) => `192.0.2.${i + 1}`).join(',');
}

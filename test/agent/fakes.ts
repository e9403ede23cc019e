/** Fakes of the outside world for the agent's unit tests. */
import { EventEmitter } from 'node:events';
import { posix } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Runner, RunResult } from '../../lib/agent/exec';
import type { LockFn, ProbeFn } from '../../lib/agent/instance-lock';
import type { ProcessTable } from '../../lib/agent/leftover';
import type { FileInfo, ScriptFs } from '../../lib/agent/script-check';
import type { ChildLike } from '../../lib/agent/supervisor';

/** An `iptables` and `ip` with state: chains of rules, and addresses on interfaces. */
export class FakeHost {
  readonly chains = new Map<string, string[][]>([
    ['INPUT', []],
    ['FORWARD', []],
  ]);
  readonly addresses = new Map<string, Array<{ local: string; prefixlen: number; family: string }>>([
    ['eth0', [{ local: '192.0.2.1', prefixlen: 24, family: 'inet' }]],
  ]);
  readonly calls: string[][] = [];
  /** Programs that are not installed: the runner says so as it does for ENOENT. */
  readonly missing = new Set<string>();
  /** `ip addr del` refused, as iproute2 refuses a non-root user. */
  ipDenied = false;

  readonly run: Runner = async (program, args) => {
    this.calls.push([program, ...args]);
    if (this.missing.has(program)) return { code: 127, stdout: '', stderr: `spawn ${program} ENOENT` };
    if (program === 'keepalived') return { code: 0, stdout: '', stderr: 'Keepalived v2.2.7 (01/16,2022)' };
    return program === 'iptables' ? this.iptables(args.slice(2).filter((a) => a !== '-n')) : this.ip([...args]);
  };

  /** The addresses on an interface. */
  held(iface = 'eth0'): string[] {
    return (this.addresses.get(iface) ?? []).map((a) => a.local);
  }

  private iptables(args: readonly string[]): RunResult {
    const [op, chain, ...rest] = args;
    const rules = this.chains.get(chain!);
    if (!rules) return { code: 1, stdout: '', stderr: `iptables: No chain/target/match by that name.` };
    const same = (r: string[]): boolean => r.join(' ') === rest.join(' ');
    switch (op) {
      case '-L':
        return { code: 0, stdout: '', stderr: '' };
      case '-C':
        return { code: rules.some(same) ? 0 : 1, stdout: '', stderr: '' };
      case '-I':
        rules.unshift(rest.slice(1));
        return { code: 0, stdout: '', stderr: '' };
      case '-D': {
        const i = rules.findIndex(same);
        if (i < 0) return { code: 1, stdout: '', stderr: 'Bad rule' };
        rules.splice(i, 1);
        return { code: 0, stdout: '', stderr: '' };
      }
      default:
        return { code: 2, stdout: '', stderr: `unknown ${op}` };
    }
  }

  private ip(args: string[]): RunResult {
    if (args[0] === '-j') {
      const iface = args[4]!;
      const list = this.addresses.get(iface);
      if (!list) return { code: 1, stdout: '', stderr: `Device "${iface}" does not exist.` };
      return {
        code: 0,
        stdout: JSON.stringify([{ ifname: iface, addr_info: list.map((a) => ({ ...a, scope: 'global' })) }]),
        stderr: '',
      };
    }
    if (args[0] === 'addr' && args[1] === 'del') {
      if (this.ipDenied) return { code: 2, stdout: '', stderr: 'RTNETLINK answers: Operation not permitted' };
      const [address] = args[2]!.split('/');
      const list = this.addresses.get(args[4]!) ?? [];
      const i = list.findIndex((a) => a.local === address);
      if (i < 0) return { code: 2, stdout: '', stderr: 'RTNETLINK answers: Cannot assign requested address' };
      list.splice(i, 1);
      return { code: 0, stdout: '', stderr: '' };
    }
    return { code: 1, stdout: '', stderr: 'unexpected' };
  }
}

/** A child process that prints what the test says and exits when told (or when signalled). */
export class FakeChild extends EventEmitter implements ChildLike {
  readonly pid = 4242;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly signals: NodeJS.Signals[] = [];
  /** What the fake keepalived does on SIGTERM: release and exit 0, as the real one does. */
  onTerm: () => void = () => {
    this.print('(ipf_VIP_1) sent 0 priority');
    this.exit(0);
  };

  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    if (signal === 'SIGTERM') setImmediate(() => this.onTerm());
    return true;
  }

  print(line: string): void {
    this.stderr.write(`${line}\n`);
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.stdout.end();
    this.stderr.end();
    this.emit('exit', code, signal);
  }
}

/** One entry of a {@link FakeFs}. */
export type FakeEntry =
  | {
      readonly kind: 'file';
      readonly mode: number;
      readonly uid?: number;
      readonly gid?: number;
      readonly text?: string;
    }
  | { readonly kind: 'dir'; readonly mode: number; readonly uid?: number; readonly gid?: number }
  | { readonly kind: 'link'; readonly target: string };

function fsError(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

/**
 * A file system of absolute paths, owned by root unless said otherwise; `/`, `/bin/sh` and an
 * `/etc/passwd` naming nobody (65534:65534) are there from the start. Symbolic links are resolved
 * as the kernel does, relative to their directory.
 */
export class FakeFs implements ScriptFs {
  readonly entries = new Map<string, FakeEntry>([
    ['/', { kind: 'dir', mode: 0o755 }],
    ['/bin', { kind: 'dir', mode: 0o755 }],
    ['/bin/sh', { kind: 'file', mode: 0o755 }],
    ['/etc', { kind: 'dir', mode: 0o755 }],
    [
      '/etc/passwd',
      {
        kind: 'file',
        mode: 0o644,
        text: 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
      },
    ],
  ]);

  constructor(entries: Record<string, FakeEntry> = {}) {
    for (const [path, entry] of Object.entries(entries)) this.entries.set(path, entry);
  }

  /** Adds a ConfigMap volume as the kubelet lays it out: `dir/<key> -> ..data/<key>`, `..data -> ..<timestamp>`. */
  configMapVolume(dir: string, files: Record<string, string>, mode = 0o755): this {
    const stamp = `${dir}/..2026_01_01_00_00_00.000000001`;
    // The volume's root is the emptyDir the kubelet wraps it in: mode 0777.
    this.entries.set(dir, { kind: 'dir', mode: 0o777 });
    this.entries.set(stamp, { kind: 'dir', mode: 0o755 });
    this.entries.set(`${dir}/..data`, { kind: 'link', target: posix.basename(stamp) });
    for (const [key, text] of Object.entries(files)) {
      this.entries.set(`${stamp}/${key}`, { kind: 'file', mode, text });
      this.entries.set(`${dir}/${key}`, { kind: 'link', target: `..data/${key}` });
    }
    return this;
  }

  /** The path with every link resolved; throws ENOENT, ENOTDIR or ELOOP as the kernel would. */
  realpath(path: string): string {
    let resolved = '/';
    const pending = path.split('/').filter((c) => c !== '');
    for (let hops = 0; pending.length > 0;) {
      const next = posix.join(resolved, pending.shift()!);
      const entry = this.entries.get(next);
      if (!entry) throw fsError('ENOENT', path);
      if (entry.kind === 'link') {
        if (++hops > 40) throw fsError('ELOOP', path);
        pending.unshift(...entry.target.split('/').filter((c) => c !== ''));
        if (entry.target.startsWith('/')) resolved = '/';
        continue;
      }
      if (entry.kind === 'file' && pending.length > 0) throw fsError('ENOTDIR', path);
      resolved = next;
    }
    return resolved;
  }

  stat(path: string): FileInfo {
    return this.info(this.entries.get(this.realpath(path))!);
  }

  lstat(path: string): FileInfo {
    const parent = posix.dirname(path);
    const entry = this.entries.get(posix.join(parent === path ? '/' : this.realpath(parent), posix.basename(path)));
    if (!entry) throw fsError('ENOENT', path);
    return this.info(entry);
  }

  readFile(path: string): string {
    const entry = this.entries.get(this.realpath(path));
    if (entry?.kind !== 'file') throw fsError('EISDIR', path);
    return entry.text ?? '';
  }

  head(path: string): string {
    return this.readFile(path).slice(0, 256);
  }

  private info(entry: FakeEntry): FileInfo {
    const kind = entry.kind;
    const mode = entry.kind === 'link' ? 0o777 : entry.mode;
    const type = kind === 'file' ? 0o100000 : kind === 'dir' ? 0o040000 : 0o120000;
    return {
      mode: type | mode,
      uid: entry.kind === 'link' ? 0 : (entry.uid ?? 0),
      gid: entry.kind === 'link' ? 0 : (entry.gid ?? 0),
      isFile: () => kind === 'file',
      isDirectory: () => kind === 'dir',
      isSymbolicLink: () => kind === 'link',
    };
  }
}

/** The node's abstract socket names: one registry shared by the agents and removals of a test. */
export class FakeLocks {
  readonly held = new Map<string, string>();

  readonly lock: LockFn = async (keys, me) => {
    const taken = keys.find((k) => this.held.has(k));
    if (taken !== undefined) return { ok: false, key: taken, holder: this.held.get(taken)! };
    for (const k of keys) this.held.set(k, me);
    return { ok: true, lock: { release: () => keys.forEach((k) => this.held.delete(k)) } };
  };

  readonly probe: ProbeFn = async (key) => this.held.get(key);
}

/** Pid files and processes: files map to pids, pids to command lines; a SIGTERM ends a process. */
export class FakeProcesses implements ProcessTable {
  readonly files = new Map<string, number>();
  readonly commands = new Map<number, string>();
  readonly signals: Array<[number, NodeJS.Signals]> = [];
  /** Processes that ignore SIGTERM. */
  readonly stubborn = new Set<number>();

  pidIn(file: string): number | undefined {
    return this.files.get(file);
  }
  commandLine(pid: number): string | undefined {
    return this.commands.get(pid);
  }
  kill(pid: number, signal: NodeJS.Signals): void {
    this.signals.push([pid, signal]);
    if (signal === 'SIGKILL' || !this.stubborn.has(pid)) this.commands.delete(pid);
  }
  removeFile(file: string): void {
    this.files.delete(file);
  }
  async sleep(): Promise<void> {}
}

/**
 * The agent image as users get it: built from the repository's Dockerfile with buildah, then run
 * the way a kubelet runs a container of a synthesized pod spec. No container runtime can run
 * here (`podman run` fails), so {@link Pod} does a runtime's part by hand, and no more:
 *
 * - its own copy of the image's filesystem (`buildah from` + `buildah mount`, an overlay);
 * - the node's network namespace (host network), its own PID namespace with the entrypoint as
 *   PID 1, its own mount namespace with /proc, /dev, /sys, a /tmp, and the pod's volumes:
 *   ConfigMaps laid out as the kubelet lays them out (`..data` symlinks, `defaultMode`), host
 *   paths bound (read-only where the spec says so);
 * - the image's entrypoint, or the container's `command`; the image's environment, then the
 *   container's; the image's user, unless `securityContext.runAsUser` says otherwise, entered
 *   with `chroot --userspec`, so a non-root user keeps no capability of its own (a privileged
 *   pod's bounding set stays full, so file capabilities work as they do in a privileged pod).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectLines } from '../e2e/cluster';

const ROOT = join(__dirname, '..', '..');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Runs a command and throws with its output when it fails. */
export function run(
  program: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): string {
  const r = spawnSync(program, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.status !== 0)
    throw new Error(
      `${program} ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || String(r.error ?? '')).slice(-4000)}`,
    );
  return r.stdout;
}

/** Why the image cannot be built and run here, or `undefined`. */
export function imageSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (buildah, chroot and network namespaces need root)';
  for (const [tool, pkg] of [
    ['buildah', 'buildah'],
    ['debootstrap', 'debootstrap'],
    ['ip', 'iproute2'],
    ['iptables', 'iptables'],
    ['nsenter', 'util-linux'],
  ] as const) {
    if (spawnSync(tool, ['--version']).error) return `${tool} is not installed (apt-get install ${pkg})`;
  }
  return undefined;
}

/** The CA bundle to hand the build as the `ca` secret, when this machine has one. */
function caBundle(): string | undefined {
  return [process.env.NODE_EXTRA_CA_CERTS, process.env.SSL_CERT_FILE, '/etc/ssl/certs/ca-certificates.crt'].find(
    (f): f is string => !!f && existsSync(f),
  );
}

/** A built image and what it took. */
export interface BuiltImage {
  readonly name: string;
  readonly baseName: string;
  readonly buildSeconds: number;
  readonly baseSeconds: number;
}

/**
 * Builds the image from the Dockerfile as a user would (`buildah bud`), on the local stand-in for
 * its `node:20…-bookworm-slim` base (or on `IPFAILOVER_IMAGE_TEST_BASE` when set), with the CA
 * bundle as a build secret.
 */
export function buildImage(name = 'localhost/ipfailover:image-test'): BuiltImage {
  let start = Date.now();
  // Where a registry is reachable (the release workflow), the real base; here, the stand-in.
  const baseName =
    process.env.IPFAILOVER_IMAGE_TEST_BASE ||
    run('bash', [join(__dirname, 'base-image.sh')])
      .trim()
      .split('\n')
      .pop()!;
  const baseSeconds = (Date.now() - start) / 1000;
  start = Date.now();
  const ca = caBundle();
  run('buildah', [
    'bud',
    '--isolation',
    'chroot',
    '--layers',
    '--quiet',
    ...(ca ? ['--secret', `id=ca,src=${ca}`] : []),
    '--build-arg',
    `NODE_IMAGE=${baseName}`,
    '-t',
    name,
    ROOT,
  ]);
  return { name, baseName, baseSeconds, buildSeconds: (Date.now() - start) / 1000 };
}

/** What the image says about how to run it. */
export interface ImageConfig {
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly env: readonly string[];
  readonly user: string;
  readonly sizeBytes: number;
}

/** Reads the image's run configuration and size. */
export function imageConfig(image: string): ImageConfig {
  const info = JSON.parse(run('buildah', ['inspect', '--type', 'image', image])) as Obj;
  const config = (info.OCIv1?.config ?? {}) as Obj;
  const size = Number(
    run('buildah', ['images', '--format', '{{.Size}}', '--noheading', image]).trim() === '' ? 0 : imageBytes(image),
  );
  return {
    entrypoint: config.Entrypoint ?? [],
    cmd: config.Cmd ?? [],
    env: config.Env ?? [],
    user: config.User ?? '0',
    sizeBytes: size,
  };
}

/** The image's size on disk: the sum of its layers, uncompressed. */
function imageBytes(image: string): number {
  const c = run('buildah', ['from', '--quiet', image]).trim();
  try {
    const root = run('buildah', ['mount', c]).trim();
    return Number(run('du', ['-sb', '--one-file-system', root]).split('\t')[0]);
  } finally {
    spawnSync('buildah', ['rm', c]);
  }
}

/** Quotes a word for sh. */
function q(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A ConfigMap volume as the kubelet writes it: the volume directory world-writable (it is an
 * emptyDir underneath, mode 0777), the files in a timestamped directory (0755), `..data`
 * pointing at it, and one symlink per key through `..data`; files get the volume's mode.
 */
function configMapVolume(
  dir: string,
  data: Readonly<Record<string, string>>,
  items: ReadonlyArray<{ key: string; path: string }> | undefined,
  mode: number,
): void {
  const stamp = '..2026_11_23_00_00_00.000000001';
  chmodSync(dir, 0o777);
  mkdirSync(join(dir, stamp));
  chmodSync(join(dir, stamp), 0o755);
  const entries = items ?? Object.keys(data).map((key) => ({ key, path: key }));
  for (const { key, path } of entries) {
    if (!(key in data)) throw new Error(`the ConfigMap has no key ${key}`);
    writeFileSync(join(dir, stamp, path), data[key]!);
    chmodSync(join(dir, stamp, path), mode);
    symlinkSync(`..data/${path}`, join(dir, path));
  }
  symlinkSync(stamp, join(dir, '..data'));
}

/** A mount of the pod's mount namespace: source on the host, target in the container. */
interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** How to run a pod's container. */
export interface PodOptions {
  readonly image: string;
  readonly config: ImageConfig;
  /** The container of the pod spec. */
  readonly container: Obj;
  /** The pod spec's volumes. */
  readonly volumes: readonly Obj[];
  /** ConfigMaps by name, as synthesized. */
  readonly configMaps: Readonly<Record<string, Obj>>;
  /** The node's network namespace. */
  readonly netns: string;
  /** The node name: a host-network pod's host name. */
  readonly nodeName: string;
}

/** A process's status fields (Uid, CapEff, …). */
export function processStatus(pid: number): Record<string, string> {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  );
}

/** One container of a pod, run as described in the file comment. */
export class Pod {
  readonly lines: string[] = [];
  private readonly buildahContainer: string;
  private readonly rootfs: string;
  private readonly scratch: string;
  private child?: ChildProcess;
  private exitedPromise?: Promise<number | null>;

  constructor(private readonly options: PodOptions) {
    this.buildahContainer = run('buildah', ['from', '--quiet', options.image]).trim();
    this.rootfs = run('buildah', ['mount', this.buildahContainer]).trim();
    this.scratch = mkdtempSync(join(tmpdir(), 'ipf-pod-'));
  }

  /** The container's user and group, as the runtime would pick them. */
  get user(): { uid: number; gid: number } {
    const [imageUid, imageGid] = this.options.config.user.split(':');
    const context = (this.options.container.securityContext ?? {}) as Obj;
    const uid = context.runAsUser ?? Number(imageUid ?? 0);
    const gid = context.runAsGroup ?? (context.runAsUser !== undefined ? 0 : Number(imageGid ?? 0));
    return { uid, gid };
  }

  /** Host source of every volume mount of the container. */
  private mounts(): Mount[] {
    return ((this.options.container.volumeMounts ?? []) as Obj[]).map((m) => {
      const volume = this.options.volumes.find((v) => v.name === m.name);
      if (!volume) throw new Error(`no volume ${m.name}`);
      return { source: this.volumeSource(volume), target: m.mountPath as string, readOnly: !!m.readOnly };
    });
  }

  private volumeSource(volume: Obj): string {
    const dir = join(this.scratch, 'volumes', volume.name as string);
    if (volume.hostPath) {
      // A missing host path (no /etc/sysconfig on Debian) becomes an empty directory, as the
      // runtime creates it.
      if (existsSync(volume.hostPath.path)) return volume.hostPath.path as string;
      mkdirSync(dir, { recursive: true });
      return dir;
    }
    if (volume.emptyDir) {
      // The kubelet makes an emptyDir world-writable, so the image's user can write to it.
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o777);
      return dir;
    }
    if (volume.configMap) {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const cm = this.options.configMaps[volume.configMap.name];
      if (!cm) throw new Error(`no ConfigMap ${volume.configMap.name}`);
      configMapVolume(dir, cm.data ?? {}, volume.configMap.items, volume.configMap.defaultMode ?? 0o644);
      return dir;
    }
    if (volume.projected) {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const data: Record<string, string> = {};
      const items: Array<{ key: string; path: string }> = [];
      for (const source of volume.projected.sources as Obj[]) {
        const cm = this.options.configMaps[source.configMap.name];
        if (!cm) throw new Error(`no ConfigMap ${source.configMap.name}`);
        const picked =
          (source.configMap.items as Array<{ key: string; path: string }> | undefined) ??
          Object.keys(cm.data ?? {}).map((key) => ({ key, path: key }));
        for (const { key, path } of picked) {
          data[path] = cm.data[key];
          items.push({ key: path, path });
        }
      }
      configMapVolume(dir, data, items, volume.projected.defaultMode ?? 0o644);
      return dir;
    }
    throw new Error(
      `volume ${volume.name}: only hostPath, emptyDir, configMap and projected ConfigMaps are supported here`,
    );
  }

  /**
   * An env entry's value as the kubelet gives it: `value`, or from the downward API the pod's node
   * name, or its IP, which with `hostNetwork` is the node's address (here, the first IPv4 address
   * on the node's eth0).
   */
  private envValue(e: Obj): string {
    if (e.value !== undefined) return String(e.value);
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (field === 'spec.nodeName') return this.options.nodeName;
    if (field !== 'status.podIP' && field !== 'status.hostIP')
      throw new Error(
        `env ${e.name}: only value and fieldRef spec.nodeName/status.podIP/status.hostIP are supported here`,
      );
    const r = spawnSync('ip', ['-n', this.options.netns, '-j', '-4', 'addr', 'show', 'dev', 'eth0'], {
      encoding: 'utf8',
    });
    const address = (JSON.parse(r.stdout || '[]') as Obj[])[0]?.addr_info?.[0]?.local;
    if (typeof address !== 'string') throw new Error(`env ${e.name}: no IPv4 address on eth0 in ${this.options.netns}`);
    return address;
  }

  /** The shell script that sets up the pod's namespaces and execs the container's process. */
  private script(): string {
    const { container, config, nodeName } = this.options;
    const root = this.rootfs;
    const argv: string[] = container.command
      ? [...container.command, ...(container.args ?? [])]
      : [...config.entrypoint, ...(container.args ?? config.cmd)];
    const env = [
      ...config.env,
      `HOSTNAME=${nodeName}`,
      ...((container.env ?? []) as Obj[]).map((e) => `${e.name}=${this.envValue(e)}`),
    ];
    const lines = [
      'set -e',
      `hostname ${q(nodeName)}`,
      `mount -t proc proc ${q(`${root}/proc`)}`,
      `mount --rbind /dev ${q(`${root}/dev`)}`,
      `mount --rbind /sys ${q(`${root}/sys`)}`,
      `mount -t tmpfs -o mode=1777 tmpfs ${q(`${root}/tmp`)}`,
    ];
    for (const m of this.mounts()) {
      const target = `${root}${m.target}`;
      lines.push(`mkdir -p ${q(target)}`, `mount --bind ${q(m.source)} ${q(target)}`);
      if (m.readOnly) lines.push(`mount -o remount,bind,ro ${q(target)}`);
    }
    const { uid, gid } = this.user;
    lines.push(
      `exec chroot --userspec=${uid}:${gid} --groups=${gid} ${q(root)} /usr/bin/env -i ${env.map(q).join(' ')} ${argv.map(q).join(' ')}`,
    );
    return lines.join('\n');
  }

  /** Starts the container's process (PID 1 of the pod's PID namespace). */
  start(): this {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.options.netns,
        'unshare',
        '--pid',
        '--fork',
        '--mount',
        '--uts',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        '-c',
        this.script(),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    collectLines(child, this.lines);
    this.child = child;
    this.exitedPromise = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))),
    );
    return this;
  }

  /** Runs the container to completion (a Job's pod); resolves with its exit code. */
  async runToCompletion(timeoutMs = 60_000): Promise<number | null> {
    this.start();
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves with the container's exit code. */
  get exited(): Promise<number | null> {
    if (!this.exitedPromise) throw new Error('the pod was not started');
    return this.exitedPromise;
  }

  /** The host PID of the container's PID 1 (the entrypoint), once it runs. */
  pid1(): number | undefined {
    const parent = this.child?.pid;
    if (parent === undefined) return undefined;
    try {
      const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter((p) => p !== '');
      return children.length > 0 ? Number(children[0]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Host PIDs of every process of the pod (its PID namespace). */
  pids(): number[] {
    const init = this.pid1();
    if (init === undefined) return [];
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${init}/ns/pid`);
    } catch {
      return [];
    }
    return readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map(Number)
      .filter((pid) => {
        try {
          return readlinkSync(`/proc/${pid}/ns/pid`) === ns && pid !== this.child?.pid;
        } catch {
          return false;
        }
      });
  }

  /**
   * Runs a command inside the running container, as `kubectl exec` or an exec probe does: its
   * namespaces, its root, its user.
   */
  exec(argv: readonly string[]): { code: number | null; stdout: string; stderr: string } {
    const init = this.pid1();
    if (init === undefined) throw new Error('the pod is not running');
    const { uid, gid } = this.user;
    const r = spawnSync(
      'nsenter',
      ['-t', String(init), '-p', '-m', '-n', '-u', '-r', '-w', '-S', String(uid), '-G', String(gid), '--', ...argv],
      { encoding: 'utf8' },
    );
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Sends the kubelet's stop: SIGTERM to PID 1, SIGKILL after the grace period. */
  async stop(graceMs = 30_000): Promise<number | null> {
    const init = this.pid1();
    if (init !== undefined) process.kill(init, 'SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A crash (the node loses power, the OOM killer takes the pod): every process is frozen, then
   * killed, so nothing gets to release the VIPs.
   */
  kill(): void {
    const pids = this.pids();
    for (const pid of pids) signal(pid, 'SIGSTOP');
    for (const pid of pids) signal(pid, 'SIGKILL');
    this.child?.kill('SIGKILL');
  }

  /** Stops whatever still runs and removes the pod's filesystem. */
  async destroy(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.kill();
      await this.exited;
    }
    spawnSync('buildah', ['umount', this.buildahContainer]);
    spawnSync('buildah', ['rm', this.buildahContainer]);
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

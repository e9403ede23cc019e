/**
 * A STAND-IN for the Kubernetes API server, for tests: no real API server can run here. It
 * speaks the real one's wire format for the one resource the agent reads, pods in a namespace:
 *
 * - `GET /api/v1/namespaces/NS/pods?labelSelector=k=v&limit=N&continue=T`: a `PodList` (kind,
 *   apiVersion, `metadata.resourceVersion`, `metadata.continue` while more pages follow, items);
 * - the same with `watch=1&resourceVersion=RV&allowWatchBookmarks=true&timeoutSeconds=S`: a
 *   chunked stream of `{"type":…,"object":…}` lines — ADDED, MODIFIED, DELETED with the pod,
 *   BOOKMARK with only `metadata.resourceVersion`, and for a version older than what it keeps,
 *   one ERROR with a `Status` of code 410 (reason `Expired`), as the API server does;
 * - `Status` bodies for 401 (wrong bearer token), 403 (when told to refuse) and 404.
 *
 * It serves HTTPS with a certificate from a CA made for the test by `openssl`, and checks the
 * bearer token on every request (tests rotate it). Faults the tests need are methods: stop
 * answering (`pause`, connections cut), refuse (`forbid`), expire watches (`expireWatches`),
 * forget old versions (`compact`).
 *
 * Run as a program (`node --import tsx kube-api-stand-in.ts`), it serves on the address and
 * port given in `KUBE_STAND_IN` and takes commands over the IPC channel: the e2e tests run it
 * inside the switch's network namespace, where the agents' nodes reach it.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';

/** The files a pod's service account directory has, plus the server's key and certificate. */
export interface StandInFiles {
  /** The directory to give the agent as its service account directory. */
  readonly serviceAccountDir: string;
  readonly caFile: string;
  readonly keyFile: string;
  readonly certFile: string;
}

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr || r.error}`);
}

/**
 * Makes a CA and a server certificate for `addresses` (IPs) signed by it, and a service account
 * directory (token, ca.crt, namespace) under `dir`.
 */
export function makeStandInFiles(
  dir: string,
  addresses: readonly string[],
  namespace: string,
  token: string,
): StandInFiles {
  mkdirSync(dir, { recursive: true });
  const f = (name: string): string => join(dir, name);
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=stand-in kubernetes CA',
  );
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    '/CN=kube-apiserver',
  );
  writeFileSync(
    f('server.ext'),
    `subjectAltName=${['DNS:localhost', ...addresses.map((a) => `IP:${a}`)].join(',')}\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.crt'),
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
  );
  const sa = f('serviceaccount');
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, 'ca.crt'), readFileSync(f('ca.crt')));
  writeFileSync(join(sa, 'namespace'), namespace);
  writeFileSync(join(sa, 'token'), token);
  return { serviceAccountDir: sa, caFile: f('ca.crt'), keyFile: f('server.key'), certFile: f('server.crt') };
}

/** What a test says about a pod; the stand-in fills in the rest as the API server would. */
export interface PodSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly nodeName?: string;
  /** The node's address: with hostNetwork, the pod's IP and its host IP. */
  readonly ip?: string;
  readonly phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  /** How long ago (on the server's clock) the pod was created. @default 0: now */
  readonly createdSecondsAgo?: number;
}

type Pod = Record<string, unknown> & {
  metadata: { name: string; uid: string; resourceVersion: string; labels: Record<string, string> } & Record<
    string,
    unknown
  >;
};

interface Event {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: Pod;
}

interface Watch {
  readonly res: ServerResponse;
  readonly selector: Record<string, string>;
  readonly bookmarks: boolean;
  readonly timers: NodeJS.Timeout[];
}

/** What the stand-in saw, for assertions. */
export interface StandInStats {
  lists: number;
  watches: number;
  /** Bearer tokens presented, in order, deduplicated when repeated. */
  tokens: string[];
  /** Requests refused with 401. */
  unauthorized: number;
}

/** Options of the stand-in. */
export interface StandInOptions {
  readonly namespace: string;
  readonly token: string;
  readonly keyFile: string;
  readonly certFile: string;
  /** How often open watches get a BOOKMARK. @default 1000 */
  readonly bookmarkMs?: number;
  /** Caps a watch's `timeoutSeconds` (ms), so tests see watches end and start again. @default none */
  readonly maxWatchMs?: number;
  /**
   * How far the server's clock is ahead of this machine's (ms), for its `Date` headers and the
   * times it writes into pods, so tests see a node whose clock differs from the server's. @default 0
   */
  readonly clockAheadMs?: number;
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function parseSelector(text: string | null): Record<string, string> {
  const selector: Record<string, string> = {};
  for (const part of (text ?? '').split(',').filter((p) => p !== '')) {
    const [k, v] = part.split('=');
    selector[k!] = v ?? '';
  }
  return selector;
}

const matches = (pod: Pod, selector: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => pod.metadata.labels[k] === v);

/** The stand-in server. */
export class KubeApiStandIn {
  private readonly server: Server;
  private readonly pods = new Map<string, Pod>();
  private readonly events: Event[] = [];
  private readonly watches = new Set<Watch>();
  private readonly sockets = new Set<Socket>();
  private rv = 1000;
  /** Versions below this are gone: a watch from one gets 410. */
  private oldestKept = 0;
  private refusing = false;
  private token: string;
  private address: { host: string; port: number } | undefined;
  readonly stats: StandInStats = { lists: 0, watches: 0, tokens: [], unauthorized: 0 };

  constructor(private readonly options: StandInOptions) {
    this.token = options.token;
    this.server = createServer(
      { key: readFileSync(options.keyFile), cert: readFileSync(options.certFile) },
      (req, res) => this.handle(req, res),
    );
    this.server.on('secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts serving; resolves with the port. */
  listen(host: string, port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const bound = this.server.address();
        const actual = typeof bound === 'object' && bound ? bound.port : port;
        this.address = { host, port: actual };
        resolve(actual);
      });
    });
  }

  /** Stops answering: closes the listener and cuts every connection (the API server is unreachable). */
  async pause(): Promise<void> {
    for (const w of this.watches) this.endWatch(w);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  /** Answers again on the same address and port. */
  async resume(): Promise<void> {
    if (!this.address) throw new Error('never listened');
    await this.listen(this.address.host, this.address.port);
  }

  /** Closes for good. */
  close(): Promise<void> {
    return this.pause();
  }

  /** Refuses every request with 403 while `on`. */
  forbid(on: boolean): void {
    this.refusing = on;
  }

  /** The token it accepts from now on (the kubelet rotated it). */
  rotateToken(token: string): void {
    this.token = token;
  }

  /** Forgets every version so far: a watch from an older version gets 410 Expired. */
  compact(): void {
    this.oldestKept = this.rv + 1;
    this.events.length = 0;
  }

  /** Ends every open watch with a 410 ERROR event, as the API server does when a watcher falls behind. */
  expireWatches(): void {
    this.compact();
    for (const w of [...this.watches]) {
      w.res.write(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') })}\n`);
      this.endWatch(w);
    }
  }

  /** Every pod it holds, as the API would list them. */
  list(): Pod[] {
    return [...this.pods.values()];
  }

  /** Creates a pod (ADDED). */
  addPod(spec: PodSpec): Pod {
    const pod: Pod = {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        name: spec.name,
        namespace: this.options.namespace,
        uid: randomUUID(),
        resourceVersion: '',
        labels: { ...spec.labels },
        // Seconds, as the API server writes it.
        creationTimestamp: new Date(this.now() - (spec.createdSecondsAgo ?? 0) * 1000)
          .toISOString()
          .replace(/\.\d+Z$/, 'Z'),
        // What a real pod carries and the agent must skip: managed fields, owner references.
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${spec.name}-rs`, uid: randomUUID() }],
        managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1' }],
      },
      spec: {
        hostNetwork: true,
        ...(spec.nodeName && { nodeName: spec.nodeName }),
        containers: [{ name: 'openshift-ipfailover', image: 'ipfailover' }],
      },
      status: this.statusOf(spec),
    };
    this.record('ADDED', pod);
    return pod;
  }

  private statusOf(spec: PodSpec): Record<string, unknown> {
    return {
      phase: spec.phase ?? (spec.nodeName ? 'Running' : 'Pending'),
      ...(spec.ip && {
        podIP: spec.ip,
        podIPs: [{ ip: spec.ip }],
        hostIP: spec.ip,
        hostIPs: [{ ip: spec.ip }],
      }),
    };
  }

  /** Changes a pod's node, address or phase (MODIFIED). */
  updatePod(name: string, change: Partial<Omit<PodSpec, 'name' | 'labels'>>): void {
    const pod = this.byName(name);
    const spec = pod.spec as Record<string, unknown>;
    const current = pod.status as Record<string, unknown>;
    const merged: PodSpec = {
      name,
      labels: pod.metadata.labels,
      nodeName: change.nodeName ?? (spec.nodeName as string | undefined),
      ip: change.ip ?? (current.podIP as string | undefined),
      phase: change.phase ?? (current.phase as PodSpec['phase']),
    };
    if (merged.nodeName) spec.nodeName = merged.nodeName;
    pod.status = this.statusOf(merged);
    this.record('MODIFIED', pod);
  }

  /** Marks a pod for deletion (MODIFIED with `deletionTimestamp`), as a graceful delete starts. */
  terminatePod(name: string): void {
    const pod = this.byName(name);
    pod.metadata.deletionTimestamp = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    pod.metadata.deletionGracePeriodSeconds = 30;
    this.record('MODIFIED', pod);
  }

  /** Removes a pod (DELETED). */
  deletePod(name: string): void {
    const pod = this.byName(name);
    this.pods.delete(pod.metadata.uid);
    this.record('DELETED', pod);
  }

  private byName(name: string): Pod {
    const pod = [...this.pods.values()].find((p) => p.metadata.name === name);
    if (!pod) throw new Error(`no pod ${name}`);
    return pod;
  }

  private record(type: Event['type'], pod: Pod): void {
    this.rv++;
    pod.metadata.resourceVersion = String(this.rv);
    if (type !== 'DELETED') this.pods.set(pod.metadata.uid, pod);
    const object = JSON.parse(JSON.stringify(pod)) as Pod;
    const event = { rv: this.rv, type, object };
    this.events.push(event);
    for (const w of this.watches) if (matches(object, w.selector)) this.send(w, event);
  }

  private send(w: Watch, event: Event): void {
    w.res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
  }

  private endWatch(w: Watch): void {
    for (const t of w.timers) clearTimeout(t);
    this.watches.delete(w);
    w.res.end();
  }

  /** The server's clock. */
  private now(): number {
    return Date.now() + (this.options.clockAheadMs ?? 0);
  }

  private reply(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'Content-Type': 'application/json', Date: new Date(this.now()).toUTCString() });
    res.end(JSON.stringify(body));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const auth = req.headers.authorization ?? '';
    const presented = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (this.stats.tokens.at(-1) !== presented) this.stats.tokens.push(presented);
    if (presented !== this.token) {
      this.stats.unauthorized++;
      this.reply(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) {
      this.reply(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return;
    }
    if (this.refusing || match[1] !== this.options.namespace) {
      this.reply(
        res,
        403,
        status(
          403,
          'Forbidden',
          `pods is forbidden: User "system:serviceaccount:${match[1]}:ipfailover" cannot list resource "pods" in API group "" in the namespace "${match[1]}"`,
        ),
      );
      return;
    }
    const selector = parseSelector(url.searchParams.get('labelSelector'));
    if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true')
      this.watch(url, selector, res);
    else this.listPage(url, selector, res);
  }

  private listPage(url: URL, selector: Record<string, string>, res: ServerResponse): void {
    this.stats.lists++;
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const cont = url.searchParams.get('continue');
    const all = this.list()
      .filter((p) => matches(p, selector))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    const start = cont ? Number(Buffer.from(cont, 'base64').toString('utf8')) : 0;
    const end = limit > 0 ? start + limit : all.length;
    const items = all.slice(start, end);
    const more = end < all.length;
    this.reply(res, 200, {
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: {
        resourceVersion: String(this.rv),
        ...(more && { continue: Buffer.from(String(end)).toString('base64'), remainingItemCount: all.length - end }),
      },
      items,
    });
  }

  private watch(url: URL, selector: Record<string, string>, res: ServerResponse): void {
    this.stats.watches++;
    const from = Number(url.searchParams.get('resourceVersion') ?? '0');
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      Date: new Date(this.now()).toUTCString(),
    });
    if (from < this.oldestKept) {
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.rv})`) })}\n`,
      );
      return;
    }
    const w: Watch = {
      res,
      selector,
      bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
      timers: [],
    };
    this.watches.add(w);
    res.on('close', () => {
      for (const t of w.timers) clearTimeout(t);
      this.watches.delete(w);
    });
    for (const e of this.events) if (e.rv > from && matches(e.object, selector)) this.send(w, e);
    const seconds = Number(url.searchParams.get('timeoutSeconds') ?? '1800');
    w.timers.push(setTimeout(() => this.endWatch(w), Math.min(seconds * 1000, this.options.maxWatchMs ?? Infinity)));
    if (w.bookmarks) {
      const bookmark = (): void => {
        res.write(
          `${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } })}\n`,
        );
        w.timers.push(setTimeout(bookmark, this.options.bookmarkMs ?? 1000));
      };
      w.timers.push(setTimeout(bookmark, this.options.bookmarkMs ?? 1000));
    }
  }
}

/** The commands the program form takes over IPC, each answered with `{ id, ok, error? }`. */
export type StandInCommand =
  | { readonly op: 'addPod'; readonly spec: PodSpec }
  | { readonly op: 'updatePod'; readonly name: string; readonly change: Partial<Omit<PodSpec, 'name' | 'labels'>> }
  | { readonly op: 'terminatePod' | 'deletePod'; readonly name: string }
  | { readonly op: 'pause' | 'resume' | 'expireWatches' | 'compact' | 'stats' }
  | { readonly op: 'forbid'; readonly on: boolean };

async function main(): Promise<void> {
  const config = JSON.parse(process.env.KUBE_STAND_IN ?? '{}') as StandInOptions & { host: string; port: number };
  const standIn = new KubeApiStandIn(config);
  await standIn.listen(config.host, config.port);
  process.on('message', (message: { id: number; command: StandInCommand }) => {
    const { id, command } = message;
    void (async () => {
      try {
        let result: unknown;
        if (command.op === 'addPod') standIn.addPod(command.spec);
        else if (command.op === 'updatePod') standIn.updatePod(command.name, command.change);
        else if (command.op === 'terminatePod') standIn.terminatePod(command.name);
        else if (command.op === 'deletePod') standIn.deletePod(command.name);
        else if (command.op === 'pause') await standIn.pause();
        else if (command.op === 'resume') await standIn.resume();
        else if (command.op === 'expireWatches') standIn.expireWatches();
        else if (command.op === 'compact') standIn.compact();
        else if (command.op === 'forbid') standIn.forbid(command.on);
        else result = standIn.stats;
        process.send?.({ id, ok: true, result });
      } catch (error) {
        process.send?.({ id, ok: false, error: (error as Error).message });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ id: 0, ok: true });
}

if (require.main === module) void main();

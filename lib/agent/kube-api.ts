/**
 * The little of the Kubernetes API the agent uses: list and watch the pods of its instance, in
 * its namespace, with the pod's service account. Hand-written over `node:https` because the
 * official client (`@kubernetes/client-node`) is 72 packages and 73 MB installed, takes 0.7 s
 * to load, and its current line needs Node.js 22; the agent needs two GET requests.
 *
 * Everything from the network is bounded: response bodies and watch lines have a size limit,
 * requests a time limit, a watch an idle limit, and only the fields the agent reads are kept.
 * The token is read again for every request, since projected service account tokens rotate.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { join } from 'node:path';
import * as ipaddr from 'ipaddr.js';

/** Where the kubelet mounts the service account's token, CA and namespace in every pod. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Longest token, CA bundle or namespace file read (a token is about 1 KiB, a CA bundle a few). */
const MAX_FILE_BYTES = 256 * 1024;
/** Longest list response page (100 pods with their managed fields fit in a few hundred KiB). */
export const MAX_LIST_BYTES = 8 * 1024 * 1024;
/** Longest watch event: one pod. */
export const MAX_EVENT_BYTES = 2 * 1024 * 1024;
/** Most pods listed: an instance has at most 255 replicas, plus pods being replaced. */
export const MAX_PODS = 1000;
/** Pods asked for per list page. */
const PAGE_SIZE = 100;
/** How long a list request may take, connection included. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** How long the API server keeps a watch open before it ends it (then the agent watches again). */
export const WATCH_SECONDS = 290;
/** A watch silent this much longer than that has lost its connection. */
const WATCH_IDLE_MARGIN_MS = 30_000;

/** Where the API server is and how to authenticate: what a pod finds in its environment and files. */
export interface KubeEndpoint {
  /** IP address or DNS name of the API server (`KUBERNETES_SERVICE_HOST`). */
  readonly host: string;
  /** `KUBERNETES_SERVICE_PORT`. */
  readonly port: number;
  /** The service account directory: `token`, `ca.crt`, `namespace`. */
  readonly dir: string;
  /** The pod's namespace, read from the directory. */
  readonly namespace: string;
}

/** A failed request: the HTTP status if there was one, and why, in words. */
export class KubeApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status (or the watch ERROR event's code), if the server answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Only the fields of a pod the agent reads. */
export interface PodSummary {
  readonly uid: string;
  readonly name: string;
  /** The node the pod is bound to; absent while it is not scheduled. */
  readonly nodeName?: string;
  /** `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`. */
  readonly phase?: string;
  /** The pod's IPs (with `hostNetwork`, the node's), then its host IPs, without duplicates. */
  readonly addresses: readonly string[];
  /** The pod is being deleted (it still counts until it is gone). */
  readonly deleting: boolean;
  /** When the pod was created (`metadata.creationTimestamp`, ms since the epoch, the API server's clock). */
  readonly created?: number;
}

/** A page of pods and the resource version to watch from. */
export interface PodList {
  readonly pods: readonly PodSummary[];
  readonly resourceVersion: string;
  /**
   * The API server's time when it answered (its `Date` header, ms since the epoch), so pod ages
   * are read on one clock, not the node's against the server's; absent when it sent none.
   */
  readonly serverTime?: number;
}

/** A change the watch reports. */
export type PodEvent =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly pod: PodSummary; readonly resourceVersion: string }
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: string };

/** How a watch ended: the server closed it (watch again from the last version), or the version is too old (list again). */
export type WatchEnd = 'closed' | 'expired';

/** Reads a file of the service account directory, bounded. */
export type ReadFile = (path: string) => string;

function readBounded(path: string): string {
  const data = readFileSync(path);
  if (data.length > MAX_FILE_BYTES) throw new Error(`${path} is larger than ${MAX_FILE_BYTES} bytes`);
  return data.toString('utf8');
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The API server as a pod sees it: `KUBERNETES_SERVICE_HOST`/`_PORT` and the namespace file of
 * the service account directory; a reason in words when something is missing or malformed.
 */
export function inClusterEndpoint(
  env: Readonly<Record<string, string | undefined>>,
  dir: string = SERVICE_ACCOUNT_DIR,
  readFile: ReadFile = readBounded,
): KubeEndpoint | { readonly reason: string } {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const portText = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (host === '') return { reason: 'KUBERNETES_SERVICE_HOST is not set (the agent does not run in a pod)' };
  if (!ipaddr.isValid(host) && !DNS_NAME.test(host))
    return { reason: `KUBERNETES_SERVICE_HOST ${JSON.stringify(host)} is not an address or a DNS name` };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535))
    return { reason: `KUBERNETES_SERVICE_PORT ${JSON.stringify(portText)} is not a port` };
  let namespace: string;
  try {
    namespace = readFile(join(dir, 'namespace')).trim();
  } catch (error) {
    return { reason: `cannot read the service account's namespace in ${dir}: ${(error as Error).message}` };
  }
  if (!DNS_LABEL.test(namespace))
    return { reason: `the namespace file in ${dir} holds ${JSON.stringify(namespace.slice(0, 64))}, not a namespace` };
  return { host, port, dir, namespace };
}

/** A label selector `key=value` for the query string, both parts checked by the caller. */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The IPs of a `podIPs`/`hostIPs` list: `[{ ip }]`. */
function ipsOf(list: unknown): string[] {
  return Array.isArray(list)
    ? list.flatMap((entry) => (isRecord(entry) && str(entry.ip) ? [entry.ip as string] : []))
    : [];
}

/** A timestamp the API server wrote (RFC 3339, or an HTTP date) in ms since the epoch; `undefined` when it is none. */
function timeOf(value: unknown): number | undefined {
  const text = str(value);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The fields the agent reads from a pod object; `undefined` when it is not a pod. */
export function podSummary(object: unknown): PodSummary | undefined {
  if (!isRecord(object) || !isRecord(object.metadata)) return undefined;
  const { metadata } = object;
  const spec = isRecord(object.spec) ? object.spec : {};
  const status = isRecord(object.status) ? object.status : {};
  const uid = str(metadata.uid);
  const name = str(metadata.name);
  if (uid === undefined || name === undefined) return undefined;
  const addresses = [
    ...ipsOf(status.podIPs),
    ...(str(status.podIP) ? [status.podIP as string] : []),
    ...ipsOf(status.hostIPs),
    ...(str(status.hostIP) ? [status.hostIP as string] : []),
  ].filter((ip) => ipaddr.isValid(ip));
  const nodeName = str(spec.nodeName);
  const phase = str(status.phase);
  const created = timeOf(metadata.creationTimestamp);
  return {
    uid,
    name,
    ...(nodeName ? { nodeName } : {}),
    ...(phase ? { phase } : {}),
    addresses: [...new Set(addresses)],
    deleting: metadata.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null,
    ...(created !== undefined && { created }),
  };
}

/** A Status object's message and code, for errors. */
/** The JSON a body carries, or `undefined` when it is not JSON (a proxy's HTML page, a cut answer). */
function jsonOf(chunks: readonly Buffer[]): unknown {
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function statusOf(object: unknown): { message: string; code?: number; reason?: string } {
  if (!isRecord(object)) return { message: 'no Status' };
  const code = typeof object.code === 'number' ? object.code : undefined;
  return {
    message: str(object.message) ?? str(object.reason) ?? 'no message',
    ...(code !== undefined && { code }),
    ...(str(object.reason) !== undefined && { reason: object.reason as string }),
  };
}

/** Words for an HTTP error status, with the fix where the cause is known. */
function httpProblem(status: number, message: string): string {
  if (status === 401) return `401 Unauthorized (${message}): the service account token was refused`;
  if (status === 403)
    return `403 Forbidden (${message}): the service account may not list or watch pods in this namespace; bind it to a Role with list and watch on pods`;
  return `HTTP ${status} (${message})`;
}

/** Injected for tests: the HTTPS request function. */
export type RequestFn = (options: RequestOptions, callback: (response: IncomingMessage) => void) => ClientRequest;

/** Time limits of a client; the defaults are the constants above, tests shorten them. */
export interface KubeApiLimits {
  /** @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** @default WATCH_SECONDS */
  readonly watchSeconds?: number;
  /** @default 30 s */
  readonly watchIdleMarginMs?: number;
}

/** What a client may be given instead of the real thing. */
export interface KubeApiOptions {
  /** @default - a bounded read of the real file */
  readonly readFile?: ReadFile;
  /** @default https.request */
  readonly request?: RequestFn;
  readonly limits?: KubeApiLimits;
}

/** A client of one namespace's pods. */
export class KubeApi {
  private readonly readFile: ReadFile;
  private readonly request: RequestFn;
  private readonly requestTimeoutMs: number;
  private readonly watchSeconds: number;
  private readonly watchIdleMarginMs: number;

  constructor(
    private readonly endpoint: KubeEndpoint,
    options: KubeApiOptions = {},
  ) {
    this.readFile = options.readFile ?? readBounded;
    this.request = options.request ?? httpsRequest;
    this.requestTimeoutMs = options.limits?.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.watchSeconds = options.limits?.watchSeconds ?? WATCH_SECONDS;
    this.watchIdleMarginMs = options.limits?.watchIdleMarginMs ?? WATCH_IDLE_MARGIN_MS;
  }

  /** The namespace the pods are listed in. */
  get namespace(): string {
    return this.endpoint.namespace;
  }

  /** Token and CA, read now: the token may have been rotated since the last request. */
  private credentials(): { token: string; ca: string } {
    const token = this.readFile(join(this.endpoint.dir, 'token')).trim();
    const ca = this.readFile(join(this.endpoint.dir, 'ca.crt'));
    if (token === '' || /[\s]/.test(token))
      throw new KubeApiError(`the token in ${this.endpoint.dir} is empty or malformed`);
    return { token, ca };
  }

  private options(path: string, timeout: number): RequestOptions {
    let creds: { token: string; ca: string };
    try {
      creds = this.credentials();
    } catch (error) {
      if (error instanceof KubeApiError) throw error;
      throw new KubeApiError(`cannot read the service account in ${this.endpoint.dir}: ${(error as Error).message}`);
    }
    return {
      hostname: this.endpoint.host,
      port: this.endpoint.port,
      path,
      method: 'GET',
      ca: creds.ca,
      timeout,
      headers: { Authorization: `Bearer ${creds.token}`, Accept: 'application/json', 'User-Agent': 'ipfailover-agent' },
    };
  }

  private podsPath(selector: string, query: Record<string, string>): string {
    const params = new URLSearchParams({ labelSelector: selector, ...query });
    return `/api/v1/namespaces/${encodeURIComponent(this.endpoint.namespace)}/pods?${params.toString()}`;
  }

  /**
   * One GET whose JSON body is at most `maxBytes`, with the server's time; rejects with a
   * {@link KubeApiError}.
   */
  private getJson(path: string): Promise<{ body: unknown; serverTime: number | undefined }> {
    return new Promise((resolve, reject) => {
      let options: RequestOptions;
      try {
        options = this.options(path, this.requestTimeoutMs);
      } catch (error) {
        reject(error);
        return;
      }
      const limit = this.requestTimeoutMs;
      const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${limit} ms`)), limit);
      const req = this.request(options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_LIST_BYTES) req.destroy(new Error(`the answer is larger than ${MAX_LIST_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', (error) => finish(error));
        res.on('end', () => {
          const body = jsonOf(chunks);
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            finish(new KubeApiError(httpProblem(status, statusOf(body).message), status));
          } else if (body === undefined) {
            finish(new KubeApiError('the answer is not JSON'));
          } else {
            clearTimeout(deadline);
            resolve({ body, serverTime: timeOf(res.headers.date) });
          }
        });
      });
      const finish = (error: Error): void => {
        clearTimeout(deadline);
        reject(error instanceof KubeApiError ? error : new KubeApiError(error.message));
      };
      req.on('timeout', () => req.destroy(new Error(`no answer within ${limit} ms`)));
      req.on('error', finish);
      req.end();
    });
  }

  /** Lists the pods matching `selector`, page by page, at most {@link MAX_PODS}. */
  async listPods(selector: string): Promise<PodList> {
    const pods: PodSummary[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    let serverTime: number | undefined;
    do {
      const page = await this.getJson(
        this.podsPath(selector, { limit: String(PAGE_SIZE), ...(cont && { continue: cont }) }),
      );
      const { body } = page;
      serverTime = page.serverTime ?? serverTime;
      if (!isRecord(body) || !Array.isArray(body.items) || !isRecord(body.metadata))
        throw new KubeApiError('the answer is not a PodList');
      for (const item of body.items) {
        const pod = podSummary(item);
        if (pod) pods.push(pod);
      }
      if (pods.length > MAX_PODS) throw new KubeApiError(`more than ${MAX_PODS} pods match ${selector}`);
      resourceVersion = str(body.metadata.resourceVersion) ?? resourceVersion;
      cont = str(body.metadata.continue) || undefined;
    } while (cont !== undefined);
    return { pods, resourceVersion, ...(serverTime !== undefined && { serverTime }) };
  }

  /**
   * Watches the pods matching `selector` from `resourceVersion`, with bookmarks, calling `onEvent`
   * for each change until the server ends the watch (`closed`), says the version is too old
   * (`expired`: list again), or `signal` aborts it (`closed`); `onOpen` once the server has
   * accepted it. Rejects when the connection fails.
   */
  watchPods(
    selector: string,
    resourceVersion: string,
    onEvent: (event: PodEvent) => void,
    signal?: AbortSignal,
    onOpen?: () => void,
  ): Promise<WatchEnd> {
    return new Promise((resolve, reject) => {
      let options: RequestOptions;
      try {
        options = this.options(
          this.podsPath(selector, {
            watch: '1',
            resourceVersion,
            allowWatchBookmarks: 'true',
            timeoutSeconds: String(this.watchSeconds),
          }),
          this.requestTimeoutMs,
        );
      } catch (error) {
        reject(error);
        return;
      }
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      const done = (end: WatchEnd | Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        signal?.removeEventListener('abort', abort);
        req.destroy();
        // Not `instanceof Error`: errors from Node's own modules may come from another realm.
        if (typeof end === 'string') resolve(end);
        else reject(end instanceof KubeApiError ? end : new KubeApiError(end.message));
      };
      const abort = (): void => done('closed');
      const idleLimit = this.watchSeconds * 1000 + this.watchIdleMarginMs;
      const touch = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => done(new Error(`the watch was silent for ${idleLimit / 1000} s`)), idleLimit);
      };
      const req = this.request(options, (res) => {
        req.setTimeout(0);
        touch();
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
          res.on('end', () => {
            const body = jsonOf(chunks);
            if (status === 410) done('expired');
            else done(new KubeApiError(httpProblem(status, statusOf(body).message), status));
          });
          return;
        }
        onOpen?.();
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          touch();
          pending += chunk;
          let newline: number;
          while ((newline = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, newline);
            pending = pending.slice(newline + 1);
            if (line.trim() !== '' && handleLine(line) !== undefined) return;
          }
          if (pending.length > MAX_EVENT_BYTES)
            done(new Error(`a watch event is larger than ${MAX_EVENT_BYTES} bytes`));
        });
        res.on('end', () => done('closed'));
        res.on('error', (error) => done(error));
        // A connection cut mid-stream may end the response with neither.
        res.on('close', () => done(new Error('the connection was closed')));
      });
      /** One event line; returns something when the watch is over. */
      const handleLine = (line: string): true | undefined => {
        let event: unknown;
        try {
          event = JSON.parse(line);
        } catch {
          done(new Error('a watch event is not JSON'));
          return true;
        }
        if (!isRecord(event) || typeof event.type !== 'string') {
          done(new Error('a watch event has no type'));
          return true;
        }
        if (event.type === 'ERROR') {
          const status = statusOf(event.object);
          if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') done('expired');
          else done(new KubeApiError(`the watch failed: ${status.message}`, status.code));
          return true;
        }
        const metadata = isRecord(event.object) && isRecord(event.object.metadata) ? event.object.metadata : {};
        const rv = str(metadata.resourceVersion) ?? '';
        if (event.type === 'BOOKMARK') {
          onEvent({ type: 'BOOKMARK', resourceVersion: rv });
          return undefined;
        }
        if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED') return undefined;
        const pod = podSummary(event.object);
        if (pod) onEvent({ type: event.type, pod, resourceVersion: rv });
        return undefined;
      };
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.requestTimeoutMs} ms`)));
      req.on('error', (error) => done(error));
      if (signal?.aborted) {
        done('closed');
        return;
      }
      signal?.addEventListener('abort', abort);
      req.end();
    });
  }
}

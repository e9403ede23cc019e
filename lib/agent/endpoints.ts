/**
 * The agent's HTTP endpoints on the instance's host port: `/metrics` (Prometheus) and `/readyz`
 * (the readiness probe). Nothing else: no write, no debug page, no keepalived config. The
 * server answers GET and HEAD only, reads no request body, and bounds what a client can hold:
 * small headers, a few seconds per request, a limited number of connections.
 *
 * It listens on one address, never on all of them: the pod's IP (the kubelet probes it and
 * Prometheus scrapes it), so the endpoints are not reachable on the VIPs a node holds nor on its
 * other networks.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { ENV_NAMES } from '../core/env/env-contract';
import { AGENT_PATHS, LISTEN_ADDRESS_ENV } from '../core/model/agent-endpoints';
import { isProblem } from '../core/model/issues';
import { parseAddress } from '../core/rules/vip-range';
import { agentRegistry, type AgentInfo } from './metrics';
import type { VrrpStatus } from './vrrp-status';

/** An answer of the endpoints. */
export interface EndpointAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Answers one request, by method and path (the query string already cut off). */
export type Responder = (method: string, path: string) => Promise<EndpointAnswer>;

const TEXT = 'text/plain; charset=utf-8';

/** The answers of `/metrics` and `/readyz`, from the model and its registry. */
export function agentResponder(status: VrrpStatus, registry: Registry): Responder {
  return async (method, path) => {
    if (path !== AGENT_PATHS.metrics && path !== AGENT_PATHS.ready)
      return {
        status: 404,
        contentType: TEXT,
        body: `not found; the agent serves ${AGENT_PATHS.metrics} and ${AGENT_PATHS.ready}\n`,
      };
    if (method !== 'GET' && method !== 'HEAD')
      return { status: 405, contentType: TEXT, body: 'method not allowed\n', headers: { Allow: 'GET, HEAD' } };
    if (path === AGENT_PATHS.metrics)
      return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
    const readiness = status.readiness();
    return {
      status: readiness.ready ? 200 : 503,
      contentType: TEXT,
      body: `${readiness.ready ? 'ready' : 'not ready'}: ${readiness.reason}\n`,
    };
  };
}

/** A running server. */
export interface EndpointServer {
  /** `http://address:port`, for the log. */
  readonly url: string;
  /** Stops listening and ends every open connection. */
  close(): Promise<void>;
}

/** Starts serving `respond` on one address and port; rejects (with the listen error) when it cannot. */
export type ServeFn = (address: string, port: number, respond: Responder) => Promise<EndpointServer>;

/** Limits of the real server: a scrape or a probe is one small request, answered at once. */
export const SERVER_LIMITS = {
  /** Request headers, bytes (Node.js's default is 16 KiB). */
  maxHeaderSize: 4096,
  /** A whole request, headers included, ms. */
  requestTimeoutMs: 5000,
  /** An idle kept-alive connection, ms. */
  keepAliveTimeoutMs: 5000,
  /** Connections at once; more are refused. */
  maxConnections: 32,
} as const;

/** The host part of a URL: IPv6 in brackets. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The real server, with `node:http` and {@link SERVER_LIMITS}. */
export const httpServe: ServeFn = (address, port, respond) =>
  new Promise((resolve, reject) => {
    const server = createServer(
      {
        maxHeaderSize: SERVER_LIMITS.maxHeaderSize,
        requestTimeout: SERVER_LIMITS.requestTimeoutMs,
        headersTimeout: SERVER_LIMITS.requestTimeoutMs,
        keepAliveTimeout: SERVER_LIMITS.keepAliveTimeoutMs,
      },
      (request, response) => void answer(request, response, respond),
    );
    server.maxConnections = SERVER_LIMITS.maxConnections;
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      // A failing socket of one client must not take the agent down.
      server.on('error', () => undefined);
      const bound = server.address();
      resolve({
        // The port the kernel gave when asked for 0 (tests), else the one asked for.
        url: `http://${hostPort(address, typeof bound === 'object' && bound !== null ? bound.port : port)}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });

async function answer(request: IncomingMessage, response: ServerResponse, respond: Responder): Promise<void> {
  let reply: EndpointAnswer;
  try {
    const path = (request.url ?? '/').split('?')[0]!;
    reply = await respond(request.method ?? 'GET', path);
  } catch (error) {
    reply = { status: 500, contentType: TEXT, body: `error: ${(error as Error).message}\n` };
  }
  response.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Content-Length': Buffer.byteLength(reply.body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...reply.headers,
  });
  response.end(request.method === 'HEAD' ? undefined : reply.body);
}

/**
 * The address to serve on: {@link LISTEN_ADDRESS_ENV} when set (the Deployment sets the pod IP),
 * else the node's address on the VRRP interface. A reason when the variable is not an address.
 */
export function listenAddressOf(
  env: Readonly<Record<string, string | undefined>>,
  nodeAddress: string | undefined,
): { readonly address: string | undefined } | { readonly reason: string } {
  const text = (env[LISTEN_ADDRESS_ENV] ?? '').trim();
  if (text === '') return { address: nodeAddress };
  const parsed = parseAddress(text);
  if (isProblem(parsed))
    return {
      reason: `'${LISTEN_ADDRESS_ENV}' ${JSON.stringify(text)} ${parsed.problem}; set it from the pod's IP (fieldRef status.podIP) or leave it unset to serve on the node's address on the VRRP interface`,
    };
  return { address: parsed.toString() };
}

/** Where and what the agent serves, and where it says so. */
export interface EndpointsOptions {
  /** `undefined` when neither the variable nor the interface gave one. */
  readonly address: string | undefined;
  readonly port: number;
  readonly info: AgentInfo;
  readonly log: (line: string) => void;
  readonly logError: (line: string) => void;
}

const SERVED = `${AGENT_PATHS.metrics} and ${AGENT_PATHS.ready}`;

/** The fix for a listen error, by its code. */
function listenFix(code: string | undefined, address: string, port: number): string {
  if (code === 'EADDRINUSE')
    return `another program listens on port ${port} of this node; stop it, or move this instance (the port is 63000 + ${ENV_NAMES.vrrpIdOffset})`;
  if (code === 'EADDRNOTAVAIL')
    return `${address} is not an address of this node; set ${LISTEN_ADDRESS_ENV} to the pod's IP (fieldRef status.podIP) or leave it unset`;
  return `set ${LISTEN_ADDRESS_ENV} to the pod's IP (fieldRef status.podIP)`;
}

/**
 * Starts the endpoints and says where, in one line; `undefined` when there is no server to
 * start or it could not listen. A failure is logged, not fatal: keepalived keeps the VIPs
 * served, and the failing readiness probe shows the pod as not ready, with this line as the why.
 */
export async function startEndpoints(
  status: VrrpStatus,
  serve: ServeFn | undefined,
  options: EndpointsOptions,
): Promise<EndpointServer | undefined> {
  if (serve === undefined) return undefined;
  const { address, port } = options;
  if (address === undefined) {
    options.logError(
      `ipfailover agent: no address to serve ${SERVED} on: ${options.info.interface} has none of the VIPs' family; set ${LISTEN_ADDRESS_ENV} to the pod's IP; keepalived runs without them, and the readiness probe fails`,
    );
    return undefined;
  }
  try {
    const server = await serve(address, port, agentResponder(status, agentRegistry(status, options.info)));
    options.log(`ipfailover: serving ${SERVED} on ${server.url}`);
    return server;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    options.logError(
      `ipfailover agent: could not serve ${SERVED} on ${hostPort(address, port)} (${code ?? (error as Error).message}); keepalived runs without them, and the readiness probe fails; ${listenFix(code, address, port)}`,
    );
    return undefined;
  }
}

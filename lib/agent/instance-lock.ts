/**
 * One agent per failover instance on a node. Two agents with the same config name, or the same
 * VRRP ID on the same interface, would both become MASTER without a word. A lock file is not
 * enough: two pods have different state dirs and file systems. What they share is the node's
 * network namespace (`hostNetwork`), and with it the abstract unix socket names: an agent holds
 * one socket per config name and one per VRRP ID, and the kernel refuses a second bind. The
 * sockets vanish with the process, however it dies, so nothing is ever stale. `ipfailover remove`
 * connects to the name's socket to learn whether the instance's agent still runs.
 */
import { createConnection, createServer, type Server } from 'node:net';

/** The abstract socket names for an instance: its config name, and each VRRP ID on its interface. */
export function instanceKeys(
  configName: string,
  networkInterface: string,
  family: 'ipv4' | 'ipv6',
  vrrpIds: readonly number[],
): string[] {
  return [nameKey(configName), ...vrrpIds.map((id) => `ipfailover/vrid/${networkInterface}/${family}/${id}`)];
}

/** The abstract socket name of a config name. */
export function nameKey(configName: string): string {
  return `ipfailover/name/${configName}`;
}

/** The instance's sockets, held until released. */
export interface InstanceLock {
  release(): void;
}

/** The lock, or the key another agent holds and what that agent says about itself. */
export type LockResult =
  | { readonly ok: true; readonly lock: InstanceLock }
  | { readonly ok: false; readonly key: string; readonly holder: string };

/** Takes every key, answering each connection with `me`; injected in tests. */
export type LockFn = (keys: readonly string[], me: string) => Promise<LockResult>;

/** Who holds a key (what its agent says about itself), or `undefined` when nobody does. */
export type ProbeFn = (key: string) => Promise<string | undefined>;

function listen(key: string, me: string): Promise<{ server: Server } | { error: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.end(me));
    server.once('error', (error: NodeJS.ErrnoException) => resolve({ error }));
    // The lock must not keep the agent alive once keepalived is gone.
    server.listen({ path: `\0${key}` }, () => resolve({ server: server.unref() }));
  });
}

/** The real lock: abstract unix sockets in this network namespace. */
export const abstractSocketLock: LockFn = async (keys, me) => {
  const held: Server[] = [];
  const release = (): void => {
    for (const server of held.splice(0)) server.close();
  };
  for (const key of keys) {
    const got = await listen(key, me);
    if ('server' in got) {
      held.push(got.server);
      continue;
    }
    release();
    if (got.error.code !== 'EADDRINUSE')
      throw new Error(`could not take the instance lock ${key}: ${got.error.message}`);
    return { ok: false, key, holder: (await abstractSocketProbe(key)) ?? 'another process' };
  }
  return { ok: true, lock: { release } };
};

/** The real probe: connects to the abstract socket and reads the holder's self-description. */
export const abstractSocketProbe: ProbeFn = (key) =>
  new Promise((resolve) => {
    let text = '';
    const socket = createConnection({ path: `\0${key}` });
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(text || 'a process that did not say who it is');
    });
  });

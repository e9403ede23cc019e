/**
 * Keeps the instance's pods current: list, then watch from the list's version; a watch the
 * server ends is started again from the last version seen (bookmarks included), a version the
 * server no longer has (410) means a new list, and any failure a retry after a growing,
 * jittered delay. It never gives up: the agent serves on with what it last knew, and is told
 * only when the API server becomes unreachable and when it is back.
 */
import { KubeApiError, type KubeApi, type PodSummary } from './kube-api';

/** The part of the API client the loop uses. */
export type PodSource = Pick<KubeApi, 'listPods' | 'watchPods'>;

/** First and longest delay between retries. */
export interface Backoff {
  /** @default 1000 */
  readonly initialMs: number;
  /** @default 30000 */
  readonly maxMs: number;
}

/** Retry delays: 1 s doubling to 30 s, each jittered down by up to half so agents spread out. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 30_000 };

/** A watch that ends sooner than this after it started is followed by a pause, not at once. */
export const SHORTEST_WATCH_MS = 1000;

/** What the loop is given. */
export interface PodWatchOptions {
  readonly source: PodSource;
  readonly selector: string;
  /** The pods after each list (with the API server's time of it, if it sent one) and after each change. */
  readonly onPods: (pods: readonly PodSummary[], listedAt?: number) => void;
  /** Whether the API server answers: called at the first answer or failure, then on each change. */
  readonly onReachable: (reachable: boolean, reason?: string) => void;
  /** @default DEFAULT_BACKOFF */
  readonly backoff?: Backoff;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default Date.now */
  readonly clock?: () => number;
  /** @default SHORTEST_WATCH_MS */
  readonly shortestWatchMs?: number;
}

/** A running loop. */
export interface PodWatch {
  /** Stops the loop and any open watch. */
  stop(): Promise<void>;
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** Why a request failed, in one line. */
function reasonOf(error: unknown): string {
  return error instanceof KubeApiError
    ? error.message
    : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
}

/** Starts the loop; see the file comment. */
export function watchInstancePods(options: PodWatchOptions): PodWatch {
  const abort = new AbortController();
  const { signal } = abort;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const random = options.random ?? Math.random;
  const clock = options.clock ?? Date.now;
  let reachable: boolean | undefined;
  const setReachable = (now: boolean, reason?: string): void => {
    if (reachable === now) return;
    reachable = now;
    options.onReachable(now, reason);
  };

  const loop = async (): Promise<void> => {
    const pods = new Map<string, PodSummary>();
    let version: string | undefined;
    let delay = backoff.initialMs;
    while (!signal.aborted) {
      try {
        if (version === undefined) {
          const list = await options.source.listPods(options.selector);
          if (signal.aborted) return;
          pods.clear();
          for (const pod of list.pods) pods.set(pod.uid, pod);
          version = list.resourceVersion;
          setReachable(true);
          options.onPods([...pods.values()], list.serverTime);
        }
        const started = clock();
        const end = await options.source.watchPods(
          options.selector,
          version,
          (event) => {
            version = event.resourceVersion || version;
            if (event.type === 'BOOKMARK') return;
            if (event.type === 'DELETED') pods.delete(event.pod.uid);
            else pods.set(event.pod.uid, event.pod);
            options.onPods([...pods.values()]);
          },
          signal,
          () => {
            setReachable(true);
            delay = backoff.initialMs;
          },
        );
        if (signal.aborted) return;
        if (end === 'expired') version = undefined;
        const shortest = options.shortestWatchMs ?? SHORTEST_WATCH_MS;
        if (clock() - started < shortest) await pause(shortest, signal);
      } catch (error) {
        if (signal.aborted) return;
        setReachable(false, reasonOf(error));
        await pause(delay * (0.5 + random() / 2), signal);
        delay = Math.min(delay * 2, backoff.maxMs);
      }
    }
  };

  const running = loop();
  return {
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}

/**
 * The instance's nodes read from the cluster, for the agent: the API client, the list-and-watch
 * loop and the membership put together, with the lines the agent logs about them. The agent
 * asks for the members once at start (waiting a moment for the first list) and is told of every
 * change after; when the API server cannot be reached it keeps what it last knew, and says so
 * once per outage.
 */
import type { IpFamily } from '../core/rules/vip-range';
import { inClusterEndpoint, KubeApi, labelSelector, SERVICE_ACCOUNT_DIR } from './kube-api';
import { formingEnd } from './forming';
import { Membership, type Member } from './membership';
import { watchInstancePods, type PodSource, type PodWatch } from './pod-watch';

/** How long the agent waits at start for the first list before it starts keepalived without it. */
export const FIRST_LIST_WAIT_MS = 5000;

/** What the discovery is given. */
export interface ClusterNodesOptions {
  /** The process environment: `KUBERNETES_SERVICE_HOST`/`_PORT`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** @default SERVICE_ACCOUNT_DIR */
  readonly serviceAccountDir?: string;
  /** The labels that select the instance's pods. */
  readonly labels: Readonly<Record<string, string>>;
  /** This node's name and address. */
  readonly self: string;
  readonly selfAddress?: string;
  /** The VIPs' family. */
  readonly family: IpFamily;
  readonly log: (line: string) => void;
  readonly logError: (line: string) => void;
  /** @default FIRST_LIST_WAIT_MS */
  readonly firstListWaitMs?: number;
  /** @default - the API server of the pod's environment */
  readonly source?: PodSource;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Passed to the membership (tests shorten it). */
  readonly graceMs?: number;
  /** What the agent does while no node is listed, for the outage line. @default 'no node listed yet' */
  readonly whileUnlisted?: string;
}

/** The running discovery. */
export interface ClusterNodes {
  /** The members, once the pods were listed; `undefined` before. */
  current(): Member[] | undefined;
  /** Called with the members after each change (the first list included, if it comes late). */
  onChange(listener: (members: Member[]) => void): void;
  /** Resolves when the pods were listed (at once if they were). */
  listed(): Promise<void>;
  /**
   * When the instance stops forming (local clock), as the first list showed it; `undefined`
   * when it had formed, or before the first list (see `forming.ts`).
   */
  formingUntil(): number | undefined;
  stop(): Promise<void>;
}

/** Why the discovery cannot start at all (no API server in the environment), or the discovery. */
export async function discoverClusterNodes(options: ClusterNodesOptions): Promise<ClusterNodes | { reason: string }> {
  let source = options.source;
  if (source === undefined) {
    const endpoint = inClusterEndpoint(options.env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
    if ('reason' in endpoint) return endpoint;
    source = new KubeApi(endpoint);
  }
  const membership = new Membership({
    self: options.self,
    ...(options.selfAddress !== undefined && { selfAddress: options.selfAddress }),
    family: options.family,
    ...(options.graceMs !== undefined && { graceMs: options.graceMs }),
    ...(options.clock !== undefined && { clock: options.clock }),
  });
  const clock = options.clock ?? Date.now;
  const listeners: Array<(members: Member[]) => void> = [];
  let expiry: NodeJS.Timeout | undefined;
  let stopped = false;
  let firstList: () => void = () => undefined;
  const listed = new Promise<void>((resolve) => (firstList = resolve));
  const notify = (): void => {
    for (const listener of listeners) listener(membership.members());
  };
  const scheduleExpiry = (): void => {
    clearTimeout(expiry);
    const at = membership.nextExpiry();
    if (at === undefined || stopped) return;
    expiry = setTimeout(
      () => {
        if (membership.expire()) notify();
        scheduleExpiry();
      },
      Math.max(0, at - clock()),
    );
  };
  let outages = 0;
  let forming: number | undefined;
  const watch: PodWatch = watchInstancePods({
    source,
    selector: labelSelector(options.labels),
    onPods: (pods, listedAt) => {
      const first = !membership.known;
      if (first) forming = formingEnd(pods, listedAt, clock());
      const changed = membership.update(pods);
      scheduleExpiry();
      if (first) firstList();
      if (changed || first) notify();
    },
    onReachable: (reachable, reason) => {
      if (!reachable) {
        outages++;
        const kept = membership.known
          ? `keeping the ${membership.members().length} node(s) it last listed`
          : (options.whileUnlisted ?? 'no node listed yet');
        options.logError(`ipfailover agent: cannot list the instance's pods (${reason}); ${kept}; retrying`);
      } else if (outages > 0) {
        options.log('ipfailover: the Kubernetes API answers again');
      }
    },
    ...(options.clock !== undefined && { clock: options.clock }),
  });
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([
    listed,
    new Promise((r) => (waited = setTimeout(r, options.firstListWaitMs ?? FIRST_LIST_WAIT_MS))),
  ]);
  clearTimeout(waited);
  return {
    current: () => (membership.known ? membership.members() : undefined),
    onChange: (listener) => listeners.push(listener),
    listed: () => listed,
    formingUntil: () => forming,
    stop: async () => {
      stopped = true;
      clearTimeout(expiry);
      await watch.stop();
    },
  };
}

/**
 * The nodes of a failover instance, as the agent ranks itself among them: the nodes its pods
 * are bound to, as the API server lists them. The set is kept steady on purpose, because every
 * change of it changes priorities:
 *
 * - a pod still listed counts, whatever its state: a node that is down keeps its pod listed
 *   (Running on a NotReady node, then Terminating) until it is back or deleted, so losing a
 *   node and getting it back changes nothing;
 * - a node whose pods are all gone stays a member for {@link DEPARTURE_GRACE_MS}: a pod
 *   replaced on the same node (a rolling update, a deleted pod) is back long before, so that
 *   changes nothing either; a node drained or removed for good leaves when the grace ends;
 * - pods that have finished (`Succeeded`, `Failed`: evicted pods linger in that phase) and pods
 *   not yet bound to a node do not count;
 * - the agent's own node always counts.
 *
 * A node that starts (or returns) lists the same pods as the others, so it computes the same
 * set, and the same priorities, as the nodes that kept running.
 */
import * as ipaddr from 'ipaddr.js';
import type { IpFamily } from '../core/rules/vip-range';
import type { PodSummary } from './kube-api';

/** How long a node whose pods are gone is still counted. */
export const DEPARTURE_GRACE_MS = 5 * 60_000;

/** One node of the instance. */
export interface Member {
  /** The node name. */
  readonly name: string;
  /** Its address of the VIPs' family, for unicast; absent until one of its pods has one. */
  readonly address?: string;
}

/** What a membership is given. */
export interface MembershipOptions {
  /** This node's name. */
  readonly self: string;
  /** This node's address on the VRRP interface, if known. */
  readonly selfAddress?: string;
  /** The VIPs' family: the addresses kept are of it. */
  readonly family: IpFamily;
  /** @default DEPARTURE_GRACE_MS */
  readonly graceMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

const FINISHED = new Set(['Succeeded', 'Failed']);

/** Whether a pod holds its node's place: bound to a node and not finished. */
export function counts(pod: PodSummary): pod is PodSummary & { nodeName: string } {
  return pod.nodeName !== undefined && !FINISHED.has(pod.phase ?? '');
}

/** The pod's first address of the family. */
function addressOf(pod: PodSummary, family: IpFamily): string | undefined {
  return pod.addresses.find((a) => ipaddr.isValid(a) && ipaddr.parse(a).kind() === family);
}

/** The instance's nodes, kept as the file comment says. */
export class Membership {
  private readonly graceMs: number;
  private readonly clock: () => number;
  /** Every member's last known address (or none). */
  private readonly addresses = new Map<string, string | undefined>();
  /** Members whose pods are gone, with when they went. */
  private readonly departed = new Map<string, number>();
  private listed = false;

  constructor(private readonly options: MembershipOptions) {
    this.graceMs = options.graceMs ?? DEPARTURE_GRACE_MS;
    this.clock = options.clock ?? Date.now;
    this.addresses.set(options.self, options.selfAddress);
  }

  /** Whether the pods were listed at least once (else only this node is known). */
  get known(): boolean {
    return this.listed;
  }

  /** The members, sorted by name. */
  members(): Member[] {
    return [...this.addresses.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, address]) => (address === undefined ? { name } : { name, address }));
  }

  /** A text that changes exactly when the members (or their addresses) do. */
  private fingerprint(): string {
    return JSON.stringify(this.members());
  }

  /** Takes the pods now listed; returns whether the members changed. */
  update(pods: readonly PodSummary[]): boolean {
    const before = this.fingerprint();
    this.listed = true;
    const now = this.clock();
    const present = new Map<string, string | undefined>();
    // Pods being deleted last, so a live pod's address wins over a leaving one's.
    for (const pod of [...pods].filter(counts).sort((a, b) => Number(b.deleting) - Number(a.deleting))) {
      const address = addressOf(pod, this.options.family);
      present.set(pod.nodeName, address ?? present.get(pod.nodeName));
    }
    for (const [name, address] of present) {
      this.departed.delete(name);
      if (name === this.options.self) continue;
      this.addresses.set(name, address ?? this.addresses.get(name));
    }
    for (const name of this.addresses.keys()) {
      if (name === this.options.self || present.has(name) || this.departed.has(name)) continue;
      this.departed.set(name, now);
    }
    this.expire();
    return this.fingerprint() !== before;
  }

  /** Drops members whose grace has ended; returns whether any was dropped. */
  expire(): boolean {
    const now = this.clock();
    let dropped = false;
    for (const [name, since] of this.departed) {
      if (now - since < this.graceMs) continue;
      this.departed.delete(name);
      this.addresses.delete(name);
      dropped = true;
    }
    return dropped;
  }

  /** When the next departed member's grace ends, if any is departing. */
  nextExpiry(): number | undefined {
    const ends = [...this.departed.values()].map((since) => since + this.graceMs);
    return ends.length > 0 ? Math.min(...ends) : undefined;
  }
}

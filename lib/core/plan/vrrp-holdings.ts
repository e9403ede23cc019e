/**
 * The VRRP IDs each instance holds across runs, for the planner: what a lock recorded, what this
 * run's instances take, and the lock the run leaves behind.
 *
 * An instance holds a set of IDs; its groups use the lowest of them, in order, and the rest is
 * room to grow. A run never takes an ID another instance holds, except room (held, unused) of
 * an instance planned in this run when nothing else is free. So:
 * - growing within the held IDs changes nothing; growing beyond takes free IDs above the highest
 *   held one (the gap to them goes to `HA_EXCLUDED_VRRP_IDS`, which both images honour), so the
 *   instance's existing groups keep their IDs and no other instance moves;
 * - shrinking keeps every held ID;
 * - an instance no longer declared keeps its IDs (its pods may still run; delete the entry to
 *   free them);
 * - room after an instance is given when the run's lock is written, from IDs still free, so the
 *   instances of one run are placed first-fit next to each other as without a lock, and only the
 *   last of them, and instances added later, get room.
 */
import { VRRP_ID_MAX, VRRP_ID_MIN } from '../model/limits';
import { EMPTY_LOCK, type AllocationLock } from './allocation-lock';

/** The default room: as many IDs as the instance has groups, at least this many… */
export const MIN_DEFAULT_HEADROOM = 4;
/** …and at most this many, so a large instance does not take the ID space of others. */
export const MAX_DEFAULT_HEADROOM = 16;

/** The room a newly placed instance of `groups` groups gets, given the option. */
export function headroomFor(groups: number, option: number | undefined): number {
  return option ?? Math.min(MAX_DEFAULT_HEADROOM, Math.max(MIN_DEFAULT_HEADROOM, groups));
}

/** How a run changes an instance's held IDs. */
export type HoldChange = 'kept' | 'new' | 'grown' | 'moved';

/** What planning one instance does to the holdings. */
export interface HoldDecision {
  /** The instance's lock key (`namespace/name`). */
  readonly key: string;
  /** The VRRP ID of each group, in group order. */
  readonly ids: readonly number[];
  /** What it holds after this run, before room is added. */
  readonly held: readonly number[];
  /** Room taken from other instances of this run: their key → the IDs taken. */
  readonly cuts: ReadonlyMap<string, readonly number[]>;
  readonly change: HoldChange;
  /** Whether the lock gives it room after its IDs (automatic placements; not explicit offsets). */
  readonly room: boolean;
}

interface PlannedHolding {
  readonly groups: number;
  readonly room: boolean;
  readonly changed: boolean;
}

/** The holdings of one run. */
export class VrrpHoldings {
  private readonly held = new Map<string, number[]>();
  private readonly holder = new Map<number, string>();
  /** Instances planned in this run, in declaration order. */
  private readonly planned = new Map<string, PlannedHolding>();
  /**
   * IDs an instance moved away from in this run: no other instance may take them in the same
   * run (the moved instance's old pods hold them until they are replaced).
   */
  private readonly released = new Set<number>();

  constructor(
    readonly recorded: AllocationLock = EMPTY_LOCK,
    private readonly headroom?: number,
  ) {
    for (const [key, ids] of recorded.vrrpIds) this.hold(key, [...ids]);
  }

  /**
   * Whether the recorded lock holds nothing: every held ID is then one an instance of this run
   * uses (nothing is released either, as only a recorded instance can move), and the planner
   * allocates exactly as without a lock.
   */
  get recordsNothing(): boolean {
    return this.recorded.vrrpIds.size === 0;
  }

  /** The IDs an instance holds, if any. */
  heldBy(key: string): readonly number[] | undefined {
    return this.held.get(key);
  }

  /** The instance holding an ID, if any. */
  holderOf(id: number): string | undefined {
    return this.holder.get(id);
  }

  /** Whether an instance was planned in this run. */
  isPlanned(key: string): boolean {
    return this.planned.has(key);
  }

  /** Whether an ID was given up by an instance that moved in this run. */
  isReleased(id: number): boolean {
    return this.released.has(id);
  }

  /** Whether an ID is room another instance of this run holds but does not use: the last resort. */
  isSpareRoom(id: number, key: string, used: (id: number) => boolean): boolean {
    const owner = this.holder.get(id);
    return owner !== undefined && owner !== key && this.planned.has(owner) && !used(id) && !this.released.has(id);
  }

  /** Every held ID (for suggestions, which must stay clear of all of them). */
  heldIds(): Iterable<number> {
    return this.holder.keys();
  }

  /** Records a planned instance's decision. */
  apply(decision: HoldDecision): void {
    // Taking room shortens it to end before the IDs taken (room is above every used ID).
    for (const [owner, ids] of decision.cuts) {
      const cut = Math.min(...ids);
      const [left, dropped] = partition(this.held.get(owner) ?? [], (id) => id < cut);
      for (const id of dropped) this.holder.delete(id);
      this.held.set(owner, left);
    }
    const before = this.held.get(decision.key) ?? [];
    for (const id of before) {
      if (decision.held.includes(id)) continue;
      this.holder.delete(id);
      this.released.add(id);
    }
    this.hold(decision.key, [...decision.held]);
    this.planned.set(decision.key, {
      groups: decision.ids.length,
      room: decision.room,
      changed: decision.change !== 'kept',
    });
  }

  /**
   * The lock this run leaves: every held entry, planned or not, and room after each instance
   * placed or grown in this run, from the IDs free once every instance is placed, in
   * declaration order. `taken` says which IDs no room may use (reserved, or used).
   */
  allocation(taken: (id: number) => boolean): AllocationLock {
    const result = new Map<string, number[]>([...this.held].map(([key, ids]) => [key, [...ids]]));
    const claimed = new Set(this.holder.keys());
    for (const [key, planned] of this.planned) {
      const ids = result.get(key);
      if (!planned.room || !planned.changed || !ids || ids.length === 0) continue;
      const room = headroomFor(planned.groups, this.headroom) - Math.max(0, ids.length - planned.groups);
      for (let id = ids[ids.length - 1]! + 1, added = 0; added < room && id <= VRRP_ID_MAX; id++, added++) {
        if (claimed.has(id) || this.released.has(id) || taken(id)) break;
        ids.push(id);
        claimed.add(id);
      }
    }
    return { vrrpIds: new Map([...result].filter(([, ids]) => ids.length > 0)) };
  }

  private hold(key: string, ids: number[]): void {
    ids.sort((a, b) => a - b);
    this.held.set(key, ids);
    for (const id of ids) this.holder.set(id, key);
  }
}

function partition(ids: readonly number[], keep: (id: number) => boolean): [number[], number[]] {
  return [ids.filter(keep), ids.filter((id) => !keep(id))];
}

/** Lowest offset whose `groups` IDs are all free, if any (first-fit, as without a lock). */
export function firstFit(taken: { has(id: number): boolean }, groups: number): number | undefined {
  for (let offset = VRRP_ID_MIN - 1; offset + groups <= VRRP_ID_MAX; offset++) {
    let free = true;
    for (let id = offset + 1; id <= offset + groups && free; id++) free = !taken.has(id);
    if (free) return offset;
  }
  return undefined;
}

/** Highest offset whose `groups` IDs are all free, if any: the end of someone's room, not its start. */
export function lastFit(free: (id: number) => boolean, groups: number): number | undefined {
  for (let offset = VRRP_ID_MAX - groups; offset >= VRRP_ID_MIN - 1; offset--) {
    let ok = true;
    for (let id = offset + 1; id <= offset + groups && ok; id++) ok = free(id);
    if (ok) return offset;
  }
  return undefined;
}

/**
 * The offset and skipped IDs that give an instance exactly `ids` (ascending) as
 * `vrrpIdsOf` numbers them: offset below the first, every gap up to the last excluded.
 */
export function offsetAndExclusions(ids: readonly number[]): { offset: number; excluded: number[] } {
  const excluded: number[] = [];
  for (let i = 1; i < ids.length; i++) for (let id = ids[i - 1]! + 1; id < ids[i]!; id++) excluded.push(id);
  return { offset: (ids[0] ?? VRRP_ID_MIN) - 1, excluded };
}

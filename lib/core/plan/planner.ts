/**
 * The stack-wide planner: sees every failover instance in declaration order and allocates VRRP
 * IDs, enforcing the invariants no single Deployment can check on its own.
 *
 * It is incremental and first-fit: each instance is checked against the ones before it and
 * never changes them, so adding an instance at the end never renumbers the others, and eager
 * (Pulumi) and lazy (cdk8s) front ends get the same allocation.
 *
 * Given the lock of an earlier run ({@link PlannerOptions.lock}), it also keeps every recorded
 * instance's VRRP IDs, so growing, shrinking or removing an instance renumbers no other; the
 * rules are in `vrrp-holdings.ts`, the file format in `allocation-lock.ts`.
 */
import { MAX_CLUSTER_GROUPS, VRRP_ID_MAX, VRRP_ID_MIN } from '../model/limits';
import type { Issue } from '../model/issues';
import { normalize, type FailoverSpec, type InstanceContext, type StackFacts } from '../spec/normalize';
import type { IpFailoverOptions } from '../model/props';
import type { Mutable } from '../support/plain-data';
import { groupsOf, vrrpIdsOf, type AgentSettings } from '../env/setting-rules';
import { formatVirtualIps, parseVirtualIps } from '../rules/vip-range';
import { formatIds, LOCK_ENV, lockKey, type AllocationLock } from './allocation-lock';
import {
  firstFit,
  lastFit,
  offsetAndExclusions,
  VrrpHoldings,
  type HoldChange,
  type HoldDecision,
} from './vrrp-holdings';

/** The allocation of an earlier run the planner keeps: a lock file's content. */
export interface RecordedLock {
  /** The VRRP IDs each instance holds. */
  readonly allocation: AllocationLock;
  /** How messages name it: the lock file's path. */
  readonly name: string;
  /**
   * Set when the lock must not change, saying why (`CI=true`): an instance whose VRRP IDs the
   * lock does not record as they are is then an issue instead of a change.
   * @default - the lock may change
   */
  readonly frozenBecause?: string;
}

/** Facts about the cluster the planner must respect. */
export interface PlannerOptions {
  /**
   * VRRP IDs other VRRP speakers on the same network already use, such as the cluster's own
   * API and ingress keepalived on on-premise installs. No instance gets them.
   * @default - none
   */
  readonly reservedVrrpIds?: readonly number[];
  /**
   * Addresses that must never be a VIP: the cluster's API and ingress VIPs (the docs: never
   * reuse them).
   * @default - none
   */
  readonly reservedVips?: readonly string[];
  /**
   * The VRRP IDs an earlier run recorded (the front ends read it from the lock file): every
   * instance it lists keeps its IDs, and a new one takes IDs no entry holds.
   * @default - none: every instance is placed first-fit, as in a first run
   */
  readonly lock?: RecordedLock;
  /**
   * VRRP IDs the lock records after a newly placed or grown instance's groups, while they are
   * free, so that it can grow in place. Instances placed in the same run are packed next to each
   * other as without a lock; the room comes from the IDs after the last of them.
   * @default - as many as the instance has groups, at least 4 and at most 16
   */
  readonly vrrpIdHeadroom?: number;
}

/** What {@link Planner.add} needs besides props, for Deployments read back from manifests. */
export interface AddOptions {
  /**
   * VRRP IDs the instance skips (`HA_EXCLUDED_VRRP_IDS`, as a Deployment read back carries
   * them); only with an explicit `vrrpIdOffset`.
   * @default - none
   */
  readonly excludedVrrpIds?: readonly number[];
}

/** One planned instance: its spec, the settings its agents run with, and its VRRP IDs. */
export interface InstancePlan {
  /** Construct path or component name. */
  readonly path: string;
  readonly spec: FailoverSpec;
  /** Agent settings with the allocated offset: what the env carries. */
  readonly settings: AgentSettings;
  /** VRRP ID of each group, in group order. */
  readonly vrrpIds: readonly number[];
  /** The VIPs of each group, in group order. */
  readonly groups: readonly (readonly string[])[];
  /** Whether this instance creates the service account (the first one naming it does). */
  readonly ownsServiceAccount: boolean;
}

/** What adding an instance gives: its plan when it fits, and every issue. */
export interface PlanOutcome {
  readonly plan?: InstancePlan;
  readonly issues: readonly Issue[];
}

/** A run of VRRP IDs. */
export interface IdRange {
  readonly first: number;
  readonly last: number;
}

const RESERVED = 'the cluster (reservedVrrpIds)';

/** Where an instance's VRRP IDs come from: its offset, the IDs it skips, and the lock's change. */
interface Placement {
  readonly offset: number;
  readonly excluded: readonly number[];
  /** What it does to the holdings; absent when its name is unknown (its props have issues). */
  readonly hold?: HoldDecision;
}

function describeRange(ids: readonly number[]): string {
  const first = ids[0];
  const last = ids[ids.length - 1];
  return first === last ? `ID ${first}` : `IDs ${first}..${last}`;
}

/**
 * An overlap whose fix, an offset to use instead, is worked out when the issues are read: by
 * then every instance of a cdk8s app is planned, so the offset stays free of all of them.
 */
interface PendingOffsetFix extends Omit<Issue, 'fix'> {
  readonly pending: 'offset';
  /** The instance's VRRP groups: the suggested offset must leave room for them. */
  readonly groups: number;
}

type IssueEntry = Issue | PendingOffsetFix;

function isPending(entry: IssueEntry): entry is PendingOffsetFix {
  return 'pending' in entry;
}

/** No suggestions: what an instance with no overlap needs. */
const NO_FIXES: ReadonlyMap<PendingOffsetFix, number | undefined> = new Map();

function resolveEntry(entry: IssueEntry, fixes: ReadonlyMap<PendingOffsetFix, number | undefined>): Issue {
  if (!isPending(entry)) return entry;
  const { path, field, value, problem } = entry;
  const offset = fixes.get(entry);
  return {
    path,
    field,
    value,
    problem,
    fix: offset === undefined ? 'free some VRRP IDs or use fewer groups' : `use ${offset} (first free)`,
  };
}

/** The stack facts of a valid spec. */
function factsOf(spec: FailoverSpec): StackFacts {
  const facts: Mutable<StackFacts> = {
    name: spec.name,
    namespace: spec.namespace,
    virtualIps: spec.settings.virtualIps,
    vipGroups: spec.settings.vipGroups,
  };
  // Assigned, not spread: see Mutable.
  if (spec.requestedVrrpIdOffset !== undefined) facts.requestedVrrpIdOffset = spec.requestedVrrpIdOffset;
  return facts;
}

/** `no ID`, `only 1 ID`, `only 3 IDs`. */
function freeText(count: number): string {
  return count === 0 ? 'no ID' : `only ${count} ID${count === 1 ? '' : 's'}`;
}

/** Allocates VRRP IDs and enforces the cross-instance invariants for one stack. */
export class Planner {
  private readonly plans: InstancePlan[] = [];
  private readonly issuesByPath = new Map<string, IssueEntry[]>();
  /**
   * Offsets instances asked for but did not get (their props had other problems): once those
   * are fixed they claim them, so no suggestion may use them.
   */
  private readonly intended: IdRange[] = [];
  /**
   * The overlap issues still waiting for their suggested offset, in declaration order: kept
   * apart so that working the suggestions out costs what they are, not what all issues are.
   */
  private readonly pending: PendingOffsetFix[] = [];
  private readonly idOwner = new Map<number, string>();
  private readonly vipOwner = new Map<string, string>();
  private readonly nameOwner = new Map<string, string>();
  private readonly serviceAccounts = new Set<string>();
  private poolPath: string | undefined;
  private readonly reservedVips: ReadonlySet<string>;
  private groupsUsed = 0;
  /** The VRRP IDs each instance holds: the recorded lock's, then this run's. */
  private readonly holdings: VrrpHoldings;
  private readonly lock: RecordedLock | undefined;

  constructor(options: PlannerOptions = {}) {
    for (const id of options.reservedVrrpIds ?? []) this.idOwner.set(id, RESERVED);
    this.reservedVips = new Set(parseVirtualIps(options.reservedVips ?? []).vips);
    this.lock = options.lock;
    this.holdings = new VrrpHoldings(options.lock?.allocation, options.vrrpIdHeadroom);
    if (options.lock) this.checkRecordedAgainstReserved(options.lock);
  }

  /**
   * The lock this run leaves: every entry of the recorded one (instances no longer declared
   * keep their IDs), every instance planned, and room after those placed or grown in this run.
   * Without a recorded lock, what a first run records.
   */
  get allocation(): AllocationLock {
    return this.holdings.allocation((id) => this.idOwner.has(id));
  }

  /** Every instance planned so far, in declaration order. */
  get instances(): readonly InstancePlan[] {
    return this.plans;
  }

  /**
   * Every issue found so far, in declaration order. The offsets suggested for overlapping
   * instances are worked out now, when read: each is free of every instance planned so far (not
   * only of those before it), of the offsets other instances asked for, and of every other
   * suggestion, so following all of them at once gives no new overlap.
   */
  get issues(): readonly Issue[] {
    const fixes = this.suggestedOffsets();
    return [...this.issuesByPath.values()].flat().map((entry) => resolveEntry(entry, fixes));
  }

  /** The issues of one instance, with suggestions worked out when read (see {@link issues}). */
  issuesFor(path: string): readonly Issue[] {
    const entries = this.issuesByPath.get(path) ?? [];
    if (!entries.some(isPending)) return entries as Issue[];
    const fixes = this.suggestedOffsets();
    return entries.map((entry) => resolveEntry(entry, fixes));
  }

  /** VRRP groups used by the planned instances (the cluster allows {@link MAX_CLUSTER_GROUPS}). */
  get groupCount(): number {
    return this.groupsUsed;
  }

  /** Runs of VRRP IDs that no instance and no reservation uses. */
  freeVrrpIdRanges(): IdRange[] {
    const ranges: IdRange[] = [];
    let first: number | undefined;
    for (let id = VRRP_ID_MIN; id <= VRRP_ID_MAX + 1; id++) {
      const free = id <= VRRP_ID_MAX && !this.idOwner.has(id);
      if (free && first === undefined) first = id;
      if (!free && first !== undefined) {
        ranges.push({ first, last: id - 1 });
        first = undefined;
      }
    }
    return ranges;
  }

  /** Lowest offset whose `groups` IDs are all free, if any. */
  firstFreeOffset(groups: number): number | undefined {
    return firstFit(this.idOwner, groups);
  }

  /**
   * Normalizes, validates and plans one instance against every earlier one. An instance with
   * issues claims nothing, so it cannot cause errors in later ones.
   */
  add(props: IpFailoverOptions, context: InstanceContext, options: AddOptions = {}): PlanOutcome {
    const { spec, issues, stack } = normalize(props, context);
    const found: IssueEntry[] = [...issues];
    // Bad props do not hide the stack's conflicts: what is valid is checked all the same.
    const placement = this.checkStack(spec ? factsOf(spec) : stack, context.path, found, options);
    const plan =
      spec && found.length === 0 && placement !== undefined ? this.claim(spec, context.path, placement) : undefined;
    if (found.length === 0 && plan) return { plan, issues: [] };
    const requested = stack.requestedVrrpIdOffset;
    const overlaps = found.some(isPending);
    if (requested !== undefined && stack.vipGroups !== undefined && !overlaps) {
      this.intended.push({ first: requested + 1, last: requested + stack.vipGroups });
    }
    const earlier = this.issuesByPath.get(context.path);
    // A copy of its length: the list grown by push keeps room for 17 entries, for every instance.
    this.issuesByPath.set(context.path, earlier === undefined ? found.slice() : [...earlier, ...found]);
    if (overlaps) this.pending.push(...found.filter(isPending));
    // Eager callers (Pulumi) get the suggestion as it stands now: free of every earlier instance.
    const fixes = overlaps ? this.suggestedOffsets() : NO_FIXES;
    return { issues: found.map((entry) => resolveEntry(entry, fixes)) };
  }

  /**
   * Every issue {@link add} would find for these props, without planning the instance or
   * recording anything: for front ends that must check a child's props before registering any
   * resource (a Pulumi HaService checks its failover's before its Service).
   */
  check(props: IpFailoverOptions, context: InstanceContext, options: AddOptions = {}): readonly Issue[] {
    const { spec, issues, stack } = normalize(props, context);
    const found: IssueEntry[] = [...issues];
    this.checkStack(spec ? factsOf(spec) : stack, context.path, found, options);
    // Not recorded, so the suggestion is worked out here, as if this were the next instance.
    const fixes = this.suggestedOffsets();
    return found.map((entry) =>
      isPending(entry) ? resolveEntry(entry, new Map([[entry, this.suggestionAfter(fixes, entry.groups)]])) : entry,
    );
  }

  /**
   * Records that an object needs a service account; true for the first claim of a namespace and
   * name, whose claimant creates the account (so it is emitted once).
   */
  claimServiceAccount(namespace: string, name: string): boolean {
    const key = `${namespace}/${name}`;
    const first = !this.serviceAccounts.has(key);
    this.serviceAccounts.add(key);
    return first;
  }

  /**
   * Records an ExternalIP pool; returns the path of an earlier one, if any (OpenShift takes a
   * single auto-assign range, so a stack has one pool).
   */
  claimPool(path: string): string | undefined {
    const earlier = this.poolPath;
    this.poolPath ??= path;
    return earlier;
  }

  /** IDs a suggestion may not use: those planned instances hold and those refused ones asked for. */
  private claimedOrIntendedIds(): Set<number> {
    const taken = new Set([...this.idOwner.keys(), ...this.holdings.heldIds()]);
    for (const range of this.intended) for (let id = range.first; id <= range.last; id++) taken.add(id);
    return taken;
  }

  /**
   * The offset to suggest to each overlapping instance, in declaration order: the lowest whose
   * IDs no planned instance, no asked-for offset and no earlier suggestion uses.
   */
  private suggestedOffsets(): Map<PendingOffsetFix, number | undefined> {
    const taken = this.claimedOrIntendedIds();
    const fixes = new Map<PendingOffsetFix, number | undefined>();
    // One suggestion per instance, however many owners it overlaps.
    const byPath = new Map<string, number | undefined>();
    for (const entry of this.pending) {
      if (!byPath.has(entry.path)) {
        const offset = firstFit(taken, entry.groups);
        byPath.set(entry.path, offset);
        if (offset !== undefined) for (let id = offset + 1; id <= offset + entry.groups; id++) taken.add(id);
      }
      fixes.set(entry, byPath.get(entry.path));
    }
    return fixes;
  }

  /** The offset to suggest to an instance not recorded yet: after every recorded suggestion. */
  private suggestionAfter(
    fixes: ReadonlyMap<PendingOffsetFix, number | undefined>,
    groups: number,
  ): number | undefined {
    const taken = this.claimedOrIntendedIds();
    for (const [entry, offset] of fixes)
      if (offset !== undefined) for (let id = offset + 1; id <= offset + entry.groups; id++) taken.add(id);
    return firstFit(taken, groups);
  }

  /** Checks what is known of one instance against the stack; returns where its IDs would be. */
  private checkStack(
    facts: StackFacts,
    path: string,
    found: IssueEntry[],
    options: AddOptions = {},
  ): Placement | undefined {
    const issue = (field: string, value: unknown, problem: string, fix: string): void => {
      found.push({ path, field, value, problem, fix });
    };
    if (facts.name !== undefined && facts.namespace !== undefined) {
      const nameOwner = this.nameOwner.get(`${facts.namespace}/${facts.name}`);
      if (nameOwner !== undefined) {
        issue(
          'name',
          facts.name,
          `is already used by '${nameOwner}' in namespace ${facts.namespace}`,
          "set a different 'name'",
        );
      }
    }
    this.checkVips(facts.virtualIps, issue);

    const groups = facts.vipGroups;
    if (groups === undefined) return undefined;
    const left = MAX_CLUSTER_GROUPS - this.groupsUsed;
    if (groups > left) {
      const grouped = groups < facts.virtualIps.length;
      const limit =
        this.groupsUsed === 0
          ? `the cluster limit of ${MAX_CLUSTER_GROUPS} VRRP groups`
          : `the ${left} VRRP groups left of the cluster's ${MAX_CLUSTER_GROUPS}`;
      const fix = left > 0 ? `set 'vipGroups' to ${left} or fewer` : 'remove or merge instances';
      if (grouped) issue('vipGroups', groups, `is more than ${limit}`, fix);
      else issue('virtualIps', `${groups} VIPs`, `need one VRRP group each, more than ${limit}`, fix);
      return undefined;
    }
    const key =
      facts.name !== undefined && facts.namespace !== undefined ? lockKey(facts.namespace, facts.name) : undefined;
    // A second instance of one name is reported above: the first one's IDs are not its own.
    const ownKey = key !== undefined && !this.holdings.isPlanned(key) ? key : undefined;
    const requested = facts.requestedVrrpIdOffset;
    const placement =
      requested === undefined
        ? this.placeAutomatic(ownKey, groups, facts, path, found)
        : this.placeRequested(ownKey, requested, groups, options.excludedVrrpIds ?? [], path, found);
    if (placement?.hold) this.checkFrozen(placement.hold, facts, requested, path, found);
    return placement;
  }

  /** Whether an instance (by lock key, if known) may take an ID: nobody uses, holds or just left it. */
  private isFreeFor(id: number, key: string | undefined): boolean {
    if (this.idOwner.has(id) || this.holdings.isReleased(id)) return false;
    const holder = this.holdings.holderOf(id);
    return holder === undefined || holder === key;
  }

  /** The IDs among `ids` that are other instances' spare room, by holder: what taking them cuts. */
  private cutsOf(ids: readonly number[], key: string): Map<string, number[]> {
    const cuts = new Map<string, number[]>();
    for (const id of ids) {
      const holder = this.holdings.holderOf(id);
      if (holder !== undefined && holder !== key) cuts.set(holder, [...(cuts.get(holder) ?? []), id]);
    }
    return cuts;
  }

  /** Length of the longest run of IDs `free` accepts. */
  private static largestRun(free: (id: number) => boolean): number {
    let largest = 0;
    for (let id = VRRP_ID_MIN, run = 0; id <= VRRP_ID_MAX; id++) {
      run = free(id) ? run + 1 : 0;
      largest = Math.max(largest, run);
    }
    return largest;
  }

  /**
   * An instance without an explicit offset: the IDs the lock records for it, else the first
   * run of free IDs (first-fit, as without a lock), else, when the ID space is tight, the end of
   * the spare room of an instance of this run.
   */
  private placeAutomatic(
    key: string | undefined,
    groups: number,
    facts: StackFacts,
    path: string,
    found: IssueEntry[],
  ): Placement | undefined {
    const recorded = key !== undefined ? this.holdings.heldBy(key) : undefined;
    if (key !== undefined && recorded !== undefined && recorded.length > 0)
      return this.placeRecorded(key, recorded, groups, facts, path, found);
    // Nothing recorded: every held ID is one an instance of this run uses, so the owners say it all.
    const simple = this.holdings.recordsNothing;
    const used = (id: number): boolean => this.idOwner.has(id);
    const free = simple ? (id: number): boolean => !used(id) : (id: number): boolean => this.isFreeFor(id, key);
    let offset = simple ? firstFit(this.idOwner, groups) : firstFit({ has: (id) => !free(id) }, groups);
    const spare = (id: number): boolean => free(id) || this.holdings.isSpareRoom(id, key ?? '', used);
    if (offset === undefined && !simple) offset = lastFit(spare, groups);
    if (offset === undefined) {
      const largest = Planner.largestRun(simple ? free : spare);
      found.push({
        path,
        field: 'vipGroups',
        value: groups,
        problem: `VRRP groups find no run of ${groups} free VRRP IDs (the largest has ${largest})`,
        fix: `set 'vipGroups' to ${largest} or fewer`,
      });
      return undefined;
    }
    const ids = Array.from({ length: groups }, (_, i) => offset + 1 + i);
    if (key === undefined) return { offset, excluded: [] };
    const hold: HoldDecision = { key, ids, held: ids, cuts: this.cutsOf(ids, key), change: 'new', room: true };
    return { offset, excluded: [], hold };
  }

  /**
   * An instance the lock records: its groups take its held IDs, lowest first; beyond them, the
   * lowest free IDs above the highest it holds (skipping others' IDs), so no group it has, and
   * no other instance, changes VRRP ID.
   */
  private placeRecorded(
    key: string,
    recorded: readonly number[],
    groups: number,
    facts: StackFacts,
    path: string,
    found: IssueEntry[],
  ): Placement | undefined {
    let ids = recorded.slice(0, groups);
    let change: HoldChange = 'kept';
    let cuts = new Map<string, number[]>();
    if (groups > recorded.length) {
      const need = groups - recorded.length;
      const used = (id: number): boolean => this.idOwner.has(id);
      const free: number[] = [];
      const spare: number[] = [];
      for (let id = recorded[recorded.length - 1]! + 1; id <= VRRP_ID_MAX; id++) {
        if (this.isFreeFor(id, key)) free.push(id);
        else if (this.holdings.isSpareRoom(id, key, used)) spare.push(id);
      }
      const taken = [...free.slice(0, need), ...spare.slice(0, Math.max(0, need - free.length))].sort((a, b) => a - b);
      if (taken.length < need) {
        found.push(this.cannotGrow(key, recorded, groups, free.length + spare.length, facts, path));
        return undefined;
      }
      ids = [...recorded, ...taken];
      cuts = this.cutsOf(taken, key);
      change = 'grown';
    }
    // Only a reservation made after the lock was written can stand on recorded IDs.
    const clash = ids.filter((id) => this.idOwner.has(id));
    if (clash.length > 0) {
      found.push({
        path,
        field: 'vrrpIdOffset',
        value: undefined,
        problem: `would keep VRRP IDs ${formatIds(clash)} of ${this.lock!.name}, which ${this.idOwner.get(clash[0]!)} uses`,
        fix: `delete ${formatIds(clash)} from the entry ${JSON.stringify(key)}: the groups on them move to free IDs`,
      });
      return undefined;
    }
    const { offset, excluded } = offsetAndExclusions(ids);
    const held = change === 'grown' ? ids : recorded;
    return { offset, excluded, hold: { key, ids, held, cuts, change, room: true } };
  }

  /** The issue of a recorded instance that cannot grow without renumbering, with every way out. */
  private cannotGrow(
    key: string,
    recorded: readonly number[],
    groups: number,
    freeAbove: number,
    facts: StackFacts,
    path: string,
  ): Issue {
    const name = this.lock!.name;
    const fits = recorded.length + freeAbove;
    const grouped = groups < facts.virtualIps.length;
    const move = firstFit({ has: (id) => !this.isFreeFor(id, undefined) }, groups);
    const fixes = [
      grouped ? `set 'vipGroups' to ${fits} or fewer` : `use ${fits} VRRP groups or fewer ('vipGroups')`,
      ...(move === undefined
        ? []
        : [
            `or move it with 'vrrpIdOffset' ${move} (IDs ${move + 1}..${move + groups} are free; its groups then change VRRP IDs, so roll it out with strategy 'Recreate')`,
          ]),
      `or free IDs: delete the entries of removed instances from ${name} (ipfailover plan --lock lists them)`,
    ];
    return {
      path,
      field: grouped ? 'vipGroups' : 'virtualIps',
      value: grouped ? groups : `${groups} VIPs`,
      problem: `need ${groups} VRRP IDs: ${name} holds ${formatIds(recorded)} for ${key}, and ${freeText(freeAbove)} above ${recorded[recorded.length - 1]} ${freeAbove <= 1 ? 'is' : 'are'} free`,
      fix: fixes.join('; '),
    };
  }

  /**
   * An instance with an explicit offset: its IDs are the offset's, as without a lock; they may
   * not stand on IDs another instance uses or the lock holds for an instance not planned (yet),
   * but may take spare room of this run's instances. An offset that gives an instance other IDs
   * than the lock records moves it (the explicit prop wins); its old IDs go to no one this run.
   */
  private placeRequested(
    key: string | undefined,
    requested: number,
    groups: number,
    excluded: readonly number[],
    path: string,
    found: IssueEntry[],
  ): Placement {
    const ids = vrrpIdsOf({ vrrpIdOffset: requested, vipGroups: groups, excludedVrrpIds: excluded });
    const overlap = (problem: string): void => {
      found.push({ pending: 'offset', path, field: 'vrrpIdOffset', value: requested, problem, groups });
    };
    const owners = [...new Set(ids.map((id) => this.idOwner.get(id)).filter((o): o is string => o !== undefined))];
    for (const owner of owners) {
      const taken =
        this.plans.find((p) => p.path === owner)?.vrrpIds ?? ids.filter((id) => this.idOwner.get(id) === owner);
      overlap(`overlaps '${owner}' (${describeRange(taken)})`);
    }
    const base = { offset: requested, excluded: [...excluded] };
    if (this.holdings.recordsNothing) {
      return key === undefined
        ? base
        : { ...base, hold: { key, ids, held: ids, cuts: new Map(), change: 'new', room: false } };
    }
    const used = (id: number): boolean => this.idOwner.has(id);
    const holders = new Set<string>();
    const left: number[] = [];
    for (const id of ids) {
      if (used(id)) continue;
      if (this.holdings.isReleased(id)) left.push(id);
      const holder = this.holdings.holderOf(id);
      if (holder !== undefined && holder !== key && !this.holdings.isSpareRoom(id, key ?? '', used))
        holders.add(holder);
    }
    for (const holder of holders) {
      overlap(
        `overlaps the VRRP IDs ${this.lock!.name} holds for '${holder}' (IDs ${formatIds(this.holdings.heldBy(holder) ?? [])})`,
      );
    }
    if (left.length > 0)
      overlap(
        `overlaps VRRP IDs ${formatIds(left)}, which an instance moved away from in this run (its old pods keep them until replaced)`,
      );
    if (key === undefined) return base;
    const recorded = this.holdings.heldBy(key) ?? [];
    const kept = Math.min(groups, recorded.length);
    const same = recorded.length > 0 && ids.slice(0, kept).every((id, i) => id === recorded[i]);
    const held = same ? [...new Set([...recorded, ...ids])].sort((a, b) => a - b) : ids;
    const change: HoldChange =
      recorded.length === 0 ? 'new' : !same ? 'moved' : held.length > recorded.length ? 'grown' : 'kept';
    return { ...base, hold: { key, ids, held, cuts: this.cutsOf(ids, key), change, room: false } };
  }

  /** With a frozen lock, any change to it is an issue of the instance that would make it. */
  private checkFrozen(
    hold: HoldDecision,
    facts: StackFacts,
    requested: number | undefined,
    path: string,
    found: IssueEntry[],
  ): void {
    const because = this.lock?.frozenBecause;
    if (because === undefined || hold.change === 'kept') return;
    const name = this.lock!.name;
    const recorded = formatIds(this.holdings.heldBy(hold.key) ?? []);
    const frozen = `and ${name} is frozen (${because})`;
    const fix = `update ${name} where it may be written (${LOCK_ENV.mode}=write, or without CI set), review the change and commit it`;
    const issue = (field: string, value: unknown, problem: string): void => {
      found.push({ path, field, value, problem, fix });
    };
    if (hold.change === 'new') {
      issue(
        'vrrpIdOffset',
        requested,
        `would give ${hold.key} VRRP IDs ${formatIds(hold.ids)}, which ${name} does not record, ${frozen}`,
      );
    } else if (hold.change === 'moved') {
      issue(
        'vrrpIdOffset',
        requested,
        `moves ${hold.key} from the VRRP IDs ${name} records (${recorded}) to ${formatIds(hold.ids)}, ${frozen}`,
      );
    } else {
      const grouped = hold.ids.length < facts.virtualIps.length;
      issue(
        grouped ? 'vipGroups' : 'virtualIps',
        grouped ? hold.ids.length : `${hold.ids.length} VIPs`,
        `need VRRP IDs ${formatIds(hold.ids)}, more than the ${recorded} ${name} records for ${hold.key}, ${frozen}`,
      );
    }
  }

  /** A recorded entry on a reserved ID: the lock predates the reservation. */
  private checkRecordedAgainstReserved(lock: RecordedLock): void {
    const issues: Issue[] = [];
    for (const [key, ids] of lock.allocation.vrrpIds) {
      const reserved = ids.filter((id) => this.idOwner.get(id) === RESERVED);
      if (reserved.length === 0) continue;
      issues.push({
        path: lock.name,
        field: `vrrpIds[${JSON.stringify(key)}]`,
        value: formatIds(ids),
        problem: `holds ${formatIds(reserved)}, which reservedVrrpIds reserves for the cluster`,
        fix: `delete ${formatIds(reserved)} from the entry; a group of ${key} on them then moves to a free ID`,
      });
    }
    if (issues.length > 0) this.issuesByPath.set(lock.name, issues);
  }

  private checkVips(
    vips: readonly string[],
    issue: (field: string, value: unknown, problem: string, fix: string) => void,
  ): void {
    // Made when a VIP is found taken: most instances share none, and a Map per instance shows.
    let byOwner: Map<string, string[]> | undefined;
    for (const vip of vips) {
      const owner = this.vipOwner.get(vip);
      if (owner === undefined) continue;
      byOwner ??= new Map();
      byOwner.set(owner, [...(byOwner.get(owner) ?? []), vip]);
    }
    if (byOwner)
      for (const [owner, vips] of byOwner) {
        issue(
          'virtualIps',
          formatVirtualIps(vips),
          `${vips.length > 1 ? 'are' : 'is'} already served by '${owner}'`,
          'give each VIP to one instance only',
        );
      }
    const reserved = vips.filter((vip) => this.reservedVips.has(vip));
    if (reserved.length > 0) {
      issue(
        'virtualIps',
        formatVirtualIps(reserved),
        "is the cluster's own API or ingress VIP (reservedVips)",
        'choose addresses the cluster does not use',
      );
    }
  }

  private claim(spec: FailoverSpec, path: string, placement: Placement): InstancePlan {
    const settings: AgentSettings = {
      ...spec.settings,
      vrrpIdOffset: placement.offset,
      ...(placement.excluded.length > 0 && { excludedVrrpIds: placement.excluded }),
    };
    const vrrpIds = vrrpIdsOf(settings);
    if (placement.hold) this.holdings.apply(placement.hold);
    for (const id of vrrpIds) this.idOwner.set(id, path);
    for (const vip of settings.virtualIps) this.vipOwner.set(vip, path);
    this.nameOwner.set(`${spec.namespace}/${spec.name}`, path);
    this.groupsUsed += vrrpIds.length;
    const ownsServiceAccount = this.claimServiceAccount(spec.namespace, spec.serviceAccountName);
    const plan: InstancePlan = { path, spec, settings, vrrpIds, groups: groupsOf(settings), ownsServiceAccount };
    this.plans.push(plan);
    return plan;
  }
}

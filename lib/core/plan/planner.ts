/**
 * The stack-wide planner: sees every failover instance in declaration order and allocates VRRP
 * IDs, enforcing the invariants no single Deployment can check on its own.
 *
 * It is incremental and first-fit: each instance is checked against the ones before it and
 * never changes them, so adding an instance at the end never renumbers the others, and eager
 * (Pulumi) and lazy (cdk8s) front ends get the same allocation.
 */
import { MAX_CLUSTER_GROUPS, VRRP_ID_MAX, VRRP_ID_MIN } from '../model/limits';
import type { Issue } from '../model/issues';
import { normalize, type FailoverSpec, type InstanceContext, type StackFacts } from '../spec/normalize';
import type { IpFailoverOptions } from '../model/props';
import { groupsOf, vrrpIdsOf, type AgentSettings } from '../env/setting-rules';
import { formatVirtualIps, parseVirtualIps } from '../rules/vip-range';

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

function describeRange(ids: readonly number[]): string {
  const first = ids[0];
  const last = ids[ids.length - 1];
  return first === last ? `ID ${first}` : `IDs ${first}..${last}`;
}

/** Lowest offset whose `groups` IDs are all outside `taken`, if any. */
function firstFit(taken: { has(id: number): boolean }, groups: number): number | undefined {
  for (let offset = VRRP_ID_MIN - 1; offset + groups <= VRRP_ID_MAX; offset++) {
    let free = true;
    for (let id = offset + 1; id <= offset + groups && free; id++) free = !taken.has(id);
    if (free) return offset;
  }
  return undefined;
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
  return {
    name: spec.name,
    namespace: spec.namespace,
    virtualIps: spec.settings.virtualIps,
    vipGroups: spec.settings.vipGroups,
    ...(spec.requestedVrrpIdOffset !== undefined && { requestedVrrpIdOffset: spec.requestedVrrpIdOffset }),
  };
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

  constructor(options: PlannerOptions = {}) {
    for (const id of options.reservedVrrpIds ?? []) this.idOwner.set(id, RESERVED);
    this.reservedVips = new Set(parseVirtualIps(options.reservedVips ?? []).vips);
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
  add(props: IpFailoverOptions, context: InstanceContext): PlanOutcome {
    const { spec, issues, stack } = normalize(props, context);
    const found: IssueEntry[] = [...issues];
    // Bad props do not hide the stack's conflicts: what is valid is checked all the same.
    const offset = this.checkStack(spec ? factsOf(spec) : stack, context.path, found);
    const plan =
      spec && found.length === 0 && offset !== undefined ? this.claim(spec, context.path, offset) : undefined;
    if (found.length === 0 && plan) return { plan, issues: [] };
    const requested = stack.requestedVrrpIdOffset;
    if (requested !== undefined && stack.vipGroups !== undefined && !found.some(isPending)) {
      this.intended.push({ first: requested + 1, last: requested + stack.vipGroups });
    }
    this.issuesByPath.set(context.path, [...(this.issuesByPath.get(context.path) ?? []), ...found]);
    this.pending.push(...found.filter(isPending));
    // Eager callers (Pulumi) get the suggestion as it stands now: free of every earlier instance.
    const fixes = found.some(isPending) ? this.suggestedOffsets() : NO_FIXES;
    return { issues: found.map((entry) => resolveEntry(entry, fixes)) };
  }

  /**
   * Every issue {@link add} would find for these props, without planning the instance or
   * recording anything: for front ends that must check a child's props before registering any
   * resource (a Pulumi HaService checks its failover's before its Service).
   */
  check(props: IpFailoverOptions, context: InstanceContext): readonly Issue[] {
    const { spec, issues, stack } = normalize(props, context);
    const found: IssueEntry[] = [...issues];
    this.checkStack(spec ? factsOf(spec) : stack, context.path, found);
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
    const taken = new Set(this.idOwner.keys());
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

  /** Checks what is known of one instance against the stack; returns the offset it would get. */
  private checkStack(facts: StackFacts, path: string, found: IssueEntry[]): number | undefined {
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
    const firstFree = this.firstFreeOffset(groups);
    const requested = facts.requestedVrrpIdOffset;
    if (requested === undefined) {
      if (firstFree === undefined) {
        const largest = Math.max(0, ...this.freeVrrpIdRanges().map((r) => r.last - r.first + 1));
        issue(
          'vipGroups',
          groups,
          `VRRP groups find no run of ${groups} free VRRP IDs (the largest has ${largest})`,
          `set 'vipGroups' to ${largest} or fewer`,
        );
      }
      return firstFree;
    }
    const ids = Array.from({ length: groups }, (_, i) => requested + 1 + i);
    const owners = [...new Set(ids.map((id) => this.idOwner.get(id)).filter((o): o is string => o !== undefined))];
    for (const owner of owners) {
      const taken =
        this.plans.find((p) => p.path === owner)?.vrrpIds ?? ids.filter((id) => this.idOwner.get(id) === owner);
      found.push({
        pending: 'offset',
        path,
        field: 'vrrpIdOffset',
        value: requested,
        problem: `overlaps '${owner}' (${describeRange(taken)})`,
        groups,
      });
    }
    return requested;
  }

  private checkVips(
    vips: readonly string[],
    issue: (field: string, value: unknown, problem: string, fix: string) => void,
  ): void {
    const byOwner = new Map<string, string[]>();
    for (const vip of vips) {
      const owner = this.vipOwner.get(vip);
      if (owner !== undefined) byOwner.set(owner, [...(byOwner.get(owner) ?? []), vip]);
    }
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

  private claim(spec: FailoverSpec, path: string, vrrpIdOffset: number): InstancePlan {
    const settings: AgentSettings = { ...spec.settings, vrrpIdOffset };
    const vrrpIds = vrrpIdsOf(settings);
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

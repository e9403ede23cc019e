import * as pulumi from '@pulumi/pulumi';
import { formatIssues, type Issue } from '../core/model/issues';
import { stackLockFileName, type LockMode } from '../core/plan/allocation-lock';
import { Planner, type AddOptions, type PlanOutcome, type PlannerOptions } from '../core/plan/planner';
import type { IpFailoverOptions } from '../core/model/props';
import type { InstanceContext } from '../core/spec/normalize';
import { LockFile } from '../io/lock-file';

/** What {@link configureFailoverPlanner} takes: the cluster's facts, and the VRRP ID lock file. */
export interface FailoverPlannerOptions extends Omit<PlannerOptions, 'lock'> {
  /**
   * The VRRP ID lock file, relative to the working directory (the project directory, beside
   * `Pulumi.yaml`). One per stack, as `Pulumi.<stack>.yaml` is: stacks are different clusters.
   * The environment variable `IPFAILOVER_LOCK_FILE` wins over it.
   * @default - 'ipfailover.<stack>.lock.json'
   */
  readonly lockFile?: string;
  /**
   * What a program run (`pulumi preview` or `up`) does with the lock file: `'write'` it when an
   * allocation changes, fail instead (`'frozen'`, for CI), only read it (`'read'`), or plan
   * without it (`'off'`). The environment variable `IPFAILOVER_LOCK_MODE` wins over it.
   * @default - 'frozen' where the CI environment variable is set; 'off' under a test runner
   * (jest, vitest, node --test) unless a lock file is named; else 'write'
   */
  readonly lockMode?: LockMode;
}

/**
 * A program's planner that keeps the lock file in step: Pulumi evaluates components one by one
 * and has no end-of-program hook, so the file is brought up to date after each instance is
 * planned (whole, atomically, and only when it changes). A run that fails part-way has then
 * recorded the instances planned before the failure, which is what the next run gives them.
 */
class LockedPlanner extends Planner {
  constructor(
    options: PlannerOptions,
    private readonly lockFile: LockFile,
  ) {
    super(options);
  }

  override add(props: IpFailoverOptions, context: InstanceContext, options?: AddOptions): PlanOutcome {
    const outcome = super.add(props, context, options);
    if (outcome.plan) failOn(this.lockFile.sync(this.allocation));
    return outcome;
  }
}

/** Ends the program run with the lock file's problems, without a stack trace from inside the library. */
function failOn(issues: readonly Issue[]): void {
  if (issues.length > 0) throw new pulumi.RunError(formatIssues(issues));
}

/** A planner for one run, with its lock file read; fails the run when the file or options are bad. */
function createPlanner(options: FailoverPlannerOptions = {}): Planner {
  const { lockFile, lockMode, ...plannerOptions } = options;
  const opened = LockFile.open(
    { lockFile, lockMode, vrrpIdHeadroom: plannerOptions.vrrpIdHeadroom },
    stackLockFileName(pulumi.getStack()),
  );
  failOn(opened instanceof LockFile ? opened.issues : [opened]);
  if (!(opened instanceof LockFile) || !opened.recorded) return new Planner(plannerOptions);
  const planner = new LockedPlanner({ ...plannerOptions, lock: opened.recorded }, opened);
  failOn(planner.issuesFor(opened.name));
  return planner;
}

/**
 * The planner of one program run. A Pulumi program is evaluated once per `pulumi up`/`preview`,
 * so "one stack" is "one run": the planner is keyed by the run's root `Stack` resource, and the
 * Automation API, which runs inline programs again in the same process, gets a fresh one per run
 * (reading the lock file again). Outside a stack (unit tests with mocks) one process-wide planner
 * stands in; tests pass their own `planner` instead.
 *
 * The state hangs off `globalThis` under a registered symbol, so two copies of this library in
 * one program (a nested `node_modules`) still share one planner and see each other's instances.
 */
interface Scope {
  readonly byStack: WeakMap<object, Planner>;
  fallback?: Planner;
  /** Options for planners not created yet, from {@link configureFailoverPlanner}. */
  options?: FailoverPlannerOptions;
}

const KEY = Symbol.for('ipfailover.pulumi.planner-scope');

function scope(): Scope {
  const holder = globalThis as unknown as Record<symbol, Scope | undefined>;
  let s = holder[KEY];
  if (!s) {
    s = { byStack: new WeakMap() };
    holder[KEY] = s;
  }
  return s;
}

function stackKey(): object | undefined {
  return pulumi.runtime.getStackResource();
}

/** The planner every component of the current program run registers with. */
export function stackPlanner(): Planner {
  const s = scope();
  const key = stackKey();
  if (key === undefined) {
    s.fallback ??= createPlanner(s.options);
    return s.fallback;
  }
  let planner = s.byStack.get(key);
  if (!planner) {
    planner = createPlanner(s.options);
    s.byStack.set(key, planner);
  }
  return planner;
}

/**
 * Tells the program's planner what the cluster already uses (the VRRP IDs of its own keepalived,
 * its API/ingress VIPs) and where the VRRP ID lock file is. Call it before the first failover
 * component of the run.
 */
export function configureFailoverPlanner(options: FailoverPlannerOptions): void {
  const s = scope();
  const key = stackKey();
  const current = key === undefined ? s.fallback : s.byStack.get(key);
  if (current && current.instances.length + current.issues.length > 0) {
    throw new Error('configureFailoverPlanner: call it before creating the first IpFailover of the program');
  }
  s.options = options ?? {};
  if (key === undefined) s.fallback = createPlanner(s.options);
  else s.byStack.set(key, createPlanner(s.options));
}

/**
 * Forgets the process-wide planner used outside a stack, so the next component starts a new
 * one. For tests that run several "programs" in one process.
 */
export function resetFailoverPlanner(): void {
  const s = scope();
  s.fallback = undefined;
  s.options = undefined;
}

/**
 * Per planner: the resources (service account and SCC bindings) of each shared service account,
 * `namespace/name` → resources, so instances that share an account wait for its owner's.
 */
const accountOwners = new WeakMap<Planner, Map<string, pulumi.CustomResource[]>>();

/** The service-account registry of `planner`. */
export function serviceAccountOwners(planner: Planner): Map<string, pulumi.CustomResource[]> {
  let owners = accountOwners.get(planner);
  if (!owners) {
    owners = new Map();
    accountOwners.set(planner, owners);
  }
  return owners;
}

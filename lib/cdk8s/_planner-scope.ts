import type { IConstruct } from 'constructs';
import { formatIssue } from '../core/model/issues';
import { LOCK_FILE_NAME, type LockMode } from '../core/plan/allocation-lock';
import { Planner, type PlannerOptions } from '../core/plan/planner';
import { LockFile } from '../io/lock-file';

/** What {@link configureFailoverPlanner} takes: the cluster's facts, and the VRRP ID lock file. */
export interface FailoverPlannerOptions extends Omit<PlannerOptions, 'lock'> {
  /**
   * The VRRP ID lock file, relative to the working directory (where `cdk8s synth` runs, beside
   * `cdk8s.yaml`). The environment variable `IPFAILOVER_LOCK_FILE` wins over it.
   * @default 'ipfailover.lock.json'
   */
  readonly lockFile?: string;
  /**
   * What synthesis does with the lock file: `'write'` it when an allocation changes, fail
   * instead (`'frozen'`, for CI), only read it (`'read'`), or plan without it (`'off'`). The
   * environment variable `IPFAILOVER_LOCK_MODE` wins over it.
   * @default - 'frozen' where the CI environment variable is set; 'off' under a test runner
   * (jest, vitest, node --test) unless a lock file is named; else 'write'
   */
  readonly lockMode?: LockMode;
}

/** The planner of one app and its lock file. */
interface AppPlanner {
  readonly planner: Planner;
  readonly lock: LockFile | undefined;
  /** A problem with the options or environment, reported at synthesis. */
  readonly problems: readonly string[];
}

/** One planner per construct tree (per `App`), so every instance of a stack is checked together. */
const planners = new WeakMap<IConstruct, AppPlanner>();

/**
 * The planner of an app with its lock file read, and, once per app, a validation on the app
 * that reports the lock file's problems and writes it when synthesis validates the app: after
 * every construct exists, and only when the planner accepted every instance.
 */
function createPlanner(root: IConstruct, options: FailoverPlannerOptions): AppPlanner {
  const { lockFile, lockMode, ...plannerOptions } = options;
  const opened = LockFile.open({ lockFile, lockMode, vrrpIdHeadroom: plannerOptions.vrrpIdHeadroom }, LOCK_FILE_NAME);
  const lock = opened instanceof LockFile ? opened : undefined;
  const planner = new Planner({ ...plannerOptions, ...(lock?.recorded && { lock: lock.recorded }) });
  const problems = opened instanceof LockFile ? [] : [formatIssue(opened)];
  const created: AppPlanner = { planner, lock, problems };
  if (!planners.has(root)) root.node.addValidation({ validate: () => validateLock(root) });
  planners.set(root, created);
  return created;
}

function validateLock(root: IConstruct): string[] {
  const current = planners.get(root);
  if (!current) return [];
  const { planner, lock, problems } = current;
  if (!lock) return [...problems];
  const found = [...lock.issues, ...planner.issuesFor(lock.name)];
  if (found.length === 0 && planner.issues.length === 0) found.push(...lock.sync(planner.allocation));
  return [...problems, ...found.map(formatIssue)];
}

/** The planner of the tree `scope` belongs to, created on first use. */
export function plannerOf(scope: IConstruct): Planner {
  const root = scope.node.root;
  return (planners.get(root) ?? createPlanner(root, {})).planner;
}

/**
 * Tells the planner of `scope`'s app what the cluster already uses (VRRP IDs of its own
 * keepalived, its API/ingress VIPs) and where the VRRP ID lock file is. Call it before the
 * first failover construct.
 */
export function configureFailoverPlanner(scope: IConstruct, options: FailoverPlannerOptions): void {
  const root = scope.node.root;
  const existing = planners.get(root);
  const lockName = existing?.lock?.name;
  const used =
    existing && existing.planner.instances.length + existing.planner.issues.filter((i) => i.path !== lockName).length;
  if (used) {
    throw new Error(
      `configureFailoverPlanner: call it before creating the first IpFailover in ${root.node.path || 'the app'}`,
    );
  }
  createPlanner(root, options ?? {});
}

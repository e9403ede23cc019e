import * as pulumi from '@pulumi/pulumi';
import { Planner, type PlannerOptions } from '../core/plan/planner';

/**
 * The planner of one program run. A Pulumi program is evaluated once per `pulumi up`/`preview`,
 * so "one stack" is "one run": the planner is keyed by the run's root `Stack` resource, and the
 * Automation API, which runs inline programs again in the same process, gets a fresh one per run.
 * Outside a stack (unit tests with mocks) one process-wide planner stands in; tests pass their
 * own `planner` instead.
 *
 * The state hangs off `globalThis` under a registered symbol, so two copies of this library in
 * one program (a nested `node_modules`) still share one planner and see each other's instances.
 */
interface Scope {
  readonly byStack: WeakMap<object, Planner>;
  fallback?: Planner;
  /** Options for planners not created yet, from {@link configureFailoverPlanner}. */
  options?: PlannerOptions;
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
    s.fallback ??= new Planner(s.options);
    return s.fallback;
  }
  let planner = s.byStack.get(key);
  if (!planner) {
    planner = new Planner(s.options);
    s.byStack.set(key, planner);
  }
  return planner;
}

/**
 * Tells the program's planner what the cluster already uses: the VRRP IDs of its own keepalived
 * and its API/ingress VIPs. Call it before the first failover component of the run.
 */
export function configureFailoverPlanner(options: PlannerOptions): void {
  const current = stackPlanner();
  if (current.instances.length + current.issues.length > 0) {
    throw new Error('configureFailoverPlanner: call it before creating the first IpFailover of the program');
  }
  const s = scope();
  s.options = options;
  const key = stackKey();
  if (key === undefined) s.fallback = new Planner(options);
  else s.byStack.set(key, new Planner(options));
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

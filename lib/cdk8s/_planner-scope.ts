import type { IConstruct } from 'constructs';
import { Planner, type PlannerOptions } from '../core/plan/planner';

/** One planner per construct tree (per `App`), so every instance of a stack is checked together. */
const planners = new WeakMap<IConstruct, Planner>();

/** The planner of the tree `scope` belongs to, created on first use. */
export function plannerOf(scope: IConstruct): Planner {
  const root = scope.node.root;
  let planner = planners.get(root);
  if (!planner) {
    planner = new Planner();
    planners.set(root, planner);
  }
  return planner;
}

/**
 * Tells the planner of `scope`'s app what the cluster already uses: VRRP IDs of its own
 * keepalived and its API/ingress VIPs. Call it before the first failover construct.
 */
export function configureFailoverPlanner(scope: IConstruct, options: PlannerOptions): void {
  const root = scope.node.root;
  const existing = planners.get(root);
  if (existing && existing.instances.length + existing.issues.length > 0) {
    throw new Error(
      `configureFailoverPlanner: call it before creating the first IpFailover in ${root.node.path || 'the app'}`,
    );
  }
  planners.set(root, new Planner(options));
}

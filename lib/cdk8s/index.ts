/** ipfailover's cdk8s constructs. */
export { IpFailover, type IpFailoverProps, type OpenStackPorts } from './ip-failover';
export { ExternalIpPool, type ExternalIpPoolProps } from './external-ip-pool';
export { HaService, type HaServiceProps } from './ha-service';
export { IpFailoverRemoval, type IpFailoverRemovalProps } from './ip-failover-removal';
export { configureFailoverPlanner, type FailoverPlannerOptions } from './_planner-scope';
export type { LockMode } from '../core/plan/allocation-lock';
export type { PlannerOptions } from '../core/plan/planner';
export * from '../core/model/props';

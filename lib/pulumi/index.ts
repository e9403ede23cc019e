/** ipfailover's Pulumi components (`ipfailover/pulumi`). */
export { IpFailover, IP_FAILOVER_TYPE, type IpFailoverArgs, type IpFailoverOpenStackArgs, type VipReservationArgs } from './ip-failover';
export { configureFailoverPlanner, resetFailoverPlanner } from './_planner-scope';
export { AllowedAddressPairs, type AllowedAddressPairsArgs } from './_rhosp-ports';
export { Planner, type PlannerOptions } from '../core/planner';
export * from '../core/props';

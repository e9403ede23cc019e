/** ipfailover's Pulumi components (`ipfailover/pulumi`). */
export {
  IpFailover,
  IP_FAILOVER_TYPE,
  type IpFailoverArgs,
  type IpFailoverOpenStackArgs,
  type VipReservationArgs,
} from './ip-failover';
export { HaService, HA_SERVICE_TYPE, type HaServiceArgs } from './ha-service';
export { ExternalIpPool, EXTERNAL_IP_POOL_TYPE, type ExternalIpPoolArgs } from './external-ip-pool';
export { IpFailoverRemoval, IP_FAILOVER_REMOVAL_TYPE, type IpFailoverRemovalArgs } from './ip-failover-removal';
export { configureFailoverPlanner, resetFailoverPlanner, type FailoverPlannerOptions } from './_planner-scope';
export type { LockMode } from '../core/plan/allocation-lock';
export { AllowedAddressPairs, type AllowedAddressPairsArgs } from './allowed-address-pairs';
export { Planner, type PlannerOptions } from '../core/plan/planner';
export * from '../core/model/props';

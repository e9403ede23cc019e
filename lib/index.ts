/**
 * ipfailover core: props, parsing, planning and rendering, with no framework imports.
 * The constructs live in `ipfailover/cdk8s`.
 */
export * from './core/props';
export * from './core/issues';
export { DEFAULTS, ENV_DEFAULTS, DEFAULT_IMAGE, MAX_CLUSTER_GROUPS, VRRP_ID_MIN, VRRP_ID_MAX } from './core/defaults';
export { parseVirtualIps, formatVirtualIps, groupVips, type VipListParse, type IpFamily } from './core/vip-range';
export { vrrpIdsOf, groupsOf, type AgentSettings } from './core/settings';
export { toEnv, fromEnv, ENV_NAMES, USE_UNICAST_ENV, type EnvVar, type EnvRead } from './core/env-contract';
export { normalize, nameFromId, type FailoverSpec, type InstanceContext, type Normalized } from './core/normalize';
export { Planner, type PlannerOptions, type InstancePlan, type PlanOutcome, type IdRange } from './core/planner';
export { failoverObjects, hostPortOf, INSTANCE_LABEL, type KubeObject } from './core/manifests';
export {
  checkOpenStackPorts,
  planPortPairs,
  portChangeArgs,
  portShowArgs,
  parsePortShow,
  rhospScripts,
  rhospConfigMap,
  rhospConfigMapName,
  canonicalAddress,
  pairTag,
  PAIR_TAG_PREFIX,
  type AllowedAddressPair,
  type PortState,
  type PortPairPlan,
  type RhospScripts,
} from './core/rhosp';
export { renderKeepalivedConf, type NodeIdentity, type RenderOptions, type RenderResult } from './core/keepalived-conf';
export { parsePoolCidr, AddressAllocator, clusterNetworkPatch, type PoolRange } from './core/address-pool';
export { resolveHaService, workloadFactsOf, type WorkloadFacts, type ResolvedHaService } from './core/ha-service';
export { planRemoval, removalJobName, type IpFailoverRemovalProps, type RemovalPlan } from './core/removal-jobs';
export { planManifests, formatPlanTable, type PlanReport, type PlanRow } from './core/plan-report';

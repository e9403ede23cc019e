/**
 * ipfailover core: the props, the planner, the parsers and the plain Kubernetes objects, with no
 * framework imports. The constructs live in `ipfailover/cdk8s`, the components in
 * `ipfailover/pulumi`. (`ipfailover/internal/rhosp` is for the Pulumi RHOSP resource's stored
 * provider only.)
 */

// What the constructs and components take.
export * from './core/props';
export type { IpFailoverRemovalProps } from './core/removal-jobs';

// What the planner and the parsers report, and how it reads.
export { formatIssue, formatIssues, isProblem, type Issue, type Problem } from './core/issues';

// The defaults and limits the README's tables give.
export { DEFAULTS, ENV_DEFAULTS, DEFAULT_IMAGE, MAX_CLUSTER_GROUPS, VRRP_ID_MIN, VRRP_ID_MAX } from './core/defaults';

// Parsers of the props' text forms.
export { parseVirtualIps, formatVirtualIps, type VipListParse, type IpFamily } from './core/vip-range';
export { parsePoolCidr, type AddressAllocator, type PoolRange } from './core/address-pool';

// The stack-wide planner, and what it gives per instance.
export { Planner, type PlannerOptions, type InstancePlan, type PlanOutcome, type IdRange } from './core/planner';
export type { FailoverSpec, InstanceContext } from './core/normalize';

// The env contract: the OPENSHIFT_HA_* variables the Deployment carries and the agent reads.
export { toEnv, fromEnv, ENV_NAMES, USE_UNICAST_ENV, type EnvVar, type EnvRead } from './core/env-contract';
export type { AgentSettings } from './core/settings';

// The plain Kubernetes objects, for tools other than cdk8s and Pulumi.
export { failoverObjects, INSTANCE_LABEL, type KubeObject } from './core/manifests';
export { planRemoval, type RemovalPlan } from './core/removal-jobs';
export { rhospScripts, rhospConfigMap, type RhospScripts } from './core/rhosp';

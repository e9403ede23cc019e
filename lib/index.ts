/**
 * ipfailover core: the props, the planner, the parsers and the plain Kubernetes objects, with no
 * framework imports. The constructs live in `ipfailover/cdk8s`, the components in
 * `ipfailover/pulumi`. (`ipfailover/internal/openstack` is for the Pulumi RHOSP resource's stored
 * provider only.)
 */

// What the constructs and components take.
export * from './core/model/props';
export type { IpFailoverRemovalProps } from './core/emit/removal-jobs';

// What the planner and the parsers report, and how it reads.
export { formatIssue, formatIssues, isProblem, type Issue, type Problem } from './core/model/issues';

// The defaults and limits the README's tables give.
export { DEFAULTS, ENV_DEFAULTS, DEFAULT_IMAGE } from './core/model/defaults';
export { MAX_CLUSTER_GROUPS, VRRP_ID_MIN, VRRP_ID_MAX } from './core/model/limits';

// Parsers of the props' text forms.
export { parseVirtualIps, formatVirtualIps, type VipListParse, type IpFamily } from './core/rules/vip-range';
export { parsePoolCidr, type AddressAllocator, type PoolRange } from './core/plan/address-pool';

// The stack-wide planner, and what it gives per instance.
export { Planner, type PlannerOptions, type InstancePlan, type PlanOutcome, type IdRange } from './core/plan/planner';
export type { FailoverSpec, InstanceContext } from './core/spec/normalize';
export type { AddOptions, RecordedLock } from './core/plan/planner';

// The VRRP ID lock file's model: what cdk8s and Pulumi runs read and write, and `plan --lock` compares.
export {
  parseLock,
  serializeLock,
  formatIds,
  LOCK_FILE_NAME,
  type AllocationLock,
  type LockRead,
  type LockMode,
} from './core/plan/allocation-lock';

// The env contract: the OPENSHIFT_HA_* variables the Deployment carries and the agent reads.
export { toEnv, fromEnv, ENV_NAMES, USE_UNICAST_ENV, type EnvVar, type EnvRead } from './core/env/env-contract';
export type { AgentSettings } from './core/env/setting-rules';

// The plain Kubernetes objects, for tools other than cdk8s and Pulumi.
export { failoverObjects } from './core/emit/manifests';
export { INSTANCE_LABEL } from './core/model/object-names';
export { type KubeObject } from './core/model/kube-object';
export { planRemoval, type RemovalPlan } from './core/emit/removal-jobs';
export { openStackScripts, openStackConfigMap, type OpenStackScripts } from './core/openstack/scripts';

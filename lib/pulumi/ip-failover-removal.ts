import * as pulumi from '@pulumi/pulumi';
import { formatIssues } from '../core/model/issues';
import { serviceAccountObjects } from '../core/emit/manifests';
import type { Planner } from '../core/plan/planner';
import { planRemoval, type IpFailoverRemovalProps } from '../core/emit/removal-jobs';
import { childName, emitObject } from './_emit';
import { checkPulumiArgs, plannerArg } from './_inputs';
import { stackPlanner } from './_planner-scope';
import { isPlainObject } from '../core/rules/validators';

/** Args of {@link IpFailoverRemoval}: the removed instance's props, its nodes, and a planner. */
export interface IpFailoverRemovalArgs extends IpFailoverRemovalProps {
  /**
   * The planner that knows which instance creates each service account.
   * @default - the program's planner
   */
  readonly planner?: Planner;
}

/** Type token of {@link IpFailoverRemoval}. */
export const IP_FAILOVER_REMOVAL_TYPE = 'ipfailover:index:IpFailoverRemoval';

/**
 * Removes an `IpFailover` from its nodes, as the docs' "Removing IP failover" procedure: put it in
 * the program where the `IpFailover` stood, with the same args plus the `nodes` it ran on. It
 * creates one Job per node running `ipfailover remove` (deletes the VRRP iptables rule, releases
 * the VIPs) as root on the host network, privileged, and the service account they need; the Jobs
 * run ipfailover's image even when the instance ran Red Hat's, which has no `remove` (see
 * `removalImage`). `pulumi up` waits for the Jobs to complete.
 * `pulumi destroy` alone would delete the Deployment and leave the rule and the VIPs behind.
 *
 * Children: the account objects and each Job, named `<name>-<kind>-<metadata.name>`.
 */
export class IpFailoverRemoval extends pulumi.ComponentResource {
  /** The removal Jobs, one per node, in the order given. */
  public readonly jobs: readonly pulumi.CustomResource[];
  /** ConfigMaps the removed instance created, to delete after the Jobs. */
  public readonly configMapsToDelete: readonly string[];

  constructor(name: string, args: IpFailoverRemovalArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(IP_FAILOVER_REMOVAL_TYPE, name, {}, opts);
    const { planner: given, ...props } = isPlainObject(args) ? args : { planner: undefined };
    const plan = planRemoval((isPlainObject(args) ? props : args) as IpFailoverRemovalProps, { path: name, id: name });
    const issues = [...plan.issues, ...checkPulumiArgs(name, { planner: given })];
    if (!plan.spec || issues.length > 0) throw new pulumi.ResourceError(formatIssues(issues), this, true);
    const planner = plannerArg(given, stackPlanner);
    const accountObjects = planner.claimServiceAccount(plan.spec.namespace, plan.spec.serviceAccountName)
      ? serviceAccountObjects(plan.spec)
      : [];
    const accounts = accountObjects.map((obj) => emitObject(childName(name, obj), obj, { parent: this }));
    this.jobs = plan.jobs.map((obj) => emitObject(childName(name, obj), obj, { parent: this, dependsOn: accounts }));
    this.configMapsToDelete = plan.configMapsToDelete;
    this.registerOutputs({
      jobNames: plan.jobs.map((job) => job.metadata.name),
      configMapsToDelete: this.configMapsToDelete,
    });
  }
}

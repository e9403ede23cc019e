import * as pulumi from '@pulumi/pulumi';
import { AddressAllocator, clusterNetworkPatch, parsePoolCidr, secondPoolIssue } from '../core/plan/address-pool';
import { formatIssueWithoutPath, formatIssues, isProblem, type Issue } from '../core/model/issues';
import type { KubeObject } from '../core/model/kube-object';
import { failoverNameOf } from '../core/emit/ha-service';
import { checkPropsObject, nameFromId } from '../core/spec/normalize';
import type { ExternalIpPoolProps } from '../core/model/props';
import { childName, emitPatch } from './_emit';
import { checkPulumiArgs, plannerArg } from './_inputs';
import { stackPlanner } from './_planner-scope';
import { IpFailover, propsOf, type IpFailoverArgs } from './ip-failover';

/**
 * Args of {@link ExternalIpPool}: the cdk8s props, plus the Pulumi additions of
 * {@link IpFailoverArgs} for the pool's failover instance. `cidr` is a plain value: the planner
 * needs its addresses while the program runs.
 */
export interface ExternalIpPoolArgs
  extends Omit<ExternalIpPoolProps, 'image'>, Pick<IpFailoverArgs, 'image' | 'openstack' | 'planner'> {}

/** Type token of {@link ExternalIpPool}. */
export const EXTERNAL_IP_POOL_TYPE = 'ipfailover:index:ExternalIpPool';

/**
 * The cluster's ExternalIP range made highly available: a server-side-apply patch of the
 * `Network` `cluster` (`spec.externalIP.autoAssignCIDRs` and `policy.allowedCIDRs`) and an
 * {@link IpFailover} serving every host address of the range. `HaService`s with
 * `exposure: 'externalIp'` take their VIPs from it.
 *
 * Children: `<name>-failover` (the IpFailover, Deployment `ipf-<name>`) and
 * `<name>-network-cluster` (the patch). One pool per program (per planner).
 */
export class ExternalIpPool extends pulumi.ComponentResource {
  /** The canonical CIDR. */
  public readonly cidr: string;
  /** The host addresses of the range, which the failover serves. */
  public readonly addresses: readonly string[];
  /** The failover instance serving the range. */
  public readonly failover: IpFailover;
  /** The patch of the cluster's `Network` `cluster`. */
  public readonly clusterNetwork: pulumi.CustomResource;
  /** Hands out the addresses; used by `HaService`. */
  public readonly allocator: AddressAllocator;
  /** The planner this pool and its failover registered with (HaServices drawing on it use it too). */
  public readonly planner: NonNullable<IpFailoverArgs['planner']>;

  constructor(name: string, args: ExternalIpPoolArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(EXTERNAL_IP_POOL_TYPE, name, {}, opts);
    const notObject = checkPropsObject(name, args, '{ cidr: "192.0.2.0/28" }');
    if (notObject.length > 0) throw new pulumi.ResourceError(formatIssues(notObject), this, true);
    const { cidr, planner: given, ...failoverArgs } = args;
    const issues: Issue[] = checkPulumiArgs(name, { openstack: failoverArgs.openstack, planner: given });
    this.planner = plannerArg(given, stackPlanner);
    const earlier = this.planner.claimPool(name);
    if (earlier !== undefined) issues.push(secondPoolIssue(name, cidr, earlier));
    const range = parsePoolCidr(cidr);
    if (isProblem(range)) issues.push({ path: name, field: 'cidr', ...range });
    const failoverName = `${name}-failover`;
    const failover: IpFailoverArgs | undefined = isProblem(range)
      ? undefined
      : { name: failoverNameOf(nameFromId(name)), ...failoverArgs, virtualIps: range.addresses, planner: this.planner };
    // The failover's props are checked before any child is registered: all or nothing.
    if (issues.length === 0 && failover)
      issues.push(...this.planner.check(propsOf(failover), { path: failoverName, id: failoverName }));
    if (issues.length > 0 || !failover || isProblem(range))
      throw new pulumi.ResourceError(formatIssues(issues), this, true);

    this.cidr = range.cidr;
    this.addresses = range.addresses;
    this.allocator = new AddressAllocator(range);
    this.failover = new IpFailover(failoverName, failover, { parent: this });
    const network = clusterNetworkPatch(range) as KubeObject;
    this.clusterNetwork = emitPatch(childName(name, network), network, { parent: this });
    this.registerOutputs({ cidr: this.cidr, addresses: this.addresses, failover: this.failover.deploymentName });
  }

  /**
   * `count` addresses of the pool for `name`, the same each time for the same name; throws a
   * clear error when they do not fit.
   */
  public allocate(name: string, count = 1): readonly string[] {
    const result = this.allocator.allocate(name, count);
    if (isProblem(result))
      throw new pulumi.ResourceError(formatIssueWithoutPath({ path: '', field: 'count', ...result }), this, true);
    return result;
  }
}

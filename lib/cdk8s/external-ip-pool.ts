import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { AddressAllocator, clusterNetworkPatch, parsePoolCidr, secondPoolIssue } from '../core/plan/address-pool';
import { formatIssueWithoutPath, isProblem, type Issue } from '../core/model/issues';
import { failoverNameOf } from '../core/emit/ha-service';
import { nameFromId } from '../core/spec/normalize';
import { omitKeys } from '../core/support/plain-data';
import type { ExternalIpPoolProps } from '../core/model/props';
import { IpFailover } from './ip-failover';
import { plannerOf } from './_planner-scope';

export type { ExternalIpPoolProps } from '../core/model/props';

/**
 * The cluster's ExternalIP range made highly available: the `Network` `cluster` settings
 * (`spec.externalIP.autoAssignCIDRs` and `policy.allowedCIDRs`, applied as a partial object)
 * and an {@link IpFailover} serving every host address of the range. `HaService`s with
 * `exposure: 'externalIp'` take their VIPs from it with {@link allocate}.
 *
 * With `monitorPort: 0` no node ever fails its check: the docs' mode where any node may hold the
 * VIPs even when the services behind them are down on it. Keep a port the nodes serve (80 by
 * default, such as the ingress) so a broken node gives its VIPs away.
 *
 * `node.defaultChild` is the `Network` patch (undefined when the CIDR is invalid).
 */
export class ExternalIpPool extends Construct {
  /** The canonical CIDR (undefined when invalid). */
  public readonly cidr: string | undefined;
  /** The host addresses of the range, which the failover serves. */
  public readonly addresses: readonly string[];
  /** The failover instance serving the range (child `Failover`); absent when the CIDR is invalid. */
  public readonly failover: IpFailover | undefined;
  /** The partial `config.openshift.io/v1` `Network` `cluster` object (child `ClusterNetwork`). */
  public readonly clusterNetwork: ApiObject | undefined;
  /** Hands out the addresses; used by `HaService`. */
  public readonly allocator: AddressAllocator | undefined;

  constructor(scope: Construct, id: string, props: ExternalIpPoolProps) {
    super(scope, id);
    const cidr = props?.cidr;
    const issues: Issue[] = [];
    const earlier = plannerOf(this).claimPool(this.node.path);
    if (earlier !== undefined) {
      issues.push(secondPoolIssue(this.node.path, cidr, earlier));
    }
    const range = parsePoolCidr(cidr);
    if (isProblem(range)) issues.push({ path: this.node.path, field: 'cidr', ...range });
    this.node.addValidation({ validate: () => issues.map(formatIssueWithoutPath) });

    const valid = !isProblem(range) && earlier === undefined;
    this.cidr = isProblem(range) ? undefined : range.cidr;
    this.addresses = isProblem(range) ? [] : range.addresses;
    this.allocator = valid ? new AddressAllocator(range) : undefined;
    if (!valid) return;
    this.failover = new IpFailover(this, 'Failover', {
      name: failoverNameOf(nameFromId(id)),
      ...omitKeys(props, ['cidr']),
      virtualIps: range.addresses,
    });
    this.clusterNetwork = new ApiObject(this, 'ClusterNetwork', clusterNetworkPatch(range));
    // Network is cluster-scoped; cdk8s would otherwise add the chart's namespace.
    if (Chart.of(this).namespace) this.clusterNetwork.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    // cdk8s's convention for the main object, set rather than a child named 'Resource' (child ids are public).
    this.node.defaultChild = this.clusterNetwork;
  }

  /**
   * `count` addresses of the pool for `name`, the same each time for the same name; throws a
   * clear error when they do not fit.
   */
  public allocate(name: string, count = 1): readonly string[] {
    if (!this.allocator) throw new Error(`${this.node.path}: the pool is invalid, so it has no addresses to allocate`);
    const result = this.allocator.allocate(name, count);
    if (isProblem(result))
      throw new Error(`${this.node.path}: ${formatIssueWithoutPath({ path: '', field: 'count', ...result })}`);
    return result;
  }
}

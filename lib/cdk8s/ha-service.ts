import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { resolveHaService, workloadFactsOf, wrongKindIssue, type WorkloadFacts } from '../core/emit/ha-service';
import { formatIssueWithoutPath } from '../core/model/issues';
import type { HaServiceOptions } from '../core/model/props';
import { ExternalIpPool } from './external-ip-pool';
import { IpFailover } from './ip-failover';

/** Props of {@link HaService}: the shared options plus the pool and workload as constructs. */
export interface HaServiceProps extends HaServiceOptions {
  /**
   * The ExternalIP pool to take the VIPs from (`exposure: 'externalIp'`); its failover instance
   * then serves them, so the service gets no failover of its own.
   * @default - no pool: `virtualIps` are required
   */
  readonly pool?: ExternalIpPool;
  /**
   * The host-networked workload the VIPs lead to (`exposure: 'hostNetwork'`), such as a router
   * Deployment from cdk8s-plus. The failover copies its node selector and replica count, and
   * refuses explicit ones that differ. Configure it before passing it in.
   * @default - none (required for 'hostNetwork')
   */
  readonly workload?: Construct;
}

/**
 * A service made highly available the docs' three ways: a Service whose external IPs are the
 * VIPs (the failover checks the service port), a NodePort Service reached at VIP:nodePort (the
 * failover checks the node port), or a host-networked workload (the failover runs where the
 * workload runs, with as many replicas).
 *
 * `node.defaultChild` is the Service; undefined for `hostNetwork`, which creates none.
 */
export class HaService extends Construct {
  /** Name of the Service; the failover Deployment is `ipf-<name>`. */
  public readonly serviceName: string;
  /** The VIPs clients use. */
  public readonly virtualIps: readonly string[];
  /** The Service (child `Service`); absent for `hostNetwork`. */
  public readonly service: ApiObject | undefined;
  /** The failover instance (child `Failover`); absent when the pool's instance serves the VIPs. */
  public readonly failover: IpFailover | undefined;

  constructor(scope: Construct, id: string, props: HaServiceProps) {
    super(scope, id);
    const path = this.node.path;
    const { pool, workload } = props ?? {};
    // JavaScript callers skip the types: a pool or workload of the wrong kind is an issue, not a TypeError.
    const kinds = [
      ...(pool !== undefined && !(pool instanceof ExternalIpPool)
        ? [wrongKindIssue(path, 'pool', pool, 'an ExternalIpPool')]
        : []),
      ...(workload !== undefined && !Construct.isConstruct(workload)
        ? [wrongKindIssue(path, 'workload', workload, 'a Deployment construct')]
        : []),
    ];
    const resolved = resolveHaService(props, {
      path,
      id,
      defaultNamespace: Chart.of(this).namespace,
      ...(pool instanceof ExternalIpPool && pool.allocator && { pool: pool.allocator }),
      ...(Construct.isConstruct(workload) && { workload: factsOf(workload) }),
    });
    const issues = [...kinds, ...resolved.issues];
    this.node.addValidation({ validate: () => issues.map(formatIssueWithoutPath) });
    this.serviceName = resolved.name;
    this.virtualIps = resolved.virtualIps;
    const valid = issues.length === 0;
    this.service = resolved.service && valid ? new ApiObject(this, 'Service', resolved.service) : undefined;
    this.failover = resolved.failover && valid ? new IpFailover(this, 'Failover', resolved.failover) : undefined;
    // cdk8s's convention for the main object, set rather than a child named 'Resource' (child ids are public).
    this.node.defaultChild = this.service;
  }
}

/** The workload as the Deployment it synthesizes to (cdk8s-plus or a plain ApiObject). */
function factsOf(workload: Construct): WorkloadFacts {
  const apiObject =
    workload instanceof ApiObject
      ? workload
      : workload.node.defaultChild instanceof ApiObject
        ? workload.node.defaultChild
        : undefined;
  // A construct that is no Kubernetes object gives no facts: the failover then finds no host network.
  return workloadFactsOf(workload.node.path, apiObject?.toJson() ?? {});
}

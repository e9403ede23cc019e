import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { isPlainObject } from '../core/rules/validators';
import { resolveHaService, workloadFactsOf, wrongKindIssue, type WorkloadFacts } from '../core/emit/ha-service';
import { formatIssues, type Issue } from '../core/model/issues';
import type { HaServiceOptions } from '../core/model/props';
import { childName, emitObject } from './_emit';
import { stackPlanner } from './_planner-scope';
import { ExternalIpPool } from './external-ip-pool';
import { checkPulumiArgs, isUnresolved, plannerArg, unresolvedIn } from './_inputs';
import { IpFailover, propsOf, type IpFailoverArgs } from './ip-failover';

/**
 * Args of {@link HaService}: the cdk8s props, with the pool and workload as Pulumi values and
 * the Pulumi additions of {@link IpFailoverArgs} for its failover instance.
 */
export interface HaServiceArgs
  extends Omit<HaServiceOptions, 'image'>, Pick<IpFailoverArgs, 'image' | 'openstack' | 'planner'> {
  /**
   * The ExternalIP pool to take the VIPs from (`exposure: 'externalIp'`); its failover instance
   * then serves them, so the service gets no failover of its own.
   * @default - no pool: `virtualIps` are required
   */
  readonly pool?: ExternalIpPool;
  /**
   * The host-networked workload the VIPs lead to (`exposure: 'hostNetwork'`): the args of its
   * `k8s.apps.v1.Deployment`. The failover copies its node selector and replica count and
   * refuses explicit ones that differ, so `spec.replicas`, the pod's `nodeSelector`,
   * `affinity`, `hostNetwork` and container ports must be plain values.
   * @default - none (required for 'hostNetwork')
   */
  readonly workload?: k8s.apps.v1.DeploymentArgs;
}

/** Type token of {@link HaService}. */
export const HA_SERVICE_TYPE = 'ipfailover:index:HaService';

type Json = Record<string, unknown>;

/** Reads the workload's facts, or says which of the fields it needs is not a plain value. */
function workloadOf(name: string, workload: k8s.apps.v1.DeploymentArgs): WorkloadFacts | Issue {
  const spec = workload.spec as unknown as Json | undefined;
  const template = spec?.['template'] as Json | undefined;
  const pod = template?.['spec'] as Json | undefined;
  const containers = pod?.['containers'];
  // The objects on the way are checked themselves; the fields read are checked all through.
  const onTheWay: Array<[string, unknown]> = [
    ['spec', spec],
    ['spec.template', template],
    ['spec.template.spec', pod],
    ['spec.template.spec.containers', containers],
    ...(Array.isArray(containers)
      ? containers.map((c, i): [string, unknown] => [`spec.template.spec.containers[${i}]`, c])
      : []),
  ];
  const read: Array<[string, unknown]> = [
    ['spec.replicas', spec?.['replicas']],
    ...['nodeSelector', 'affinity', 'hostNetwork'].map((key): [string, unknown] => [
      `spec.template.spec.${key}`,
      pod?.[key],
    ]),
    // Of the containers, only the ports matter; an image from a build may well be an Output.
    ...(Array.isArray(containers)
      ? containers.map((c, i): [string, unknown] => [
          `spec.template.spec.containers[${i}].ports`,
          (c as Json | undefined)?.['ports'],
        ])
      : []),
  ];
  const found =
    onTheWay.find(([, value]) => isUnresolved(value))?.[0] ??
    read.map(([where, value]) => unresolvedIn(value, where)).find((w) => w !== undefined);
  if (found) {
    return {
      path: name,
      field: 'workload',
      value: found,
      problem: 'is not a plain value, so the failover cannot match it',
      fix: 'give replicas, node selector, affinity, hostNetwork and container ports as plain values',
    };
  }
  const metadata = workload.metadata as { name?: unknown } | undefined;
  const path = typeof metadata?.name === 'string' ? metadata.name : 'workload';
  return workloadFactsOf(path, workload);
}

/**
 * A service made highly available the docs' three ways: a Service whose external IPs are the
 * VIPs (the failover checks the service port), a NodePort Service reached at VIP:nodePort (the
 * failover checks the node port), or a host-networked workload (the failover runs where the
 * workload runs, with as many replicas).
 *
 * Children: `<name>-service-<service name>` (the Service) and `<name>-failover` (its
 * IpFailover, Deployment `ipf-<service name>`), each when it applies.
 */
export class HaService extends pulumi.ComponentResource {
  /** Name of the Service; the failover Deployment is `ipf-<name>`. */
  public readonly serviceName: string;
  /** The VIPs clients use. */
  public readonly virtualIps: readonly string[];
  /** The Service; absent for `hostNetwork`. */
  public readonly service?: k8s.core.v1.Service;
  /** The failover instance; absent when the pool's instance serves the VIPs. */
  public readonly failover?: IpFailover;

  constructor(name: string, args: HaServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(HA_SERVICE_TYPE, name, {}, opts);
    const given = isPlainObject(args) ? args : ({} as Partial<HaServiceArgs>);
    const { pool: poolArg, workload: workloadArg, image, openstack, planner: plannerGiven, ...options } = given;
    // JavaScript callers skip the types: a pool or workload of the wrong kind is an issue, not a TypeError.
    const pool = poolArg instanceof ExternalIpPool ? poolArg : undefined;
    const workload = isPlainObject(workloadArg) ? (workloadArg as k8s.apps.v1.DeploymentArgs) : undefined;
    const issues: Issue[] = [
      ...(poolArg !== undefined && !pool ? [wrongKindIssue(name, 'pool', poolArg, 'an ExternalIpPool')] : []),
      ...(workloadArg !== undefined && !workload
        ? [wrongKindIssue(name, 'workload', workloadArg, 'the args of a k8s.apps.v1.Deployment')]
        : []),
      ...checkPulumiArgs(name, { openstack, planner: plannerGiven }),
    ];
    const planner = plannerArg(plannerGiven, () => pool?.planner ?? stackPlanner());
    const facts = workload ? workloadOf(name, workload) : undefined;
    if (facts && 'problem' in facts) throw new pulumi.ResourceError(formatIssues([...issues, facts]), this, true);
    const workloadFacts = facts;
    const resolved = resolveHaService((isPlainObject(args) ? options : args) as HaServiceOptions, {
      path: name,
      id: name,
      ...(pool && { pool: pool.allocator }),
      ...(workloadFacts && { workload: workloadFacts }),
    });
    issues.push(...resolved.issues);
    if (openstack && resolved.issues.length === 0 && !resolved.failover) {
      issues.push({
        path: name,
        field: 'openstack',
        value: pool?.cidr,
        problem: "is ignored: the pool's failover serves these VIPs",
        fix: 'set openstack on the ExternalIpPool',
      });
    }
    const failoverName = `${name}-failover`;
    const failoverArgs: IpFailoverArgs | undefined = resolved.failover && {
      ...resolved.failover,
      planner,
      ...(image !== undefined && { image }),
      ...(openstack && { openstack }),
    };
    // The failover's props are checked too before the Service is registered: all or nothing.
    if (issues.length === 0 && failoverArgs)
      issues.push(...planner.check(propsOf(failoverArgs), { path: failoverName, id: failoverName }));
    if (issues.length > 0) throw new pulumi.ResourceError(formatIssues(issues), this, true);

    this.serviceName = resolved.name;
    this.virtualIps = resolved.virtualIps;
    if (resolved.service) {
      this.service = emitObject(childName(name, resolved.service), resolved.service, {
        parent: this,
      }) as k8s.core.v1.Service;
    }
    if (failoverArgs) this.failover = new IpFailover(failoverName, failoverArgs, { parent: this });
    this.registerOutputs({
      serviceName: this.serviceName,
      virtualIps: this.virtualIps,
      ...(this.failover && { failover: this.failover.deploymentName, vrrpIds: this.failover.vrrpIds }),
    });
  }
}

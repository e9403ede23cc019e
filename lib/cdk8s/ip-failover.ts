import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { formatIssueWithoutPath, formatIssues } from '../core/model/issues';
import { failoverObjects } from '../core/emit/manifests';
import type { InstancePlan } from '../core/plan/planner';
import type { IpFailoverOptions } from '../core/model/props';
import { toEnv } from '../core/env/env-contract';
import { checkOpenStackPorts } from '../core/openstack/port-pairs';
import { openStackConfigMap } from '../core/openstack/scripts';
import { plannerOf } from './_planner-scope';

/** The Red Hat OpenStack ports of the nodes that can hold the VIPs. */
export interface OpenStackPorts {
  /** Neutron port IDs of the nodes the failover pods can run on. */
  readonly portIds: readonly string[];
}

/** Props of {@link IpFailover}: the shared props plus the cdk8s form of the RHOSP step. */
export interface IpFailoverProps extends IpFailoverOptions {
  /**
   * Red Hat OpenStack only: the node ports on which every VIP must be an allowed address pair
   * (the docs' RHOSP step). cdk8s cannot reach OpenStack, so this synthesizes a ConfigMap
   * `<name>-rhosp` with `apply.sh` and `remove.sh`, the same steps the Pulumi component runs:
   * additive, marked with port tags so `remove.sh` takes back only its own pairs, and refusing a
   * VIP that is already the cluster's API or ingress VIP.
   * @default - not on RHOSP: no ConfigMap
   */
  readonly openstack?: OpenStackPorts;
}

/**
 * A keepalived failover Deployment serving a set of virtual IPs, with what it needs: service
 * account, SCC role bindings, the scripts ConfigMap.
 *
 * Every instance in an app registers with one planner, which allocates VRRP IDs and checks the
 * stack-wide rules. Bad props do not throw here: `app.synth()` (and `cdk8s synth`) fail with
 * every problem of every instance listed, and write nothing.
 *
 * `node.defaultChild` is the Deployment (undefined when the props are invalid).
 */
export class IpFailover extends Construct {
  /** Name of the Deployment (also the `ipfailover` label and config name). */
  public readonly deploymentName: string;
  /** Namespace of the namespaced objects. */
  public readonly namespace: string | undefined;
  /** The VRRP ID offset in effect, given or allocated; `undefined` when the props are invalid. */
  public readonly vrrpIdOffset: number | undefined;
  /** VRRP ID of each group, in group order; empty when the props are invalid. */
  public readonly vrrpIds: readonly number[];
  /** The VIPs of each VRRP group, in order; the VIPs of one group move together. */
  public readonly groups: readonly (readonly string[])[];
  /** The expanded, de-duplicated VIPs. */
  public readonly virtualIps: readonly string[];
  /** The failover container's environment (`OPENSHIFT_HA_*`), as written to the Deployment. */
  public readonly env: Readonly<Record<string, string>>;
  /** Every object this instance emits, in apply order. */
  public readonly apiObjects: readonly ApiObject[];

  private readonly plan: InstancePlan | undefined;

  constructor(scope: Construct, id: string, props: IpFailoverProps) {
    super(scope, id);
    const planner = plannerOf(this);
    const path = this.node.path;
    const { plan } = planner.add(props, { path, id, defaultNamespace: Chart.of(this).namespace });
    const openstack = props?.openstack;
    const ownIssues = checkOpenStackPorts(path, openstack);
    this.node.addValidation({ validate: () => [...planner.issuesFor(path), ...ownIssues].map(formatIssueWithoutPath) });

    this.plan = plan;
    this.deploymentName = plan?.spec.name ?? id;
    this.namespace = plan?.spec.namespace;
    this.vrrpIdOffset = plan?.settings.vrrpIdOffset;
    this.vrrpIds = plan?.vrrpIds ?? [];
    this.groups = plan?.groups ?? [];
    this.virtualIps = plan?.settings.virtualIps ?? [];
    this.env = plan ? Object.fromEntries(toEnv(plan.settings).map((v) => [v.name, v.value])) : {};
    const objects = plan ? failoverObjects(plan) : [];
    if (plan && openstack && ownIssues.length === 0) objects.push(openStackConfigMap(plan, openstack.portIds));
    this.apiObjects = objects.map((obj) => new ApiObject(this, `${obj.kind}-${obj.metadata.name}`, obj));
    // cdk8s's convention (`node.defaultChild`, `ApiObject.of`) names the main object; set it
    // rather than renaming the Deployment's child to 'Resource', since child ids are public.
    this.node.defaultChild = this.apiObjects.find((obj) => obj.kind === 'Deployment');
  }

  /** The failover Deployment. Throws when the props are invalid (synthesis reports why). */
  public get deployment(): ApiObject {
    const deployment = this.apiObjects.find((obj) => obj.kind === 'Deployment');
    if (!deployment) {
      const issues = plannerOf(this).issuesFor(this.node.path);
      throw new Error(`${this.node.path} has no Deployment because its props are invalid:\n${formatIssues(issues)}`);
    }
    return deployment;
  }

  /** Whether the planner accepted this instance. */
  public get planned(): boolean {
    return this.plan !== undefined;
  }
}

import * as k8s from '@pulumi/kubernetes';
import type * as OpenStack from '@pulumi/openstack';
import * as pulumi from '@pulumi/pulumi';
import { toEnv } from '../core/env/env-contract';
import { formatIssues } from '../core/model/issues';
import { failoverObjects } from '../core/emit/manifests';
import { type KubeObject } from '../core/model/kube-object';
import type { InstancePlan, Planner } from '../core/plan/planner';
import { isPlainObject } from '../core/rules/validators';
import { omitKeys } from '../core/support/plain-data';
import type { IpFailoverOptions } from '../core/model/props';
import { canonicalAddress } from '../core/openstack/port-pairs';
import { childName, emitObject } from './_emit';
import { checkPulumiArgs, isUnresolved, plannerArg } from './_inputs';
import { serviceAccountOwners, stackPlanner } from './_planner-scope';
import { AllowedAddressPairs } from './allowed-address-pairs';

/** Where to reserve the VIPs in Neutron, so its IPAM never hands them to another port. */
export interface VipReservationArgs {
  /** The network of the node ports. */
  readonly networkId: pulumi.Input<string>;
  /** The subnet the VIPs belong to. */
  readonly subnetId: pulumi.Input<string>;
}

/**
 * Red Hat OpenStack Platform: make every VIP an allowed address pair on the nodes' Neutron ports
 * (the docs' "RHOSP only" step). Pairs the ports already have are kept; destroying the stack
 * removes only the pairs it added; a VIP the port already carries as the cluster's API or
 * ingress VIP is refused.
 */
export interface IpFailoverOpenStackArgs {
  /**
   * Neutron ports (IDs or names) of the nodes that can hold the VIPs: every node the failover
   * pods can run on. May come from other resources or `openstack.networking.getPort`.
   */
  readonly portIds: pulumi.Input<readonly pulumi.Input<string>[]>;
  /**
   * Reserve each VIP as a fixed IP of a stack-owned, unbound port on this network and subnet, as
   * the installer does for the API and ingress VIPs. The ports are `@pulumi/openstack` resources,
   * so this needs that package installed (the rest of `openstack` does not).
   * @default - no reservation: make sure the VIPs lie outside the subnet's allocation pools
   */
  readonly reserveOn?: VipReservationArgs;
  /**
   * The OpenStack CLI program that edits the node ports, run where `pulumi up` runs, with the
   * credentials the CLI finds (`OS_CLOUD` and `clouds.yaml`, or `OS_*` variables).
   * @default 'openstack'
   */
  readonly cli?: string;
}

/**
 * Args of {@link IpFailover}: the props of the cdk8s construct, with Pulumi additions.
 *
 * Plan-affecting fields (`virtualIps`, `vipGroups`, `vrrpIdOffset`, `replicas`, `name`,
 * `namespace`, and every other prop the env or the object names derive from) are plain values:
 * the stack's planner checks and allocates them while the program runs. `image` and the
 * `openstack` port IDs and network may be `pulumi.Input`s, so they can come from other resources.
 */
export interface IpFailoverArgs extends Omit<IpFailoverOptions, 'image'> {
  /**
   * Container image of the failover pod; may be the output of an image build.
   * @default 'ghcr.io/ipfailover/ipfailover:0.1.0' (built from this repository's Dockerfile)
   */
  readonly image?: pulumi.Input<string>;
  /**
   * Make the VIPs reachable on RHOSP node ports (allowed address pairs).
   * @default - no OpenStack changes
   */
  readonly openstack?: IpFailoverOpenStackArgs;
  /**
   * The planner this instance registers with.
   * @default - the program's planner, shared by every component of the run
   */
  readonly planner?: Planner;
}

/** Type token of {@link IpFailover}. */
export const IP_FAILOVER_TYPE = 'ipfailover:index:IpFailover';

/** The Deployment with its container image replaced by an `Input` (the planner saw the default). */
function withImage(obj: KubeObject, image: pulumi.Input<string>): KubeObject {
  const spec = obj['spec'] as { template: { spec: { containers: Array<Record<string, unknown>> } } };
  const containers = spec.template.spec.containers.map((c) => ({ ...c, image }));
  return { ...obj, spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers } } } };
}

/**
 * A keepalived failover Deployment serving a set of virtual IPs, with its service account, SCC
 * role bindings and scripts ConfigMap, as `@pulumi/kubernetes` resources; optionally the VIPs as
 * allowed address pairs on RHOSP node ports.
 *
 * Every instance of a program registers with the program's planner, which allocates VRRP IDs and
 * checks the stack-wide rules at construction: bad args throw one `ResourceError` listing every
 * problem of this instance.
 *
 * Children: `<name>-<kind>-<object name>` for each Kubernetes object (`edge-deployment-edge`),
 * `<name>-allowed-address-pairs` and `<name>-vip-<address>` for RHOSP (IPv6 colons as `-`).
 */
export class IpFailover extends pulumi.ComponentResource {
  /** Name of the Deployment (also the `ipfailover` label and config name). */
  public readonly deploymentName: string;
  /** Namespace of the namespaced objects. */
  public readonly namespace: string;
  /** The VRRP ID offset in effect, given or allocated. */
  public readonly vrrpIdOffset: number;
  /** VRRP ID of each group, in group order. */
  public readonly vrrpIds: readonly number[];
  /** The VIPs of each VRRP group, in order; the VIPs of one group move together. */
  public readonly groups: readonly (readonly string[])[];
  /** The expanded, de-duplicated VIPs. */
  public readonly virtualIps: readonly string[];
  /** The failover container's environment (`OPENSHIFT_HA_*`), as written to the Deployment. */
  public readonly env: Readonly<Record<string, string>>;
  /** Every Kubernetes object of this instance (as `@pulumi/kubernetes` resources), in apply order. */
  public readonly apiObjects: readonly pulumi.CustomResource[];
  /** The failover Deployment. */
  public readonly deployment: k8s.apps.v1.Deployment;
  /** The RHOSP allowed address pairs, when `openstack` is given. */
  public readonly allowedAddressPairs?: AllowedAddressPairs;
  /**
   * The ports reserving the VIPs, when `openstack.reserveOn` is given: `openstack.networking.Port`
   * resources of `@pulumi/openstack`. Typed as plain custom resources so that programs without
   * `@pulumi/openstack` installed still type-check against this class.
   */
  public readonly vipPorts: readonly pulumi.CustomResource[];

  constructor(name: string, args: IpFailoverArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(IP_FAILOVER_TYPE, name, {}, opts);
    const given = isPlainObject(args) ? args : ({} as Partial<IpFailoverArgs>);
    const planner = plannerArg(given.planner, stackPlanner);
    const context = { path: name, id: name };
    const props = isPlainObject(args) ? propsOf(args) : (args as unknown as IpFailoverOptions);
    // Everything is checked before the first child is registered.
    const own = checkPulumiArgs(name, given);
    if (own.length > 0)
      throw new pulumi.ResourceError(formatIssues([...planner.check(props, context), ...own]), this, true);
    const { plan, issues } = planner.add(props, context);
    if (!plan) throw new pulumi.ResourceError(formatIssues(issues), this, true);
    const checked = args as IpFailoverArgs;
    const openstackModule = checked.openstack?.reserveOn ? loadOpenstack(name, this) : undefined;

    this.deploymentName = plan.spec.name;
    this.namespace = plan.spec.namespace;
    this.vrrpIdOffset = plan.settings.vrrpIdOffset;
    this.vrrpIds = plan.vrrpIds;
    this.groups = plan.groups;
    this.virtualIps = plan.settings.virtualIps;
    this.env = Object.fromEntries(toEnv(plan.settings).map((v) => [v.name, v.value]));
    this.apiObjects = this.emitKubernetes(name, plan, checked.image, serviceAccountOwners(planner));
    this.deployment = this.apiObjects.find(
      (r): r is k8s.apps.v1.Deployment => r instanceof k8s.apps.v1.Deployment,
    ) as k8s.apps.v1.Deployment;

    this.vipPorts =
      openstackModule && checked.openstack?.reserveOn
        ? this.reserveVips(openstackModule, name, checked.openstack.reserveOn)
        : [];
    if (checked.openstack) {
      this.allowedAddressPairs = new AllowedAddressPairs(
        `${name}-allowed-address-pairs`,
        {
          path: name,
          portIds: checked.openstack.portIds,
          vips: this.virtualIps.map(canonicalAddress),
          cli: checked.openstack.cli ?? 'openstack',
        },
        { parent: this, dependsOn: [...this.vipPorts] },
      );
    }

    this.registerOutputs({
      deploymentName: this.deploymentName,
      namespace: this.namespace,
      vrrpIdOffset: this.vrrpIdOffset,
      vrrpIds: this.vrrpIds,
      groups: this.groups,
      virtualIps: this.virtualIps,
      ...(this.allowedAddressPairs && { keptPairs: this.allowedAddressPairs.keptPairs }),
    });
  }

  private emitKubernetes(
    name: string,
    plan: InstancePlan,
    image: pulumi.Input<string> | undefined,
    owners: Map<string, pulumi.CustomResource[]>,
  ): pulumi.CustomResource[] {
    const accountKey = `${plan.spec.namespace}/${plan.spec.serviceAccountName}`;
    const emitted: pulumi.CustomResource[] = [];
    for (const obj of failoverObjects(plan)) {
      const isDeployment = obj.kind === 'Deployment';
      const object = isDeployment && isUnresolved(image) ? withImage(obj, image as pulumi.Input<string>) : obj;
      // Pods are admitted against the SCC bindings: create the account and bindings first,
      // including those of the instance that owns a shared account.
      const dependsOn = isDeployment ? [...emitted, ...(owners.get(accountKey) ?? [])] : [];
      emitted.push(emitObject(childName(name, obj), object, { parent: this, dependsOn }));
    }
    if (plan.ownsServiceAccount) {
      owners.set(
        accountKey,
        emitted.filter((r) => r instanceof k8s.core.v1.ServiceAccount || r instanceof k8s.rbac.v1.RoleBinding),
      );
    }
    return emitted;
  }

  private reserveVips(openstack: typeof OpenStack, name: string, on: VipReservationArgs): pulumi.CustomResource[] {
    return this.virtualIps.map(
      (vip) =>
        new openstack.networking.Port(
          `${name}-vip-${vipLabel(vip)}`,
          {
            name: `${this.deploymentName}-vip-${vipLabel(vip)}`,
            description: `failover VIP of ${this.namespace}/${this.deploymentName} (ipfailover); not bound to any server`,
            networkId: on.networkId,
            fixedIps: [{ subnetId: on.subnetId, ipAddress: vip }],
            adminStateUp: false,
          },
          { parent: this },
        ),
    );
  }
}

/**
 * `@pulumi/openstack`, loaded only when VIPs are reserved: it is an optional peer dependency,
 * needed by no other feature (the allowed address pairs go through the `openstack` CLI), so a
 * program that does not reserve VIPs runs without it installed.
 */
function loadOpenstack(name: string, component: pulumi.Resource): typeof OpenStack {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@pulumi/openstack') as typeof OpenStack;
  } catch (error) {
    // Only the package itself missing; a broken install of it keeps its own error.
    if (!(
      error instanceof Error &&
      'code' in error &&
      error.code === 'MODULE_NOT_FOUND' &&
      error.message.startsWith("Cannot find module '@pulumi/openstack'")
    ))
      throw error;
    throw new pulumi.ResourceError(
      `${name}: 'openstack.reserveOn' needs the package @pulumi/openstack (the reservation ports are its resources), which is not installed; run \`npm install @pulumi/openstack\`, or leave reserveOn out`,
      component,
      true,
    );
  }
}

/** A VIP in a resource name: IPv6 colons become `-`, since `::` separates the parts of a URN. */
function vipLabel(vip: string): string {
  return vip.replace(/:/g, '-');
}

/** Args that are not props: the planner never sees them. */
const PULUMI_ONLY = ['openstack', 'planner', 'image'] as const;

/**
 * The args the planner sees: the props, with an `Output` image left to the default for checking
 * (it is known only later). Any other image, a number too, is checked as given.
 */
export function propsOf(args: IpFailoverArgs): IpFailoverOptions {
  const props: IpFailoverOptions = omitKeys(args, PULUMI_ONLY);
  return args.image === undefined || isUnresolved(args.image) ? props : { ...props, image: args.image as string };
}

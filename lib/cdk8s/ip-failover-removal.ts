import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { formatIssueWithoutPath } from '../core/model/issues';
import { serviceAccountObjects } from '../core/emit/manifests';
import { planRemoval, type IpFailoverRemovalProps } from '../core/emit/removal-jobs';
import { plannerOf } from './_planner-scope';

export type { IpFailoverRemovalProps } from '../core/emit/removal-jobs';

/**
 * Removes an `IpFailover` from its nodes, as the docs' "Removing IP failover" procedure: put it
 * where the `IpFailover` stood, with the same props (and id or `name`) plus the `nodes` it ran
 * on. It synthesizes one Job per node running `ipfailover remove` (deletes the VRRP iptables
 * rule, releases the VIPs) as root on the host network, privileged, and the service account
 * those Jobs need. The Jobs run ipfailover's image even when the instance ran Red Hat's, which
 * has no `remove` (see `removalImage`). Once the Jobs have completed, delete this construct's
 * objects and the ConfigMaps in {@link configMapsToDelete}.
 *
 * It has no `node.defaultChild`: no one object is the main one (see {@link jobs}).
 */
export class IpFailoverRemoval extends Construct {
  /** The removal Jobs, one per node, in the order given. */
  public readonly jobs: readonly ApiObject[];
  /** ConfigMaps the removed instance created, to delete after the Jobs (`oc delete configmap …`). */
  public readonly configMapsToDelete: readonly string[];

  constructor(scope: Construct, id: string, props: IpFailoverRemovalProps) {
    super(scope, id);
    const plan = planRemoval(props, { path: this.node.path, id, defaultNamespace: Chart.of(this).namespace });
    this.node.addValidation({ validate: () => plan.issues.map(formatIssueWithoutPath) });
    this.configMapsToDelete = plan.configMapsToDelete;
    const spec = plan.spec;
    if (spec && plannerOf(this).claimServiceAccount(spec.namespace, spec.serviceAccountName)) {
      for (const obj of serviceAccountObjects(spec)) new ApiObject(this, `${obj.kind}-${obj.metadata.name}`, obj);
    }
    this.jobs = plan.jobs.map((obj) => new ApiObject(this, `${obj.kind}-${obj.metadata.name}`, obj));
  }
}

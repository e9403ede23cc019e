/**
 * Removing IP failover from nodes, as the docs' "Removing IP failover" does by hand: one Job per
 * node (selected by hostname) running the agent's `remove`, which deletes the VRRP iptables rule
 * and releases the VIPs. Unlike the documented Job, it runs on the host network, privileged and
 * with the instance's environment, so it really reaches the rule and the VIPs.
 */
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import { checkDnsSubdomain } from './fields';
import { toEnv } from './env-contract';
import { fnv1a } from './hash';
import { toIssues, type Issue } from './issues';
import { CONTAINER_NAME, HOST_MOUNTS, HOST_VOLUMES, labelsOf, scriptsConfigMapName, type KubeObject } from './manifests';
import { normalize, type FailoverSpec, type InstanceContext } from './normalize';
import type { IpFailoverProps } from './props';

/** Props of a removal: the removed instance's props, and the nodes it ran on. */
export interface IpFailoverRemovalProps extends IpFailoverProps {
  /**
   * Hostnames (`kubernetes.io/hostname` labels) of the nodes the failover pods ran on; one Job
   * runs on each.
   */
  readonly nodes: readonly string[];
}

/** What a removal consists of. */
export interface RemovalPlan {
  /** The spec of the instance being removed. */
  readonly spec?: FailoverSpec;
  /** One Job per node, in the order given. */
  readonly jobs: readonly KubeObject[];
  /** ConfigMaps the instance created that are left to delete (`oc delete configmap …`). */
  readonly configMapsToDelete: readonly string[];
  readonly issues: readonly Issue[];
}

/** The agent's removal command in our image. */
export const REMOVE_COMMAND = ['ipfailover', 'remove'] as const;

/** `<name>-remove-<host>`, shortened with a hash of the host when it would pass 63 characters. */
export function removalJobName(name: string, node: string): string {
  const slug = node.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  const full = `${name}-remove-${slug}`;
  return full.length <= 63 ? full : `${name.slice(0, 37)}-remove-${fnv1a(node).toString(16).padStart(8, '0')}`;
}

function job(spec: FailoverSpec, env: ReturnType<typeof toEnv>, node: string): KubeObject {
  const labels = { ...labelsOf(spec), app: 'remove-ipfailover' };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: removalJobName(spec.name, node), namespace: spec.namespace, labels },
    spec: {
      backoffLimit: 3,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: spec.serviceAccountName,
          hostNetwork: true,
          nodeSelector: { 'kubernetes.io/hostname': node },
          restartPolicy: 'Never',
          containers: [
            {
              name: `${CONTAINER_NAME}-remove`,
              image: spec.image,
              command: [...REMOVE_COMMAND],
              imagePullPolicy: 'IfNotPresent',
              securityContext: { privileged: true },
              volumeMounts: [...HOST_MOUNTS],
              env: env.map((v) => ({ ...v })),
            },
          ],
          volumes: [...HOST_VOLUMES],
          ...(spec.imagePullSecrets.length > 0 && { imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })) }),
        },
      },
    },
  } satisfies IJob;
}

/**
 * Plans the removal of an instance from the given nodes. The offset does not matter to
 * `remove`, so no planner is involved: the removal may stand where the instance stood.
 */
export function planRemoval(props: IpFailoverRemovalProps, context: InstanceContext): RemovalPlan {
  const { nodes, ...failoverProps } = props;
  const { spec, issues } = normalize(failoverProps, context);
  const found: Issue[] = [...issues];
  if (!Array.isArray(nodes) || nodes.length === 0) {
    found.push({ path: context.path, field: 'nodes', value: nodes, problem: 'lists no node', fix: 'list the hostnames of the nodes the failover pods ran on' });
  } else {
    const problems = nodes.map(checkDnsSubdomain).filter((p) => p !== undefined);
    found.push(...toIssues(context.path, 'nodes', problems));
    const twice = nodes.filter((n, i) => nodes.indexOf(n) !== i);
    if (twice.length > 0) found.push({ path: context.path, field: 'nodes', value: twice[0], problem: 'is listed twice', fix: 'list each node once' });
  }
  if (!spec || found.length > 0) return { jobs: [], configMapsToDelete: [], issues: found };
  const env = toEnv({ ...spec.agent, vrrpIdOffset: spec.requestedVrrpIdOffset ?? 0 });
  const inline = [spec.checkScript, spec.notifyScript].some((s) => s !== undefined && 'inline' in s);
  return {
    spec,
    jobs: nodes.map((node) => job(spec, env, node)),
    configMapsToDelete: inline ? [scriptsConfigMapName(spec)] : [],
    issues: [],
  };
}

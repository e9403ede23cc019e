/**
 * Removing IP failover from nodes, as the docs' "Removing IP failover" does by hand: one Job per
 * node (selected by hostname) running the agent's `remove`, which deletes the VRRP iptables rule
 * and releases the VIPs. Unlike the documented Job, it runs on the host network, privileged, as
 * root and with the instance's environment, so it really reaches the rule and the VIPs; and it
 * runs ipfailover's image even when the instance ran Red Hat's, which has no `remove`.
 * (What the command does on the node is `agent/node-removal.ts`.)
 */
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import { DEFAULT_IMAGE } from '../model/defaults';
import { checkDnsSubdomain, checkImage } from '../rules/validators';
import { toEnv } from '../env/env-contract';
import { fnv1a } from '../support/hash';
import { toIssues, type Issue, type Problem } from '../model/issues';
import { CONTAINER_NAME, labelsOf, scriptsConfigMapName } from '../model/object-names';
import { HOST_MOUNTS, HOST_VOLUMES } from './manifests';
import { type KubeObject } from '../model/kube-object';
import { checkPropsObject, normalize, type FailoverSpec, type InstanceContext } from '../spec/normalize';
import type { IpFailoverOptions } from '../model/props';

/** Props of a removal: the removed instance's props, and the nodes it ran on. */
export interface IpFailoverRemovalProps extends IpFailoverOptions {
  /**
   * Hostnames (`kubernetes.io/hostname` labels) of the nodes the failover pods ran on; one Job
   * runs on each.
   */
  readonly nodes: readonly string[];

  /**
   * Image of the removal Jobs; it must have the `ipfailover remove` command, which Red Hat's
   * `ose-keepalived-ipfailover` image lacks.
   * @default - the instance's `image` when it is ipfailover's own image; for Red Hat's image
   * (a repository name containing `keepalived-ipfailover`), ipfailover's default image
   * (`DEFAULT_IMAGE`)
   */
  readonly removalImage?: string;
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
  const slug = node
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const full = `${name}-remove-${slug}`;
  return full.length <= 63 ? full : `${name.slice(0, 37)}-remove-${fnv1a(node).toString(16).padStart(8, '0')}`;
}

/** An image reference without its tag and digest: `registry/path/name`. */
function repositoryOf(image: string): string {
  const name = image.split('@')[0]!;
  const tag = name.lastIndexOf(':');
  return tag > name.lastIndexOf('/') ? name.slice(0, tag) : name;
}

/** Whether an image is Red Hat's keepalived-ipfailover (such as `ose-keepalived-ipfailover-rhel9`). */
export function isRedHatImage(image: string): boolean {
  return repositoryOf(image).includes('keepalived-ipfailover');
}

/** The removal Jobs' image by default: the instance's own, unless that is Red Hat's. */
export function defaultRemovalImage(instanceImage: string): string {
  return isRedHatImage(instanceImage) ? DEFAULT_IMAGE : instanceImage;
}

function checkRemovalImage(image: unknown): Problem | undefined {
  const bad = checkImage(image);
  if (bad || !isRedHatImage(image as string)) return bad;
  return {
    value: image,
    problem: "is Red Hat's keepalived-ipfailover image, which has no ipfailover remove command",
    fix: `use ipfailover's image (${DEFAULT_IMAGE}), or leave it out`,
  };
}

function job(spec: FailoverSpec, image: string, env: ReturnType<typeof toEnv>, node: string): KubeObject {
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
              image,
              command: [...REMOVE_COMMAND],
              imagePullPolicy: 'IfNotPresent',
              // Root, whatever the image's user: iproute2's `ip` drops every capability when a
              // non-root user runs it (file capabilities on it do nothing), so as uid 65534 it
              // could not release a VIP a crash left behind ("Operation not permitted"). A
              // privileged one-shot Job on the host network gains nothing more by it.
              securityContext: { privileged: true, runAsUser: 0 },
              volumeMounts: [...HOST_MOUNTS],
              env: env.map((v) => ({ ...v })),
            },
          ],
          volumes: [...HOST_VOLUMES],
          ...(spec.imagePullSecrets.length > 0 && {
            imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })),
          }),
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
  const notObject = checkPropsObject(context.path, props, '{ virtualIps: "192.0.2.10", nodes: ["worker-0"] }');
  if (notObject.length > 0) return { jobs: [], configMapsToDelete: [], issues: notObject };
  const { nodes, removalImage, ...failoverProps } = props;
  const { spec, issues } = normalize(failoverProps, context);
  const found: Issue[] = [...issues];
  const badImage = removalImage === undefined ? undefined : checkRemovalImage(removalImage);
  if (badImage) found.push({ path: context.path, field: 'removalImage', ...badImage });
  if (!Array.isArray(nodes) || nodes.length === 0) {
    found.push({
      path: context.path,
      field: 'nodes',
      value: nodes,
      problem: 'lists no node',
      fix: 'list the hostnames of the nodes the failover pods ran on',
    });
  } else {
    const problems = nodes.map((node: unknown) => checkDnsSubdomain(node)).filter((p) => p !== undefined);
    found.push(...toIssues(context.path, 'nodes', problems));
    const twice = nodes.filter((n, i) => nodes.indexOf(n) !== i);
    if (twice.length > 0)
      found.push({
        path: context.path,
        field: 'nodes',
        value: twice[0],
        problem: 'is listed twice',
        fix: 'list each node once',
      });
  }
  if (!spec || found.length > 0) return { jobs: [], configMapsToDelete: [], issues: found };
  const env = toEnv({ ...spec.settings, vrrpIdOffset: spec.requestedVrrpIdOffset ?? 0 });
  const inline = [spec.checkScript, spec.notifyScript].some((s) => s !== undefined && 'inline' in s);
  return {
    spec,
    jobs: nodes.map((node) => job(spec, removalImage ?? defaultRemovalImage(spec.image), env, node)),
    configMapsToDelete: inline ? [scriptsConfigMapName(spec)] : [],
    issues: [],
  };
}

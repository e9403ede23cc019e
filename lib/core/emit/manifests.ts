/**
 * A planned instance → the plain Kubernetes objects the OpenShift procedure creates by hand:
 * service account, SCC role bindings, script ConfigMap and the failover Deployment, plus the
 * PodDisruptionBudget that keeps drains to one failover pod at a time. Names, labels and list
 * order are fixed here, so both front ends emit identical objects.
 */
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeProjection } from 'kubernetes-models/v1/VolumeProjection';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IDeploymentStrategy } from 'kubernetes-models/apps/v1/DeploymentStrategy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { AGENT_PATHS, agentPortOf, LISTEN_ADDRESS_ENV, METRICS_PORT_NAME } from '../model/agent-endpoints';
import type { KubeObject } from '../model/kube-object';
import {
  CONTAINER_NAME,
  labelsOf,
  peersRoleName,
  SCC_NAMES,
  sccRoleBindingName,
  scriptsConfigMapName,
} from '../model/object-names';
import { NODE_NAME_ENV, SCRIPTS_MOUNT_PATH, STATE_DIR } from '../model/pod-layout';
import { readsClusterNodes } from '../env/setting-rules';
import { inlineScriptData } from '../rules/script-source';
import { toEnv } from '../env/env-contract';
import type { InstancePlan } from '../plan/planner';
import { monitoringObjects } from './monitoring';
import type { FailoverSpec } from '../spec/normalize';

/** The documented host mounts: kernel modules, the host's `/` (its iptables), its sysconfig. */
export const HOST_MOUNTS = [
  { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true },
  { name: 'host-slash', mountPath: '/host', readOnly: true, mountPropagation: 'HostToContainer' },
  { name: 'etc-sysconfig', mountPath: '/etc/sysconfig', readOnly: true },
] as const;

/** The host paths behind {@link HOST_MOUNTS}. */
export const HOST_VOLUMES = [
  { name: 'lib-modules', hostPath: { path: '/lib/modules' } },
  { name: 'host-slash', hostPath: { path: '/' } },
  { name: 'etc-sysconfig', hostPath: { path: '/etc/sysconfig' } },
] as const;

/**
 * Where the agent reads its nodes from the cluster, an `emptyDir` at the image's state directory:
 * a container restarted while the API does not answer starts with the nodes it last listed.
 */
const STATE_VOLUME = { name: 'state', emptyDir: {} } as const;

/** The volume at {@link SCRIPTS_MOUNT_PATH}: inline scripts and keys of the user's ConfigMaps. */
const CONFIG_VOLUME = 'config-volume';

/**
 * The host port that keeps one pod of an instance per node (and lets instances share nodes):
 * the port the agent serves `/metrics` and `/readyz` on.
 */
export function hostPortOf(plan: InstancePlan): number {
  return agentPortOf(plan.settings.vrrpIdOffset);
}

function serviceAccount(spec: FailoverSpec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: spec.serviceAccountName, namespace: spec.namespace, labels: labelsOf(spec) },
  } satisfies IServiceAccount;
}

/** What `oc adm policy add-scc-to-user <scc> -z <account>` grants, limited to one namespace. */
function sccRoleBinding(spec: FailoverSpec, scc: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: {
      name: sccRoleBindingName(spec.serviceAccountName, scc),
      namespace: spec.namespace,
      labels: labelsOf(spec),
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `system:openshift:scc:${scc}` },
    subjects: [{ kind: 'ServiceAccount', name: spec.serviceAccountName, namespace: spec.namespace }],
  } satisfies IRoleBinding;
}

/**
 * What the agents need to read their instance's nodes (`peers` cluster or clusterUnicast): list
 * and watch pods in the instance's namespace, nothing more (the agent never reads one pod by
 * name, nor any other resource), bound to the instance's service account.
 */
function peersRbac(spec: FailoverSpec): KubeObject[] {
  const metadata = { name: peersRoleName(spec), namespace: spec.namespace, labels: labelsOf(spec) };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }],
    } satisfies IRole,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: peersRoleName(spec) },
      subjects: [{ kind: 'ServiceAccount', name: spec.serviceAccountName, namespace: spec.namespace }],
    } satisfies IRoleBinding,
  ];
}

/** The user's ConfigMaps the scripts come from, each with its keys, in check, notify order. */
function userConfigMapKeys(spec: FailoverSpec): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const source of [spec.checkScript, spec.notifyScript]) {
    if (source === undefined || !('configMap' in source)) continue;
    const list = keys.get(source.configMap) ?? [];
    if (!list.includes(source.key)) list.push(source.key);
    keys.set(source.configMap, list);
  }
  return keys;
}

/**
 * The scripts volume, or `undefined` when no script is mounted. Inline scripts alone keep the
 * documented shape, one `configMap` volume; with a user's ConfigMap, a `projected` volume joins
 * ours and the user's keys (each at its own name) in the one directory the docs mount.
 */
function scriptsVolume(spec: FailoverSpec, withInline: boolean): IVolume | undefined {
  const user = [...userConfigMapKeys(spec)];
  if (user.length === 0) {
    return withInline
      ? { name: CONFIG_VOLUME, configMap: { name: scriptsConfigMapName(spec), defaultMode: 0o755 } }
      : undefined;
  }
  const sources: IVolumeProjection[] = [
    ...(withInline ? [{ configMap: { name: scriptsConfigMapName(spec) } }] : []),
    ...user.map(([name, keys]) => ({ configMap: { name, items: keys.map((key) => ({ key, path: key })) } })),
  ];
  return { name: CONFIG_VOLUME, projected: { defaultMode: 0o755, sources } };
}

function scriptsConfigMap(spec: FailoverSpec, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: scriptsConfigMapName(spec), namespace: spec.namespace, labels: labelsOf(spec) },
    data,
  } satisfies IConfigMap;
}

/** One failover pod down at a time, in a rollout as in a drain. */
const MAX_UNAVAILABLE = 1;

function strategyOf(spec: FailoverSpec): IDeploymentStrategy {
  // A surge pod could never schedule: the hostPort already holds every selected node. So the
  // old pod goes first; it hands its VIPs over on SIGTERM, and the next node's turn comes when
  // the new pod is ready.
  return spec.strategy === 'RollingUpdate'
    ? { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: MAX_UNAVAILABLE } }
    : { type: 'Recreate' };
}

/**
 * Evictions (a drain, a node upgrade) take at most one of the instance's pods at a time, as the
 * rollout does. A pod that is not ready holds and can take no VIP, so evicting it costs nothing:
 * `AlwaysAllow` keeps a drain from waiting on it (with the default, two unready pods would block
 * every eviction of the instance).
 */
function disruptionBudget(spec: FailoverSpec): KubeObject {
  const labels = labelsOf(spec);
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: spec.name, namespace: spec.namespace, labels },
    spec: {
      maxUnavailable: MAX_UNAVAILABLE,
      selector: { matchLabels: labels },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  } satisfies IPodDisruptionBudget;
}

function deployment(plan: InstancePlan, scripts: IVolume | undefined): KubeObject {
  const { spec } = plan;
  const labels = labelsOf(spec);
  const port = hostPortOf(plan);
  const discovery = readsClusterNodes(spec.settings);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: spec.name, namespace: spec.namespace, labels },
    spec: {
      strategy: strategyOf(spec),
      replicas: spec.settings.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: spec.serviceAccountName,
          // The API token only where the agent reads its nodes from the cluster.
          automountServiceAccountToken: discovery,
          hostNetwork: true,
          nodeSelector: { ...spec.nodeSelector },
          containers: [
            {
              name: CONTAINER_NAME,
              image: spec.image,
              ports: [{ name: METRICS_PORT_NAME, containerPort: port, hostPort: port }],
              imagePullPolicy: 'IfNotPresent',
              securityContext: { privileged: true },
              volumeMounts: [
                ...HOST_MOUNTS,
                ...(scripts ? [{ name: scripts.name, mountPath: SCRIPTS_MOUNT_PATH }] : []),
                ...(discovery ? [{ name: STATE_VOLUME.name, mountPath: STATE_DIR }] : []),
              ],
              env: [
                ...toEnv(plan.settings).map((v) => ({ ...v })),
                // The agent serves on the address the kubelet probes and Prometheus scrapes, and no other.
                { name: LISTEN_ADDRESS_ENV, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                // The node name the pods it lists give (a host name may differ from it).
                ...(discovery
                  ? [{ name: NODE_NAME_ENV, valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]
                  : []),
              ],
              livenessProbe: { initialDelaySeconds: 10, exec: { command: ['pgrep', 'keepalived'] } },
              // Ready while the node can hold a VIP (a group MASTER or BACKUP): a rollout moves on,
              // and a drain counts the pod as available, only then.
              readinessProbe: { httpGet: { path: AGENT_PATHS.ready, port }, periodSeconds: 2 },
            },
          ],
          volumes: [...HOST_VOLUMES, ...(scripts ? [scripts] : []), ...(discovery ? [STATE_VOLUME] : [])],
          ...(spec.imagePullSecrets.length > 0 && {
            imagePullSecrets: spec.imagePullSecrets.map((name) => ({ name })),
          }),
        },
      },
    },
  } satisfies IDeployment;
}

/** The service account and its SCC role bindings. */
export function serviceAccountObjects(spec: FailoverSpec): KubeObject[] {
  return [serviceAccount(spec), ...SCC_NAMES.map((scc) => sccRoleBinding(spec, scc))];
}

/**
 * Every object of one planned instance, in apply order: service account and SCC bindings (when
 * this instance owns the account), the Role and RoleBinding that let its pods list and watch
 * pods (when they read their nodes from the cluster), the scripts ConfigMap (when a script is
 * inline), the Deployment and its PodDisruptionBudget, then with `monitoring` the PodMonitor and
 * PrometheusRule. A ConfigMap the user names for a script is theirs and is not among them.
 */
export function failoverObjects(plan: InstancePlan): KubeObject[] {
  const { spec } = plan;
  const objects: KubeObject[] = plan.ownsServiceAccount ? serviceAccountObjects(spec) : [];
  if (readsClusterNodes(spec.settings)) objects.push(...peersRbac(spec));
  const inline = inlineScriptData(spec);
  const withInline = Object.keys(inline).length > 0;
  if (withInline) objects.push(scriptsConfigMap(spec, inline));
  objects.push(deployment(plan, scriptsVolume(spec, withInline)), disruptionBudget(spec));
  if (spec.monitoring) objects.push(...monitoringObjects(plan));
  return objects;
}

import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import type { KubeObject } from '../core/model/kube-object';

/**
 * Plain Kubernetes objects (from core) → `@pulumi/kubernetes` resources. No rule lives here: the
 * objects are registered as they are, so they equal what the cdk8s constructs synthesize.
 */

/** Typed classes for the kinds core emits; the typed class gives users the right `kind` in their stack. */
type KubeClass = new (name: string, args: never, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const CLASSES: Readonly<Record<string, KubeClass>> = {
  'v1/ServiceAccount': k8s.core.v1.ServiceAccount as unknown as KubeClass,
  'v1/ConfigMap': k8s.core.v1.ConfigMap as unknown as KubeClass,
  'v1/Service': k8s.core.v1.Service as unknown as KubeClass,
  'rbac.authorization.k8s.io/v1/Role': k8s.rbac.v1.Role as unknown as KubeClass,
  'rbac.authorization.k8s.io/v1/RoleBinding': k8s.rbac.v1.RoleBinding as unknown as KubeClass,
  'apps/v1/Deployment': k8s.apps.v1.Deployment as unknown as KubeClass,
  'policy/v1/PodDisruptionBudget': k8s.policy.v1.PodDisruptionBudget as unknown as KubeClass,
  'batch/v1/Job': k8s.batch.v1.Job as unknown as KubeClass,
};

/** Pulumi child name of an object: `<component>-<kind>-<metadata.name>`, lower-case kind. Public API. */
export function childName(component: string, obj: KubeObject): string {
  return `${component}-${obj.kind.toLowerCase()}-${obj.metadata.name}`;
}

/**
 * Registers one object as a child resource. Kinds without a typed class (OpenShift's own) become
 * `apiextensions.CustomResource`s with the same fields.
 */
export function emitObject(name: string, obj: KubeObject, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  const Class = CLASSES[`${obj.apiVersion}/${obj.kind}`];
  if (Class) return new Class(name, obj as never, opts);
  return new k8s.apiextensions.CustomResource(name, obj as k8s.apiextensions.CustomResourceArgs, opts);
}

/**
 * Registers a partial object that patches an existing one by server-side apply, such as the
 * cluster's `Network` `cluster`: the stack owns the fields it sets and nothing else, and gives
 * them up when it is destroyed.
 */
export function emitPatch(name: string, obj: KubeObject, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  return new k8s.apiextensions.CustomResourcePatch(name, obj as k8s.apiextensions.CustomResourcePatchArgs, opts);
}

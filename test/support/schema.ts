/**
 * Validates plain Kubernetes objects against the official OpenAPI schemas shipped by
 * kubernetes-models (offline). Unknown kinds fail loudly rather than pass unchecked.
 */
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap as unknown as ModelClass,
  'v1/ServiceAccount': ServiceAccount as unknown as ModelClass,
  'v1/Service': Service as unknown as ModelClass,
  'apps/v1/Deployment': Deployment as unknown as ModelClass,
  'batch/v1/Job': Job as unknown as ModelClass,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as ModelClass,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding as unknown as ModelClass,
};

/** Throws with the kind, name and schema error when `obj` does not validate. */
export function validateAgainstSchema(obj: { apiVersion: string; kind: string; metadata?: { name?: string } }): void {
  const model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!model) throw new Error(`no schema registered for ${obj.apiVersion} ${obj.kind}`);
  try {
    new model(obj as never).validate();
  } catch (error) {
    throw new Error(`${obj.kind} ${obj.metadata?.name}: ${(error as Error).message}`, { cause: error });
  }
}

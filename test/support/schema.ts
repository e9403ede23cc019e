/**
 * Validates plain Kubernetes objects against the official OpenAPI schemas shipped by
 * kubernetes-models (offline), and the monitoring kinds against the prometheus-operator's CRD
 * schemas (@kubernetes-models/prometheus-operator). Unknown kinds fail loudly rather than pass
 * unchecked.
 */
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';

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
  'rbac.authorization.k8s.io/v1/Role': Role as unknown as ModelClass,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding as unknown as ModelClass,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor as unknown as ModelClass,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule as unknown as ModelClass,
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

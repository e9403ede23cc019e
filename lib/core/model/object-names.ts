/** Names and labels of the Kubernetes objects of an instance, fixed by the documented Deployment. */

/** The label every object of an instance carries, as in the documented Deployment. */
export const INSTANCE_LABEL = 'ipfailover';

/** The SCCs the failover pods need: `privileged` for keepalived, `hostnetwork` for the host's interfaces. */
export const SCC_NAMES = ['privileged', 'hostnetwork'] as const;

/** The container name of the documented Deployment. */
export const CONTAINER_NAME = 'openshift-ipfailover';

/** The labels of every object of an instance: the documented `ipfailover: <name>`. */
export function labelsOf(spec: { readonly name: string }): Record<string, string> {
  return { [INSTANCE_LABEL]: spec.name };
}

/** Name of the ConfigMap holding an instance's inline scripts. */
export function scriptsConfigMapName(spec: { readonly name: string }): string {
  return `${spec.name}-scripts`;
}

/** Name of the Role (and its RoleBinding) that lets an instance's pods list and watch pods: `<name>-peers`. */
export function peersRoleName(spec: { readonly name: string }): string {
  return `${spec.name}-peers`;
}

/** Name of the RoleBinding of a service account to one SCC's cluster role. */
export function sccRoleBindingName(serviceAccountName: string, scc: string): string {
  return `${serviceAccountName}-scc-${scc}`;
}

/**
 * `ipfailover/internal/openstack`: the core functions the RHOSP allowed-address-pairs resource of
 * `ipfailover/pulumi` runs. Not for programs: use `ipfailover/pulumi` (or, with cdk8s,
 * `openStackScripts` from `ipfailover`).
 *
 * Why an entry point of its own: Pulumi stores a dynamic resource's provider in the stack state
 * as code, and its dynamic provider host runs that code on every later `up` and on `destroy`,
 * without the program. The code can only load what the installed package exports, by package
 * name (see `pulumi/allowed-address-pairs.ts`), so the provider's needs are exported here rather
 * than from the root entry, which stays the API users program against.
 *
 * A contract with stored providers: a state written by one version is run by the provider of a
 * later one, so a name may be added here but not removed or changed in meaning.
 * @packageDocumentation
 */
export { formatIssues } from '../core/model/issues';
export { checkOpenStackPorts, planPortPairs } from '../core/openstack/port-pairs';
export { parsePortShow, portChangeArgs, portShowArgs } from '../core/openstack/openstack-cli';

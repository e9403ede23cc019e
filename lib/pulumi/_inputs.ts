import * as pulumi from '@pulumi/pulumi';
import { isPlainObject } from '../core/rules/validators';
import type { Issue } from '../core/model/issues';
import { Planner } from '../core/plan/planner';
import { checkOpenStackPorts } from '../core/openstack/port-pairs';

/** Whether a value is not known while the program runs: an `Output` or a promise. */
export function isUnresolved(value: unknown): boolean {
  return pulumi.Output.isInstance(value) || value instanceof Promise;
}

/** Where an `Output` or promise hides in a value, if anywhere. */
export function unresolvedIn(value: unknown, where: string, depth = 0): string | undefined {
  if (isUnresolved(value)) return where;
  if (depth > 8 || typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = unresolvedIn(inner, `${where}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** The Pulumi-only args every component passes on to its failover: `openstack` and `planner`. */
interface PulumiOnlyArgs {
  readonly openstack?: unknown;
  readonly planner?: unknown;
}

/**
 * Checks the args only the Pulumi components have, by shape (JavaScript callers skip the types):
 * the OpenStack ports as cdk8s checks them (those given as outputs when they resolve, in the
 * resource), the CLI program, the reservation network, and the planner.
 */
export function checkPulumiArgs(path: string, args: PulumiOnlyArgs): Issue[] {
  const issues = checkOpenStackPorts(path, args.openstack, isUnresolved);
  const issue = (field: string, value: unknown, problem: string, fix: string): void =>
    void issues.push({ path, field, value, problem, fix });
  if (isPlainObject(args.openstack)) {
    const { cli, reserveOn } = args.openstack;
    if (cli !== undefined && !isUnresolved(cli) && (typeof cli !== 'string' || cli === '' || cli.startsWith('-'))) {
      issue(
        'openstack.cli',
        cli,
        'is not a program',
        "name the openstack CLI program, such as 'openstack' or '/usr/local/bin/openstack'",
      );
    }
    if (
      reserveOn !== undefined &&
      !(isPlainObject(reserveOn) && reserveOn['networkId'] !== undefined && reserveOn['subnetId'] !== undefined)
    ) {
      issue(
        'openstack.reserveOn',
        reserveOn,
        'is not a network and subnet',
        'give { networkId, subnetId } of the node ports, or leave it out',
      );
    }
  }
  if (args.planner !== undefined && !(args.planner instanceof Planner)) {
    issue('planner', args.planner, 'is not a Planner', 'pass a Planner from ipfailover/pulumi, or leave it out');
  }
  return issues;
}

/** The planner a component registers with: the one given, when it is a Planner, else the program's. */
export function plannerArg(given: unknown, fallback: () => Planner): Planner {
  return given instanceof Planner ? given : fallback();
}

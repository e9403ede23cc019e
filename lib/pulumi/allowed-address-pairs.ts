import type { execFile as ExecFile } from 'node:child_process';
import * as pulumi from '@pulumi/pulumi';
import type * as ProviderCore from '../internal/openstack';
import type { PortPairPlan } from '../core/openstack/port-pairs';

/**
 * The allowed address pairs of node ports the stack does not own, as one dynamic resource per
 * IpFailover. `@pulumi/openstack` has no resource for "some pairs on someone else's port" (its
 * `networking.Port` owns the whole port and its whole pair list), so this resource does the
 * read-modify-write itself, through the `openstack` CLI, with the rules of `core/rhosp`:
 * additive, reversible (tags mark our pairs), refusing the cluster's own VIPs.
 */

/** Runs the `openstack` CLI with the given arguments and resolves to its standard output. */
export type OpenStackCli = (args: readonly string[]) => Promise<string>;

/** The core functions the provider runs: the `ipfailover/internal/openstack` entry point. */
export type OpenStackCore = typeof ProviderCore;

/**
 * The core as the provider finds it when it runs: by package name, from the program's
 * `node_modules`, through the entry point kept for it. The provider is serialized into the state
 * and run by Pulumi's dynamic provider host, without the program, on every later `up` and on
 * `destroy`. Capturing our modules instead makes the serializer write
 * `require('ipfailover/dist/core/…')`, which the package's `exports` refuse (and, when the
 * project's path contains "ipfailover", even the entry point is mapped wrongly).
 */
function installedCore(): OpenStackCore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('ipfailover/internal/openstack') as OpenStackCore;
}

/** What the resource stores: its inputs, and what it found and did per port. */
export interface AllowedAddressPairsState {
  /** The component name, for messages. */
  readonly path: string;
  /** The ports carrying the pairs. */
  readonly portIds: readonly string[];
  /** The VIPs that are our pairs on every port, canonical. */
  readonly vips: readonly string[];
  /** The CLI program to run. */
  readonly cli: string;
  /** Per port: the pairs left as they were (the cluster's), after the last change. */
  readonly keptPairs?: Readonly<Record<string, readonly string[]>>;
}

/** The CLI through `child_process`; resolved when the provider runs, not when it is serialized. */
function systemCli(program: string): OpenStackCli {
  return async (args) => {
    // Required here rather than at the top: the provider is serialized into the state file and
    // loaded again by the engine, and a built-in module must be required where it runs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { execFile } = require('node:child_process') as { execFile: typeof ExecFile };
    return new Promise<string>((resolve, reject) => {
      execFile(program, [...args], { maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${program} ${args.join(' ')} failed: ${String(stderr).trim() || error.message}`));
        else resolve(String(stdout));
      });
    });
  };
}

/** What the CLI says when a port is gone (`No Port found for …`, or Neutron's 404). */
function isMissingPort(error: unknown): boolean {
  return /No Port found for|ResourceNotFound|\b404\b/i.test(error instanceof Error ? error.message : String(error));
}

/**
 * Brings every port to "exactly `vips` are ours". All ports are read and planned before the
 * first write, so a refusal on one port changes none. When removing (`vips` empty), a port that
 * no longer exists (its node was deleted, and our pairs with it) counts as done.
 */
export async function reconcilePorts(
  core: OpenStackCore,
  cli: OpenStackCli,
  path: string,
  portIds: readonly string[],
  vips: readonly string[],
): Promise<PortPairPlan[]> {
  // Port IDs given as outputs are known only now: checked here, before the CLI ever sees one,
  // as the component checks plain ones (an ID such as `-h` would be read as an option).
  // (No port and no VIP is the removal from no dropped port: nothing to do, nothing to refuse.)
  const bad = portIds.length === 0 && vips.length === 0 ? [] : core.checkOpenStackPorts(path, { portIds });
  if (bad.length > 0) throw new Error(core.formatIssues(bad));
  const plans: PortPairPlan[] = [];
  for (const portId of portIds) {
    let output: string;
    try {
      output = await cli(core.portShowArgs(portId));
    } catch (error) {
      if (vips.length === 0 && isMissingPort(error)) continue;
      throw error;
    }
    plans.push(core.planPortPairs(core.parsePortShow(output, portId), vips, path));
  }
  const issues = plans.flatMap((p) => p.issues);
  if (issues.length > 0) throw new Error(core.formatIssues(issues));
  for (const plan of plans) {
    for (const args of core.portChangeArgs(plan)) await cli(args);
  }
  return plans;
}

function sameSet(a: readonly string[] = [], b: readonly string[] = []): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}

function keptOf(plans: readonly PortPairPlan[]): Record<string, string[]> {
  return Object.fromEntries(plans.map((p) => [p.portId, p.keep.map((pair) => pair.ipAddress)]));
}

/**
 * The dynamic provider. `cli` replaces the `openstack` program (tests pass a fake Neutron);
 * without it, the CLI named in the resource's inputs runs. `core` replaces the installed core
 * (tests run from the source tree).
 */
export function allowedAddressPairsProvider(
  cli?: OpenStackCli,
  core?: () => OpenStackCore,
): pulumi.dynamic.ResourceProvider {
  const cliFor = (state: AllowedAddressPairsState): OpenStackCli => cli ?? systemCli(state.cli);
  const coreNow = (): OpenStackCore => (core ? core() : installedCore());
  return {
    async diff(_id, olds: AllowedAddressPairsState, news: AllowedAddressPairsState) {
      const changed = !sameSet(olds.portIds, news.portIds) || !sameSet(olds.vips, news.vips);
      return { changes: changed, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: AllowedAddressPairsState) {
      const plans = await reconcilePorts(coreNow(), cliFor(inputs), inputs.path, inputs.portIds, inputs.vips);
      return { id: `ipfailover-pairs/${inputs.path}`, outs: { ...inputs, keptPairs: keptOf(plans) } };
    },
    async update(_id, olds: AllowedAddressPairsState, news: AllowedAddressPairsState) {
      const dropped = olds.portIds.filter((p) => !news.portIds.includes(p));
      await reconcilePorts(coreNow(), cliFor(news), news.path, dropped, []);
      const plans = await reconcilePorts(coreNow(), cliFor(news), news.path, news.portIds, news.vips);
      return { outs: { ...news, keptPairs: keptOf(plans) } };
    },
    async delete(_id, olds: AllowedAddressPairsState) {
      await reconcilePorts(coreNow(), cliFor(olds), olds.path, olds.portIds, []);
    },
  };
}

/** Inputs of {@link AllowedAddressPairs}. */
export interface AllowedAddressPairsArgs {
  /** The component name, for messages. */
  readonly path: pulumi.Input<string>;
  /** The Neutron ports of the nodes that may hold the VIPs. */
  readonly portIds: pulumi.Input<readonly pulumi.Input<string>[]>;
  /** The VIPs to add as allowed address pairs on every port. */
  readonly vips: pulumi.Input<readonly pulumi.Input<string>[]>;
  /** The `openstack` CLI program to run. */
  readonly cli: pulumi.Input<string>;
}

/** The VIPs of one IpFailover as allowed address pairs on the node ports. */
export class AllowedAddressPairs extends pulumi.dynamic.Resource {
  /** Per port, the pairs left untouched by the last change (the cluster's API/ingress VIPs, …). */
  declare public readonly keptPairs: pulumi.Output<Record<string, string[]>>;

  constructor(name: string, args: AllowedAddressPairsArgs, opts?: pulumi.CustomResourceOptions) {
    // A new library version's provider runs against the state the old one wrote (Pulumi does not
    // replace a dynamic resource when its provider code changes), so the state shape
    // (AllowedAddressPairsState) must stay readable by later versions.
    super(
      allowedAddressPairsProvider(),
      name,
      { ...args, keptPairs: undefined },
      opts,
      'ipfailover',
      'AllowedAddressPairs',
    );
  }
}

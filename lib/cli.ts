#!/usr/bin/env node
/**
 * The `ipfailover` command. Each subcommand lives in its own file under `cli/`; this file only
 * declares them and maps their exit codes.
 */
import { Command } from 'commander';
import { agentCommand } from './cli/agent';
import { nodeProcessIo, processIo } from './cli/io';
import { runPlan } from './cli/plan';
import { runRemove } from './cli/remove';
import { runRender } from './cli/render';
import { DEFAULT_TIMEOUT_SECONDS, runStatus } from './cli/status';
import { packageVersion } from './cli/version';

const io = processIo();

/** Builds the command tree; exported so tests can inspect it without running anything. */
export function buildProgram(): Command {
  const program = new Command('ipfailover')
    .description('highly available virtual IPs with keepalived: plan a stack, run the failover agent')
    .version(packageVersion())
    .showHelpAfterError();

  program
    .command('plan')
    .description("print the stack's failover instances, VRRP IDs and conflicts")
    .argument('[paths...]', 'synthesized manifests (files or directories)', [])
    .option('--app <command>', 'a cdk8s app command to synthesize first')
    .option('--json', 'print the report as JSON')
    .option('--reserved-vrrp-ids <ids>', "VRRP IDs the cluster's own keepalived uses, such as 51,52")
    .option('--reserved-vips <vips>', "the cluster's API and ingress VIPs, which no instance may serve")
    .option('--lock <file>', 'a VRRP ID lock file: list the instances whose VRRP IDs differ from it (exit 3)')
    .action(
      (
        paths: string[],
        options: { app?: string; json?: boolean; reservedVrrpIds?: string; reservedVips?: string; lock?: string },
      ) => {
        process.exitCode = runPlan({ paths, ...options }, io);
      },
    );

  program
    .command('render')
    .description('print the keepalived.conf the agent would run here, from OPENSHIFT_HA_* variables')
    .option('--address <ip>', "this node's address (default: read from the interface)")
    .option('--node-name <name>', "this node's name (default: the host name)")
    .action(async (options: { address?: string; nodeName?: string }) => {
      process.exitCode = await runRender(options, nodeProcessIo());
    });

  program
    .command('agent')
    .description('write keepalived.conf, add the VRRP firewall rule and run keepalived (the image entrypoint)')
    .option('--state-dir <dir>', 'keep the config and pid files under this directory')
    .option('--node-name <name>', "this node's name (default: IPFAILOVER_NODE_NAME, else the host name)")
    .option(
      '--service-account-dir <dir>',
      "the service account's token, ca.crt and namespace, for IPFAILOVER_PEERS cluster (default: the pod's)",
    )
    .action(async (options: { stateDir?: string; nodeName?: string; serviceAccountDir?: string }) => {
      process.exitCode = await agentCommand(options);
    });

  program
    .command('status')
    .description('print which node holds each VIP of a running instance, asking its agents')
    .option(
      '--pods <file>',
      'the failover pods, as kubectl get pods -n NAMESPACE -l ipfailover=NAME -o json prints them (- for stdin)',
    )
    .option(
      '--endpoint <host:port>',
      "an agent to ask: its node's address and the instance's port (repeatable)",
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option('--timeout <seconds>', `seconds each agent has to answer (default ${DEFAULT_TIMEOUT_SECONDS})`)
    .option('--json', 'print the report as JSON')
    .action(async (options: { pods?: string; endpoint: string[]; timeout?: string; json?: boolean }) => {
      process.exitCode = await runStatus(options, io);
    });

  program
    .command('remove')
    .description('delete the VRRP firewall rule and release the VIPs on this node (idempotent)')
    .action(async () => {
      process.exitCode = await runRemove(nodeProcessIo());
    });
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`ipfailover: ${(error as Error).message}\n`);
      process.exitCode = 1;
    });
}

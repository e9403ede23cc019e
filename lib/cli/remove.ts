/**
 * `ipfailover remove`: deletes the VRRP iptables rule and releases the VIPs on this node, as the
 * documented removal Job should. Safe to run twice. It refuses, touching nothing, while the
 * instance's agent still runs on the node: deleting a running agent's rule behind its back puts
 * the VIPs on two nodes (with an INPUT DROP policy, the nodes stop hearing each other).
 */
import { loadSettings } from '../agent/environment';
import { removeFailover } from '../agent/node-removal';
import { EXIT_CONFIG, EXIT_FAILED } from '../agent/exit-codes';
import { abstractSocketProbe, nameKey, type ProbeFn } from '../agent/instance-lock';
import type { NodeCommandIo } from './io';

/** Where the command reads and writes, and how it asks whether the agent runs. */
export interface RemoveIo extends NodeCommandIo {
  /**
   * Asks whether the instance's agent runs in this network namespace.
   * @default - its abstract unix socket
   */
  readonly probe?: ProbeFn;
}

/** Runs the command; resolves with its exit code. */
export async function runRemove(io: RemoveIo): Promise<number> {
  const loaded = loadSettings(io.env);
  if (!loaded.ok) {
    io.stderr.write(`ipfailover remove: ${loaded.reason}\n`);
    return EXIT_CONFIG;
  }
  const { settings } = loaded;
  const running = await (io.probe ?? abstractSocketProbe)(nameKey(settings.configName));
  if (running !== undefined) {
    io.stderr.write(
      `ipfailover remove: failover instance '${settings.configName}' is still running on this node (${running}); nothing was changed; stop the failover pods first (delete the Deployment or scale it to 0), then run remove again\n`,
    );
    return EXIT_FAILED;
  }
  try {
    const outcome = await removeFailover(io.run, settings);
    const chain =
      settings.iptablesChain === ''
        ? 'no iptables chain configured'
        : `${outcome.rulesDeleted} VRRP rule(s) deleted from chain ${settings.iptablesChain}`;
    const vips = outcome.interfaceFound
      ? `${outcome.vipsReleased.length} VIP(s) released from ${settings.networkInterface}${outcome.vipsReleased.length > 0 ? ` (${outcome.vipsReleased.join(', ')})` : ''}`
      : `interface ${settings.networkInterface} not found, no VIP to release`;
    io.stdout.write(`ipfailover remove: ${chain}; ${vips}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`ipfailover remove: ${(error as Error).message}\n`);
    return EXIT_FAILED;
  }
}

/**
 * `ipfailover render`: the keepalived.conf the agent would run on this node, from the
 * `OPENSHIFT_HA_*` environment. For debugging a config and for tests; writes nothing.
 * Exits 2 with a one- or two-line reason on stderr, and nothing on stdout, when the environment
 * or the node cannot give a valid config. A check or notify script that cannot run here is only
 * a warning: render is also used away from the pod, where the script's mount does not exist.
 */
import { formatIssue } from '../core/model/issues';
import { renderKeepalivedConf } from '../core/node/keepalived-conf';
import { loadSettings, shortReason } from '../agent/environment';
import { identifyNode, type IdentityOptions } from '../agent/node-identity';
import { nodeScriptFs, scriptIssues, type ScriptFs } from '../agent/script-check';
import { EXIT_CONFIG } from '../agent/exit-codes';
import type { NodeCommandIo } from './io';

/** Options of the render command. */
export type RenderCliOptions = IdentityOptions;

/** Where the command reads and writes, and the node it renders for. */
export interface RenderIo extends NodeCommandIo {
  /** The host name, this node's name unless `--node-name` is given. */
  readonly hostname: string;
  /**
   * The file system the check and notify scripts are looked up in.
   * @default - the real one
   */
  readonly scriptFs?: ScriptFs;
}

/** Runs the command; resolves with its exit code. */
export async function runRender(options: RenderCliOptions, io: RenderIo): Promise<number> {
  const loaded = loadSettings(io.env);
  if (!loaded.ok) {
    io.stderr.write(`ipfailover render: ${loaded.reason}\n`);
    return EXIT_CONFIG;
  }
  const identified = await identifyNode(io.run, loaded.settings, options, io.env, io.hostname);
  if ('reason' in identified) {
    io.stderr.write(`ipfailover render: ${identified.reason}\n`);
    return EXIT_CONFIG;
  }
  const { node, interfaceFound } = identified;
  const rendered = renderKeepalivedConf(loaded.settings, node);
  if (!rendered.ok) {
    io.stderr.write(`ipfailover render: ${shortReason(rendered.issues)}\n`);
    return EXIT_CONFIG;
  }
  if (node.address === undefined) {
    // Rendering away from the node (a laptop) is a use of its own; say what was guessed.
    const where = interfaceFound ? "has no address of the VIPs' family" : 'is not an interface here';
    io.stderr.write(
      `ipfailover render: ${loaded.settings.networkInterface} ${where}; the default check targets loopback; pass --address for the node's\n`,
    );
  }
  for (const issue of scriptIssues(loaded.settings, io.scriptFs ?? nodeScriptFs)) {
    io.stderr.write(
      `ipfailover render: warning: ${formatIssue(issue)}; in the pod, the agent refuses to start until it can run\n`,
    );
  }
  io.stdout.write(rendered.config);
  return 0;
}

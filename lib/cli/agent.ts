/**
 * `ipfailover agent [--state-dir DIR]`: the failover pod's program (the image's entrypoint).
 */
import { spawn } from 'node:child_process';
import { runAgent, type AgentOptions } from '../agent/agent';
import { httpServe } from '../agent/endpoints';
import { nodeProcessIo } from './io';
import { packageVersion } from './version';

/** Runs the agent against the real machine; resolves with the exit code. */
export function agentCommand(options: AgentOptions): Promise<number> {
  const { env, run, hostname } = nodeProcessIo();
  return runAgent(options, {
    env,
    run,
    spawn: (command, args) => spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    signals: process,
    hostname,
    log: (line) => process.stdout.write(`${line}\n`),
    logError: (line) => process.stderr.write(`${line}\n`),
    serve: httpServe,
    version: packageVersion(),
  });
}

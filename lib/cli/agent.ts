/**
 * `ipfailover agent [--state-dir DIR]`: the failover pod's program (the image's entrypoint).
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { runAgent, type AgentOptions } from '../agent/agent';
import { httpServe } from '../agent/endpoints';
import { execRunner } from '../agent/exec';
import { packageVersion } from './version';

/** Runs the agent against the real machine; resolves with the exit code. */
export function agentCommand(options: AgentOptions): Promise<number> {
  return runAgent(options, {
    env: process.env,
    run: execRunner,
    spawn: (command, args) => spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    signals: process,
    hostname: hostname(),
    log: (line) => process.stdout.write(`${line}\n`),
    logError: (line) => process.stderr.write(`${line}\n`),
    serve: httpServe,
    version: packageVersion(),
  });
}

/**
 * Where the agent keeps its files. With `--state-dir DIR` everything is under DIR, so several
 * agents can share a machine (the e2e tests run three); without it, the paths Red Hat's image
 * and keepalived use.
 */
import { join } from 'node:path';

/** The agent's files. */
export interface StatePaths {
  /** The directory of the config. */
  readonly dir: string;
  readonly config: string;
  readonly pid: string;
  readonly vrrpPid: string;
  readonly checkersPid: string;
}

/** The files under `stateDir`, or the standard locations when it is not given. */
export function statePaths(stateDir?: string): StatePaths {
  if (stateDir === undefined) {
    return {
      dir: '/etc/keepalived',
      config: '/etc/keepalived/keepalived.conf',
      pid: '/run/keepalived.pid',
      vrrpPid: '/run/keepalived_vrrp.pid',
      checkersPid: '/run/keepalived_checkers.pid',
    };
  }
  return {
    dir: stateDir,
    config: join(stateDir, 'keepalived.conf'),
    pid: join(stateDir, 'keepalived.pid'),
    vrrpPid: join(stateDir, 'vrrp.pid'),
    checkersPid: join(stateDir, 'checkers.pid'),
  };
}

/** keepalived's command line: foreground, console log, VRRP only, our config and pid files. */
export function keepalivedArgs(paths: StatePaths): string[] {
  return [
    '--dont-fork',
    '--log-console',
    '--no-syslog',
    '--vrrp',
    '-f',
    paths.config,
    '-p',
    paths.pid,
    '-r',
    paths.vrrpPid,
    '-c',
    paths.checkersPid,
  ];
}

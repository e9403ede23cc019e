/**
 * Releasing an instance's VIPs from the interface when keepalived is gone. A keepalived that is
 * SIGKILLed (the OOM killer, a crash) leaves its VIPs on the node while a peer takes them too:
 * split brain until something deletes them. Two ways, tried in order:
 *
 * - `ip addr del`, which works as root (the removal Job, or an agent run as root); iproute2's
 *   `ip` drops every capability when a non-root user runs it, so in the image it is refused;
 * - keepalived itself, which holds NET_ADMIN as a file capability: started on the same config it
 *   deletes the instance's VIPs it finds on the interface as it enters BACKUP at start-up
 *   (keepalived 2.2.7, measured), and on SIGTERM sent as soon as every instance reported a state
 *   it releases whatever it may have taken meanwhile.
 */
import { EventEmitter } from 'node:events';
import type { AgentSettings } from '../core/env/setting-rules';
import { firstLine, type Runner } from './exec';
import { interfaceAddresses } from './interface-addresses';
import { parseStateLine } from './state-log';
import { supervise, type SpawnFn } from './supervisor';

/** What releasing with `ip` did. */
export interface IpRelease {
  readonly interfaceFound: boolean;
  readonly released: readonly string[];
  /** VIPs `ip` could not delete, each with the reason. */
  readonly failed: ReadonlyArray<{ readonly vip: string; readonly reason: string }>;
}

/** Deletes every VIP of the settings found on the interface with `ip addr del`. */
export async function releaseWithIp(run: Runner, settings: AgentSettings): Promise<IpRelease> {
  const addresses = await interfaceAddresses(run, settings.networkInterface);
  if (addresses === undefined) return { interfaceFound: false, released: [], failed: [] };
  const vips = new Set(settings.virtualIps);
  const released: string[] = [];
  const failed: Array<{ vip: string; reason: string }> = [];
  for (const a of addresses.filter((x) => vips.has(x.address))) {
    const result = await run('ip', ['addr', 'del', `${a.address}/${a.prefixLength}`, 'dev', settings.networkInterface]);
    // Gone meanwhile (keepalived released it) is as good as deleted.
    if (result.code === 0 || /Cannot assign requested address/.test(result.stderr)) released.push(a.address);
    else failed.push({ vip: a.address, reason: firstLine(result) });
  }
  return { interfaceFound: true, released, failed };
}

/** The instance's VIPs still on the interface. */
export async function vipsHeld(run: Runner, settings: AgentSettings): Promise<string[]> {
  const vips = new Set(settings.virtualIps);
  return ((await interfaceAddresses(run, settings.networkInterface)) ?? [])
    .map((a) => a.address)
    .filter((a) => vips.has(a));
}

/** How to run keepalived once more on the instance's config. */
export interface KeepalivedRun {
  readonly spawn: SpawnFn;
  readonly command: string;
  readonly args: readonly string[];
  /** The instance names of the config; keepalived is stopped once each has reported a state. */
  readonly instances: readonly string[];
  /** Stop it after this long even if some instance said nothing. */
  readonly timeoutMs?: number;
  readonly onLine: (line: string) => void;
}

/** Runs keepalived until every instance has reported a state (it has deleted their VIPs by then), then stops it. */
export async function releaseWithKeepalived(options: KeepalivedRun): Promise<void> {
  const stop = new EventEmitter();
  const waiting = new Set(options.instances);
  const timer = setTimeout(() => stop.emit('SIGTERM'), options.timeoutMs ?? 3000);
  await supervise({
    spawn: options.spawn,
    command: options.command,
    args: options.args,
    signals: stop,
    onLine: (line) => {
      options.onLine(line);
      const change = parseStateLine(line);
      if (change && waiting.delete(change.instance) && waiting.size === 0) stop.emit('SIGTERM');
    },
  });
  clearTimeout(timer);
}

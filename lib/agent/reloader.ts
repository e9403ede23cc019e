/**
 * Changing the config of a running keepalived: write the new config, then SIGHUP. Measured on
 * keepalived 2.2.7 (test/e2e/reload.test.ts): a reload keeps every VIP the node holds, sends no
 * priority 0, keeps adverts going, and keeps the check's state; new peers and priorities apply
 * from the next advert. What is left to get right is when to signal:
 *
 * - never before keepalived has finished starting ("Startup complete"): a SIGHUP before its
 *   handlers are set would end it, and with it every VIP of the node;
 * - one reload at a time: the next waits for "Reload complete" (or a time limit);
 * - changes that come in a burst (pods bound one after another) are gathered for a moment and
 *   applied once, and a config equal to the one running is not applied at all.
 */
import type { ChildLike } from './supervisor';

/** How long changes are gathered before one reload. */
export const RELOAD_GATHER_MS = 1000;
/** How long a reload may take before the next one is sent anyway. */
const RELOAD_LIMIT_MS = 10_000;

const STARTED = /Startup complete/;
const RELOADED = /Reload complete/;

/** What the reloader needs. */
export interface ReloaderOptions {
  /** The config keepalived was started with. */
  readonly running: string;
  /** Writes a config where keepalived reads it; a reason when it could not. */
  readonly write: (config: string) => string | undefined;
  readonly log: (line: string) => void;
  readonly logError: (line: string) => void;
  /** @default RELOAD_GATHER_MS */
  readonly gatherMs?: number;
}

/** Applies config changes to one keepalived; see the file comment. */
export class Reloader {
  private child: ChildLike | undefined;
  private started = false;
  private running: string;
  private wanted: { config: string; why: string } | undefined;
  private inFlight: NodeJS.Timeout | undefined;
  private gathering: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Reloads sent, for the agent's log and tests. */
  reloads = 0;

  constructor(private readonly options: ReloaderOptions) {
    this.running = options.running;
  }

  /** The keepalived to signal (the supervisor's `onSpawn`). */
  attach(child: ChildLike): void {
    this.child = child;
  }

  /** Every line keepalived prints: its start and the end of each reload. */
  onLine(line: string): void {
    if (STARTED.test(line) && !this.started) {
      this.started = true;
      this.apply();
    } else if (RELOADED.test(line) && this.inFlight) {
      clearTimeout(this.inFlight);
      this.inFlight = undefined;
      this.apply();
    }
  }

  /** The config keepalived should run, and why (for the log). */
  request(config: string, why: string): void {
    if (this.stopped) return;
    this.wanted = config === this.running && !this.wanted ? undefined : { config, why };
    if (!this.wanted) return;
    clearTimeout(this.gathering);
    this.gathering = setTimeout(() => {
      this.gathering = undefined;
      this.apply();
    }, this.options.gatherMs ?? RELOAD_GATHER_MS);
  }

  /** No more reloads (keepalived is stopping). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.gathering);
    clearTimeout(this.inFlight);
  }

  private apply(): void {
    if (this.stopped || !this.started || this.inFlight || this.gathering || !this.wanted || !this.child) return;
    const { config, why } = this.wanted;
    this.wanted = undefined;
    if (config === this.running) return;
    const unwritten = this.options.write(config);
    if (unwritten) {
      this.options.logError(`ipfailover agent: ${why}, but ${unwritten}; keepalived keeps its config`);
      return;
    }
    this.running = config;
    this.inFlight = setTimeout(() => {
      this.inFlight = undefined;
      this.apply();
    }, RELOAD_LIMIT_MS);
    this.reloads++;
    this.options.log(`ipfailover: ${why}; reloading keepalived (the VIPs it holds stay)`);
    this.child.kill('SIGHUP');
  }
}

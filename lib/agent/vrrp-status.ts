/**
 * What the agent knows of its keepalived, from keepalived's log alone: whether it runs, each VRRP
 * group's state (with how often and when it last changed), and the shared check's last result.
 * The state-change log lines, `/metrics` and `/readyz` all read this one model, so they cannot
 * disagree. Pure: lines in, state out, the clock injected.
 */
import {
  isStartedLine,
  isStoppingLine,
  parseCheckLine,
  parseStateLine,
  type StateChange,
  type VrrpState,
} from './state-log';

/** One VRRP group of the instance, as the agent rendered it. */
export interface GroupInfo {
  /** 1-based, as in the instance name `<config>_VIP_<group>`. */
  readonly group: number;
  /** keepalived's `vrrp_instance` name. */
  readonly instance: string;
  readonly vrid: number;
  readonly vips: readonly string[];
}

/** A group and what keepalived last said of it. */
export interface GroupState extends GroupInfo {
  /** `undefined` until keepalived reports it (or, failing the check at start, implies it). */
  readonly state: VrrpState | undefined;
  /** States entered since the agent started, the first one included. */
  readonly transitions: number;
  /** When the state last changed (ms since the epoch, from the injected clock). */
  readonly changedAt: number | undefined;
}

/** A state change, with the group it belongs to. */
export interface GroupChange extends StateChange {
  readonly group: GroupInfo;
}

/** Whether the node can hold any of its groups, and why (one line, for `/readyz`). */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
}

/** Where keepalived is in its life. */
export type KeepalivedPhase = 'not started' | 'running' | 'stopping' | 'exited';

/** The model; see the file comment. */
export class VrrpStatus {
  private readonly byInstance = new Map<string, { info: GroupInfo; state?: VrrpState; n: number; at?: number }>();
  private phase: KeepalivedPhase = 'not started';
  private passing: boolean | undefined;

  /**
   * @param groups the instance's groups
   * @param checkScript the shared `vrrp_script`'s name, or `undefined` when there is no check
   * @param clock milliseconds since the epoch
   */
  constructor(
    groups: readonly GroupInfo[],
    readonly checkScript: string | undefined,
    private readonly clock: () => number = Date.now,
  ) {
    for (const info of groups) this.byInstance.set(info.instance, { info, n: 0 });
  }

  /** Takes one keepalived log line; returns the group state changes it means, in group order. */
  observe(line: string): GroupChange[] {
    if (isStartedLine(line)) {
      // A VRRP child started again (keepalived respawns a dead one) knows nothing of before.
      if (this.phase !== 'not started') this.forget();
      this.phase = 'running';
      return [];
    }
    if (isStoppingLine(line)) {
      this.stopping();
      return [];
    }
    const check = parseCheckLine(line);
    if (check) return check.script === this.checkScript ? this.checkResult(check.passing) : [];
    const change = parseStateLine(line);
    return change ? this.enter(change.instance, change.state) : [];
  }

  /** The agent forwarded a stop signal: keepalived is releasing the VIPs. */
  stopping(): void {
    if (this.phase !== 'exited') this.phase = 'stopping';
  }

  /** keepalived exited. */
  exited(): void {
    this.phase = 'exited';
  }

  /** Where keepalived is. */
  get keepalived(): KeepalivedPhase {
    return this.phase;
  }

  /** The check's last result: `undefined` with no check, or before keepalived reported one. */
  get checkPassing(): boolean | undefined {
    return this.passing;
  }

  /** Every group, in group order. */
  groups(): GroupState[] {
    return [...this.byInstance.values()].map((g) => ({
      ...g.info,
      state: g.state,
      transitions: g.n,
      changedAt: g.at,
    }));
  }

  /**
   * Ready while keepalived runs and at least one group is MASTER or BACKUP: the node holds, or
   * can take over, some VIP. Not ready before keepalived reports, while it stops, and while every
   * group is FAULT (a failing check, the interface down).
   */
  readiness(): Readiness {
    if (this.phase !== 'running') return { ready: false, reason: `keepalived ${this.phase}` };
    const groups = this.groups();
    const count = (s: VrrpState): number => groups.filter((g) => g.state === s).length;
    const [master, backup, fault] = [count('MASTER'), count('BACKUP'), count('FAULT')];
    const of = `of ${groups.length} group(s)`;
    if (master + backup > 0) {
      const faults = fault > 0 ? `, ${fault} FAULT` : '';
      return { ready: true, reason: `${master} MASTER, ${backup} BACKUP${faults} ${of}` };
    }
    if (fault === groups.length) {
      const why = this.passing === false ? ` (check ${this.checkScript} failing)` : '';
      return { ready: false, reason: `every group FAULT${why}: this node can hold none of its VIPs` };
    }
    return { ready: false, reason: `waiting for keepalived to report the state of ${groups.length - fault} ${of}` };
  }

  private enter(instance: string, state: VrrpState): GroupChange[] {
    const group = this.byInstance.get(instance);
    if (!group || group.state === state) return [];
    group.state = state;
    group.n++;
    group.at = this.clock();
    return [{ instance, state, group: group.info }];
  }

  /**
   * keepalived logs the check's result only when it changes. A check failing from the start
   * leaves every instance in FAULT without a line of its own: say so for each group not yet
   * reported (all of them track the one shared check).
   */
  private checkResult(passing: boolean): GroupChange[] {
    this.passing = passing;
    if (passing) return [];
    return [...this.byInstance.entries()]
      .filter(([, g]) => g.state === undefined)
      .flatMap(([instance]) => this.enter(instance, 'FAULT'));
  }

  private forget(): void {
    this.passing = undefined;
    for (const group of this.byInstance.values()) group.state = undefined;
  }
}

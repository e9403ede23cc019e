import { VrrpStatus, type GroupInfo } from '../../lib/agent/vrrp-status';
import { isStoppingLine, parseCheckLine, parseStateLine } from '../../lib/agent/state-log';

const GROUPS: GroupInfo[] = [
  { group: 1, instance: 'kt_VIP_1', vrid: 77, vips: ['198.51.100.50'] },
  { group: 2, instance: 'kt_VIP_2', vrid: 78, vips: ['198.51.100.51', '198.51.100.52'] },
];

/**
 * Console logs of keepalived 2.2.7 (`--dont-fork --log-console --no-syslog --vrrp`), two
 * instances tracking one `vrrp_script chk_kt`, recorded in a network namespace.
 */
const LOGS = {
  /** Check passing, both MASTER; the check fails, then passes again. */
  checkFailsLater: `Mon Nov 23 23:38:49 2026: Starting Keepalived v2.2.7 (01/16,2022)
Mon Nov 23 23:38:49 2026: Starting VRRP child process, pid=10433
Mon Nov 23 23:38:49 2026: Startup complete
Mon Nov 23 23:38:49 2026: VRRP_Script(chk_kt) succeeded
Mon Nov 23 23:38:49 2026: (kt_VIP_1) Entering BACKUP STATE
Mon Nov 23 23:38:49 2026: (kt_VIP_2) Entering BACKUP STATE
Mon Nov 23 23:38:53 2026: (kt_VIP_1) Entering MASTER STATE
Mon Nov 23 23:38:53 2026: (kt_VIP_2) Entering MASTER STATE
Mon Nov 23 23:38:54 2026: Script \`chk_kt\` now returning 1
Mon Nov 23 23:38:54 2026: VRRP_Script(chk_kt) failed (exited with status 1)
Mon Nov 23 23:38:54 2026: (kt_VIP_1) Entering FAULT STATE
Mon Nov 23 23:38:54 2026: (kt_VIP_2) Entering FAULT STATE
Mon Nov 23 23:38:58 2026: Script \`chk_kt\` now returning 0
Mon Nov 23 23:38:58 2026: VRRP_Script(chk_kt) succeeded
Mon Nov 23 23:38:58 2026: (kt_VIP_1) Entering BACKUP STATE
Mon Nov 23 23:38:58 2026: (kt_VIP_2) Entering BACKUP STATE`,
  /** The check fails from the start: no line for the instances until it passes. */
  checkFailsAtStart: `Mon Nov 23 23:39:07 2026: Starting VRRP child process, pid=10605
Mon Nov 23 23:39:07 2026: Startup complete
Mon Nov 23 23:39:07 2026: Script \`chk_kt\` now returning 1
Mon Nov 23 23:39:07 2026: VRRP_Script(chk_kt) failed (exited with status 1)`,
  checkPassesAfterStart: `Mon Nov 23 23:39:11 2026: Script \`chk_kt\` now returning 0
Mon Nov 23 23:39:11 2026: VRRP_Script(chk_kt) succeeded
Mon Nov 23 23:39:11 2026: (kt_VIP_1) Entering BACKUP STATE
Mon Nov 23 23:39:11 2026: (kt_VIP_2) Entering BACKUP STATE`,
  timedOut: `Mon Nov 23 23:39:18 2026: Track script chk_kt is already running, expect idle - skipping run
Mon Nov 23 23:39:18 2026: VRRP_Script(chk_kt) timed_out
Mon Nov 23 23:39:18 2026: (kt_VIP_1) Entering FAULT STATE
Mon Nov 23 23:39:18 2026: (kt_VIP_2) Entering FAULT STATE`,
  /** The interface down at start: two FAULT lines per instance, in two spellings. */
  interfaceDownAtStart: `Mon Nov 23 23:39:39 2026: Starting VRRP child process, pid=10964
Mon Nov 23 23:39:39 2026: (kt_VIP_1): entering FAULT state (interface eth0 down)
Mon Nov 23 23:39:39 2026: (kt_VIP_2): entering FAULT state (interface eth0 down)
Mon Nov 23 23:39:39 2026: (kt_VIP_1) entering FAULT state
Mon Nov 23 23:39:39 2026: (kt_VIP_2) entering FAULT state
Mon Nov 23 23:39:39 2026: Startup complete
Mon Nov 23 23:39:39 2026: VRRP_Script(chk_kt) succeeded
Mon Nov 23 23:39:42 2026: Netlink reports eth0 up
Mon Nov 23 23:39:42 2026: (kt_VIP_1) Entering BACKUP STATE
Mon Nov 23 23:39:42 2026: (kt_VIP_2) Entering BACKUP STATE`,
  stopping: `Mon Nov 23 23:39:51 2026: Stopping
Mon Nov 23 23:39:52 2026: Stopped
Mon Nov 23 23:39:52 2026: Stopped Keepalived v2.2.7 (01/16,2022)`,
};

/** A model on a clock the test moves by hand (ms); `check` is the vrrp_script's name, `null` for none. */
function model(check: string | null = 'chk_kt'): { status: VrrpStatus; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  return { status: new VrrpStatus(GROUPS, check ?? undefined, () => clock.now), clock };
}

/** Feeds a log; returns the changes as `instance STATE`. */
function feed(status: VrrpStatus, log: string): string[] {
  return log.split('\n').flatMap((line) => status.observe(line).map((c) => `${c.instance} ${c.state}`));
}

const states = (status: VrrpStatus): Array<string | undefined> => status.groups().map((g) => g.state);

describe('keepalived log lines', () => {
  test.each([
    ['(kt_VIP_1) Entering MASTER STATE', { instance: 'kt_VIP_1', state: 'MASTER' }],
    ['(kt_VIP_1) Entering BACKUP STATE (init)', { instance: 'kt_VIP_1', state: 'BACKUP' }],
    ['(kt_VIP_1) entering FAULT state', { instance: 'kt_VIP_1', state: 'FAULT' }],
    ['(kt_VIP_1) sent 0 priority', { instance: 'kt_VIP_1', state: 'STOP' }],
    ['(kt_VIP_1): entering FAULT state (interface eth0 down)', undefined],
    ['VRRP_Script(chk_kt) succeeded', undefined],
  ])('%s', (line, change) => {
    expect(parseStateLine(`Mon Nov 23 23:38:49 2026: ${line}`)).toEqual(change);
  });

  test('check results: succeeded passes, failed and timed_out fail, anything else is none', () => {
    expect(parseCheckLine('x: VRRP_Script(chk_kt) succeeded')).toEqual({ script: 'chk_kt', passing: true });
    expect(parseCheckLine('x: VRRP_Script(chk_kt) failed (exited with status 1)')).toEqual({
      script: 'chk_kt',
      passing: false,
    });
    expect(parseCheckLine('x: VRRP_Script(chk_kt) timed_out')).toEqual({ script: 'chk_kt', passing: false });
    expect(parseCheckLine('x: Script `chk_kt` now returning 1')).toBeUndefined();
  });

  test("keepalived's own Stopping line, not Stopped nor an instance's", () => {
    expect(isStoppingLine('Mon Nov 23 23:39:51 2026: Stopping')).toBe(true);
    expect(isStoppingLine('Mon Nov 23 23:39:52 2026: Stopped')).toBe(false);
    expect(isStoppingLine('Mon Nov 23 23:39:52 2026: (kt_VIP_1) Stopping')).toBe(false);
  });
});

describe('VrrpStatus', () => {
  test('before keepalived starts: no state, not ready', () => {
    const { status } = model();
    expect(states(status)).toEqual([undefined, undefined]);
    expect(status.keepalived).toBe('not started');
    expect(status.readiness()).toEqual({ ready: false, reason: 'keepalived not started' });
  });

  test('started but no state reported yet: not ready, waiting', () => {
    const { status } = model();
    feed(status, 'x: Starting VRRP child process, pid=1');
    expect(status.keepalived).toBe('running');
    expect(status.readiness()).toEqual({
      ready: false,
      reason: 'waiting for keepalived to report the state of 2 of 2 group(s)',
    });
  });

  test('a check failing later: every state change once, FAULT makes it unready, passing again makes it ready', () => {
    const { status, clock } = model();
    const lines = LOGS.checkFailsLater.split('\n');
    const changes: string[] = [];
    for (const line of lines) {
      clock.now += 1000;
      changes.push(...status.observe(line).map((c) => `${c.instance} ${c.state}`));
      if (line.includes('(kt_VIP_2) Entering MASTER')) {
        expect(status.readiness()).toEqual({ ready: true, reason: '2 MASTER, 0 BACKUP of 2 group(s)' });
        expect(status.checkPassing).toBe(true);
      }
      if (line.includes('(kt_VIP_2) Entering FAULT')) {
        expect(status.readiness()).toEqual({
          ready: false,
          reason: 'every group FAULT (check chk_kt failing): this node can hold none of its VIPs',
        });
        expect(status.checkPassing).toBe(false);
      }
    }
    expect(changes).toEqual([
      'kt_VIP_1 BACKUP',
      'kt_VIP_2 BACKUP',
      'kt_VIP_1 MASTER',
      'kt_VIP_2 MASTER',
      'kt_VIP_1 FAULT',
      'kt_VIP_2 FAULT',
      'kt_VIP_1 BACKUP',
      'kt_VIP_2 BACKUP',
    ]);
    expect(status.readiness().ready).toBe(true);
    expect(status.groups().map((g) => g.transitions)).toEqual([4, 4]);
    // The last change of group 1 was its line's moment: the 15th line, one second per line.
    expect(status.groups()[0]!.changedAt).toBe(1_000_000 + 15 * 1000);
  });

  test('a check failing from the start: keepalived prints nothing for the instances, the model says FAULT', () => {
    const { status } = model();
    expect(feed(status, LOGS.checkFailsAtStart)).toEqual(['kt_VIP_1 FAULT', 'kt_VIP_2 FAULT']);
    expect(status.readiness()).toEqual({
      ready: false,
      reason: 'every group FAULT (check chk_kt failing): this node can hold none of its VIPs',
    });
    expect(feed(status, LOGS.checkPassesAfterStart)).toEqual(['kt_VIP_1 BACKUP', 'kt_VIP_2 BACKUP']);
    expect(status.readiness().ready).toBe(true);
  });

  test('a timed-out check is a failing one', () => {
    const { status } = model();
    feed(status, LOGS.checkFailsLater);
    feed(status, LOGS.timedOut);
    expect(status.checkPassing).toBe(false);
    expect(states(status)).toEqual(['FAULT', 'FAULT']);
  });

  test('the interface down at start: one FAULT per group for two lines each, then BACKUP when it comes up', () => {
    const { status } = model();
    expect(feed(status, LOGS.interfaceDownAtStart)).toEqual([
      'kt_VIP_1 FAULT',
      'kt_VIP_2 FAULT',
      'kt_VIP_1 BACKUP',
      'kt_VIP_2 BACKUP',
    ]);
  });

  test('every group FAULT with the check passing (an interface down): unready without blaming the check', () => {
    const { status } = model();
    feed(status, LOGS.interfaceDownAtStart.split('\n').slice(0, 7).join('\n'));
    expect(status.checkPassing).toBe(true);
    expect(status.readiness()).toEqual({
      ready: false,
      reason: 'every group FAULT: this node can hold none of its VIPs',
    });
  });

  test('one group FAULT, one BACKUP: ready, and the FAULT is counted', () => {
    const { status } = model(null);
    feed(
      status,
      'x: Starting VRRP child process, pid=1\nx: (kt_VIP_1) Entering FAULT STATE\nx: (kt_VIP_2) Entering BACKUP STATE',
    );
    expect(status.readiness()).toEqual({ ready: true, reason: '0 MASTER, 1 BACKUP, 1 FAULT of 2 group(s)' });
  });

  test("another config's instances and another script are not ours", () => {
    const { status } = model();
    expect(feed(status, 'x: (other_VIP_1) Entering MASTER STATE\nx: VRRP_Script(chk_other) failed')).toEqual([]);
    expect(states(status)).toEqual([undefined, undefined]);
    expect(status.checkPassing).toBeUndefined();
  });

  test('a repeated state is no change', () => {
    const { status } = model();
    expect(feed(status, 'x: (kt_VIP_1) Entering BACKUP STATE\nx: (kt_VIP_1) Entering BACKUP STATE')).toEqual([
      'kt_VIP_1 BACKUP',
    ]);
    expect(status.groups()[0]!.transitions).toBe(1);
  });

  test("keepalived's Stopping line, or the agent forwarding a stop signal: unready at once; then exited", () => {
    for (const stop of [(s: VrrpStatus) => feed(s, LOGS.stopping), (s: VrrpStatus) => s.stopping()]) {
      const { status } = model();
      feed(status, LOGS.checkFailsLater);
      expect(status.readiness().ready).toBe(true);
      stop(status);
      expect(status.readiness()).toEqual({ ready: false, reason: 'keepalived stopping' });
      status.exited();
      expect(status.readiness()).toEqual({ ready: false, reason: 'keepalived exited' });
      status.stopping();
      expect(status.keepalived).toBe('exited');
    }
  });

  test('a respawned VRRP child starts from nothing: states and check forgotten, transitions kept', () => {
    const { status } = model();
    feed(status, LOGS.checkFailsLater);
    feed(status, 'x: Starting VRRP child process, pid=2');
    expect(states(status)).toEqual([undefined, undefined]);
    expect(status.checkPassing).toBeUndefined();
    expect(status.groups().map((g) => g.transitions)).toEqual([4, 4]);
    expect(status.readiness().ready).toBe(false);
  });
});

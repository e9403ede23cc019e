/**
 * When an instance counts as forming (its pods all created moments ago, on the API server's
 * clock) and the settings keepalived runs with meanwhile.
 */
import { FORMING_WINDOW_MS, formingEnd, formingSettings } from '../../lib/agent/forming';
import { loadSettings } from '../../lib/agent/environment';
import type { PodSummary } from '../../lib/agent/kube-api';
import type { AgentSettings } from '../../lib/core/env/setting-rules';

const SERVER = Date.parse('2026-11-24T10:00:00Z');
let uid = 0;
function pod(createdSecondsAgo: number | undefined, extra: Partial<PodSummary> = {}): PodSummary {
  uid++;
  return {
    uid: `u${uid}`,
    name: `ipf-${uid}`,
    nodeName: `worker-${uid}`,
    phase: 'Running',
    addresses: [],
    deleting: false,
    ...(createdSecondsAgo !== undefined && { created: SERVER - createdSecondsAgo * 1000 }),
    ...extra,
  };
}

describe('formingEnd', () => {
  test("the window ends FORMING_WINDOW_MS after the oldest pod's creation, read on the local clock", () => {
    const local = 5_000_000;
    expect(formingEnd([pod(3), pod(1), pod(0)], SERVER, local)).toBe(local + FORMING_WINDOW_MS - 3000);
  });

  test('an instance with one pod older than the window has formed: a node joining or returning keeps the delay', () => {
    expect(formingEnd([pod(0), pod(FORMING_WINDOW_MS / 1000), pod(1)], SERVER, 0)).toBeUndefined();
    expect(formingEnd([pod(2 * 86_400)], SERVER, 0)).toBeUndefined();
  });

  test("the server's clock, not the node's: a node clock hours off judges the same", () => {
    const pods = [pod(10), pod(5)];
    const local = SERVER - 3 * 3_600_000;
    expect(formingEnd(pods, SERVER, local)).toBe(local + FORMING_WINDOW_MS - 10_000);
    // Without the server's time, the node's own clock is all there is.
    expect(formingEnd(pods, undefined, SERVER)).toBe(SERVER + FORMING_WINDOW_MS - 10_000);
  });

  test("pods being deleted, unbound and finished ones are not the instance's (a Recreate roll's old pods)", () => {
    const old = 3600;
    expect(
      formingEnd(
        [
          pod(2),
          pod(old, { deleting: true }),
          pod(old, { nodeName: undefined, phase: 'Pending' } as Partial<PodSummary>),
          pod(old, { phase: 'Failed' }),
        ],
        SERVER,
        0,
      ),
    ).toBe(FORMING_WINDOW_MS - 2000);
  });

  test('a pod without a creation time, or no pod at all: not forming (the delay stays, as before)', () => {
    expect(formingEnd([pod(1), pod(undefined)], SERVER, 0)).toBeUndefined();
    expect(formingEnd([], SERVER, 0)).toBeUndefined();
  });

  test('a creation time ahead of the server (clock steps) counts as just created', () => {
    expect(formingEnd([pod(-5)], SERVER, 0)).toBe(FORMING_WINDOW_MS);
  });
});

describe('formingSettings', () => {
  const settings = (preemption: string): AgentSettings => {
    const loaded = loadSettings({
      OPENSHIFT_HA_CONFIG_NAME: 'ipf',
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.10',
      OPENSHIFT_HA_PREEMPTION: preemption,
    });
    if (!loaded.ok) throw new Error(loaded.reason);
    return loaded.settings;
  };

  test('lifts the preempt delay and nothing else', () => {
    const given = settings('preempt_delay 300');
    expect(formingSettings(given)).toEqual({ ...given, preemption: { delaySeconds: 0 } });
  });

  test("nopreempt is kept (a master keeps its groups, by the user's word); no delay, nothing to lift", () => {
    expect(formingSettings(settings('nopreempt'))).toBeUndefined();
    expect(formingSettings(settings('preempt_delay 0'))).toBeUndefined();
  });
});

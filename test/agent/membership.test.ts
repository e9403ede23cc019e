import fc from 'fast-check';
import type { PodSummary } from '../../lib/agent/kube-api';
import { DEPARTURE_GRACE_MS, Membership } from '../../lib/agent/membership';

let uid = 0;
function pod(nodeName: string | undefined, extra: Partial<PodSummary> = {}): PodSummary {
  uid++;
  return {
    uid: `u${uid}`,
    name: `ipf-${uid}`,
    ...(nodeName !== undefined && { nodeName }),
    phase: 'Running',
    addresses: nodeName ? [`192.0.2.${Number(nodeName.replace(/\D/g, '')) + 1}`] : [],
    deleting: false,
    ...extra,
  };
}

const names = (m: Membership): string[] => m.members().map((x) => x.name);

describe('Membership', () => {
  test('the nodes of bound, unfinished pods, and always this node, sorted', () => {
    const m = new Membership({ self: 'worker-1', selfAddress: '192.0.2.2', family: 'ipv4' });
    expect(m.known).toBe(false);
    expect(m.members()).toEqual([{ name: 'worker-1', address: '192.0.2.2' }]);
    const changed = m.update([
      pod('worker-2'),
      pod('worker-0', { phase: 'Pending', addresses: [] }),
      pod(undefined, { phase: 'Pending' }),
      pod('worker-3', { phase: 'Failed' }), // an evicted pod lingers as Failed
      pod('worker-4', { phase: 'Succeeded' }),
      pod('worker-5', { phase: 'Unknown', deleting: true }), // its node is down
    ]);
    expect(changed).toBe(true);
    expect(m.known).toBe(true);
    expect(m.members()).toEqual([
      { name: 'worker-0' },
      { name: 'worker-1', address: '192.0.2.2' },
      { name: 'worker-2', address: '192.0.2.3' },
      { name: 'worker-5', address: '192.0.2.6' },
    ]);
  });

  test("addresses of the VIPs' family; a live pod's before a leaving one's; the last known one kept", () => {
    const m = new Membership({ self: 'worker-0', family: 'ipv6' });
    m.update([pod('worker-1', { addresses: ['192.0.2.2', '2001:db8::2'] })]);
    expect(m.members()).toContainEqual({ name: 'worker-1', address: '2001:db8::2' });
    m.update([
      pod('worker-1', { addresses: ['2001:db8::9'], deleting: true }),
      pod('worker-1', { addresses: ['2001:db8::3'] }),
    ]);
    expect(m.members()).toContainEqual({ name: 'worker-1', address: '2001:db8::3' });
    // The replacement has no IP yet: the node keeps its address.
    expect(m.update([pod('worker-1', { phase: 'Pending', addresses: [] })])).toBe(false);
    expect(m.members()).toContainEqual({ name: 'worker-1', address: '2001:db8::3' });
  });

  test('a node whose pods are gone stays for the grace period, then leaves', () => {
    let now = 0;
    const m = new Membership({ self: 'worker-0', family: 'ipv4', clock: () => now });
    m.update([pod('worker-0'), pod('worker-1'), pod('worker-2')]);
    expect(m.update([pod('worker-0'), pod('worker-1')])).toBe(false);
    expect(names(m)).toEqual(['worker-0', 'worker-1', 'worker-2']);
    expect(m.nextExpiry()).toBe(DEPARTURE_GRACE_MS);
    now = DEPARTURE_GRACE_MS - 1;
    expect(m.expire()).toBe(false);
    now = DEPARTURE_GRACE_MS;
    expect(m.expire()).toBe(true);
    expect(names(m)).toEqual(['worker-0', 'worker-1']);
    expect(m.nextExpiry()).toBeUndefined();
    // Back later: a member again.
    expect(m.update([pod('worker-0'), pod('worker-1'), pod('worker-2')])).toBe(true);
  });

  /**
   * Random histories of a five-node instance: nodes go down and come back (their pods stay
   * listed, then are replaced on the same node), pods are re-created (rolling updates), nodes
   * are drained for good or join, time passes. Invariants: a loss, a return or a pod replaced
   * within the grace never changes a running node's members; and a node starting at any moment
   * when no node is in its grace computes the same members as one that ran all along.
   */
  test('loss and return change nothing; a node starting computes what the running ones have', () => {
    type Step = { kind: 'down' | 'up' | 'recreate' | 'drain' | 'join'; node: number } | { kind: 'wait'; ms: number };
    const step = fc.oneof(
      fc.record({ kind: fc.constantFrom('down', 'up', 'recreate', 'drain', 'join'), node: fc.nat({ max: 5 }) }),
      fc.record({ kind: fc.constant('wait'), ms: fc.integer({ min: 1, max: 2 * DEPARTURE_GRACE_MS }) }),
    ) as fc.Arbitrary<Step>;
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let now = 0;
        const clock = (): number => now;
        // The API server's pods: one per node that runs the instance.
        const listed = new Map<string, PodSummary>();
        for (const n of ['worker-0', 'worker-1', 'worker-2']) listed.set(n, pod(n));
        const running = new Membership({ self: 'worker-0', family: 'ipv4', clock });
        running.update([...listed.values()]);
        for (const s of steps) {
          if (s.kind === 'wait') {
            now += s.ms;
            running.expire();
            continue;
          }
          const node = `worker-${s.node}`;
          if (node === 'worker-0') continue; // the running node stays up
          const had = listed.get(node);
          let steady: boolean;
          if (s.kind === 'down' && had) {
            listed.set(node, { ...had, phase: 'Unknown', deleting: true });
            steady = true;
          } else if (s.kind === 'up' && had) {
            listed.set(node, pod(node));
            steady = true;
          } else if (s.kind === 'recreate' && had) {
            // Deleted, then its replacement bound to the same node a moment later.
            listed.delete(node);
            const between = running.update([...listed.values()]);
            now += 2000;
            listed.set(node, pod(node));
            steady = !between;
          } else if (s.kind === 'drain') {
            listed.delete(node);
            steady = !had;
          } else {
            listed.set(node, had ?? pod(node));
            steady = had !== undefined;
          }
          const changed = running.update([...listed.values()]);
          if (steady) expect(changed).toBe(false);
          if (running.nextExpiry() === undefined) {
            const starting = new Membership({ self: 'worker-0', family: 'ipv4', clock });
            starting.update([...listed.values()]);
            expect(starting.members()).toEqual(running.members());
          }
        }
      }),
    );
  });
});

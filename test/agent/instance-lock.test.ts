import { abstractSocketLock, abstractSocketProbe, instanceKeys } from '../../lib/agent/instance-lock';

// Real abstract sockets, in the test's own network namespace; a unique name per run.
const unique = `test-${process.pid}-${Date.now()}`;

describe('the instance lock (abstract unix sockets)', () => {
  test('keys: the config name, and each VRRP ID with its interface and family', () => {
    expect(instanceKeys('ipf', 'eth0', 'ipv4', [11, 12])).toEqual([
      'ipfailover/name/ipf',
      'ipfailover/vrid/eth0/ipv4/11',
      'ipfailover/vrid/eth0/ipv4/12',
    ]);
  });

  test('a second taker is refused, told the key and who holds it; after release it may take it', async () => {
    const keys = [`${unique}/a`, `${unique}/b`];
    const first = await abstractSocketLock(keys, 'the first agent');
    expect(first.ok).toBe(true);
    const second = await abstractSocketLock([`${unique}/c`, `${unique}/b`], 'the second agent');
    expect(second).toEqual({ ok: false, key: `${unique}/b`, holder: 'the first agent' });
    // A refused taker keeps nothing it took on the way.
    expect(await abstractSocketProbe(`${unique}/c`)).toBeUndefined();
    expect(await abstractSocketProbe(`${unique}/a`)).toBe('the first agent');
    if (first.ok) first.lock.release();
    await new Promise((r) => setTimeout(r, 20));
    expect(await abstractSocketProbe(`${unique}/a`)).toBeUndefined();
    const third = await abstractSocketLock(keys, 'the third agent');
    expect(third.ok).toBe(true);
    if (third.ok) third.lock.release();
  });
});

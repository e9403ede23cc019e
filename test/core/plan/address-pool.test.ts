import fc from 'fast-check';
import { AddressAllocator, parsePoolCidr, type PoolRange } from '../../../lib/core/plan/address-pool';
import { isProblem } from '../../../lib/core/model/issues';

const range = (cidr: string): PoolRange => {
  const r = parsePoolCidr(cidr);
  if (isProblem(r)) throw new Error(r.problem);
  return r;
};

describe('parsePoolCidr', () => {
  test('serves the host addresses of a /24 or smaller range', () => {
    const r24 = range('192.0.2.0/24');
    expect([r24.addresses.length, r24.addresses[0], r24.addresses[253]]).toEqual([254, '192.0.2.1', '192.0.2.254']);
    expect(range('192.0.2.16/28').addresses).toEqual(Array.from({ length: 14 }, (_, i) => `192.0.2.${17 + i}`));
    expect(range('192.0.2.4/31').addresses).toEqual(['192.0.2.4', '192.0.2.5']);
    expect(range('192.0.2.9/32').addresses).toEqual(['192.0.2.9']);
    expect(range('2001:DB8::/126')).toEqual({ cidr: '2001:db8::/126', addresses: ['2001:db8::1', '2001:db8::2'] });
  });

  test('an IPv6 /120 has 254 addresses, as a /24 has: one VRRP group each fits the cluster limit', () => {
    const r120 = range('2001:db8::100/120');
    expect([r120.addresses.length, r120.addresses[0], r120.addresses[253]]).toEqual([
      254,
      '2001:db8::101',
      '2001:db8::1fe',
    ]);
  });

  test.each([
    ['127.0.0.0/24', '127.0.0.1, a loopback address, which cannot be a VIP'],
    ['224.0.0.0/28', '224.0.0.1, a multicast address, which cannot be a VIP'],
    ['169.254.1.0/24', '169.254.1.1, a linkLocal address, which cannot be a VIP'],
    ['fe80::/120', 'fe80::1, a linkLocal address, which cannot be a VIP'],
  ])('a range of addresses no VIP may have, %s, is one problem, not one per address', (cidr, what) => {
    expect(parsePoolCidr(cidr)).toEqual({
      value: cidr,
      problem: `holds ${what}`,
      fix: 'use a range of addresses reachable from outside the cluster',
    });
  });

  test.each([
    [
      '192.0.2.0/23',
      /is larger than \/24, more addresses than the cluster's 254 VRRP groups can serve; use a \/24 or smaller range/,
    ],
    ['2001:db8::/119', /is larger than \/120/],
    ['192.0.2.5/24', /has host bits set; write 192\.0\.2\.0\/24/],
    ['192.0.2.0/33', /has a prefix longer than \/32/],
    ['192.0.2.0', /is not a CIDR/],
    ['192.0.2.0/24; reboot', /is not a CIDR/],
    ['300.0.2.0/24', /is not an IP address/],
  ])('refuses %j with the reason', (cidr, message) => {
    const r = parsePoolCidr(cidr);
    expect(isProblem(r) && `${r.problem}; ${r.fix}`).toMatch(message);
  });
});

describe('AddressAllocator', () => {
  test('gives a name the same addresses every time, in every run', () => {
    const first = new AddressAllocator(range('192.0.2.0/28'));
    const second = new AddressAllocator(range('192.0.2.0/28'));
    expect(first.allocate('web')).toEqual(second.allocate('web'));
    expect(first.allocate('web')).toEqual(first.allocate('web'));
    expect(first.allocate('db', 2)).toHaveLength(2);
    expect(first.allocate('db', 3)).toMatchObject({ problem: "differs from the 2 addresses 'db' already has" });
  });

  test("keeps a service's address when an unrelated service is removed", () => {
    const names = ['web', 'db', 'cache', 'queue', 'search'];
    const all = new AddressAllocator(range('192.0.2.0/24'));
    const withAll = Object.fromEntries(names.map((n) => [n, all.allocate(n)]));
    const without = new AddressAllocator(range('192.0.2.0/24'));
    for (const n of names.filter((x) => x !== 'db')) expect(without.allocate(n)).toEqual(withAll[n]);
  });

  test('never hands an address out twice and stays inside the pool', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 40 }),
        fc.integer({ min: 26, max: 30 }),
        (names, prefix) => {
          const pool = range(`198.51.100.0/${prefix}`);
          const allocator = new AddressAllocator(pool);
          const given = names.flatMap((n) => {
            const r = allocator.allocate(n);
            return isProblem(r) ? [] : r;
          });
          expect(new Set(given).size).toBe(given.length);
          expect(given.every((a) => pool.addresses.includes(a))).toBe(true);
          expect(given.length).toBe(Math.min(names.length, pool.addresses.length));
        },
      ),
    );
  });

  test('refuses more addresses than are free', () => {
    const allocator = new AddressAllocator(range('192.0.2.0/30'));
    expect(allocator.allocate('a', 3)).toMatchObject({ problem: 'addresses do not fit: 2 of 192.0.2.0/30 are free' });
  });

  test('checks explicit addresses: inside the pool and not taken', () => {
    const allocator = new AddressAllocator(range('192.0.2.0/28'));
    const taken = allocator.allocate('web');
    expect(allocator.claim('db', ['198.51.100.1'])).toEqual([
      {
        value: '198.51.100.1',
        problem: 'is outside the pool 192.0.2.0/28',
        fix: 'use an address of the pool, or leave it out to be allocated one',
      },
    ]);
    expect(allocator.claim('db', [...(taken as string[])])[0]).toMatchObject({
      problem: "is already allocated to 'web'",
    });
    expect(allocator.claim('db', ['192.0.2.14'])).toEqual([]);
    expect(allocator.allocations.get('db')).toEqual(['192.0.2.14']);
  });
});

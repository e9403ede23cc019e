import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodesCacheText, parseNodesCache, readNodesCache } from '../../lib/agent/nodes-cache';

const MEMBERS = [
  { name: 'worker-0', address: '192.0.2.1' },
  { name: 'worker-1' },
  { name: 'w2', address: '2001:db8::2' },
];

test('what is written is read back', () => {
  expect(parseNodesCache(nodesCacheText(MEMBERS))).toEqual(MEMBERS);
  const dir = mkdtempSync(join(tmpdir(), 'cache-'));
  expect(readNodesCache(dir)).toBeUndefined();
  writeFileSync(join(dir, 'nodes.json'), nodesCacheText(MEMBERS));
  expect(readNodesCache(dir)).toEqual(MEMBERS);
});

test.each([
  ['not JSON', '{'],
  ['no nodes', '{"nodes":[]}'],
  ['a name that is not a DNS name', '{"nodes":[{"name":"a b"}]}'],
  ['a name with a brace', '{"nodes":[{"name":"w}"}]}'],
  ['an address that is not one', '{"nodes":[{"name":"w","address":"192.0.2.1\\n"}]}'],
  ['an address not in canonical form', '{"nodes":[{"name":"w","address":"192.0.2.01"}]}'],
  ['a node that is not an object', '{"nodes":[null]}'],
  ['too many nodes', JSON.stringify({ nodes: Array.from({ length: 1001 }, (_, i) => ({ name: `n${i}` })) })],
  ['too large', `{"nodes":[{"name":"${'a'.repeat(600 * 1024)}"}]}`],
])('a file with %s is ignored', (_what, text) => {
  expect(parseNodesCache(text)).toBeUndefined();
});

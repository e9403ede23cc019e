/**
 * Props checked by shape before use: JavaScript callers and `tsx` skip the type checker, so a
 * wrong-typed prop must get one message naming path, prop, value and fix, never a TypeError.
 */
import { formatIssues } from '../../../lib/core/model/issues';
import { normalize } from '../../../lib/core/spec/normalize';
import type { IpFailoverOptions } from '../../../lib/core/model/props';

const context = { path: 'app/edge', id: 'edge' };
/** The formatted issues of props given as a JavaScript caller would give them. */
const errorsOf = (props: Record<string, unknown>): string[] => {
  const { spec, issues } = normalize({ virtualIps: '192.0.2.1-2', ...props } as unknown as IpFailoverOptions, context);
  if (issues.length > 0) expect(spec).toBeUndefined();
  return formatIssues(issues)
    .split('\n')
    .filter((line) => line !== '');
};

describe('wrong-typed props get one message each, never a TypeError', () => {
  test.each(['worker', 5, true, [], null, ['a=b']])(
    'nodeSelector %j is not a map of labels (the pods would land on any node)',
    (nodeSelector) => {
      expect(errorsOf({ nodeSelector })).toEqual([
        `app/edge: 'nodeSelector' ${JSON.stringify(nodeSelector)} is not a map of labels; give labels such as {"node-role.kubernetes.io/worker":""}`,
      ]);
    },
  );

  test('unicastPeers written as the env var is one error whose fix is the list', () => {
    expect(errorsOf({ unicastPeers: '192.0.2.1,192.0.2.2' })).toEqual([
      'app/edge: \'unicastPeers\' "192.0.2.1,192.0.2.2" is a string, not a list; give a list: ["192.0.2.1","192.0.2.2"]',
    ]);
  });

  test.each([
    ['unicastPeers', 5, 'is not a list of strings; give a list such as ["192.0.2.1","192.0.2.2"]'],
    ['unicastPeers', [5], 'is not a list of strings; give a list such as ["192.0.2.1","192.0.2.2"]'],
    ['imagePullSecrets', 'regcred', 'is a string, not a list; give a list: ["regcred"]'],
    ['imagePullSecrets', { name: 'regcred' }, 'is not a list of strings; give a list such as ["regcred"]'],
    ['vipGroups', 5n, 'is not a number of groups; use a whole number from 1 to 255'],
    ['vrrpIdOffset', '5', 'is not a VRRP ID offset; use a whole number from 0 to 255'],
    ['replicas', null, 'is not a replica count; use a whole number from 1 to 255'],
    ['checkScript', '/usr/local/bin/check.sh', 'is not a script; give { path: "/usr/local/bin/check.sh" }'],
    ['preemption', ['nopreempt'], "is not a preemption strategy; use 'nopreempt' or { delaySeconds: 300 }"],
    ['name', 5, 'is not a valid name; use lower-case letters, digits and "-", at most 63 characters'],
  ])('%s %p', (field, value, message) => {
    const lines = errorsOf({ [field]: value });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^app/edge: '${field}' `));
    expect(lines[0]!.endsWith(message)).toBe(true);
  });

  test('a bigint is written as JavaScript writes it', () => {
    expect(errorsOf({ vipGroups: 5n })[0]).toMatch(/'vipGroups' 5n is not/);
  });

  test.each([undefined, null, 'router', 5])('props %p that are not an object', (props) => {
    const { issues } = normalize(props as unknown as IpFailoverOptions, context);
    expect(formatIssues(issues)).toBe(
      `app/edge: 'props' ${props === undefined ? '(unset)' : JSON.stringify(props)} is not an object of props; give an object such as { virtualIps: "192.0.2.10" }`,
    );
  });
});

describe('what the API server would refuse', () => {
  test('a service account name whose SCC role binding name would pass 253 characters', () => {
    const longest = `a${'b'.repeat(236)}`;
    expect(errorsOf({ serviceAccountName: longest })).toEqual([]);
    expect(errorsOf({ serviceAccountName: `${longest}c` })).toEqual([
      `app/edge: 'serviceAccountName' "${longest.slice(0, 78)}… is longer than 237 characters, which its SCC role binding …-scc-hostnetwork needs to stay a valid name; use at most 237 characters`,
    ]);
  });

  test('inline scripts over the 1 MiB a ConfigMap holds, counted together', () => {
    const script = (bytes: number): { inline: string } => ({ inline: `#!/bin/sh\n${'#'.repeat(bytes - 10)}` });
    expect(errorsOf({ checkScript: script(1024 * 1024 - 'check.sh'.length) })).toEqual([]);
    expect(errorsOf({ checkScript: script(600 * 1024), notifyScript: script(600 * 1024) })).toEqual([
      "app/edge: 'checkScript' 1228817 bytes of inline scripts are more than a ConfigMap holds (1048576 bytes); put the script in the image and give { path }, or in your own ConfigMap and give { configMap, key }",
    ]);
  });
});

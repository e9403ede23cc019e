import { ensureVrrpRule, removeVrrpRule, vrrpRuleSpec } from '../../lib/agent/iptables';
import { FakeHost } from './fakes';

describe('the VRRP iptables rule', () => {
  test('accepts VRRP (protocol 112) to 224.0.0.18, tagged with the config name', () => {
    expect(vrrpRuleSpec('ipf')).toEqual([
      '-d',
      '224.0.0.18/32',
      '-p',
      '112',
      '-m',
      'comment',
      '--comment',
      'ipfailover:ipf',
      '-j',
      'ACCEPT',
    ]);
  });

  test('is inserted once at the top of the chain; ensuring again finds it present', async () => {
    const host = new FakeHost();
    host.chains.get('INPUT')!.push(['-j', 'DROP']);
    expect(await ensureVrrpRule(host.run, 'INPUT', 'ipf')).toBe('added');
    expect(await ensureVrrpRule(host.run, 'INPUT', 'ipf')).toBe('present');
    expect(await ensureVrrpRule(host.run, 'INPUT', 'ipf')).toBe('present');
    expect(host.chains.get('INPUT')).toEqual([vrrpRuleSpec('ipf'), ['-j', 'DROP']]);
  });

  test('each config name owns its rule', async () => {
    const host = new FakeHost();
    await ensureVrrpRule(host.run, 'INPUT', 'a');
    await ensureVrrpRule(host.run, 'INPUT', 'b');
    expect(host.chains.get('INPUT')).toHaveLength(2);
    expect(await removeVrrpRule(host.run, 'INPUT', 'a')).toBe(1);
    expect(host.chains.get('INPUT')).toEqual([vrrpRuleSpec('b')]);
  });

  test('an empty chain name adds nothing; a missing chain is reported, never created', async () => {
    const host = new FakeHost();
    expect(await ensureVrrpRule(host.run, '', 'ipf')).toBe('disabled');
    expect(host.calls).toEqual([]);
    expect(await ensureVrrpRule(host.run, 'NOPE', 'ipf')).toBe('no-chain');
    expect(host.chains.has('NOPE')).toBe(false);
  });

  test('removal deletes every copy and is safe to repeat', async () => {
    const host = new FakeHost();
    host.chains.get('INPUT')!.push(vrrpRuleSpec('ipf'), vrrpRuleSpec('ipf'));
    expect(await removeVrrpRule(host.run, 'INPUT', 'ipf')).toBe(2);
    expect(await removeVrrpRule(host.run, 'INPUT', 'ipf')).toBe(0);
    expect(await removeVrrpRule(host.run, 'NOPE', 'ipf')).toBe(0);
    expect(host.chains.get('INPUT')).toEqual([]);
  });

  test('a failing insert is an error naming the chain', async () => {
    const host = new FakeHost();
    const run: typeof host.run = async (p, a) =>
      a.includes('-I')
        ? { code: 4, stdout: '', stderr: 'iptables: Permission denied (you must be root).\n' }
        : host.run(p, a);
    await expect(ensureVrrpRule(run, 'INPUT', 'ipf')).rejects.toThrow(
      'iptables could not add the VRRP rule to chain INPUT: iptables: Permission denied (you must be root).',
    );
  });

  test('a missing iptables is reported as such, by ensure and by remove, never as a missing chain', async () => {
    const host = new FakeHost();
    host.missing.add('iptables');
    const message =
      'iptables could not be run (spawn iptables ENOENT); install iptables (the nft backend, as the image has) or set OPENSHIFT_HA_IPTABLES_CHAIN to "" to manage no rule';
    await expect(ensureVrrpRule(host.run, 'INPUT', 'ipf')).rejects.toThrow(message);
    await expect(removeVrrpRule(host.run, 'INPUT', 'ipf')).rejects.toThrow(message);
  });

  test('iptables refused (not root, exit 4): an error with its words, not a missing chain', async () => {
    const run = async (): Promise<{ code: number; stdout: string; stderr: string }> => ({
      code: 4,
      stdout: '',
      stderr:
        'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n',
    });
    await expect(ensureVrrpRule(run, 'INPUT', 'ipf')).rejects.toThrow(
      'iptables could not list chain INPUT: iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)',
    );
  });
});

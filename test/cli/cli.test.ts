import { runRemove } from '../../lib/cli/remove';
import { runRender } from '../../lib/cli/render';
import { buildProgram } from '../../lib/cli';
import { vrrpRuleSpec } from '../../lib/agent/iptables';
import { FakeFs, FakeHost, FakeLocks } from '../agent/fakes';

function capture(): { io: { write(t: string): boolean }; text: () => string } {
  let text = '';
  return { io: { write: (t: string) => ((text += t), true) }, text: () => text };
}

const ENV = {
  OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.10-12',
  OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT',
  OPENSHIFT_HA_CONFIG_NAME: 'ipf',
};

describe('ipfailover render', () => {
  test('prints the config for this node (address from the interface, name from the host)', async () => {
    const out = capture();
    const err = capture();
    const code = await runRender(
      {},
      { stdout: out.io, stderr: err.io, env: ENV, run: new FakeHost().run, hostname: 'worker-3' },
    );
    expect(code).toBe(0);
    expect(err.text()).toBe('');
    expect(out.text()).toContain('! node 192.0.2.1 worker-3: rank');
    expect(out.text().match(/^vrrp_instance /gm)).toHaveLength(3);
  });

  test('away from the node: renders with a loopback check target and says so on stderr', async () => {
    const out = capture();
    const err = capture();
    const env = { ...ENV, OPENSHIFT_HA_NETWORK_INTERFACE: 'br-ex' };
    expect(
      await runRender({}, { stdout: out.io, stderr: err.io, env, run: new FakeHost().run, hostname: 'laptop' }),
    ).toBe(0);
    expect(err.text()).toBe(
      "ipfailover render: br-ex is not an interface here; the default check targets loopback; pass --address for the node's\n",
    );
    expect(out.text()).toContain("/dev/tcp/127.0.0.1/80'");
  });

  test('a script that cannot run here is a warning on stderr, not a failure: render is also used away from the pod', async () => {
    const out = capture();
    const err = capture();
    const env = { ...ENV, OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/mycheckscript.sh' };
    expect(
      await runRender(
        {},
        { stdout: out.io, stderr: err.io, env, run: new FakeHost().run, hostname: 'laptop', scriptFs: new FakeFs() },
      ),
    ).toBe(0);
    expect(err.text()).toBe(
      'ipfailover render: warning: \'OPENSHIFT_HA_CHECK_SCRIPT\' "/etc/keepalive/mycheckscript.sh" does not exist; mount the script at that path in the pod (a ConfigMap volume with defaultMode 0755, as the docs do) or correct the path; in the pod, the agent refuses to start until it can run\n',
    );
    expect(out.text()).toContain('script "/etc/keepalive/mycheckscript.sh"');
    const mounted = capture();
    const fs = new FakeFs().configMapVolume('/etc/keepalive', { 'mycheckscript.sh': '#!/bin/sh\nexit 0\n' });
    expect(
      await runRender(
        {},
        { stdout: capture().io, stderr: mounted.io, env, run: new FakeHost().run, hostname: 'worker-0', scriptFs: fs },
      ),
    ).toBe(0);
    expect(mounted.text()).toBe('');
  });

  test('a node name with a newline: exit 2 naming it, nothing on stdout', async () => {
    const out = capture();
    const err = capture();
    expect(
      await runRender(
        { nodeName: 'n1\n}' },
        { stdout: out.io, stderr: err.io, env: ENV, run: new FakeHost().run, hostname: 'h' },
      ),
    ).toBe(2);
    expect(err.text()).toBe(
      "ipfailover render: node name \"n1\\n}\" (from --node-name) is not a DNS name; pass the Kubernetes node name (letters, digits, '-' and '.', at most 253)\n",
    );
    expect(out.text()).toBe('');
  });

  test('--address and --node-name override what the machine says', async () => {
    const out = capture();
    const env = { ...ENV, OPENSHIFT_HA_USE_UNICAST: 'true', OPENSHIFT_HA_UNICAST_PEERS: '192.0.2.7,192.0.2.8' };
    expect(
      await runRender(
        { address: '192.0.2.8', nodeName: 'n8' },
        { stdout: out.io, stderr: capture().io, env, run: new FakeHost().run, hostname: 'h' },
      ),
    ).toBe(0);
    expect(out.text()).toContain('unicast_src_ip 192.0.2.8\n  unicast_peer {\n    192.0.2.7\n  }');
  });

  test.each([
    ['OPENSHIFT_HA_NETWORK_INTERFACE', 'eth0\n}\nvrrp_script x {'],
    ['OPENSHIFT_HA_CHECK_SCRIPT', '/bin/sh -c "reboot"'],
    ['OPENSHIFT_HA_NOTIFY_SCRIPT', '$(reboot)'],
    ['OPENSHIFT_HA_CONFIG_NAME', 'a b'],
    ['OPENSHIFT_HA_UNICAST_PEERS', '192.0.2.1;reboot'],
    ['OPENSHIFT_HA_VIRTUAL_IPS', "192.0.2.10'"],
    ['OPENSHIFT_HA_CHECK_INTERVAL', '0.5'],
    ['IPFAILOVER_ADVERT_INTERVAL', '0.001'],
    ['OPENSHIFT_HA_PREEMPTION', 'preempt_delay 300\nstate MASTER'],
  ])('bad %s: exit 2, one line naming it, nothing on stdout', async (name, value) => {
    const out = capture();
    const err = capture();
    const env: Record<string, string> = { ...ENV, [name]: value };
    if (name === 'OPENSHIFT_HA_UNICAST_PEERS') env.OPENSHIFT_HA_USE_UNICAST = 'true';
    const code = await runRender({}, { stdout: out.io, stderr: err.io, env, run: new FakeHost().run, hostname: 'h' });
    expect(code).toBe(2);
    expect(out.text()).toBe('');
    const lines = err.text().trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toMatch(new RegExp(`^ipfailover render: '${name}' `));
    expect(err.text()).not.toMatch(/\n\s+at /);
  });
});

describe('ipfailover remove', () => {
  test('deletes the rule and releases the VIPs on the interface, and a second run finds nothing', async () => {
    const host = new FakeHost();
    host.chains.get('INPUT')!.push(vrrpRuleSpec('ipf'), ['-j', 'ACCEPT']);
    host.addresses
      .get('eth0')!
      .push(
        { local: '192.0.2.11', prefixlen: 32, family: 'inet' },
        { local: '192.0.2.99', prefixlen: 32, family: 'inet' },
      );
    const out = capture();
    expect(
      await runRemove({ stdout: out.io, stderr: capture().io, env: ENV, run: host.run, probe: new FakeLocks().probe }),
    ).toBe(0);
    expect(out.text()).toBe(
      'ipfailover remove: 1 VRRP rule(s) deleted from chain INPUT; 1 VIP(s) released from eth0 (192.0.2.11)\n',
    );
    expect(host.chains.get('INPUT')).toEqual([['-j', 'ACCEPT']]);
    expect(host.addresses.get('eth0')!.map((a) => a.local)).toEqual(['192.0.2.1', '192.0.2.99']);
    const again = capture();
    expect(
      await runRemove({
        stdout: again.io,
        stderr: capture().io,
        env: ENV,
        run: host.run,
        probe: new FakeLocks().probe,
      }),
    ).toBe(0);
    expect(again.text()).toBe(
      'ipfailover remove: 0 VRRP rule(s) deleted from chain INPUT; 0 VIP(s) released from eth0\n',
    );
  });

  test("while the instance's agent runs on the node: refuses, exit 1, nothing touched, naming the fix", async () => {
    const host = new FakeHost();
    host.chains.get('INPUT')!.push(vrrpRuleSpec('ipf'));
    const locks = new FakeLocks();
    await locks.lock(['ipfailover/name/ipf'], "the agent of 'ipf' on node worker-0, pid 7");
    const err = capture();
    expect(await runRemove({ stdout: capture().io, stderr: err.io, env: ENV, run: host.run, probe: locks.probe })).toBe(
      1,
    );
    expect(err.text()).toBe(
      "ipfailover remove: failover instance 'ipf' is still running on this node (the agent of 'ipf' on node worker-0, pid 7); nothing was changed; stop the failover pods first (delete the Deployment or scale it to 0), then run remove again\n",
    );
    expect(host.calls).toEqual([]);
    // Another instance's agent is no reason to refuse.
    expect(
      await runRemove({
        stdout: capture().io,
        stderr: capture().io,
        env: { ...ENV, OPENSHIFT_HA_CONFIG_NAME: 'other' },
        run: host.run,
        probe: locks.probe,
      }),
    ).toBe(0);
  });

  test('iptables missing: exit 1 saying so, not success with the rule left', async () => {
    const host = new FakeHost();
    host.missing.add('iptables');
    const out = capture();
    const err = capture();
    expect(
      await runRemove({ stdout: out.io, stderr: err.io, env: ENV, run: host.run, probe: new FakeLocks().probe }),
    ).toBe(1);
    expect(err.text()).toMatch(
      /^ipfailover remove: iptables could not be run \(spawn iptables ENOENT\); install iptables/,
    );
    expect(out.text()).toBe('');
  });

  test('bad environment: exit 2 and nothing touched', async () => {
    const host = new FakeHost();
    const err = capture();
    expect(
      await runRemove({
        stdout: capture().io,
        stderr: err.io,
        env: { ...ENV, OPENSHIFT_HA_IPTABLES_CHAIN: 'INPUT -j DROP' },
        run: host.run,
      }),
    ).toBe(2);
    expect(err.text()).toMatch(
      /^ipfailover remove: 'OPENSHIFT_HA_IPTABLES_CHAIN' "INPUT -j DROP" is not an iptables chain name/,
    );
    expect(host.calls).toEqual([]);
  });
});

describe('the command tree', () => {
  test('plan, render, agent, status and remove, with their options', () => {
    const program = buildProgram();
    expect(program.commands.map((c) => c.name())).toEqual(['plan', 'render', 'agent', 'status', 'remove']);
    const agent = program.commands.find((c) => c.name() === 'agent')!;
    expect(agent.options.map((o) => o.long)).toEqual(['--state-dir', '--node-name', '--service-account-dir']);
    const status = program.commands.find((c) => c.name() === 'status')!;
    expect(status.options.map((o) => o.long)).toEqual(['--pods', '--endpoint', '--timeout', '--json']);
  });
});

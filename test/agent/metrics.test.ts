import { agentRegistry, type AgentInfo } from '../../lib/agent/metrics';
import { VrrpStatus, type GroupInfo } from '../../lib/agent/vrrp-status';
import { parseMetrics, type Sample } from '../../lib/cli/metrics-text';
import { AGENT_METRICS } from '../../lib/core/model/agent-endpoints';

const GROUPS: GroupInfo[] = [
  { group: 1, instance: 'ipf_VIP_1', vrid: 11, vips: ['192.0.2.10'] },
  { group: 2, instance: 'ipf_VIP_2', vrid: 12, vips: ['192.0.2.11', '192.0.2.12'] },
];

const INFO: AgentInfo = {
  config: 'ipf',
  node: 'worker-0',
  interface: 'eth0',
  vrrpIdOffset: 10,
  groups: 2,
  version: '0.1.0',
  keepalivedVersion: '2.2.7',
};

/** The model and its registry; `check` is the vrrp_script's name, `null` for none. */
function setup(check: string | null = 'chk_ipf'): {
  status: VrrpStatus;
  clock: { now: number };
  scrape: () => Promise<Sample[]>;
} {
  const clock = { now: 1_700_000_000_000 };
  const status = new VrrpStatus(GROUPS, check ?? undefined, () => clock.now);
  const registry = agentRegistry(status, INFO);
  return { status, clock, scrape: async () => parseMetrics(await registry.metrics(), 'ipfailover_') };
}

/** The value of the one sample with that name and those labels (a subset); throws when there is not exactly one. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
}

const feed = (status: VrrpStatus, ...lines: string[]): void => lines.forEach((l) => status.observe(l));

describe('agent metrics', () => {
  test('the exact text of a scrape before keepalived starts', async () => {
    const { status } = setup();
    const text = await agentRegistry(status, INFO).metrics();
    expect(text)
      .toBe(`# HELP ipfailover_info The failover instance this agent runs: config name, node, interface, VRRP ID offset, number of groups, ipfailover's and keepalived's versions
# TYPE ipfailover_info gauge
ipfailover_info{config="ipf",node="worker-0",interface="eth0",vrrp_id_offset="10",groups="2",version="0.1.0",keepalived_version="2.2.7"} 1

# HELP ipfailover_keepalived_up 1 while keepalived's VRRP process runs; 0 before it started and once it stops
# TYPE ipfailover_keepalived_up gauge
ipfailover_keepalived_up 0

# HELP ipfailover_ready 1 while the node can hold at least one of its VRRP groups (a group MASTER or BACKUP), as /readyz answers
# TYPE ipfailover_ready gauge
ipfailover_ready 0

# HELP ipfailover_check_up 1 while keepalived's check (vrrp_script) passes, 0 while it fails or times out; absent until keepalived reports it
# TYPE ipfailover_check_up gauge

# HELP ipfailover_vrrp_state Each VRRP group's state as keepalived reports it: 1 for the current state, 0 for the others (all 0 before keepalived reports)
# TYPE ipfailover_vrrp_state gauge
ipfailover_vrrp_state{config="ipf",group="1",vrid="11",vips="192.0.2.10",state="MASTER"} 0
ipfailover_vrrp_state{config="ipf",group="1",vrid="11",vips="192.0.2.10",state="BACKUP"} 0
ipfailover_vrrp_state{config="ipf",group="1",vrid="11",vips="192.0.2.10",state="FAULT"} 0
ipfailover_vrrp_state{config="ipf",group="1",vrid="11",vips="192.0.2.10",state="STOP"} 0
ipfailover_vrrp_state{config="ipf",group="2",vrid="12",vips="192.0.2.11,192.0.2.12",state="MASTER"} 0
ipfailover_vrrp_state{config="ipf",group="2",vrid="12",vips="192.0.2.11,192.0.2.12",state="BACKUP"} 0
ipfailover_vrrp_state{config="ipf",group="2",vrid="12",vips="192.0.2.11,192.0.2.12",state="FAULT"} 0
ipfailover_vrrp_state{config="ipf",group="2",vrid="12",vips="192.0.2.11,192.0.2.12",state="STOP"} 0

# HELP ipfailover_vrrp_transitions_total VRRP states each group entered since the agent started, the first one included
# TYPE ipfailover_vrrp_transitions_total counter
ipfailover_vrrp_transitions_total{config="ipf",group="1",vrid="11",vips="192.0.2.10"} 0
ipfailover_vrrp_transitions_total{config="ipf",group="2",vrid="12",vips="192.0.2.11,192.0.2.12"} 0

# HELP ipfailover_vrrp_last_transition_timestamp_seconds When each VRRP group's state last changed, in seconds since the epoch (time in state: time() minus this)
# TYPE ipfailover_vrrp_last_transition_timestamp_seconds gauge
`);
  });

  test('every name the core declares is exported, and nothing else', async () => {
    const { status, scrape } = setup();
    feed(
      status,
      'x: Starting VRRP child process, pid=1',
      'x: VRRP_Script(chk_ipf) succeeded',
      'x: (ipf_VIP_1) Entering BACKUP STATE',
    );
    const names = new Set((await scrape()).map((s) => s.name));
    expect([...names].sort()).toEqual(Object.values(AGENT_METRICS).sort());
  });

  test('each scrape reads the model: state, transitions, time of change, check, keepalived up, ready', async () => {
    const { status, clock, scrape } = setup();
    feed(status, 'x: Starting VRRP child process, pid=1', 'x: VRRP_Script(chk_ipf) succeeded');
    clock.now += 1500;
    feed(status, 'x: (ipf_VIP_1) Entering BACKUP STATE', 'x: (ipf_VIP_2) Entering BACKUP STATE');
    clock.now += 3000;
    feed(status, 'x: (ipf_VIP_1) Entering MASTER STATE');
    let s = await scrape();
    const g1 = { group: '1', vrid: '11', vips: '192.0.2.10' };
    const g2 = { group: '2', vrid: '12', vips: '192.0.2.11,192.0.2.12' };
    expect(valueOf(s, AGENT_METRICS.vrrpState, { ...g1, state: 'MASTER' })).toBe(1);
    expect(valueOf(s, AGENT_METRICS.vrrpState, { ...g1, state: 'BACKUP' })).toBe(0);
    expect(valueOf(s, AGENT_METRICS.vrrpState, { ...g2, state: 'BACKUP' })).toBe(1);
    expect(valueOf(s, AGENT_METRICS.vrrpTransitions, g1)).toBe(2);
    expect(valueOf(s, AGENT_METRICS.vrrpTransitions, g2)).toBe(1);
    expect(valueOf(s, AGENT_METRICS.vrrpLastTransition, g1)).toBe(1_700_000_004.5);
    expect(valueOf(s, AGENT_METRICS.vrrpLastTransition, g2)).toBe(1_700_000_001.5);
    expect(valueOf(s, AGENT_METRICS.checkUp, { config: 'ipf', script: 'chk_ipf' })).toBe(1);
    expect(valueOf(s, AGENT_METRICS.keepalivedUp)).toBe(1);
    expect(valueOf(s, AGENT_METRICS.ready)).toBe(1);

    feed(status, 'x: VRRP_Script(chk_ipf) failed (exited with status 1)');
    feed(status, 'x: (ipf_VIP_1) Entering FAULT STATE', 'x: (ipf_VIP_2) Entering FAULT STATE');
    s = await scrape();
    expect(valueOf(s, AGENT_METRICS.checkUp)).toBe(0);
    expect(valueOf(s, AGENT_METRICS.ready)).toBe(0);
    expect(valueOf(s, AGENT_METRICS.vrrpState, { ...g1, state: 'FAULT' })).toBe(1);
    expect(valueOf(s, AGENT_METRICS.vrrpState, { ...g1, state: 'MASTER' })).toBe(0);
    expect(valueOf(s, AGENT_METRICS.vrrpTransitions, g1)).toBe(3);

    status.stopping();
    s = await scrape();
    expect(valueOf(s, AGENT_METRICS.keepalivedUp)).toBe(0);
    expect(valueOf(s, AGENT_METRICS.ready)).toBe(0);
  });

  test('no check configured: no check series at all', async () => {
    const { status, scrape } = setup(null);
    feed(status, 'x: Starting VRRP child process, pid=1', 'x: VRRP_Script(chk_ipf) succeeded');
    expect((await scrape()).filter((s) => s.name === AGENT_METRICS.checkUp)).toEqual([]);
  });
});

/**
 * The agent's Prometheus metrics, with prom-client: a view of the {@link VrrpStatus} model read at
 * each scrape, so a scrape always says what the state-change log lines and `/readyz` say. The
 * names and labels are the core's (`AGENT_METRICS`), which the alert rules use too.
 *
 * No process or Node.js runtime metrics: the kubelet's cAdvisor already reports the container's
 * CPU and memory, and prom-client's collectors would keep timers running in the agent.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { AGENT_METRICS, CHECK_LABELS, GROUP_LABELS, INFO_LABELS } from '../core/model/agent-endpoints';
import { VRRP_STATES } from './state-log';
import type { GroupState, VrrpStatus } from './vrrp-status';

/** What the info metric says of the instance and the agent. */
export interface AgentInfo {
  readonly config: string;
  readonly node: string;
  readonly interface: string;
  readonly vrrpIdOffset: number;
  readonly groups: number;
  /** The ipfailover package's version. */
  readonly version: string;
  /** keepalived's, as `keepalived --version` printed it (`2.2.7`), or `unknown`. */
  readonly keepalivedVersion: string;
}

type GroupLabel = (typeof GROUP_LABELS)[number];

/** A registry whose metrics read `status` at every scrape. */
export function agentRegistry(status: VrrpStatus, info: AgentInfo): Registry {
  const registry = new Registry();
  const registers = [registry];
  const labelsOf = (g: GroupState): Record<GroupLabel, string> => ({
    config: info.config,
    group: String(g.group),
    vrid: String(g.vrid),
    vips: g.vips.join(','),
  });

  new Gauge({
    name: AGENT_METRICS.info,
    help: "The failover instance this agent runs: config name, node, interface, VRRP ID offset, number of groups, ipfailover's and keepalived's versions",
    labelNames: INFO_LABELS,
    registers,
  }).set(
    {
      config: info.config,
      node: info.node,
      interface: info.interface,
      vrrp_id_offset: String(info.vrrpIdOffset),
      groups: String(info.groups),
      version: info.version,
      keepalived_version: info.keepalivedVersion,
    },
    1,
  );
  new Gauge({
    name: AGENT_METRICS.keepalivedUp,
    help: "1 while keepalived's VRRP process runs; 0 before it started and once it stops",
    registers,
    collect() {
      this.set(status.keepalived === 'running' ? 1 : 0);
    },
  });
  new Gauge({
    name: AGENT_METRICS.ready,
    help: '1 while the node can hold at least one of its VRRP groups (a group MASTER or BACKUP), as /readyz answers',
    registers,
    collect() {
      this.set(status.readiness().ready ? 1 : 0);
    },
  });
  if (status.checkScript !== undefined) {
    const script = status.checkScript;
    new Gauge({
      name: AGENT_METRICS.checkUp,
      help: "1 while keepalived's check (vrrp_script) passes, 0 while it fails or times out; absent until keepalived reports it",
      labelNames: CHECK_LABELS,
      registers,
      collect() {
        this.reset();
        if (status.checkPassing !== undefined) this.set({ config: info.config, script }, status.checkPassing ? 1 : 0);
      },
    });
  }
  new Gauge({
    name: AGENT_METRICS.vrrpState,
    help: "Each VRRP group's state as keepalived reports it: 1 for the current state, 0 for the others (all 0 before keepalived reports)",
    labelNames: [...GROUP_LABELS, 'state'],
    registers,
    collect() {
      for (const g of status.groups())
        for (const state of VRRP_STATES) this.set({ ...labelsOf(g), state }, g.state === state ? 1 : 0);
    },
  });
  new Counter({
    name: AGENT_METRICS.vrrpTransitions,
    help: 'VRRP states each group entered since the agent started, the first one included',
    labelNames: GROUP_LABELS,
    registers,
    collect() {
      this.reset();
      for (const g of status.groups()) this.inc(labelsOf(g), g.transitions);
    },
  });
  new Gauge({
    name: AGENT_METRICS.vrrpLastTransition,
    help: "When each VRRP group's state last changed, in seconds since the epoch (time in state: time() minus this)",
    labelNames: GROUP_LABELS,
    registers,
    collect() {
      this.reset();
      for (const g of status.groups()) if (g.changedAt !== undefined) this.set(labelsOf(g), g.changedAt / 1000);
    },
  });
  return registry;
}

/**
 * What the agent serves over HTTP, on the instance's host port: the contract between the agent,
 * the Deployment's readiness probe, the monitoring objects and `ipfailover status`. Written
 * once here, so the probe, the alert expressions and the reader name what the agent serves.
 */
import { HOST_PORT_BASE } from './pod-layout';

/** The paths the agent answers; anything else is 404. */
export const AGENT_PATHS = {
  /** Prometheus metrics (text exposition format 0.0.4). */
  metrics: '/metrics',
  /** 200 while the node can hold at least one of its groups, 503 otherwise. */
  ready: '/readyz',
} as const;

/**
 * The address the agent serves on. The Deployment sets it to the pod's IP (the downward API's
 * `status.podIP`, which with `hostNetwork` is the node's IP: what the kubelet probes and
 * Prometheus scrapes); unset or empty, the agent takes the node's address on the VRRP interface.
 */
export const LISTEN_ADDRESS_ENV = 'IPFAILOVER_LISTEN_ADDRESS';

/** The name of the container port the agent serves on: what the PodMonitor scrapes. */
export const METRICS_PORT_NAME = 'metrics';

/** The port of an instance's agent, and the Deployment's hostPort: one pod of the instance per node. */
export function agentPortOf(vrrpIdOffset: number): number {
  return HOST_PORT_BASE + vrrpIdOffset;
}

/** The metric names the agent exports. */
export const AGENT_METRICS = {
  /** 1, with the instance's configuration as labels ({@link INFO_LABELS}). */
  info: 'ipfailover_info',
  /** 1 while keepalived's VRRP process runs, 0 before it started and while it stops. */
  keepalivedUp: 'ipfailover_keepalived_up',
  /** 1 while `/readyz` answers 200. */
  ready: 'ipfailover_ready',
  /** 1 while the shared check passes, 0 while it fails (a timeout is a failure); absent without a check. */
  checkUp: 'ipfailover_check_up',
  /** One series per group and VRRP state; 1 for the group's current state, 0 for the others. */
  vrrpState: 'ipfailover_vrrp_state',
  /** States a group entered since the agent started, the first one included. */
  vrrpTransitions: 'ipfailover_vrrp_transitions_total',
  /** When a group's state last changed, in seconds since the epoch. */
  vrrpLastTransition: 'ipfailover_vrrp_last_transition_timestamp_seconds',
} as const;

/** The labels of every per-group series: the config name, the 1-based group, its VRRP ID and VIPs (comma-separated). */
export const GROUP_LABELS = ['config', 'group', 'vrid', 'vips'] as const;

/** The labels of {@link AGENT_METRICS.checkUp}: the config name and keepalived's name of the check (`chk_<config>`). */
export const CHECK_LABELS = ['config', 'script'] as const;

/** The labels of {@link AGENT_METRICS.info}. */
export const INFO_LABELS = [
  'config',
  'node',
  'interface',
  'vrrp_id_offset',
  'groups',
  'version',
  'keepalived_version',
] as const;

/**
 * The monitoring objects of an instance, for OpenShift's user-workload monitoring (the
 * prometheus-operator's `monitoring.coreos.com/v1` kinds): a PodMonitor that scrapes every
 * failover pod's agent, and a PrometheusRule with the alerts an operator of VIPs needs — a VIP
 * no node holds, a VIP two nodes hold, a group that keeps changing hands, and no agent at all.
 *
 * The expressions read only the agents' own metrics (`AGENT_METRICS`), so the rule is evaluated
 * by the user-workload Prometheus itself, not by Thanos Ruler (OpenShift's `leaf-prometheus`
 * scope: less latency, one component fewer between a lost VIP and its alert).
 */
import type { IPodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { KubeObject } from '../model/kube-object';
import { AGENT_METRICS, AGENT_PATHS, agentPortOf, METRICS_PORT_NAME } from '../model/agent-endpoints';
import { labelsOf } from '../model/object-names';
import type { InstancePlan } from '../plan/planner';

/** How often the agents are scraped: the user-workload default, said explicitly. */
export const SCRAPE_INTERVAL = '30s';

/** The alerts of the PrometheusRule, by what they say. */
export const ALERTS = {
  noHolder: 'IPFailoverVIPNoHolder',
  multipleHolders: 'IPFailoverVIPMultipleHolders',
  flapping: 'IPFailoverVIPFlapping',
  agentsAbsent: 'IPFailoverAgentsAbsent',
} as const;

/**
 * Flapping: more state changes of one group (all its pods together) within the window than this.
 * One handover is about two (the old master leaves MASTER, the new one enters it), so this is
 * more than four handovers in 15 minutes; a rollout does not count (a new pod is a new series).
 */
export const FLAPPING = { window: '15m', stateChanges: 8 } as const;

/** The label OpenShift reads to evaluate a rule in the user-workload Prometheus, not Thanos Ruler. */
export const RULE_SCOPE_LABEL = { 'openshift.io/prometheus-rule-evaluation-scope': 'leaf-prometheus' } as const;

/** The labels an alert keeps: which instance and which group. */
const BY_GROUP = 'namespace, config, group, vrid, vips';

function podMonitor(plan: InstancePlan): KubeObject {
  const { spec } = plan;
  const labels = labelsOf(spec);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: spec.name, namespace: spec.namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      podMetricsEndpoints: [
        { port: METRICS_PORT_NAME, path: AGENT_PATHS.metrics, scheme: 'http', interval: SCRAPE_INTERVAL },
      ],
    },
  } satisfies IPodMonitor;
}

function prometheusRule(plan: InstancePlan): KubeObject {
  const { spec } = plan;
  // Both are checked names (a DNS label, a config name), safe inside a PromQL string.
  const mine = `namespace="${spec.namespace}",config="${spec.settings.configName}"`;
  const masters = `sum by (${BY_GROUP}) (${AGENT_METRICS.vrrpState}{${mine},state="MASTER"})`;
  const instance = `${spec.namespace}/${spec.name}`;
  const group = 'VRRP group {{ $labels.group }} (VRID {{ $labels.vrid }}, VIPs {{ $labels.vips }})';
  const port = agentPortOf(plan.settings.vrrpIdOffset);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      labels: { ...labelsOf(spec), ...RULE_SCOPE_LABEL },
    },
    spec: {
      groups: [
        {
          name: `ipfailover-${spec.name}`,
          rules: [
            {
              alert: ALERTS.noHolder,
              expr: `${masters} == 0`,
              for: '1m',
              labels: { severity: 'critical' },
              annotations: {
                summary: `A VIP of IP failover ${instance} is held by no node`,
                description: `No failover pod reports ${group} as MASTER, so its VIPs are unserved. A failing check puts every group of a node in FAULT: see which pods are not ready, and run ipfailover status.`,
              },
            },
            {
              alert: ALERTS.multipleHolders,
              expr: `${masters} > 1`,
              for: '1m',
              labels: { severity: 'critical' },
              annotations: {
                summary: `A VIP of IP failover ${instance} is held by {{ $value }} nodes`,
                description: `{{ $value }} failover pods report ${group} as MASTER: the nodes do not hear each other's VRRP adverts (a firewall dropping IP protocol 112, a partition), and clients reach whichever node answered ARP last.`,
              },
            },
            {
              alert: ALERTS.flapping,
              expr: `sum by (${BY_GROUP}) (increase(${AGENT_METRICS.vrrpTransitions}{${mine}}[${FLAPPING.window}])) > ${FLAPPING.stateChanges}`,
              labels: { severity: 'warning' },
              annotations: {
                summary: `A VIP of IP failover ${instance} keeps changing nodes`,
                description: `${group} changed state more than ${FLAPPING.stateChanges} times in ${FLAPPING.window} (about ${FLAPPING.stateChanges / 2} handovers; ${AGENT_METRICS.vrrpTransitions} per pod has the count): a check that passes and fails by turns, or adverts that get lost. Each handover interrupts the VIP's connections.`,
              },
            },
            {
              alert: ALERTS.agentsAbsent,
              expr: `absent(${AGENT_METRICS.keepalivedUp}{${mine}} == 1)`,
              for: '5m',
              labels: { severity: 'critical' },
              annotations: {
                summary: `No failover pod of IP failover ${instance} runs keepalived`,
                description: `No agent of ${instance} reports keepalived running: every VIP of the instance is unserved, or Prometheus cannot scrape the agents (port ${port} on the nodes' addresses).`,
              },
            },
          ],
        },
      ],
    },
  } satisfies IPrometheusRule;
}

/** The PodMonitor and PrometheusRule of an instance, in that order. */
export function monitoringObjects(plan: InstancePlan): KubeObject[] {
  return [podMonitor(plan), prometheusRule(plan)];
}

/**
 * The PodMonitor and PrometheusRule of an instance: valid against the prometheus-operator's CRD
 * schemas, scraping what the Deployment declares, and alerts that really fire — the rule group
 * is checked and unit-tested with Prometheus's own `promtool` on synthetic agent series.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { stringify } from 'yaml';
import { ALERTS, FLAPPING, monitoringObjects } from '../../../lib/core/emit/monitoring';
import { AGENT_METRICS } from '../../../lib/core/model/agent-endpoints';
import type { KubeObject } from '../../../lib/core/model/kube-object';
import { formatIssues } from '../../../lib/core/model/issues';
import type { IpFailoverOptions } from '../../../lib/core/model/props';
import { Planner, type InstancePlan } from '../../../lib/core/plan/planner';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function planOf(props: Partial<IpFailoverOptions> = {}): InstancePlan {
  const { plan, issues } = new Planner().add(
    { virtualIps: '192.0.2.10-12', vipGroups: 2, vrrpIdOffset: 20, namespace: 'ipfailover', ...props },
    { path: 'app/edge', id: 'edge' },
  );
  if (!plan) throw new Error(formatIssues(issues));
  return plan;
}

const [podMonitor, rule] = monitoringObjects(planOf()) as [Obj & KubeObject, Obj & KubeObject];

describe('the monitoring objects', () => {
  test('a PodMonitor and a PrometheusRule in the namespace, with the instance label', () => {
    expect([podMonitor, rule].map((o) => [o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name])).toEqual([
      ['monitoring.coreos.com/v1', 'PodMonitor', 'ipfailover', 'edge'],
      ['monitoring.coreos.com/v1', 'PrometheusRule', 'ipfailover', 'edge'],
    ]);
    expect(podMonitor.metadata.labels).toEqual({ ipfailover: 'edge' });
    // Evaluated by the user-workload Prometheus, not Thanos Ruler: the rule reads only the agents' metrics.
    expect(rule.metadata.labels).toEqual({
      ipfailover: 'edge',
      'openshift.io/prometheus-rule-evaluation-scope': 'leaf-prometheus',
    });
  });

  test('valid against the prometheus-operator CRD schemas', () => {
    expect(() => new PodMonitor(podMonitor as never).validate()).not.toThrow();
    expect(() => new PrometheusRule(rule as never).validate()).not.toThrow();
    // The schemas bite: a wrong duration is refused.
    const bad = structuredClone(rule);
    bad.spec.groups[0].rules[0].for = '1 minute';
    expect(() => new PrometheusRule(bad as never).validate()).toThrow(/for must match pattern/);
  });

  test('every expression reads only metrics the agent exports, of this instance', () => {
    const exprs: string[] = rule.spec.groups[0].rules.map((r: Obj) => r.expr);
    const names = new Set(exprs.flatMap((e) => e.match(/\bipfailover_[a-z_]+/g) ?? []));
    expect([...names].every((n) => (Object.values(AGENT_METRICS) as string[]).includes(n))).toBe(true);
    for (const expr of exprs) expect(expr).toContain('namespace="ipfailover",config="edge"');
  });
});

const promtool = spawnSync('promtool', ['--version']).error ? undefined : 'promtool';
const withPromtool = promtool ? describe : describe.skip;
if (!promtool) console.warn('promtool tests skipped: promtool is not installed (apt-get install prometheus)');

/** The labels every series of group 1 carries, and a pod. */
const G1 = 'namespace="ipfailover",config="edge",group="1",vrid="21",vips="192.0.2.10,192.0.2.11"';
const G1_LABELS = {
  namespace: 'ipfailover',
  config: 'edge',
  group: '1',
  vrid: '21',
  vips: '192.0.2.10,192.0.2.11',
};

/** The MASTER series of group 1 on three pods, with the given values (promtool's expanding notation). */
function masters(values: [string, string, string]): Array<{ series: string; values: string }> {
  return values.map((v, i) => ({
    series: `${AGENT_METRICS.vrrpState}{${G1},state="MASTER",pod="edge-${i}"}`,
    values: v,
  }));
}

/** keepalived up on three pods for the whole test. */
const UP = [0, 1, 2].map((i) => ({
  series: `${AGENT_METRICS.keepalivedUp}{namespace="ipfailover",config="edge",pod="edge-${i}"}`,
  values: '1x40',
}));

withPromtool('the alert rules, run by promtool', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ipf-rules-'));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `promtool test rules` on one test case; the output when it fails, '' when it passes. */
  function runCase(test: Obj): string {
    const file = join(dir, 'test.yaml');
    writeFileSync(file, stringify({ rule_files: ['rules.yaml'], evaluation_interval: '30s', tests: [test] }));
    const r = spawnSync(promtool!, ['test', 'rules', file], { encoding: 'utf8' });
    return r.status === 0 ? '' : `${r.stdout}${r.stderr}`;
  }

  /** The annotations promtool must see on a fired alert, from the rule itself with the labels filled in. */
  function annotationsOf(alert: string, fill: Record<string, string>): Record<string, string> {
    const found = rule.spec.groups[0].rules.find((r: Obj) => r.alert === alert).annotations as Record<string, string>;
    return Object.fromEntries(
      Object.entries(found).map(([k, v]) => [
        k,
        v
          .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => fill[l] ?? '')
          .replace(/\{\{ \$value \}\}/g, fill.$value ?? ''),
      ]),
    );
  }

  test('promtool check rules: the group parses', () => {
    const r = spawnSync(promtool!, ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS: 4 rules found');
    expect(r.status).toBe(0);
  });

  test('one holder, steady: no alert', () => {
    const quiet = Object.values(ALERTS).map((alertname) => ({ eval_time: '15m', alertname, exp_alerts: [] }));
    expect(
      runCase({
        interval: '30s',
        input_series: [
          ...masters(['1x40', '0x40', '0x40']),
          { series: `${AGENT_METRICS.vrrpTransitions}{${G1},pod="edge-0"}`, values: '2x40' },
          ...UP,
        ],
        alert_rule_test: quiet,
      }),
    ).toBe('');
  });

  test(`no holder for a minute: ${ALERTS.noHolder}, critical, with the group`, () => {
    expect(
      runCase({
        interval: '30s',
        input_series: [...masters(['1 1 0x20', '0x22', '0x22']), ...UP],
        alert_rule_test: [
          // 30 s without a holder is a handover, not an alert.
          { eval_time: '1m30s', alertname: ALERTS.noHolder, exp_alerts: [] },
          {
            eval_time: '3m',
            alertname: ALERTS.noHolder,
            exp_alerts: [
              {
                exp_labels: { ...G1_LABELS, severity: 'critical' },
                exp_annotations: annotationsOf(ALERTS.noHolder, G1_LABELS),
              },
            ],
          },
        ],
      }),
    ).toBe('');
  });

  test(`two holders for a minute: ${ALERTS.multipleHolders}, critical, saying how many`, () => {
    expect(
      runCase({
        interval: '30s',
        input_series: [...masters(['1x20', '0 0 1x18', '0x20']), ...UP],
        alert_rule_test: [
          {
            eval_time: '4m',
            alertname: ALERTS.multipleHolders,
            exp_alerts: [
              {
                exp_labels: { ...G1_LABELS, severity: 'critical' },
                exp_annotations: annotationsOf(ALERTS.multipleHolders, { ...G1_LABELS, $value: '2' }),
              },
            ],
          },
        ],
      }),
    ).toBe('');
  });

  test(`more than ${FLAPPING.stateChanges} state changes of a group in ${FLAPPING.window}: ${ALERTS.flapping}, warning`, () => {
    // Two pods trading the group every 90 s: each handover is one change on each pod.
    const trading = '0+1x40';
    expect(
      runCase({
        interval: '90s',
        input_series: [
          { series: `${AGENT_METRICS.vrrpTransitions}{${G1},pod="edge-0"}`, values: trading },
          { series: `${AGENT_METRICS.vrrpTransitions}{${G1},pod="edge-1"}`, values: trading },
          ...masters(['1x40', '0x40', '0x40']),
          ...UP,
        ],
        alert_rule_test: [
          // Four changes on each pod in the first 6 minutes: eight, not more.
          { eval_time: '6m', alertname: ALERTS.flapping, exp_alerts: [] },
          {
            eval_time: '20m',
            alertname: ALERTS.flapping,
            exp_alerts: [
              {
                exp_labels: { ...G1_LABELS, severity: 'warning' },
                exp_annotations: annotationsOf(ALERTS.flapping, G1_LABELS),
              },
            ],
          },
        ],
      }),
    ).toBe('');
  });

  test(`no agent with keepalived up for 5 minutes: ${ALERTS.agentsAbsent}, critical`, () => {
    expect(
      runCase({
        interval: '30s',
        input_series: [
          {
            series: `${AGENT_METRICS.keepalivedUp}{namespace="ipfailover",config="edge",pod="edge-0"}`,
            values: '1 1 0x20',
          },
          // Another instance's agents say nothing about this one.
          { series: `${AGENT_METRICS.keepalivedUp}{namespace="ipfailover",config="other",pod="o-0"}`, values: '1x22' },
        ],
        alert_rule_test: [
          { eval_time: '4m', alertname: ALERTS.agentsAbsent, exp_alerts: [] },
          {
            eval_time: '7m',
            alertname: ALERTS.agentsAbsent,
            exp_alerts: [
              {
                exp_labels: { severity: 'critical' },
                exp_annotations: annotationsOf(ALERTS.agentsAbsent, {}),
              },
            ],
          },
        ],
      }),
    ).toBe('');
  });
});

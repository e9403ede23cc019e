import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runPlan, type PlanOptions } from '../../lib/cli/plan';
import { planManifests } from '../../lib/core/plan-report';

const root = join(__dirname, '..', '..');

function run(options: PlanOptions, tty = false): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = runPlan(options, {
    stdout: { write: (t: string) => (stdout += t), isTTY: tty },
    stderr: { write: (t: string) => (stderr += t), isTTY: tty },
    env: { ...process.env, NO_COLOR: undefined },
  });
  return { code, stdout, stderr };
}

const docsDeployment = (): Record<string, any> => // eslint-disable-line @typescript-eslint/no-explicit-any
  parse(readFileSync(join(root, 'test/fixtures/docs-deployment.yaml'), 'utf8'), { version: '1.1' });

describe('ipfailover plan', () => {
  test('prints the example app as a table, line by line', () => {
    const { code, stdout, stderr } = run({ paths: [], app: 'npx tsx examples/cdk8s/main.ts' });
    expect(stderr).toBe('');
    expect(stdout.split('\n')).toEqual([
      'INSTANCE                       VIPS                GROUPS  VRRP IDS  MONITOR  REPLICAS',
      'ipfailover/ipf-external-ips    192.0.2.1-14        2       9..10     443      2',
      'ipfailover/ipf-router-us-west  203.0.113.101-105   5       1..5      80       5',
      'ipfailover/ipf-ha-geo-cache    198.51.100.101-105  2       6..7      9736     5',
      'ipfailover/ipf-postgresql      203.0.113.50        1       8         32439    2',
      '',
      'VRRP groups: 10 of 254 used; free VRRP IDs: 11..255',
      '',
    ]);
    expect(code).toBe(0);
  }, 60000);

  test("reads hand-written manifests: the docs' Deployment and a second one overlapping it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipfailover-plan-test-'));
    const first = docsDeployment();
    const second = docsDeployment();
    second.metadata.name = 'other';
    second.spec.template.spec.containers[0].env[1].value = '1.1.1.2-3';
    writeFileSync(join(dir, 'a.yaml'), readFileSync(join(root, 'test/fixtures/docs-deployment.yaml')));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(second));
    expect(first.metadata.name).toBe('ipfailover-keepalived');
    const { code, stdout } = run({ paths: [dir] });
    expect(stdout.split('\n').slice(-3)).toEqual([
      "default/other: 'virtualIps' \"1.1.1.2\" is already served by 'default/ipfailover-keepalived'; give each VIP to one instance only",
      "default/other: 'vrrpIdOffset' 0 overlaps 'default/ipfailover-keepalived' (IDs 1..2); use 2 (first free)",
      '',
    ]);
    expect(code).toBe(1);
  });

  test('--json gives the report for machines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipfailover-plan-test-'));
    writeFileSync(join(dir, 'docs.yaml'), readFileSync(join(root, 'test/fixtures/docs-deployment.yaml')));
    const { code, stdout } = run({ paths: [dir], json: true });
    expect(JSON.parse(stdout)).toEqual({
      instances: [{ namespace: 'default', name: 'ipfailover-keepalived', virtualIps: '1.1.1.1-2', groups: 2, vrrpIds: { first: 1, last: 2 }, monitorPort: 30060, replicas: 2 }],
      groupsUsed: 2,
      groupLimit: 254,
      freeVrrpIds: [{ first: 3, last: 255 }],
      issues: [],
    });
    expect(code).toBe(0);
  });

  test('colours issues only on a terminal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipfailover-plan-test-'));
    const bad = docsDeployment();
    bad.spec.replicas = 3;
    writeFileSync(join(dir, 'x.json'), JSON.stringify(bad));
    expect(run({ paths: [dir] }, false).stdout).not.toContain('\x1b[');
    const tty = run({ paths: [dir] }, true);
    expect(tty.stdout).toContain("\x1b[31mdefault/ipfailover-keepalived: 'OPENSHIFT_HA_REPLICA_COUNT' 2 differs from spec.replicas 3; make them equal, as the docs require\x1b[0m");
    expect(tty.code).toBe(1);
  });

  test('bad input: exit 2 with one reason on stderr and nothing on stdout', () => {
    const missing = run({ paths: ['/nonexistent/dir'] });
    expect([missing.code, missing.stdout, missing.stderr]).toEqual([2, '', 'ipfailover plan: /nonexistent/dir: no such file or directory\n']);
    const failing = run({ paths: [], app: 'node -e "process.exit(3)"' });
    expect([failing.code, failing.stdout]).toEqual([2, '']);
    expect(failing.stderr).toMatch(/^ipfailover plan: the app failed \(exit 3\)/);
  });
});

test('planManifests reports a bad environment with the Deployment it belongs to', () => {
  const deployment = docsDeployment();
  deployment.spec.template.spec.containers[0].env[4].value = '80; reboot';
  expect(planManifests([deployment]).issues).toEqual([
    { path: 'default/ipfailover-keepalived', field: 'OPENSHIFT_HA_MONITOR_PORT', value: '80; reboot', problem: 'is not a port', fix: 'use a whole number from 0 to 65535' },
  ]);
});

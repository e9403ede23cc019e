import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { MAX_INPUT_BYTES } from '../../lib/cli/manifest-input';
import { runPlan, type PlanOptions } from '../../lib/cli/plan';
import { planManifests } from '../../lib/core/plan/plan-report';

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

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const docsDeployment = (): Obj =>
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
      instances: [
        {
          namespace: 'default',
          name: 'ipfailover-keepalived',
          virtualIps: '1.1.1.1-2',
          groups: 2,
          vrrpIds: { first: 1, last: 2 },
          monitorPort: 30060,
          replicas: 2,
        },
      ],
      groupsUsed: 2,
      groupLimit: 254,
      freeVrrpIds: [{ first: 3, last: 255 }],
      issues: [],
      warnings: [],
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
    expect(tty.stdout).toContain(
      "\x1b[31mdefault/ipfailover-keepalived: 'OPENSHIFT_HA_REPLICA_COUNT' 2 differs from spec.replicas 3; make them equal, as the docs require\x1b[0m",
    );
    expect(tty.code).toBe(1);
  });

  test('bad input: exit 2 with one reason on stderr and nothing on stdout', () => {
    const missing = run({ paths: ['/nonexistent/dir'] });
    expect([missing.code, missing.stdout, missing.stderr]).toEqual([
      2,
      '',
      'ipfailover plan: /nonexistent/dir: no such file or directory\n',
    ]);
    const failing = run({ paths: [], app: 'node -e "process.exit(3)"' });
    expect([failing.code, failing.stdout]).toEqual([2, '']);
    expect(failing.stderr).toMatch(/^ipfailover plan: the app failed \(exit 3\)/);
  });
});

test('planManifests reports a bad environment with the Deployment it belongs to', () => {
  const deployment = docsDeployment();
  deployment.spec.template.spec.containers[0].env[4].value = '80; reboot';
  expect(planManifests([deployment]).issues).toEqual([
    {
      path: 'default/ipfailover-keepalived',
      field: 'OPENSHIFT_HA_MONITOR_PORT',
      value: '80; reboot',
      problem: 'is not a port',
      fix: 'use a whole number from 0 to 65535',
    },
  ]);
});

describe('ipfailover plan on unusual and hostile input', () => {
  const dir = (): string => mkdtempSync(join(tmpdir(), 'ipfailover-plan-input-'));
  const docsYaml = (): string => readFileSync(join(root, 'test/fixtures/docs-deployment.yaml'), 'utf8');
  const row = /^default\/ipfailover-keepalived +1\.1\.1\.1-2 +2 +1\.\.2 /m;

  test('reads a kind: List (what `oc get deploy -o yaml` writes) and a JSON array of Deployments', () => {
    const d = dir();
    writeFileSync(join(d, 'list.yaml'), stringify({ apiVersion: 'v1', kind: 'List', items: [docsDeployment()] }));
    const listed = run({ paths: [join(d, 'list.yaml')] });
    expect([listed.code, listed.stderr]).toEqual([0, '']);
    expect(listed.stdout).toMatch(row);
    writeFileSync(join(d, 'array.json'), JSON.stringify([docsDeployment()]));
    const arrayed = run({ paths: [join(d, 'array.json')] });
    expect([arrayed.code, arrayed.stderr]).toEqual([0, '']);
    expect(arrayed.stdout).toMatch(row);
  });

  test('warns when it finds no failover Deployment, and points at callout numbers left in', () => {
    const d = dir();
    writeFileSync(join(d, 'other.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    const none = run({ paths: [d] });
    expect(none.code).toBe(0);
    expect(none.stderr).toBe(
      'ipfailover plan: warning: no failover Deployment found (one whose container sets OPENSHIFT_HA_VIRTUAL_IPS)\n',
    );
    writeFileSync(
      join(d, 'other.yaml'),
      docsYaml().replace('name: OPENSHIFT_HA_VIRTUAL_IPS', 'name: OPENSHIFT_HA_VIRTUAL_IPS 2'),
    );
    expect(run({ paths: [d] }).stderr).toMatch(/no failover Deployment found .*callout numbers\?\): remove it\n$/);
  });

  test('never blocks on a FIFO, never reads a device, and exits 2 naming the file', () => {
    const d = dir();
    execFileSync('mkfifo', [join(d, 'x.yaml')]);
    const fifo = run({ paths: [d] });
    expect([fifo.code, fifo.stdout]).toEqual([2, '']);
    expect(fifo.stderr).toBe(
      `ipfailover plan: ${join(d, 'x.yaml')}: not a regular file (a FIFO, socket or device); name manifest files or directories\n`,
    );
    expect(run({ paths: ['/dev/zero'] })).toEqual({
      code: 2,
      stdout: '',
      stderr: 'ipfailover plan: /dev/zero: not a regular file; name manifest files or directories\n',
    });
  });

  test('follows a directory link once: a link to itself or to its parent reads each file once', () => {
    const d = dir();
    writeFileSync(join(d, 'docs.yaml'), docsYaml());
    symlinkSync('.', join(d, 'self'));
    mkdirSync(join(d, 'sub'));
    symlinkSync('..', join(d, 'sub', 'up'));
    const { code, stdout, stderr } = run({ paths: [d] });
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout.match(new RegExp(row.source, 'gm'))).toHaveLength(1);
  });

  test('unreadable input exits 2 naming the file: a dangling link, an alias bomb, oversized input, a bad option', () => {
    const d = dir();
    symlinkSync('nowhere.yaml', join(d, 'x.yaml'));
    expect(run({ paths: [d] })).toEqual({
      code: 2,
      stdout: '',
      stderr: `ipfailover plan: ${join(d, 'x.yaml')}: no such file or directory\n`,
    });
    const bomb = dir();
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    writeFileSync(join(bomb, 'bomb.yaml'), `${levels.join('\n')}\n`);
    const exploded = run({ paths: [bomb] });
    expect([exploded.code, exploded.stdout]).toEqual([2, '']);
    expect(exploded.stderr).toMatch(new RegExp(`^ipfailover plan: ${join(bomb, 'bomb.yaml')}: not valid YAML: `));
    const big = dir();
    writeFileSync(join(big, 'big.yaml'), '');
    truncateSync(join(big, 'big.yaml'), MAX_INPUT_BYTES + 1);
    expect(run({ paths: [big] })).toEqual({
      code: 2,
      stdout: '',
      stderr: `ipfailover plan: ${join(big, 'big.yaml')}: the input passes 32 MiB; plan reads manifests, name only those\n`,
    });
    expect(run({ paths: [d], reservedVrrpIds: '51,300' })).toMatchObject({
      code: 2,
      stderr:
        'ipfailover plan: --reserved-vrrp-ids: "300" is not a VRRP ID; list whole numbers from 1 to 255, such as 51,52\n',
    });
  });

  test('escapes control characters from manifests, so names cannot move the cursor or forge lines', () => {
    const d = dir();
    const evil = docsDeployment();
    evil.metadata.namespace = 'ns\u001b[2J\nforged-line';
    evil.spec.replicas = 3;
    writeFileSync(join(d, 'evil.json'), JSON.stringify(evil));
    const { code, stdout } = run({ paths: [d] });
    expect(code).toBe(1);
    expect(stdout).not.toMatch(/[\u001b\u009b]/); // eslint-disable-line no-control-regex
    expect(stdout.split('\n').filter((l) => l.startsWith('forged-line'))).toEqual([]);
    expect(stdout).toContain('ns\\u{1b}[2J\\u{a}forged-line/ipfailover-keepalived');
  });

  test('says what it cannot read: valueFrom is a warning, a non-string value an issue', () => {
    const d = dir();
    const fromSecret = docsDeployment();
    const env = fromSecret.spec.template.spec.containers[0].env as Array<Record<string, unknown>>;
    const port = env.find((v) => v.name === 'OPENSHIFT_HA_MONITOR_PORT')!;
    delete port.value;
    port.valueFrom = { configMapKeyRef: { name: 'ports', key: 'monitor' } };
    writeFileSync(join(d, 'a.json'), JSON.stringify(fromSecret));
    const warned = run({ paths: [d] });
    expect(warned.code).toBe(0);
    expect(warned.stderr).toBe(
      'ipfailover plan: warning: default/ipfailover-keepalived: OPENSHIFT_HA_MONITOR_PORT is set from valueFrom, which plan cannot read; planned as if it were unset\n',
    );
    delete port.valueFrom;
    port.value = 80;
    writeFileSync(join(d, 'a.json'), JSON.stringify(fromSecret));
    const numeric = run({ paths: [d] });
    expect(numeric.code).toBe(1);
    expect(numeric.stdout).toContain(
      "default/ipfailover-keepalived: 'OPENSHIFT_HA_MONITOR_PORT' 80 is not a string; quote it: the API server takes only strings as env values",
    );
  });

  test("takes the cluster's reserved VRRP IDs and VIPs, as the constructs do", () => {
    const d = dir();
    writeFileSync(join(d, 'docs.yaml'), docsYaml());
    const reserved = run({ paths: [d], reservedVrrpIds: '2', reservedVips: '1.1.1.1' });
    expect(reserved.code).toBe(1);
    expect(reserved.stdout).toMatch(/'vrrpIdOffset' 0 overlaps .*reserved/);
    expect(reserved.stdout).toMatch(/"1\.1\.1\.1" .*reserved/);
  });
});

test('a suggested offset stays free of the instances placed after it', () => {
  const at = (name: string, offset: string): Obj => {
    const d = docsDeployment();
    d.metadata.name = name;
    const env = d.spec.template.spec.containers[0].env as Array<{ name: string; value: string }>;
    env.find((v) => v.name === 'OPENSHIFT_HA_VIRTUAL_IPS')!.value = `10.${name.length}.0.1-2`;
    env.find((v) => v.name === 'OPENSHIFT_HA_VRRP_ID_OFFSET')!.value = offset;
    return d;
  };
  // a: IDs 1..2; b asks for 1..2 too; c takes 3..4 after b. "use 2" would collide with c.
  const report = planManifests([at('a', '0'), at('bb', '0'), at('ccc', '2')]);
  expect(report.issues.map((i) => i.fix)).toEqual(['use 4 (first free)']);
});

describe('ipfailover plan --lock: what would change against the recorded VRRP IDs', () => {
  const dir = (): string => mkdtempSync(join(tmpdir(), 'ipfailover-plan-lock-'));
  /** A cdk8s app of instances (id → VIP count) in `d`, planning against `d/ipfailover.lock.json`. */
  const app = (d: string, instances: Record<string, number>): string => {
    const lines = [
      `import { App, Chart } from ${JSON.stringify(join(root, 'node_modules/cdk8s'))};`,
      `import { configureFailoverPlanner, IpFailover } from ${JSON.stringify(join(root, 'lib/cdk8s'))};`,
      `const app = new App();`,
      `configureFailoverPlanner(app, { lockFile: ${JSON.stringify(join(d, 'ipfailover.lock.json'))} });`,
      `const chart = new Chart(app, 'edge', { namespace: 'ns' });`,
      ...Object.entries(instances).map(
        ([id, n], i) =>
          `new IpFailover(chart, '${id}', { virtualIps: ${JSON.stringify(Array.from({ length: n }, (_, k) => `10.0.${i}.${k + 1}`))} });`,
      ),
      `app.synth();`,
    ];
    const script = join(d, `app-${Object.keys(instances).join('-')}-${Object.values(instances).join('-')}.ts`);
    writeFileSync(script, lines.join('\n'));
    return `node ${join(root, 'node_modules/tsx/dist/cli.mjs')} ${script}`;
  };
  /** Synthesizes as `cdk8s synth` would (writing the lock), into `d/dist-<n>`. */
  const synth = (d: string, command: string, out: string): string => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !['JEST_WORKER_ID', 'CI', 'IPFAILOVER_LOCK_MODE'].includes(k)),
    );
    execFileSync('sh', ['-c', command], { env: { ...env, CDK8S_OUTDIR: join(d, out) } });
    return join(d, out);
  };

  test('manifests synthesized with the lock keep every recorded ID: exit 0', () => {
    const d = dir();
    const dist = synth(d, app(d, { router: 5, cache: 2 }), 'dist');
    const { code, stdout } = run({ paths: [dist], lock: join(d, 'ipfailover.lock.json') });
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(-2)).toEqual([
      `Against ${join(d, 'ipfailover.lock.json')}: every instance keeps its recorded VRRP IDs`,
      '',
    ]);
  }, 60000);

  test('manifests planned first-fit, without the lock, after the first instance grew: the others are renumbered, exit 3', () => {
    const d = dir();
    synth(d, app(d, { router: 5, cache: 2, db: 1 }), 'dist');
    // What synthesizing without the lock gives after the router grew: everything after it moves.
    const firstFit = dir();
    const unlocked = synth(firstFit, app(firstFit, { router: 7, cache: 2, db: 1 }), 'dist');
    const lock = join(d, 'ipfailover.lock.json');
    const { code, stdout } = run({ paths: [unlocked], lock });
    expect(code).toBe(3);
    expect(stdout.split('\n').slice(-6)).toEqual([
      `Against ${lock}: 2 renumbered, 1 grows`,
      'INSTANCE   LOCK   MANIFESTS  CHANGE',
      'ns/router  1..5   1..7       grows: keeps its IDs, the lock would add the new ones',
      'ns/cache   6..7   8..9       RENUMBERED: its groups would change VRRP IDs',
      'ns/db      8..12  10         RENUMBERED: its groups would change VRRP IDs',
      '',
    ]);
    // The same change planned by the app against its lock renumbers nothing.
    const locked = run({ paths: [], app: app(d, { router: 7, cache: 2, db: 1 }), lock });
    expect(locked.code).toBe(0);
    expect(locked.stdout).toContain(`Against ${lock}: 1 grows\n`);
    expect(locked.stdout).toMatch(/^ns\/router +1\.\.5 +1\.\.5, 13\.\.14 +grows/m);
  }, 60000);

  test('new instances and entries the manifests lack are listed; --app only reads the lock', () => {
    const d = dir();
    synth(d, app(d, { router: 5, cache: 2 }), 'dist');
    const lock = join(d, 'ipfailover.lock.json');
    const before = readFileSync(lock, 'utf8');
    const { code, stdout } = run({ paths: [], app: app(d, { router: 5, web: 1 }), lock });
    expect(code).toBe(0);
    expect(stdout).toContain(`Against ${lock}: 1 new, 1 not in the manifests\n`);
    expect(stdout).toMatch(/^ns\/web +- +12 +new: the lock would record it$/m);
    expect(stdout).toMatch(/^ns\/cache +6\.\.11 +- +not in the manifests: the lock keeps its IDs held$/m);
    expect(readFileSync(lock, 'utf8')).toBe(before);
  }, 60000);

  test('--json carries the comparison', () => {
    const d = dir();
    const dist = synth(d, app(d, { router: 2 }), 'dist');
    writeFileSync(join(d, 'other.lock.json'), '{ "version": 1, "vrrpIds": { "ns/router": "3..4" } }');
    const { code, stdout } = run({ paths: [dist], lock: join(d, 'other.lock.json'), json: true });
    expect(code).toBe(3);
    expect(JSON.parse(stdout).lock).toEqual({
      file: join(d, 'other.lock.json'),
      changes: [{ instance: 'ns/router', status: 'renumbered', recorded: '3..4', planned: '1..2' }],
      renumbered: 1,
    });
  }, 60000);

  test('a lock it cannot read exits 2 naming the file and the entry', () => {
    const d = dir();
    writeFileSync(join(d, 'docs.yaml'), readFileSync(join(root, 'test/fixtures/docs-deployment.yaml')));
    expect(run({ paths: [d], lock: join(d, 'missing.json') })).toEqual({
      code: 2,
      stdout: '',
      stderr: `ipfailover plan: --lock: ${join(d, 'missing.json')}: no such file or directory (ENOENT)\n`,
    });
    writeFileSync(join(d, 'bad.json'), '{ "version": 1, "vrrpIds": { "default/x": "9..2" } }');
    expect(run({ paths: [d], lock: join(d, 'bad.json') })).toEqual({
      code: 2,
      stdout: '',
      stderr: `ipfailover plan: ${join(d, 'bad.json')}: 'vrrpIds["default/x"]' "9..2" has "9..2", which ends before it starts; write 2..9\n`,
    });
  });
});

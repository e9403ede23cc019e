/**
 * The package as users receive it: `npm pack` of the repository (built by its prepack script from
 * a tree without dist/), installed with `npm install <tarball>` into the two projects users start
 * from, laid out as their generators lay them out:
 * - `cdk8s init typescript-app` (cdk8s-cli's templates/typescript-app): `module: CommonJS` with no
 *   moduleResolution, so TypeScript resolves node10-style and never reads `exports`; the app runs
 *   through `npx ts-node main.ts`, which type-checks it; cdk8s-plus-33 beside the constructs;
 * - `pulumi new kubernetes-typescript` (pulumi/templates): `moduleResolution: node`, and only
 *   @pulumi/pulumi and @pulumi/kubernetes, no @pulumi/openstack. The current template's
 *   `nodenext` settings are type-checked as well.
 * Neither project sets `skipLibCheck`, so every declaration file we ship is type-checked.
 *
 * Run by `npm run test:consumer` (and .ci/run), not by `npm test`: it installs from the npm
 * registry (or the npm cache) for a minute or more.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

/**
 * Exact versions, current on the registry and installable on Node 20 (the @pulumi/pulumi line
 * after 3.248 needs Node 22). The cdk8s ones are what `cdk8s init` of cdk8s-cli 2.207.60 writes
 * (its template's ranges, resolved); the Pulumi ones match the template's ranges.
 */
const CDK8S_APP = {
  dependencies: { cdk8s: '2.70.106', 'cdk8s-plus-33': '2.5.57', constructs: '10.8.1' },
  devDependencies: {
    'cdk8s-cli': '2.207.60',
    '@types/node': '14.18.63',
    '@types/jest': '29.5.14',
    jest: '29.7.0',
    'ts-jest': '29.4.15',
    typescript: '5.9.3',
    'ts-node': '10.9.2',
  },
};
const PULUMI_APP = {
  dependencies: { '@pulumi/kubernetes': '4.34.2', '@pulumi/pulumi': '3.248.0' },
  devDependencies: { '@types/node': '18.19.130', typescript: '5.9.3' },
};

/** cdk8s-cli's templates/typescript-app/tsconfig.json, verbatim. */
const CDK8S_TSCONFIG = {
  compilerOptions: {
    alwaysStrict: true,
    declaration: true,
    experimentalDecorators: true,
    inlineSourceMap: true,
    inlineSources: true,
    lib: ['es2016'],
    module: 'CommonJS',
    noEmit: false,
    noEmitOnError: true,
    noFallthroughCasesInSwitch: true,
    noImplicitAny: true,
    noImplicitReturns: true,
    noImplicitThis: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    resolveJsonModule: true,
    strict: true,
    strictNullChecks: true,
    strictPropertyInitialization: true,
    stripInternal: true,
    target: 'ES2017',
  },
  include: ['**/*.ts'],
  exclude: ['node_modules'],
};

/** The template's main.ts, with the chart's body written. */
const CDK8S_MAIN = `import { Construct } from 'constructs';
import { App, Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { ExternalIpPool, HaService, IpFailover } from 'ipfailover/cdk8s';

export class MyChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = { }) {
    super(scope, id, props);

    new IpFailover(this, 'ipf-ha-router', {
      virtualIps: '203.0.113.101-105',
      monitorPort: 80,
      replicas: 3,
      nodeSelector: { 'ha-svc-nodes': 'geo-us-west' },
    });

    const cache = new kplus.Deployment(this, 'cache', {
      replicas: 2,
      hostNetwork: true,
      containers: [{ image: 'registry.example.com/cache:1.0', portNumber: 9736, securityContext: { ensureNonRoot: false } }],
    });
    new HaService(this, 'cache-vips', { exposure: 'hostNetwork', workload: cache, virtualIps: '203.0.113.110' });

    const pool = new ExternalIpPool(this, 'external-ips', { cidr: '192.0.2.0/29' });
    new HaService(this, 'web', { exposure: 'externalIp', pool, selector: { app: 'web' }, ports: [{ port: 8080 }] });
  }
}

const app = new App();
new MyChart(app, 'cdk8s-app');
app.synth();
`;

/** pulumi/templates kubernetes-typescript/tsconfig.json before it moved to nodenext, verbatim. */
const PULUMI_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: 'bin',
    target: 'es2020',
    module: 'commonjs',
    moduleResolution: 'node',
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ['index.ts'],
};

const PULUMI_INDEX = `import { IpFailover } from "ipfailover/pulumi";

export const router = new IpFailover("router", {
    virtualIps: "192.0.2.101-103",
    monitorPort: 1936,
    nodeSelector: { "node-role.kubernetes.io/infra": "" },
    // RHOSP: the VIPs as allowed address pairs, through the openstack CLI (no @pulumi/openstack).
    openstack: { portIds: ["ostest-abcde-worker-0", "ostest-abcde-worker-1"] },
});
export const vrrpIds = router.vrrpIds;
export const deploymentName = router.deployment.metadata.name;
`;

/**
 * Runs index.ts as the Pulumi CLI's Node.js language host does (@pulumi/pulumi's
 * cmd/run/run.js): the project's TypeScript, the project's ts-node or else the one vendored in
 * @pulumi/pulumi, registered with the project's tsconfig and type-checking, here against mocks
 * instead of an engine. Prints what was registered, as JSON.
 */
const PULUMI_MOCK_RUN = `const pulumi = require('@pulumi/pulumi');
const tsutils = require('@pulumi/pulumi/tsutils');
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
require(tsnodeRequire).register({ compiler: typescriptRequire, project: 'tsconfig.json' });
(async () => {
  const registered = [];
  await pulumi.runtime.setMocks({
    newResource: (a) => {
      const { __provider, ...inputs } = a.inputs;
      registered.push({ type: a.type, name: a.name, inputs, dynamicProvider: typeof __provider === 'string' });
      return { id: a.name + '-id', state: a.inputs };
    },
    call: (a) => { throw new Error('unexpected invoke ' + a.token); },
  }, 'pulumi-app', 'dev', false);
  const program = require('./index.ts');
  await new Promise((resolve) => program.router.allowedAddressPairs.urn.apply(resolve));
  const deploymentName = await new Promise((resolve) => program.deploymentName.apply(resolve));
  console.log(JSON.stringify({ registered, vrrpIds: program.vrrpIds, deploymentName, tsnode: tsnodeRequire }));
})().catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); });
`;

interface Run {
  readonly stdout: string;
  readonly stderr: string;
}

const durations: Array<[string, number]> = [];

/**
 * The environment of a user's shell: this process's, without what jest and `.ci/run` add (a test
 * runner's variables turn the VRRP ID lock off, `CI` freezes it), unless `extra` sets them again.
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env))
    if (/^(JEST_|VITEST|NODE_TEST_CONTEXT$|CI$|IPFAILOVER_LOCK_)/.test(name)) delete env[name];
  return { ...env, ...extra };
}

/** Runs a command in `cwd`, timed, as a user's shell would; fails with its output unless it exits 0. */
function run(
  label: string,
  command: string,
  args: readonly string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Run {
  const start = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // No upgrade or update checks: this machine reaches the npm registry and nothing else.
    env: userEnv({ CDK8S_CHECK_UPGRADE: 'false', NO_COLOR: '1', npm_config_update_notifier: 'false', ...extraEnv }),
  });
  const seconds = (Date.now() - start) / 1000;
  durations.push([label, seconds]);
  if (result.status !== 0) {
    throw new Error(
      `${label}: \`${command} ${args.join(' ')}\` in ${cwd} exited ${result.status ?? result.signal} after ${seconds.toFixed(1)} s\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

const INSTALL_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline'];

/** Writes a project's files. */
function writeProject(dir: string, files: Record<string, string | object>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

interface KubeObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string; value?: string }> }> } } };
}

/** The failover container's env of a Deployment, as a record. */
function envOf(deployment: KubeObject | undefined): Record<string, string | undefined> {
  const env = deployment?.spec?.template?.spec?.containers?.[0]?.env ?? [];
  return Object.fromEntries(env.map((e) => [e.name, e.value]));
}

let work: string;
let tarball: string;
/** What `npm pack` put in the tarball. */
let packedFiles: string[] = [];
/** The library's sources, as the copy that was packed has them. */
let sources: string[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ipfailover-consumer-'));
  // A fresh clone's files (tracked, and new ones not ignored), without dist/ or node_modules; the
  // repository's node_modules is linked in so prepack's build finds TypeScript.
  const src = join(work, 'src');
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  // (A node_modules or dist symlink is not matched by .gitignore's `dir/` patterns: skip them too.)
  const files = listed.stdout
    .split('\0')
    .filter((f) => f !== '' && !/^(node_modules|dist)(\/|$)/.test(f) && existsSync(join(ROOT, f)));
  for (const file of files) {
    mkdirSync(dirname(join(src, file)), { recursive: true });
    cpSync(join(ROOT, file), join(src, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
  expect(existsSync(join(src, 'dist'))).toBe(false);

  const packed = run('npm pack (prepack builds dist/)', 'npm', ['pack', '--json', '--pack-destination', work], src);
  const [info] = JSON.parse(packed.stdout) as Array<{
    filename: string;
    size: number;
    unpackedSize: number;
    files: Array<{ path: string }>;
  }>;
  tarball = join(work, info!.filename);
  packedFiles = info!.files.map((f) => f.path).sort();
  console.log(
    `${info!.filename}: ${packedFiles.length} files, ${(info!.size / 1024).toFixed(1)} KiB packed, ${(info!.unpackedSize / 1024).toFixed(1)} KiB unpacked`,
  );
  sources = files.filter((f) => /^lib\/.*\.ts$/.test(f));
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  console.log(`durations:\n${durations.map(([label, s]) => `  ${s.toFixed(1).padStart(6)} s  ${label}`).join('\n')}`);
});

test('the tarball holds the compiled library, its declarations and the README, and nothing else', () => {
  const compiled = sources.flatMap((f) => {
    const base = `dist/${relative('lib', f).replace(/\.ts$/, '')}`;
    return [`${base}.js`, `${base}.d.ts`];
  });
  const always = ['package.json', 'README.md', ...(existsSync(join(ROOT, 'LICENSE')) ? ['LICENSE'] : [])];
  expect(sources.length).toBeGreaterThan(10);
  expect(packedFiles).toEqual([...always, ...compiled].sort());
});

describe('a `cdk8s init typescript-app` project', () => {
  let dir: string;

  test('installs the tarball beside cdk8s-plus-33, with no peer dependency conflict', () => {
    dir = join(work, 'cdk8s-app');
    writeProject(dir, {
      'package.json': {
        name: 'cdk8s-app',
        version: '1.0.0',
        main: 'main.js',
        types: 'main.ts',
        license: 'Apache-2.0',
        private: true,
        scripts: {
          import: 'cdk8s import',
          synth: 'cdk8s synth',
          compile: 'tsc --build',
          watch: 'tsc --build -w',
          test: 'jest',
          build: 'npm run compile && npm run test && npm run synth',
          upgrade: 'npm i cdk8s@latest cdk8s-cli@latest',
          'upgrade:next': 'npm i cdk8s@next cdk8s-cli@next',
        },
        ...CDK8S_APP,
      },
      'tsconfig.json': CDK8S_TSCONFIG,
      // `imports: k8s` is what init writes; synth does not read it (`cdk8s import` would fetch
      // the Kubernetes schema from GitHub, which the app does not use).
      'cdk8s.yaml': 'language: typescript\napp: npx ts-node main.ts\nimports:\n  - k8s\n',
      'main.ts': CDK8S_MAIN,
    });
    const install = run('cdk8s project: npm install <tarball>', 'npm', ['install', ...INSTALL_FLAGS, tarball], dir);
    expect(`${install.stdout}\n${install.stderr}`).not.toMatch(/ERESOLVE|peer dep|cdk8s-plus-28/i);
    expect(JSON.parse(readFileSync(join(dir, 'node_modules', 'ipfailover', 'package.json'), 'utf8'))).toMatchObject({
      version: pkg.version,
    });
    expect(existsSync(join(dir, 'node_modules', 'cdk8s-plus-28'))).toBe(false);
  }, 600_000);

  test('compiles with the template tsconfig (node10 resolution, no skipLibCheck)', () => {
    run('cdk8s project: npm run compile', 'npm', ['run', 'compile'], dir);
    expect(existsSync(join(dir, 'main.js'))).toBe(true);
  }, 300_000);

  test('`cdk8s synth` runs the app through ts-node and writes the failover Deployments', () => {
    run('cdk8s project: npx cdk8s synth', 'npx', ['cdk8s', 'synth', '--no-check-upgrade'], dir);
    const objects = parseAllDocuments(readFileSync(join(dir, 'dist', 'cdk8s-app.k8s.yaml'), 'utf8')).map(
      (d) => d.toJS() as KubeObject,
    );
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    // cdk8s-plus names its Deployment with a hash; ours carry the construct ids.
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
      expect.stringMatching(/^cdk8s-app-cache-/),
      'ipf-cache-vips',
      'ipf-external-ips',
      'ipf-ha-router',
    ]);
    expect(envOf(deployments.find((d) => d.metadata.name === 'ipf-ha-router'))).toMatchObject({
      OPENSHIFT_HA_VIRTUAL_IPS: '203.0.113.101-105',
      OPENSHIFT_HA_VRRP_ID_OFFSET: '0',
      OPENSHIFT_HA_MONITOR_PORT: '80',
      OPENSHIFT_HA_REPLICA_COUNT: '3',
    });
    // The next instance's IDs follow the router's five, and it follows the cdk8s-plus-33
    // workload's replicas and port.
    expect(envOf(deployments.find((d) => d.metadata.name === 'ipf-cache-vips'))).toMatchObject({
      OPENSHIFT_HA_VIRTUAL_IPS: '203.0.113.110',
      OPENSHIFT_HA_VRRP_ID_OFFSET: '5',
      OPENSHIFT_HA_MONITOR_PORT: '9736',
      OPENSHIFT_HA_REPLICA_COUNT: '2',
    });
    expect(objects.find((o) => o.kind === 'Network')?.metadata.name).toBe('cluster');
  }, 300_000);

  test('the first synth writes the VRRP ID lock beside cdk8s.yaml; under CI the next one holds to it', () => {
    const lockPath = join(dir, 'ipfailover.lock.json');
    const lock = readFileSync(lockPath, 'utf8');
    expect(JSON.parse(lock)).toMatchObject({
      vrrpIds: { 'default/ipf-ha-router': '1..5', 'default/ipf-cache-vips': expect.stringMatching(/^6(\.\.\d+)?$/) },
    });
    // Unchanged under CI (frozen): the synth passes and the file is the same bytes.
    run('cdk8s project: CI=true npx cdk8s synth', 'npx', ['cdk8s', 'synth', '--no-check-upgrade'], dir, { CI: 'true' });
    expect(readFileSync(lockPath, 'utf8')).toBe(lock);
    // An instance the committed file does not record fails the synth under CI, naming it.
    const parsed = JSON.parse(lock) as { vrrpIds: Record<string, string> };
    delete parsed.vrrpIds['default/ipf-cache-vips'];
    writeFileSync(lockPath, JSON.stringify(parsed, null, 2));
    const frozen = spawnSync('npx', ['cdk8s', 'synth', '--no-check-upgrade'], {
      cwd: dir,
      encoding: 'utf8',
      env: userEnv({ CDK8S_CHECK_UPGRADE: 'false', NO_COLOR: '1', CI: 'true' }),
    });
    expect(frozen.status).not.toBe(0);
    expect(`${frozen.stdout}${frozen.stderr}`).toMatch(/default\/ipf-cache-vips VRRP IDs 6.*frozen/);
    // cdk8s empties dist/ before it synthesizes, so a failed synth leaves none: synth again.
    writeFileSync(lockPath, lock);
    run('cdk8s project: npx cdk8s synth', 'npx', ['cdk8s', 'synth', '--no-check-upgrade'], dir, { CI: 'true' });
    expect(readFileSync(lockPath, 'utf8')).toBe(lock);
  }, 300_000);

  test('the installed `ipfailover plan` reports the synthesized instances', () => {
    const plan = run('cdk8s project: npx ipfailover plan dist/', 'npx', ['ipfailover', 'plan', 'dist/'], dir);
    expect(plan.stdout).toMatch(/^INSTANCE\s+VIPS\s+GROUPS\s+VRRP IDS\s+MONITOR\s+REPLICAS$/m);
    expect(plan.stdout).toMatch(/^default\/ipf-ha-router\s+203\.0\.113\.101-105\s+5\s+1\.\.5\s+80\s+3$/m);
    expect(plan.stdout).toMatch(/^default\/ipf-cache-vips\s+203\.0\.113\.110\s+1\s+6\s+9736\s+2$/m);
    // Against the lock the synth wrote: nothing renumbered (exit 0).
    const locked = run(
      'cdk8s project: npx ipfailover plan --lock',
      'npx',
      ['ipfailover', 'plan', '--lock', 'ipfailover.lock.json', 'dist/'],
      dir,
    );
    expect(locked.stdout).toMatch(/^default\/ipf-ha-router\s/m);
  }, 120_000);
});

describe('a `pulumi new kubernetes-typescript` project without @pulumi/openstack', () => {
  let dir: string;

  test('installs the tarball', () => {
    dir = join(work, 'pulumi-app');
    writeProject(dir, {
      'package.json': { name: 'pulumi-app', main: 'index.ts', ...PULUMI_APP },
      'tsconfig.json': PULUMI_TSCONFIG,
      // The template as of pulumi/templates 81e6522 (2026): module and moduleResolution nodenext.
      'tsconfig.nodenext.json': {
        extends: './tsconfig.json',
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
      },
      'Pulumi.yaml': 'name: pulumi-app\ndescription: ipfailover consumer test\nruntime: nodejs\n',
      'index.ts': PULUMI_INDEX,
      'run-mocks.js': PULUMI_MOCK_RUN,
    });
    run('pulumi project: npm install <tarball>', 'npm', ['install', ...INSTALL_FLAGS, tarball], dir);
    expect(existsSync(join(dir, 'node_modules', 'ipfailover', 'dist', 'pulumi', 'index.js'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules', '@pulumi', 'openstack'))).toBe(false);
  }, 600_000);

  test('type-checks with `tsc --noEmit`, under node10 and nodenext resolution', () => {
    run('pulumi project: tsc --noEmit', 'npx', ['tsc', '--noEmit'], dir);
    run('pulumi project: tsc --noEmit (nodenext)', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.nodenext.json'], dir);
  }, 300_000);

  test('the program runs under Pulumi mocks and registers the failover Deployment', () => {
    const out = run('pulumi project: program under mocks', process.execPath, ['run-mocks.js'], dir);
    const result = JSON.parse(out.stdout.trim().split('\n').pop() as string) as {
      registered: Array<{
        type: string;
        name: string;
        inputs: KubeObject & Record<string, unknown>;
        dynamicProvider: boolean;
      }>;
      vrrpIds: number[];
      deploymentName: string;
      tsnode: string;
    };
    // No ts-node in the template: the language host's fallback, the one vendored in @pulumi/pulumi.
    expect(result.tsnode).toMatch(/@pulumi\/pulumi\/vendor\/ts-node@/);
    expect(result.vrrpIds).toEqual([1, 2, 3]);
    expect(result.deploymentName).toBe('router');
    const deployment = result.registered.find((r) => r.type === 'kubernetes:apps/v1:Deployment');
    expect(deployment?.name).toBe('router-deployment-router');
    expect(envOf(deployment?.inputs)).toMatchObject({
      OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.101-103',
      OPENSHIFT_HA_VRRP_ID_OFFSET: '0',
      OPENSHIFT_HA_MONITOR_PORT: '1936',
    });
    const pairs = result.registered.find((r) => r.type === 'pulumi-nodejs:dynamic/ipfailover:AllowedAddressPairs');
    expect(pairs).toMatchObject({
      name: 'router-allowed-address-pairs',
      dynamicProvider: true,
      inputs: { vips: ['192.0.2.101', '192.0.2.102', '192.0.2.103'] },
    });
    expect(result.registered.filter((r) => r.type.startsWith('openstack:'))).toEqual([]);
  }, 300_000);
});

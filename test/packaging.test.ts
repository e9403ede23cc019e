/**
 * Installing ipfailover for one framework must not need the other: each entry point is imported
 * from a throwaway project whose `node_modules` holds the built package, its dependencies, and
 * only that framework's peers. The other framework is really absent, so importing its entry
 * must fail on exactly that framework.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { nodePort } from './pulumi/fake-openstack';
import { fakeOpenstackBin } from './pulumi/fake-openstack-bin';

const ROOT = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

const CDK8S_PEERS = ['cdk8s', 'constructs'];
/** What every Pulumi user has; `@pulumi/openstack` is needed only to reserve VIPs on RHOSP. */
const PULUMI_PEERS = ['@pulumi/pulumi', '@pulumi/kubernetes'];
const OPENSTACK_PEER = '@pulumi/openstack';

let work: string;
let built: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ipfailover-packaging-'));
  built = join(work, 'dist');
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', built],
    { cwd: ROOT, stdio: 'pipe' },
  );
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A project with the package installed and the given peers beside its dependencies. */
function project(name: string, peers: readonly string[]): string {
  const dir = join(work, name);
  const modules = join(dir, 'node_modules');
  const self = join(modules, 'ipfailover');
  mkdirSync(self, { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(self, 'package.json'));
  cpSync(built, join(self, 'dist'), { recursive: true });
  for (const dep of [...Object.keys(pkg.dependencies), ...peers]) {
    const target = join(modules, dep);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), target, 'dir');
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true }));
  return dir;
}

/**
 * A project laid out like a real flat install: every package of ours except `exclude`, linked
 * in, and run with `--preserve-symlinks` so each package resolves its neighbours from the
 * project's `node_modules` as it would after `npm install`.
 */
function flatProject(name: string, exclude: readonly string[]): string {
  const dir = project(name, []);
  const modules = join(dir, 'node_modules');
  const source = join(ROOT, 'node_modules');
  const names = readdirSync(source).flatMap((entry) =>
    entry.startsWith('@') ? readdirSync(join(source, entry)).map((inner) => `${entry}/${inner}`) : [entry],
  );
  for (const dep of names) {
    if (dep.startsWith('.') || exclude.includes(dep) || Object.keys(pkg.dependencies).includes(dep)) continue;
    mkdirSync(dirname(join(modules, dep)), { recursive: true });
    symlinkSync(join(source, dep), join(modules, dep), 'dir');
  }
  return dir;
}

/** Requires `entry` in a fresh node process inside `dir`; returns its export names or the error. */
function load(dir: string, entry: string): { ok: true; exports: string[] } | { ok: false; error: string } {
  const script = `try { console.log(JSON.stringify({ ok: true, exports: Object.keys(require(${JSON.stringify(entry)})).sort() })); } catch (e) { console.log(JSON.stringify({ ok: false, error: String(e.message).split('\\n')[0] })); }`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' })) as ReturnType<
    typeof load
  >;
}

test('the framework peers are optional peer dependencies, not dependencies', () => {
  for (const peer of [...CDK8S_PEERS, ...PULUMI_PEERS, OPENSTACK_PEER]) {
    expect(pkg.dependencies[peer]).toBeUndefined();
    expect(pkg.peerDependencies[peer]).toBeDefined();
    expect(pkg.peerDependenciesMeta[peer]?.optional).toBe(true);
  }
});

test('with only the cdk8s peers, ipfailover and ipfailover/cdk8s load and ipfailover/pulumi needs Pulumi', () => {
  const dir = project('cdk8s-only', CDK8S_PEERS);
  expect(load(dir, 'ipfailover')).toMatchObject({
    ok: true,
    exports: expect.arrayContaining(['Planner', 'failoverObjects']),
  });
  expect(load(dir, 'ipfailover/cdk8s')).toMatchObject({ ok: true, exports: expect.arrayContaining(['IpFailover']) });
  expect(load(dir, 'ipfailover/pulumi')).toEqual({
    ok: false,
    error: expect.stringMatching(/^Cannot find module '@pulumi\//),
  });
}, 60_000);

test('cdk8s-plus is not a peer: the library imports none, so a project on any cdk8s-plus-NN line gets no peer warning', () => {
  const sources = readdirSync(join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );
  expect(sources.length).toBeGreaterThan(10);
  const importing = sources.filter((f) =>
    /(from|require\(|import\()\s*'cdk8s-plus/.test(readFileSync(join(ROOT, 'lib', f), 'utf8')),
  );
  expect(importing).toEqual([]);
  expect(Object.keys(pkg.peerDependencies).filter((name) => name.startsWith('cdk8s-plus'))).toEqual([]);
});

test('with only the Pulumi peers (no @pulumi/openstack), ipfailover and ipfailover/pulumi load and ipfailover/cdk8s needs cdk8s', () => {
  const dir = project('pulumi-only', PULUMI_PEERS);
  expect(load(dir, 'ipfailover')).toMatchObject({ ok: true, exports: expect.arrayContaining(['Planner']) });
  expect(load(dir, 'ipfailover/pulumi')).toMatchObject({
    ok: true,
    exports: expect.arrayContaining(['IpFailover', 'configureFailoverPlanner']),
  });
  expect(load(dir, 'ipfailover/cdk8s')).toEqual({
    ok: false,
    error: expect.stringMatching(/^Cannot find module '(cdk8s|constructs)'/),
  });
}, 60_000);

/**
 * A Pulumi program, under mocks, in a project without `@pulumi/openstack`: an instance with
 * allowed address pairs only (the CLI-backed resource), then one that reserves its VIPs.
 */
const WITHOUT_OPENSTACK = `
const pulumi = require('@pulumi/pulumi');
(async () => {
  const types = [];
  await pulumi.runtime.setMocks({ newResource: (a) => { types.push(a.type); return { id: a.name + '-id', state: a.inputs }; }, call: (a) => { throw new Error('unexpected invoke ' + a.token); } }, 'p', 's', true);
  const { IpFailover, Planner } = require('ipfailover/pulumi');
  const planner = new Planner();
  const pairs = new IpFailover('pairs', { virtualIps: '192.0.2.10', planner, openstack: { portIds: ['master-0'] } });
  await new Promise((resolve) => pairs.allowedAddressPairs.urn.apply(resolve));
  let error;
  try {
    new IpFailover('reserved', { virtualIps: '192.0.2.11', planner, openstack: { portIds: ['master-0'], reserveOn: { networkId: 'net-1', subnetId: 'subnet-1' } } });
  } catch (e) {
    error = { name: e.constructor.name, message: e.message };
  }
  console.log(JSON.stringify({ types: [...new Set(types)].sort(), error }));
})().catch((e) => { console.log(JSON.stringify({ crashed: String(e && e.stack) })); });
`;

test('without @pulumi/openstack, allowed address pairs work and openstack.reserveOn fails naming the package to install', () => {
  const dir = project('pulumi-no-openstack', PULUMI_PEERS);
  writeFileSync(join(dir, 'program.js'), WITHOUT_OPENSTACK);
  const out = execFileSync(process.execPath, ['program.js'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  const result = JSON.parse(out.trim().split('\n').pop() as string) as {
    crashed?: string;
    types: string[];
    error?: { name: string; message: string };
  };
  expect(result.crashed).toBeUndefined();
  expect(result.types).toEqual(
    expect.arrayContaining([
      'ipfailover:index:IpFailover',
      'kubernetes:apps/v1:Deployment',
      'pulumi-nodejs:dynamic/ipfailover:AllowedAddressPairs',
    ]),
  );
  expect(result.types.filter((t) => t.startsWith('openstack:'))).toEqual([]);
  expect(result.error).toEqual({
    name: 'ResourceError',
    message:
      "reserved: 'openstack.reserveOn' needs the package @pulumi/openstack (the reservation ports are its resources), which is not installed; run `npm install @pulumi/openstack`, or leave reserveOn out",
  });
}, 60_000);

test('the Pulumi declarations never name @pulumi/openstack, so programs without it type-check', () => {
  const declarations = readdirSync(join(built, 'pulumi')).filter((f) => f.endsWith('.d.ts'));
  expect(declarations).toContain('ip-failover.d.ts');
  // An import or import type of the package, in any form tsc emits (comments may mention it).
  const naming = declarations.filter((f) =>
    /(from\s+|import\(|require\()["']@pulumi\/openstack["']/.test(readFileSync(join(built, 'pulumi', f), 'utf8')),
  );
  expect(naming).toEqual([]);
});

test('with no framework at all, the core entry loads', () => {
  const dir = project('core-only', []);
  expect(load(dir, 'ipfailover')).toMatchObject({
    ok: true,
    exports: expect.arrayContaining(['Planner', 'parseVirtualIps', 'toEnv']),
  });
  // The stored RHOSP provider's entry point: exactly what it runs, and none of it in the root entry.
  const provider = load(dir, 'ipfailover/internal/openstack');
  expect(provider).toEqual({
    ok: true,
    exports: [
      'checkOpenStackPorts',
      'formatIssues',
      'parsePortShow',
      'planPortPairs',
      'portChangeArgs',
      'portShowArgs',
    ],
  });
  expect(load(dir, 'ipfailover')).toMatchObject({ ok: true, exports: expect.not.arrayContaining(['planPortPairs']) });
}, 60_000);

/**
 * The RHOSP resource's provider is serialized into the state and loaded by Pulumi's dynamic
 * provider host without the program, so it must work from an installed package: it may require
 * only what the package exports. (The temp directory's name contains "ipfailover" on purpose:
 * Pulumi's serializer maps a captured module of a package to the wrong package.json when the
 * project path contains the package name, which is why the provider requires the core by name.)
 */
const SERIALIZED_PROVIDER = `
const pulumi = require('@pulumi/pulumi');
(async () => {
  const recorded = [];
  await pulumi.runtime.setMocks({ newResource: (a) => { recorded.push(a); return { id: a.name + '-id', state: a.inputs }; }, call: (a) => { throw new Error('unexpected invoke ' + a.token); } }, 'p', 's', false);
  const { IpFailover, Planner } = require('ipfailover/pulumi');
  const failover = new IpFailover('db', { virtualIps: '192.0.2.10', planner: new Planner(), openstack: { portIds: ['master-0'], cli: process.env.FAKE_OPENSTACK } });
  await new Promise((resolve) => failover.allowedAddressPairs.urn.apply(resolve));
  const pairs = recorded.find((r) => r.type === 'pulumi-nodejs:dynamic/ipfailover:AllowedAddressPairs');
  const text = pairs.inputs.__provider;
  // Load it as the dynamic provider host does.
  const requireFromString = require(require.resolve('require-from-string', { paths: [require.resolve('@pulumi/pulumi')] }));
  const provider = requireFromString(text).handler();
  const { __provider, ...inputs } = pairs.inputs;
  const { id, outs } = await provider.create(inputs);
  await provider.delete(id, outs);
  const requires = [...new Set([...text.matchAll(/require\\(["']([^"']+)["']\\)/g)].map((m) => m[1]))].sort();
  console.log(JSON.stringify({ requires, outs }));
})().catch((e) => { console.log(JSON.stringify({ error: String(e && e.stack) })); });
`;

test('the serialized RHOSP provider loads from the installed package and runs the CLI', () => {
  const dir = flatProject('pulumi-provider', [...CDK8S_PEERS, 'cdk8s-plus-28', 'cdk8s-cli']);
  writeFileSync(join(dir, 'provider.js'), SERIALIZED_PROVIDER);
  const bin = fakeOpenstackBin();
  try {
    const port = nodePort('master-0', 'fa:16:3e:31:f9:cb');
    bin.write({ 'master-0': port });
    const out = execFileSync(process.execPath, ['--preserve-symlinks', 'provider.js'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, FAKE_OPENSTACK: bin.program },
    });
    const result = JSON.parse(out.trim().split('\n').pop() as string) as {
      error?: string;
      requires: string[];
      outs: { keptPairs: Record<string, string[]> };
    };
    expect(result.error).toBeUndefined();
    // Only exported entry points and built-ins: never a path inside the package.
    for (const name of result.requires) expect(name).not.toMatch(/^ipfailover\/(dist|lib)\//);
    expect(result.requires).toContain('ipfailover/internal/openstack');
    expect(result.outs.keptPairs).toEqual({ 'master-0': ['192.168.0.5', '192.168.0.7'] });
    const { ports, log } = bin.read();
    expect(ports['master-0']).toEqual(port);
    expect(log.map((c) => c[1])).toEqual(['show', 'set', 'show', 'unset']);
  } finally {
    bin.remove();
  }
}, 60_000);

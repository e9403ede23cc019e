/**
 * Installing ipfailover for one framework must not need the other: each entry point is imported
 * from a throwaway project whose `node_modules` holds the built package, its dependencies, and
 * only that framework's peers. The other framework is really absent, so importing its entry
 * must fail on exactly that framework.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

const CDK8S_PEERS = ['cdk8s', 'cdk8s-plus-28', 'constructs'];
const PULUMI_PEERS = ['@pulumi/pulumi', '@pulumi/kubernetes', '@pulumi/openstack'];

let work: string;
let built: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ipfailover-packaging-'));
  built = join(work, 'dist');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', built], { cwd: ROOT, stdio: 'pipe' });
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

/** Requires `entry` in a fresh node process inside `dir`; returns its export names or the error. */
function load(dir: string, entry: string): { ok: true; exports: string[] } | { ok: false; error: string } {
  const script = `try { console.log(JSON.stringify({ ok: true, exports: Object.keys(require(${JSON.stringify(entry)})).sort() })); } catch (e) { console.log(JSON.stringify({ ok: false, error: String(e.message).split('\\n')[0] })); }`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' })) as ReturnType<typeof load>;
}

test('the framework peers are optional peer dependencies, not dependencies', () => {
  for (const peer of [...CDK8S_PEERS, ...PULUMI_PEERS]) {
    expect(pkg.dependencies[peer]).toBeUndefined();
    expect(pkg.peerDependencies[peer]).toBeDefined();
    expect(pkg.peerDependenciesMeta[peer]?.optional).toBe(true);
  }
});

test('with only the cdk8s peers, ipfailover and ipfailover/cdk8s load and ipfailover/pulumi needs Pulumi', () => {
  const dir = project('cdk8s-only', CDK8S_PEERS);
  expect(load(dir, 'ipfailover')).toMatchObject({ ok: true, exports: expect.arrayContaining(['Planner', 'failoverObjects']) });
  expect(load(dir, 'ipfailover/cdk8s')).toMatchObject({ ok: true, exports: expect.arrayContaining(['IpFailover']) });
  expect(load(dir, 'ipfailover/pulumi')).toEqual({ ok: false, error: expect.stringMatching(/^Cannot find module '@pulumi\//) });
}, 60_000);

test('with only the Pulumi peers, ipfailover and ipfailover/pulumi load and ipfailover/cdk8s needs cdk8s', () => {
  const dir = project('pulumi-only', PULUMI_PEERS);
  expect(load(dir, 'ipfailover')).toMatchObject({ ok: true, exports: expect.arrayContaining(['Planner']) });
  expect(load(dir, 'ipfailover/pulumi')).toMatchObject({ ok: true, exports: expect.arrayContaining(['IpFailover', 'configureFailoverPlanner']) });
  expect(load(dir, 'ipfailover/cdk8s')).toEqual({ ok: false, error: expect.stringMatching(/^Cannot find module '(cdk8s|constructs|cdk8s-plus-28)'/) });
}, 60_000);

test('with no framework at all, the core entry loads', () => {
  const dir = project('core-only', []);
  expect(load(dir, 'ipfailover')).toMatchObject({ ok: true, exports: expect.arrayContaining(['Planner', 'parseVirtualIps', 'toEnv']) });
}, 60_000);

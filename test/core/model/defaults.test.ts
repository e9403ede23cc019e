import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DEFAULT_IMAGE, DEFAULTS } from '../../../lib/core/model/defaults';
import { normalize } from '../../../lib/core/spec/normalize';

const root = join(__dirname, '..', '..', '..');

/** The source of one interface in props.ts. */
function interfaceBody(name: string): string {
  const source = readFileSync(join(root, 'lib/core/model/props.ts'), 'utf8');
  const start = source.indexOf(`export interface ${name} `);
  return source.slice(start, source.indexOf('\n}\n', start) + 3);
}

/** The `@default` value of each prop of IpFailoverOptions, by prop name. */
function documentedDefaults(): Map<string, string> {
  const source = interfaceBody('IpFailoverOptions');
  const found = new Map<string, string>();
  const re = /@default ([^\n]*)\n\s*\*\/\n\s*readonly (\w+)\?/g;
  for (let m = re.exec(source); m; m = re.exec(source)) found.set(m[2]!, m[1]!.trim());
  return found;
}

describe('documented defaults', () => {
  const documented = documentedDefaults();

  test.each(['IpFailoverOptions', 'ExternalIpPoolProps', 'HaServicePort', 'HaServiceOptions'])(
    'every optional prop of %s states a default',
    (name) => {
      const body = interfaceBody(name);
      const optional = [...body.matchAll(/readonly (\w+)\?:/g)].map((m) => m[1]!);
      const stated = [...body.matchAll(/@default [^\n]*(\n\s*\*(?! @)[^\n]*)*\n\s*\*\/\n\s*readonly (\w+)\?/g)].map(
        (m) => m[2]!,
      );
      expect(optional.filter((prop) => !stated.includes(prop))).toEqual([]);
    },
  );

  test.each(
    Object.entries({
      networkInterface: `'${DEFAULTS.networkInterface}'`,
      monitorPort: String(DEFAULTS.monitorPort),
      replicas: String(DEFAULTS.replicas),
      nodeSelector: `{ 'node-role.kubernetes.io/worker': '' }`,
      iptablesChain: `'${DEFAULTS.iptablesChain}'`,
      checkIntervalSeconds: String(DEFAULTS.checkIntervalSeconds),
      advertIntervalSeconds: String(DEFAULTS.advertIntervalSeconds),
      serviceAccountName: `'${DEFAULTS.serviceAccountName}'`,
      strategy: `'${DEFAULTS.strategy}'`,
    }),
  )('the @default of %s is the value in DEFAULTS', (prop, value) => {
    expect(documented.get(prop)).toBe(value);
  });

  test('preemption and image defaults are documented as applied', () => {
    expect(documented.get('preemption')).toBe(
      `{ delaySeconds: ${DEFAULTS.preemptDelaySeconds} } (\`preempt_delay ${DEFAULTS.preemptDelaySeconds}\`)`,
    );
    expect(documented.get('image')).toContain(`'${DEFAULT_IMAGE}'`);
    expect(DEFAULTS.nodeSelector).toEqual({ 'node-role.kubernetes.io/worker': '' });
  });

  test('the default image is tagged with the package version', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(DEFAULT_IMAGE.endsWith(`:${version}`)).toBe(true);
  });
});

describe('import boundary', () => {
  const coreDir = join(root, 'lib/core');
  const coreFiles = readdirSync(coreDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));

  /** The layers of lib/core, lowest first: a file imports only from its own layer or a lower one. */
  const LAYERS: Record<string, number> = {
    support: 0,
    model: 1,
    rules: 2,
    env: 3,
    spec: 4,
    plan: 5,
    node: 5,
    emit: 6,
    openstack: 7,
  };

  function importsOf(file: string): Array<{ typeOnly: boolean; from: string }> {
    const source = readFileSync(join(coreDir, file), 'utf8');
    return [...source.matchAll(/^(?:import|export) (type )?[^'"]*?from ['"]([^'"]+)['"]/gm)].map((m) => ({
      typeOnly: !!m[1],
      from: m[2]!,
    }));
  }

  test('every file sits in a known layer', () => {
    expect(coreFiles.length).toBeGreaterThan(20);
    expect(coreFiles.filter((f) => !(f.split('/')[0]! in LAYERS) || !f.includes('/'))).toEqual([]);
  });

  test.each(coreFiles)('lib/core/%s imports no framework and does no I/O', (file) => {
    const imports = importsOf(file);
    const runtime = imports.filter((i) => !i.typeOnly).map((i) => i.from);
    expect(runtime.filter((from) => !from.startsWith('.') && from !== 'ipaddr.js')).toEqual([]);
    // Types of the schema packages only (the objects are checked against them; nothing of theirs ships).
    const schemaTypes = ['kubernetes-models/', '@kubernetes-models/prometheus-operator/'];
    expect(
      imports.filter((i) => i.typeOnly && !i.from.startsWith('.') && !schemaTypes.some((p) => i.from.startsWith(p))),
    ).toEqual([]);
    expect(readFileSync(join(coreDir, file), 'utf8')).not.toMatch(/\bprocess\.|\brequire\(/);
  });

  test.each(coreFiles)('lib/core/%s imports only from its layer or a lower one', (file) => {
    const layer = file.split('/')[0]!;
    const upward = importsOf(file)
      .filter((i) => i.from.startsWith('.'))
      .map((i) => relative(coreDir, join(coreDir, dirname(file), i.from)))
      .filter((target) => {
        const targetLayer = target.split('/')[0]!;
        return targetLayer !== layer && !(LAYERS[targetLayer]! < LAYERS[layer]!);
      });
    expect(upward).toEqual([]);
  });
});

describe('README props table', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Props of `IpFailover`'));
  const rows = new Map(
    [...table.matchAll(/^\| `(\w+)`[^|]*\|[^|]*\| (.*) \|$/gm)].map((m) => [m[1]!, m[2]!.replace(/`/g, '')]),
  );
  const documented = documentedDefaults();

  test('lists every prop of IpFailoverOptions', () => {
    const props = [...interfaceBody('IpFailoverOptions').matchAll(/readonly (\w+)\??:/g)].map((m) => m[1]!);
    expect(props.filter((p) => !rows.has(p))).toEqual([]);
  });

  test.each([...documented].filter(([, d]) => !d.startsWith('-')))('states the @default of %s', (prop, value) => {
    expect(value.startsWith(rows.get(prop) ?? '(missing)')).toBe(true);
  });
});

describe('defaults are valid', () => {
  test('every default passes the check a given value gets (normalize checks only given props)', () => {
    const context = { path: 'app/a', id: 'a' };
    const given = {
      networkInterface: DEFAULTS.networkInterface,
      monitorPort: DEFAULTS.monitorPort,
      replicas: DEFAULTS.replicas,
      nodeSelector: DEFAULTS.nodeSelector,
      iptablesChain: DEFAULTS.iptablesChain,
      preemption: { delaySeconds: DEFAULTS.preemptDelaySeconds },
      checkIntervalSeconds: DEFAULTS.checkIntervalSeconds,
      advertIntervalSeconds: DEFAULTS.advertIntervalSeconds,
      image: DEFAULTS.image,
      serviceAccountName: DEFAULTS.serviceAccountName,
      strategy: DEFAULTS.strategy,
    };
    const explicit = normalize({ virtualIps: '192.0.2.1', ...given }, context);
    expect(explicit.issues).toEqual([]);
    expect(explicit).toEqual(normalize({ virtualIps: '192.0.2.1' }, context));
  });
});

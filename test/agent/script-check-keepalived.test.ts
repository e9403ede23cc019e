/**
 * The agent's script check against the real keepalived (2.2.7): every script the agent accepts,
 * keepalived runs and reports succeeded without a warning; every script it refuses, keepalived
 * disables, fails, or — for a failed exec — silently counts as passed. One keepalived daemon (as
 * root, with the rendered `global_defs`: script security, `script_user nobody`) tracks one
 * `vrrp_script` per case, in a throwaway network namespace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeScriptFs, resolveScriptUser, scriptProblem } from '../../lib/agent/script-check';
import { fromEnv } from '../../lib/core/env/env-contract';
import { renderKeepalivedConf } from '../../lib/core/node/keepalived-conf';
import { sh, skipReason, waitFor } from '../e2e/cluster';
import { makeScriptTree } from './script-files';

const reason = skipReason();
const suite = reason === undefined ? describe : describe.skip;
if (reason !== undefined) console.warn(`script check against keepalived skipped: ${reason}`);

const NS = 'ipfsc-test';

/** What keepalived made of a script, from its log. */
type Outcome = 'succeeded' | 'disabled' | 'failing';

/** Each case: a file of {@link makeScriptTree}, the agent's verdict, and what keepalived does with it. */
const CASES: ReadonlyArray<{ name: string; script: string; accepted: boolean; keepalived: Outcome }> = [
  { name: 'mode 0755', script: 'good.sh', accepted: true, keepalived: 'succeeded' },
  { name: 'ConfigMap layout (links to ..data)', script: 'cm/check.sh', accepted: true, keepalived: 'succeeded' },
  { name: 'writable by everyone, run as nobody', script: 'open.sh', accepted: true, keepalived: 'succeeded' },
  { name: 'mode 0644', script: 'plain.sh', accepted: false, keepalived: 'disabled' },
  { name: 'missing', script: 'missing.sh', accepted: false, keepalived: 'disabled' },
  { name: 'dangling link', script: 'dangling.sh', accepted: false, keepalived: 'disabled' },
  { name: 'in a directory nobody cannot search', script: 'private/check.sh', accepted: false, keepalived: 'disabled' },
  { name: 'set-uid root and writable by others', script: 'suid.sh', accepted: false, keepalived: 'disabled' },
  { name: 'mode 0711 (the shell cannot read it)', script: 'noread.sh', accepted: false, keepalived: 'failing' },
  // A failed exec counts as a passed check in keepalived 2.2.7: health checking silently off.
  { name: 'a directory', script: 'dir.sh', accepted: false, keepalived: 'succeeded' },
  {
    name: 'an interpreter the machine lacks (the body would exit 1)',
    script: 'interp.sh',
    accepted: false,
    keepalived: 'succeeded',
  },
];

/** The `global_defs` block the agent renders. */
function renderedGlobalDefs(): string {
  const read = fromEnv({
    OPENSHIFT_HA_VIRTUAL_IPS: '192.0.2.100',
    OPENSHIFT_HA_MONITOR_PORT: '0',
    OPENSHIFT_HA_CONFIG_NAME: 'sc',
  });
  if (!read.ok) throw new Error(JSON.stringify(read.issues));
  const rendered = renderKeepalivedConf(read.settings, { address: '192.0.2.1', name: 'n' });
  if (!rendered.ok) throw new Error(JSON.stringify(rendered.issues));
  const start = rendered.config.indexOf('global_defs {');
  return rendered.config.slice(start, rendered.config.indexOf('\n}\n', start) + 3);
}

function config(dir: string): string {
  const blocks = CASES.map((c, i) =>
    [
      `vrrp_script chk_${i} {\n  script "${join(dir, c.script)}"\n  interval 1\n  timeout 1\n  fall 1\n  rise 1\n}`,
      `vrrp_instance vi_${i} {\n  interface eth0\n  virtual_router_id ${i + 1}\n  priority 100\n  advert_int 1\n  track_script {\n    chk_${i}\n  }\n  virtual_ipaddress {\n    192.0.2.${100 + i} dev eth0\n  }\n}`,
    ].join('\n'),
  );
  return `${renderedGlobalDefs()}${blocks.join('\n')}\n`;
}

/** keepalived's verdict on case i, or undefined while it has said nothing about it. */
function outcomeOf(log: string, i: number, path: string): Outcome | undefined {
  const lines = log.split('\n');
  const about = (l: string): boolean =>
    l.includes(`chk_${i} `) ||
    l.includes(`chk_${i})`) ||
    l.includes(`chk_${i}\``) ||
    l.includes(`'${path}'`) ||
    l.includes(` ${path} `);
  if (lines.some((l) => about(l) && /disabling|Disabling|WARNING|Unsafe|cannot be accessed/.test(l))) return 'disabled';
  if (lines.some((l) => l.includes(`Script \`chk_${i}\` now returning`))) return 'failing';
  if (lines.some((l) => l.includes(`VRRP_Script(chk_${i}) succeeded`))) return 'succeeded';
  return undefined;
}

suite(`the script check agrees with keepalived${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let dir: string;
  let log = '';

  beforeAll(async () => {
    dir = makeScriptTree();
    writeFileSync(join(dir, 'keepalived.conf'), config(dir));
    spawnSync('ip', ['netns', 'del', NS]);
    sh('ip', 'netns', 'add', NS);
    sh('ip', '-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
    sh('ip', '-n', NS, 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0');
    sh('ip', '-n', NS, 'link', 'set', 'eth0', 'up');
    const daemon = spawn(
      'ip',
      [
        'netns',
        'exec',
        NS,
        'keepalived',
        '--dont-fork',
        '--log-console',
        '--no-syslog',
        '--vrrp',
        '-f',
        join(dir, 'keepalived.conf'),
        '-p',
        join(dir, 'k.pid'),
        '-r',
        join(dir, 'v.pid'),
        '-c',
        join(dir, 'c.pid'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise((resolve) => daemon.on('exit', resolve));
    daemon.stdout.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    daemon.stderr.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    try {
      await waitFor(
        'a verdict on every script',
        () => CASES.every((c, i) => outcomeOf(log, i, join(dir, c.script)) !== undefined),
        15_000,
      );
    } finally {
      daemon.kill('SIGTERM');
      await exited;
    }
  }, 30_000);

  afterAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const path = join(dir, c.script);
    const problem = scriptProblem(path, resolveScriptUser('nobody', nodeScriptFs), nodeScriptFs);
    expect({ accepted: problem === undefined, keepalived: outcomeOf(log, i, path) }).toEqual({
      accepted: c.accepted,
      keepalived: c.keepalived,
    });
  });
});

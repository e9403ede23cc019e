/** Builds the fake `openstack` CLI (fake-openstack.ts) as an executable in a temp directory. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import type { CommandLog, FakeNeutron } from './fake-openstack';

export interface FakeOpenstackBin {
  /** Directory holding the `openstack` executable: put it first on PATH. */
  readonly dir: string;
  /** Absolute path of the executable. */
  readonly program: string;
  /** Environment for a process that should find the fake. */
  readonly env: Record<string, string>;
  /** Sets the ports the next commands see. */
  write(ports: FakeNeutron): void;
  /** The ports and the commands run since the last write. */
  read(): { ports: FakeNeutron; log: CommandLog };
  remove(): void;
}

export function fakeOpenstackBin(): FakeOpenstackBin {
  const dir = mkdtempSync(join(tmpdir(), 'ipfailover-openstack-'));
  const source = readFileSync(join(__dirname, 'fake-openstack.ts'), 'utf8');
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  writeFileSync(join(dir, 'fake.js'), `${js}\nmain(require('fs'));\n`);
  const state = join(dir, 'state.json');
  // The state file is baked in, so the fake works from processes that do not inherit our env.
  writeFileSync(
    join(dir, 'openstack'),
    `#!/bin/sh\nFAKE_OPENSTACK_STATE=${JSON.stringify(state)} exec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(dir, 'fake.js'))} "$@"\n`,
  );
  chmodSync(join(dir, 'openstack'), 0o755);
  return {
    dir,
    program: join(dir, 'openstack'),
    env: { PATH: `${dir}:/usr/bin:/bin`, FAKE_OPENSTACK_STATE: state },
    write: (ports) => writeFileSync(state, JSON.stringify({ ports, log: [] })),
    read: () => JSON.parse(readFileSync(state, 'utf8')) as { ports: FakeNeutron; log: CommandLog },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

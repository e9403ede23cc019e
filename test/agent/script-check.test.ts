import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  nodeScriptFs,
  resolveScriptUser,
  scriptIssues,
  scriptProblem,
  type ScriptUser,
} from '../../lib/agent/script-check';
import { formatIssue } from '../../lib/core/model/issues';
import { FakeFs } from './fakes';
import { makeScriptTree, OK_SCRIPT as OK } from './script-files';

const NOBODY: ScriptUser = { name: 'nobody', uid: 65534, gid: 65534 };
const ROOT: ScriptUser = { name: 'root', uid: 0, gid: 0 };

/** The problem text, or 'runs' when keepalived would run the script. */
function verdict(fs: FakeFs, path: string, user: ScriptUser = NOBODY): string {
  const found = scriptProblem(path, user, fs);
  return found === undefined ? 'runs' : `${found.problem}; ${found.fix}`;
}

describe('scriptProblem (fake file system)', () => {
  test("the docs' layout runs: a ConfigMap volume's link to ..data, mode 0755", () => {
    const fs = new FakeFs().configMapVolume('/etc/keepalive', { 'mycheckscript.sh': OK });
    expect(verdict(fs, '/etc/keepalive/mycheckscript.sh')).toBe('runs');
  });

  test('missing, or a link to nothing: says which, and how to mount it', () => {
    const fs = new FakeFs({
      '/etc/keepalive': { kind: 'dir', mode: 0o755 },
      '/etc/keepalive/gone.sh': { kind: 'link', target: 'nowhere.sh' },
    });
    expect(verdict(fs, '/etc/keepalive/check.sh')).toBe(
      'does not exist; mount the script at that path in the pod (a ConfigMap volume with defaultMode 0755, as the docs do) or correct the path',
    );
    expect(verdict(fs, '/opt/none/check.sh')).toMatch(/^does not exist;/);
    expect(verdict(fs, '/etc/keepalive/gone.sh')).toMatch(/^is a symbolic link to a file that does not exist;/);
  });

  test('a directory, or a path through a file, is refused', () => {
    const fs = new FakeFs().configMapVolume('/etc/keepalive', { 'check.sh': OK });
    fs.entries.set('/etc/keepalive/sub', { kind: 'dir', mode: 0o755 });
    expect(verdict(fs, '/etc/keepalive/sub')).toBe(
      'is a directory, not a script; point the variable at the script file itself',
    );
    expect(verdict(fs, '/etc/keepalive/check.sh/x')).toMatch(/^goes through a file as if it were a directory;/);
  });

  test('what the agent itself cannot look up: a directory it may not search (it runs as nobody in our image), a loop of links', () => {
    const fs = new FakeFs({
      '/etc/keepalive': { kind: 'dir', mode: 0o755 },
      '/etc/keepalive/a.sh': { kind: 'link', target: 'b.sh' },
      '/etc/keepalive/b.sh': { kind: 'link', target: 'a.sh' },
    });
    expect(verdict(fs, '/etc/keepalive/a.sh')).toBe(
      'is a loop of symbolic links; point the variable at the script file itself',
    );
    fs.realpath = (path: string): string => {
      throw Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
    };
    expect(verdict(fs, '/etc/keepalive/check.sh')).toBe(
      'cannot be reached: a directory on the way is not searchable; make every directory above it searchable by nobody (chmod o+x)',
    );
  });

  test('a ConfigMap mounted with mode 0644 is refused, naming the user, the mode and the fix', () => {
    const fs = new FakeFs().configMapVolume('/etc/keepalive', { 'check.sh': OK }, 0o644);
    expect(verdict(fs, '/etc/keepalive/check.sh')).toBe(
      'is not readable and executable by nobody (uid 65534, gid 65534) (mode 0644, owner 0:0); make it mode 0755 (in a ConfigMap volume: defaultMode: 0755)',
    );
  });

  test('execute alone is not enough: the shell must read the script (0711 fails every run)', () => {
    const fs = new FakeFs({
      '/opt': { kind: 'dir', mode: 0o755 },
      '/opt/check.sh': { kind: 'file', mode: 0o711, text: OK },
    });
    expect(verdict(fs, '/opt/check.sh')).toMatch(/^is not readable and executable by nobody/);
  });

  test("permissions are the class the user falls in, as keepalived's is_executable: owner, else group, else others", () => {
    const fs = new FakeFs({
      '/opt': { kind: 'dir', mode: 0o755 },
      '/opt/mine.sh': { kind: 'file', mode: 0o700, uid: 65534, text: OK },
      '/opt/group.sh': { kind: 'file', mode: 0o750, gid: 65534, text: OK },
      // Others may, but nobody is in the file's group, which may not: refused, as by the kernel.
      '/opt/group-denied.sh': { kind: 'file', mode: 0o705, gid: 65534, text: OK },
      // The owner may not, even though others may.
      '/opt/owner-denied.sh': { kind: 'file', mode: 0o055, uid: 65534, text: OK },
      '/opt/root-only.sh': { kind: 'file', mode: 0o700, text: OK },
    });
    expect(
      ['mine', 'group', 'group-denied', 'owner-denied', 'root-only'].map((f) => verdict(fs, `/opt/${f}.sh`) === 'runs'),
    ).toEqual([true, true, false, false, false]);
  });

  test('every directory on the way, including where the link points, must be searchable by the user', () => {
    const fs = new FakeFs({
      '/secret': { kind: 'dir', mode: 0o700 },
      '/secret/check.sh': { kind: 'file', mode: 0o755, text: OK },
      '/etc/keepalive': { kind: 'dir', mode: 0o755 },
      '/etc/keepalive/check.sh': { kind: 'link', target: '/secret/check.sh' },
    });
    const expected =
      'cannot be reached by nobody (uid 65534, gid 65534): directory /secret (mode 0700, owner 0:0) is not searchable by that user; make /secret searchable by nobody (chmod o+x), or mount the script elsewhere';
    expect(verdict(fs, '/secret/check.sh')).toBe(expected);
    expect(verdict(fs, '/etc/keepalive/check.sh')).toBe(expected);
    expect(verdict(fs, '/secret/check.sh', ROOT)).toBe('runs');
  });

  test('writable by others is fine when it runs as nobody (keepalived 2.2.7 checks safety only for root), measured', () => {
    const fs = new FakeFs({
      '/tmp': { kind: 'dir', mode: 0o777 },
      '/tmp/check.sh': { kind: 'file', mode: 0o777, text: OK },
    });
    expect(verdict(fs, '/tmp/check.sh')).toBe('runs');
  });

  test('a set-uid root script is checked as keepalived does: unsafe when it or a directory above is writable by others', () => {
    const fs = new FakeFs({
      '/opt': { kind: 'dir', mode: 0o755 },
      '/opt/suid.sh': { kind: 'file', mode: 0o4777, text: OK },
      '/opt/safe-suid.sh': { kind: 'file', mode: 0o4755, text: OK },
      '/shared': { kind: 'dir', mode: 0o777 },
      '/shared/suid.sh': { kind: 'file', mode: 0o4755, text: OK },
      '/home': { kind: 'dir', mode: 0o755, uid: 1000 },
      '/home/suid.sh': { kind: 'file', mode: 0o4755, text: OK },
      '/sticky': { kind: 'dir', mode: 0o1777 },
      '/sticky/suid.sh': { kind: 'file', mode: 0o4755, text: OK },
    });
    expect(verdict(fs, '/opt/suid.sh')).toMatch(
      /^is unsafe to keepalived, which runs it with root privileges: \/opt\/suid\.sh \(mode 4777, owner 0:0\)/,
    );
    expect(verdict(fs, '/opt/safe-suid.sh')).toBe('runs');
    expect(verdict(fs, '/shared/suid.sh')).toMatch(
      /: \/shared \(mode 0777, owner 0:0\) is writable by others; make \/shared owned by root/,
    );
    expect(verdict(fs, '/home/suid.sh')).toMatch(/: \/home \(mode 0755, owner 1000:0\) is not owned by root;/);
    // A sticky directory is exempt, as in keepalived.
    expect(verdict(fs, '/sticky/suid.sh')).toBe('runs');
  });

  test('as a root script user, any x bit runs it, and safety covers the link and its target', () => {
    const fs = new FakeFs().configMapVolume('/etc/keepalive', { 'check.sh': OK }, 0o744);
    // The volume's root is mode 0777: keepalived refuses it for a root script user.
    expect(verdict(fs, '/etc/keepalive/check.sh', ROOT)).toMatch(
      /^is unsafe to keepalived.*: \/etc\/keepalive \(mode 0777, owner 0:0\)/,
    );
    fs.entries.set('/etc/keepalive', { kind: 'dir', mode: 0o755 });
    expect(verdict(fs, '/etc/keepalive/check.sh', ROOT)).toBe('runs');
    fs.entries.set('/etc/keepalive/..2026_01_01_00_00_00.000000001', { kind: 'dir', mode: 0o757 });
    expect(verdict(fs, '/etc/keepalive/check.sh', ROOT)).toMatch(
      /: \/etc\/keepalive\/\.\.2026_01_01_00_00_00\.000000001 \(mode 0757/,
    );
  });

  test('a #! interpreter the image does not have is refused: keepalived would count every failed exec as a passed check', () => {
    const fs = new FakeFs().configMapVolume('/etc/keepalive', {
      'bash.sh': '#!/bin/bash\nexit 0\n',
      'sh.sh': '#! /bin/sh -e\nexit 0\n',
      'plain.sh': 'exit 0\n',
    });
    expect(verdict(fs, '/etc/keepalive/bash.sh')).toBe(
      'starts with #!/bin/bash, which is not a program nobody can run in this image; use an interpreter the image has, such as #!/bin/sh or #!/bin/bash',
    );
    expect(verdict(fs, '/etc/keepalive/sh.sh')).toBe('runs');
    // Without #!, keepalived runs it through the shell.
    expect(verdict(fs, '/etc/keepalive/plain.sh')).toBe('runs');
    fs.entries.set('/bin/bash', { kind: 'file', mode: 0o755 });
    expect(verdict(fs, '/etc/keepalive/bash.sh')).toBe('runs');
  });
});

describe('resolveScriptUser', () => {
  test("nobody's ids from /etc/passwd, as keepalived's getpwnam", () => {
    const fs = new FakeFs();
    fs.entries.set('/etc/passwd', {
      kind: 'file',
      mode: 0o644,
      text: 'root:x:0:0::/root:/bin/sh\nnobody:x:99:99:Nobody:/:/sbin/nologin\n',
    });
    expect(resolveScriptUser('nobody', fs)).toEqual({ name: 'nobody', uid: 99, gid: 99 });
  });

  test('65534 when the user or the file is missing', () => {
    const fs = new FakeFs();
    expect(resolveScriptUser('keepalived_script', fs)).toEqual({ name: 'keepalived_script', uid: 65534, gid: 65534 });
    fs.entries.delete('/etc/passwd');
    expect(resolveScriptUser('nobody', fs)).toEqual({ name: 'nobody', uid: 65534, gid: 65534 });
  });
});

describe('scriptIssues', () => {
  test('names the variable of each script that cannot run; no script, no look-up', () => {
    const fs = new FakeFs().configMapVolume('/etc/keepalive', { 'check.sh': OK });
    const settings = { checkScript: '/etc/keepalive/check.sh', notifyScript: '/etc/keepalive/notify.sh' };
    expect(scriptIssues(settings as never, fs).map(formatIssue)).toEqual([
      '\'OPENSHIFT_HA_NOTIFY_SCRIPT\' "/etc/keepalive/notify.sh" does not exist; mount the script at that path in the pod (a ConfigMap volume with defaultMode 0755, as the docs do) or correct the path',
    ]);
    const untouched = new FakeFs();
    untouched.entries.clear();
    expect(scriptIssues({} as never, untouched)).toEqual([]);
  });
});

describe('scriptProblem (real files)', () => {
  let dir: string;
  const user = resolveScriptUser('nobody', nodeScriptFs);

  beforeAll(() => {
    dir = makeScriptTree();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['good.sh', 'runs'],
    ['cm/check.sh', 'runs'],
    ['plain.sh', 'is not readable and executable by nobody'],
    ['missing.sh', 'does not exist'],
    ['dir.sh', 'is a directory, not a script'],
    ['dangling.sh', 'is a symbolic link to a file that does not exist'],
    ['private/check.sh', 'cannot be reached by nobody'],
  ])('%s: %s', (file, expected) => {
    const found = scriptProblem(join(dir, file), user, nodeScriptFs);
    expect(found?.problem.slice(0, expected.length) ?? 'runs').toBe(expected);
  });
});

/**
 * Check and notify scripts in the core: the three source forms, their validation, the path each
 * lands on, and the scripts volume of the Deployment.
 */
import { formatIssues } from '../../../lib/core/model/issues';
import { failoverObjects } from '../../../lib/core/emit/manifests';
import { type KubeObject } from '../../../lib/core/model/kube-object';
import { Planner } from '../../../lib/core/plan/planner';
import type { IpFailoverOptions } from '../../../lib/core/model/props';
import { planRemoval } from '../../../lib/core/emit/removal-jobs';
import { validateAgainstSchema } from '../../support/schema';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const INLINE = { inline: '#!/bin/sh\nexit 0\n' };
const context = { path: 'app/edge', id: 'edge' };

/** Every object of one instance, or the formatted issues when it is refused. */
function objectsOf(props: Partial<IpFailoverOptions>): KubeObject[] {
  const { plan, issues } = new Planner().add({ virtualIps: '192.0.2.10', ...props }, context);
  if (!plan) throw new Error(formatIssues(issues));
  return failoverObjects(plan);
}

function issuesOf(props: Partial<IpFailoverOptions> | Record<string, unknown>): string {
  return formatIssues(new Planner().add({ virtualIps: '192.0.2.10', ...props } as IpFailoverOptions, context).issues);
}

const pod = (objects: KubeObject[]): Obj => (objects.find((o) => o.kind === 'Deployment') as Obj).spec.template.spec;
const scriptsVolume = (objects: KubeObject[]): Obj | undefined =>
  pod(objects).volumes.find((v: Obj) => v.name === 'config-volume');
const envOf = (objects: KubeObject[]): Record<string, string> =>
  Object.fromEntries(pod(objects).containers[0].env.map((e: Obj) => [e.name, e.value]));
const kinds = (objects: KubeObject[]): string[] => objects.map((o) => `${o.kind}/${o.metadata.name}`);

describe('script sources', () => {
  test("a key of the user's ConfigMap runs as /etc/keepalive/<key>, as in the docs", () => {
    const objects = objectsOf({ checkScript: { configMap: 'mycustomcheck', key: 'mycheckscript.sh' } });
    expect(envOf(objects).OPENSHIFT_HA_CHECK_SCRIPT).toBe('/etc/keepalive/mycheckscript.sh');
    // The user's ConfigMap is theirs: not created here.
    expect(kinds(objects).filter((k) => k.startsWith('ConfigMap/'))).toEqual([]);
  });

  test('inline scripts alone keep the documented shape: one configMap volume, mode 0755', () => {
    const objects = objectsOf({ checkScript: INLINE, notifyScript: { inline: '#!/bin/sh\nlogger "$@"\n' } });
    expect(scriptsVolume(objects)).toEqual({
      name: 'config-volume',
      configMap: { name: 'edge-scripts', defaultMode: 0o755 },
    });
    expect(pod(objects).containers[0].volumeMounts).toContainEqual({
      name: 'config-volume',
      mountPath: '/etc/keepalive',
    });
  });

  test("with a user's ConfigMap: one projected volume at /etc/keepalive, ours first, each user key at its own name", () => {
    const objects = objectsOf({
      checkScript: { configMap: 'mycustomcheck', key: 'check.sh' },
      notifyScript: { inline: '#!/bin/sh\nlogger "$@"\n' },
    });
    expect(scriptsVolume(objects)).toEqual({
      name: 'config-volume',
      projected: {
        defaultMode: 0o755,
        sources: [
          { configMap: { name: 'edge-scripts' } },
          { configMap: { name: 'mycustomcheck', items: [{ key: 'check.sh', path: 'check.sh' }] } },
        ],
      },
    });
    expect(pod(objects).containers[0].volumeMounts.filter((m: Obj) => m.mountPath === '/etc/keepalive')).toEqual([
      { name: 'config-volume', mountPath: '/etc/keepalive' },
    ]);
    expect(envOf(objects)).toMatchObject({
      OPENSHIFT_HA_CHECK_SCRIPT: '/etc/keepalive/check.sh',
      OPENSHIFT_HA_NOTIFY_SCRIPT: '/etc/keepalive/notify.sh',
    });
    expect((objects.find((o) => o.kind === 'ConfigMap') as Obj).data).toEqual({
      'notify.sh': '#!/bin/sh\nlogger "$@"\n',
    });
  });

  test('two keys of one ConfigMap are one source; the same key for both scripts is mounted once', () => {
    const two = objectsOf({
      checkScript: { configMap: 'ha', key: 'check.sh' },
      notifyScript: { configMap: 'ha', key: 'notify.sh' },
    });
    expect(scriptsVolume(two)!.projected.sources).toEqual([
      {
        configMap: {
          name: 'ha',
          items: [
            { key: 'check.sh', path: 'check.sh' },
            { key: 'notify.sh', path: 'notify.sh' },
          ],
        },
      },
    ]);
    const same = objectsOf({
      checkScript: { configMap: 'ha', key: 'all.sh' },
      notifyScript: { configMap: 'ha', key: 'all.sh' },
    });
    expect(scriptsVolume(same)!.projected.sources).toEqual([
      { configMap: { name: 'ha', items: [{ key: 'all.sh', path: 'all.sh' }] } },
    ]);
    const apart = objectsOf({
      checkScript: { configMap: 'a', key: 'check.sh' },
      notifyScript: { configMap: 'b', key: 'notify.sh' },
    });
    expect(scriptsVolume(apart)!.projected.sources.map((s: Obj) => s.configMap.name)).toEqual(['a', 'b']);
  });

  test('a path script mounts nothing', () => {
    const objects = objectsOf({ checkScript: { path: '/usr/local/bin/check' } });
    expect(scriptsVolume(objects)).toBeUndefined();
    expect(pod(objects).containers[0].volumeMounts.map((m: Obj) => m.name)).not.toContain('config-volume');
  });

  test('the projected Deployment validates against the Kubernetes schema', () => {
    const objects = objectsOf({
      checkScript: { configMap: 'mycustomcheck', key: 'mycheckscript.sh' },
      notifyScript: INLINE,
    });
    for (const obj of objects) expect(() => validateAgainstSchema(obj)).not.toThrow();
    // The oracle is awake: a projected source it does not know is refused.
    const broken = structuredClone(objects.find((o) => o.kind === 'Deployment')!) as Obj;
    scriptsVolume([broken as KubeObject])!.projected.sources[0].configMap.items = [{ key: 'x' }];
    expect(() => validateAgainstSchema(broken as KubeObject)).toThrow(/path/);
  });

  test("removal lists only our own scripts ConfigMap, never the user's", () => {
    const nodes = ['worker-0'];
    const userOnly = planRemoval(
      { virtualIps: '192.0.2.10', nodes, checkScript: { configMap: 'mycustomcheck', key: 'check.sh' } },
      context,
    );
    expect(userOnly.configMapsToDelete).toEqual([]);
    const both = planRemoval(
      {
        virtualIps: '192.0.2.10',
        nodes,
        checkScript: { configMap: 'mycustomcheck', key: 'check.sh' },
        notifyScript: INLINE,
      },
      context,
    );
    expect(both.configMapsToDelete).toEqual(['edge-scripts']);
  });
});

describe('script source validation', () => {
  test.each([
    [
      { checkScript: { configMap: 'My_Checks', key: 'check.sh' } },
      `app/edge: 'checkScript.configMap' "My_Checks" is not a valid name; use lower-case letters, digits, "-" and "."`,
    ],
    [
      { notifyScript: { configMap: 'ha', key: '../etc/shadow' } },
      `app/edge: 'notifyScript.key' "../etc/shadow" is not a ConfigMap key usable as a file name; use letters, digits, "-", "_" and "." (not starting with ".."), such as mycheckscript.sh`,
    ],
    [{ checkScript: { configMap: 'ha', key: '..data' } }, /'checkScript\.key' "\.\.data" is not a ConfigMap key/],
    [{ checkScript: { configMap: 'ha', key: 'a b.sh' } }, /'checkScript\.key' "a b\.sh" is not a ConfigMap key/],
    [{ checkScript: { configMap: 'ha' } }, /'checkScript\.key' \(unset\) is not a ConfigMap key/],
    [{ checkScript: { configMap: 42, key: 'check.sh' } }, /'checkScript\.configMap' 42 is not a valid name/],
    [
      { checkScript: { key: 'check.sh' } },
      /'checkScript' \{"key":"check\.sh"\} has neither inline, path nor configMap; give \{ inline: "#!\/bin\/sh\\n…" \}, \{ path: "\/abs\/path" \} or \{ configMap: "name", key: "script\.sh" \}/,
    ],
    [
      { checkScript: { inline: '#!/bin/sh\n', configMap: 'ha', key: 'c.sh' } },
      /'checkScript' .* gives inline and configMap at once/,
    ],
    [{ checkScript: 'check.sh' }, /'checkScript' "check\.sh" is not a script/],
    [{ notifyScript: ['#!/bin/sh'] }, /'notifyScript' \["#!\/bin\/sh"\] is not a script/],
  ])('refuses %j, naming the field, the value and the fix (never a TypeError)', (props, message) => {
    expect(issuesOf(props as Record<string, unknown>)).toMatch(message);
  });

  test('refuses a key longer than Kubernetes allows (253)', () => {
    expect(issuesOf({ checkScript: { configMap: 'ha', key: 'k'.repeat(253) } })).toBe('');
    expect(issuesOf({ checkScript: { configMap: 'ha', key: 'k'.repeat(254) } })).toMatch(
      /'checkScript\.key' "k+… is not a ConfigMap key/,
    );
  });

  test.each([
    [
      "a user key on the inline notify script's file",
      { checkScript: { configMap: 'ha', key: 'notify.sh' }, notifyScript: INLINE },
      `app/edge: 'checkScript.key' "notify.sh" lands on /etc/keepalive/notify.sh, as the inline notifyScript does; give the two scripts different file names`,
    ],
    [
      "a user key on the inline check script's file",
      { checkScript: INLINE, notifyScript: { configMap: 'ha', key: 'check.sh' } },
      `app/edge: 'notifyScript.key' "check.sh" lands on /etc/keepalive/check.sh, as the inline checkScript does; give the two scripts different file names`,
    ],
    [
      'one key from two ConfigMaps',
      { checkScript: { configMap: 'a', key: 'ha.sh' }, notifyScript: { configMap: 'b', key: 'ha.sh' } },
      `app/edge: 'notifyScript.key' "ha.sh" lands on /etc/keepalive/ha.sh, as the checkScript from ConfigMap "a" does; give the two scripts different file names`,
    ],
  ])('refuses two scripts on one file: %s', (_name, props, message) => {
    expect(issuesOf(props)).toBe(message);
  });

  test.each([
    [
      'a user check.sh beside an inline notify',
      { checkScript: { configMap: 'ha', key: 'check.sh' }, notifyScript: INLINE },
    ],
    [
      'the same key of one ConfigMap for both',
      { checkScript: { configMap: 'ha', key: 'ha.sh' }, notifyScript: { configMap: 'ha', key: 'ha.sh' } },
    ],
    [
      'a path beside a user key',
      { checkScript: { path: '/etc/keepalive/x.sh' }, notifyScript: { configMap: 'ha', key: 'x.sh' } },
    ],
  ])('accepts %s', (_name, props) => {
    expect(issuesOf(props)).toBe('');
  });
});

describe('a { path } script inside the scripts mount', () => {
  test('is refused when the other script mounts the volume over it', () => {
    expect(issuesOf({ checkScript: { path: '/etc/keepalive/mycheck.sh' }, notifyScript: INLINE })).toBe(
      'app/edge: \'checkScript.path\' "/etc/keepalive/mycheck.sh" is hidden by the scripts volume this instance mounts at /etc/keepalive; give the script as { configMap, key }, or keep it outside /etc/keepalive',
    );
    expect(
      issuesOf({
        checkScript: { configMap: 'mine', key: 'check.sh' },
        notifyScript: { path: '/etc/keepalive/notify.sh' },
      }),
    ).toMatch(/^app\/edge: 'notifyScript.path' .* is hidden by the scripts volume/);
  });

  test('is fine when nothing is mounted there (the docs mount their own ConfigMap and give the path)', () => {
    expect(
      issuesOf({
        checkScript: { path: '/etc/keepalive/mycheck.sh' },
        notifyScript: { path: '/usr/local/bin/notify.sh' },
      }),
    ).toBe('');
    expect(issuesOf({ checkScript: { path: '/etc/keepalive/mycheck.sh' } })).toBe('');
  });
});

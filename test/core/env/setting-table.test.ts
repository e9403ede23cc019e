/**
 * Every setting row carried end to end: its example value through props → spec, settings → env
 * → settings, and settings → plan's props → spec. A row that one path drops or mishandles fails
 * here; a setting without a row (or a row without a setting) does not compile.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromEnv, toEnv } from '../../../lib/core/env/env-contract';
import { normalize } from '../../../lib/core/spec/normalize';
import { propsOfSettings } from '../../../lib/core/plan/plan-report';
import { rowOf, SETTING_KEYS, type AgentSettings, type SettingKey } from '../../../lib/core/env/setting-table';

/** Settings made of every row's default, with the VIPs and name a valid instance needs. */
function baseSettings(): AgentSettings {
  const defaults = Object.fromEntries(
    SETTING_KEYS.map((key) => [key, rowOf(key).default]).filter(([, value]) => value !== undefined),
  );
  return { ...defaults, configName: 'ipf', virtualIps: ['192.0.2.1', '192.0.2.2'], vipGroups: 2 } as AgentSettings;
}

/** The base with one setting at its row's example. */
const withExample = (key: SettingKey): AgentSettings => ({ ...baseSettings(), [key]: rowOf(key).example });

describe.each(SETTING_KEYS)('setting %s', (key) => {
  const row = rowOf(key);
  const settings = withExample(key);

  test('its example is not its default, so carrying it proves something', () => {
    expect(row.example).not.toEqual(row.default);
    expect(row.example).not.toEqual(row.envDefault ?? row.default);
  });

  test('settings → env → settings gives it back', () => {
    const read = fromEnv(Object.fromEntries(toEnv(settings).map((v) => [v.name, v.value])));
    expect(read).toEqual({ ok: true, settings });
  });

  test('the env names its variable', () => {
    expect(toEnv(settings).map((v) => v.name)).toContain(row.env);
  });

  test("plan's props give it back through the normalizer (no default re-planned)", () => {
    const { vrrpIdOffset, ...agent } = settings;
    const props = { name: settings.configName, ...propsOfSettings(settings) };
    const normalized = normalize(props, { path: 'app/subject', id: 'subject' });
    expect(normalized.issues).toEqual([]);
    // Without a prop (HA_EXCLUDED_VRRP_IDS) the constructs always write the default.
    expect(normalized.spec?.settings).toEqual(row.prop === undefined ? { ...agent, [key]: row.default } : agent);
    expect(normalized.spec?.requestedVrrpIdOffset).toBe(vrrpIdOffset);
  });
});

describe('README props table', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  test.each(SETTING_KEYS.filter((key) => rowOf(key).prop !== undefined && key !== 'configName'))(
    "names the variable of %s on its prop's line",
    (key) => {
      const row = rowOf(key);
      const line = readme.split('\n').find((l) => l.startsWith(`| \`${row.prop}\``));
      expect(line).toContain(`\`${row.env}\``);
    },
  );
});

/**
 * The `OPENSHIFT_HA_*` environment: the single writer ({@link toEnv}, used by the constructs)
 * and the single reader ({@link fromEnv}, used by the agent). The names and meanings are
 * OpenShift's; our own additions use the `IPFAILOVER_` prefix so Red Hat's image ignores them.
 * Both run over the setting table (`setting-table.ts`), one row per variable.
 *
 * Reading follows the reference image where it is sound ("unset and empty both mean the
 * default") and is strict where it was not: every bad value is an issue naming the variable.
 */
import { LISTEN_ADDRESS_ENV } from '../model/agent-endpoints';
import { NODE_NAME_ENV } from '../model/pod-layout';
import { toIssues, type Issue, type Problem } from '../model/issues';
import { checkIdRange, crossCheck } from './setting-rules';
import {
  ENV_READ_ORDER,
  keysInOrder,
  rowOf,
  SETTING_KEYS,
  type AgentSettings,
  type AnySettingRow,
  type SettingKey,
} from './setting-table';

export { USE_UNICAST_ENV } from './setting-table';

/** The environment variable of each setting. */
export const ENV_NAMES: Readonly<Record<SettingKey, string>> = Object.fromEntries(
  SETTING_KEYS.map((key) => [key, rowOf(key).env]),
) as Record<SettingKey, string>;

/** Variables Red Hat's image reads that change nothing here (e-mail, selector, nft flag). */
const ACCEPTED_UNUSED = [
  'OPENSHIFT_HA_SELECTOR',
  'OPENSHIFT_HA_ADMIN_EMAILS',
  'OPENSHIFT_HA_SMTP_SERVER',
  'OPENSHIFT_HA_NFTABLES_RULE',
];

/** Variables each pod carries that are no setting of the instance: its own IP (the agent's endpoints) and node name. */
export const POD_VARIABLES: readonly string[] = [LISTEN_ADDRESS_ENV, NODE_NAME_ENV];

/** One `name`/`value` pair, in the order a Deployment lists them. */
export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

/**
 * The environment of a failover container, in the order of the documented Deployment. Every
 * variable is written, defaults included, so the Deployment says everything it means; only
 * absent optional settings (and empty lists whose unset meaning is the same) write none.
 */
export function toEnv(settings: AgentSettings): EnvVar[] {
  return SETTING_KEYS.flatMap((key) => variablesOf(rowOf(key), settings[key]));
}

/** The variables of one setting: its companion first, then its own unless its text is `undefined`. */
function variablesOf(row: AnySettingRow, value: AgentSettings[SettingKey]): EnvVar[] {
  if (value === undefined) return [];
  const companion = row.companion ? [{ name: row.companion.env, value: row.companion.format(value) }] : [];
  const text = row.format ? row.format(value) : String(value);
  return text === undefined ? companion : [...companion, { name: row.env, value: text }];
}

/** What reading an environment gives: settings when it is valid, else every issue. */
export type EnvRead =
  { readonly ok: true; readonly settings: AgentSettings } | { readonly ok: false; readonly issues: readonly Issue[] };

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the settings' variables one by one, collecting every problem. */
class EnvReader {
  readonly issues: Issue[] = [];

  constructor(private readonly env: Env) {}

  /** The raw value, `undefined` when unset or empty (the reference's `${VAR:-default}`). */
  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  report(name: string, problems: ReadonlyArray<Problem | undefined>): void {
    this.issues.push(
      ...toIssues(
        '',
        name,
        problems.filter((p): p is Problem => p !== undefined),
      ),
    );
  }

  /** One setting's value: read, checked, settled against those read before it, its companion checked. */
  setting(row: AnySettingRow, read: Partial<AgentSettings>): AgentSettings[SettingKey] {
    const text = this.raw(row.env);
    const value = text === undefined ? this.unset(row) : this.parsed(row, text);
    const settled = row.settle ? row.settle(value, read) : value;
    if (row.companion) this.report(row.companion.env, [row.companion.check(this.raw(row.companion.env), settled)]);
    return settled;
  }

  /** An unset variable: its documented default, or a problem when it is required. */
  private unset(row: AnySettingRow): AgentSettings[SettingKey] {
    if (row.required) this.report(row.env, [{ value: undefined, ...row.required }]);
    return this.fallback(row);
  }

  /** A set variable: parsed and checked; a bad one is reported and stands in as the default. */
  private parsed(row: AnySettingRow, text: string): AgentSettings[SettingKey] {
    const result = row.parse ? row.parse(text) : { value: text };
    if ('problems' in result) {
      this.report(row.env, result.problems);
      return this.fallback(row);
    }
    this.report(row.env, [row.check?.(result.value)]);
    return result.value;
  }

  /** What an unset variable means. */
  private fallback(row: AnySettingRow): AgentSettings[SettingKey] {
    return 'envDefault' in row ? row.envDefault : row.default;
  }
}

/** Finds variables with our prefixes that nobody reads, such as a misspelt name. */
function unknownVariables(env: Env): Issue[] {
  const companions = SETTING_KEYS.flatMap((key) => rowOf(key).companion?.env ?? []);
  const known = new Set<string>([...Object.values(ENV_NAMES), ...companions, ...ACCEPTED_UNUSED, ...POD_VARIABLES]);
  return Object.keys(env)
    .filter((name) => /^(OPENSHIFT_HA_|IPFAILOVER_)/.test(name) && !known.has(name))
    .sort()
    .map((name) => ({
      path: '',
      field: name,
      value: env[name],
      problem: 'is not a variable ipfailover knows',
      fix: 'check the spelling or remove it',
    }));
}

/**
 * Reads and validates a failover environment. Unset and empty mean the documented default.
 * Returns every problem at once, each naming its variable.
 */
export function fromEnv(env: Env): EnvRead {
  const reader = new EnvReader(env);
  const read: Partial<Record<SettingKey, unknown>> = {};
  // Read in the order problems have always been reported in: the agent prints the first in full.
  for (const key of keysInOrder(ENV_READ_ORDER)) read[key] = reader.setting(rowOf(key), read as Partial<AgentSettings>);
  const settings = read as unknown as AgentSettings;
  const issues = [...reader.issues, ...unknownVariables(env)];
  if (issues.length === 0) {
    for (const p of [...crossCheck(settings), ...checkIdRange(settings)])
      issues.push({ path: '', field: ENV_NAMES[p.key], value: p.value, problem: p.problem, fix: p.fix });
  }
  return issues.length === 0 ? { ok: true, settings: stripUndefined(settings) } : { ok: false, issues };
}

/** Drops unset optional keys so a read-back equals the settings it was written from. */
function stripUndefined(settings: AgentSettings): AgentSettings {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as unknown as AgentSettings;
}

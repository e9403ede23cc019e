/**
 * A problem found in the props of one instance, or in an agent's environment.
 *
 * Core never throws on bad input: it returns issues, and each front end reports all of them at
 * once (cdk8s through validation, Pulumi as one `ResourceError`, the agent as one exit line).
 */
export interface Issue {
  /** Construct path, Pulumi component name, or `''` for an agent environment. */
  readonly path: string;
  /** The prop (`vrrpIdOffset`) or environment variable (`OPENSHIFT_HA_MONITOR_PORT`) at fault. */
  readonly field: string;
  /** The bad value as given. */
  readonly value: unknown;
  /** What is wrong, lower-case, no trailing period (`overlaps 'Router' (IDs 8..12)`). */
  readonly problem: string;
  /** How to fix it (`use 13 (first free)`). */
  readonly fix: string;
}

/** A problem before it is attached to a path and a field: what the field validators return. */
export interface Problem {
  readonly value: unknown;
  readonly problem: string;
  readonly fix: string;
}

/** Attaches a path and field to problems. */
export function toIssues(path: string, field: string, problems: readonly Problem[]): Issue[] {
  return problems.map((p) => ({ path, field, ...p }));
}

const MAX_VALUE_CHARS = 80;

/**
 * Renders a value for a message: numbers bare, strings JSON-quoted so a newline or quote in bad
 * input shows as an escape and cannot forge extra lines of output.
 */
/** The allowed values of a choice as a fix says them: `'a', 'b' or 'c'`. */
export function quotedChoices(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  return quoted.length < 2 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

export function formatValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return '(unset)';
  let text: string;
  try {
    // A bigint inside a list or object is written as JavaScript writes it, not refused.
    text =
      JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? `${inner}n` : inner)) ??
      String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** `'field' value problem; fix` — the form cdk8s prefixes with `[path] `. */
export function formatIssueWithoutPath(issue: Issue): string {
  return `'${issue.field}' ${formatValue(issue.value)} ${issue.problem}; ${issue.fix}`;
}

/** `path: 'field' value problem; fix`, or without the path when it is empty (agent env). */
export function formatIssue(issue: Issue): string {
  const body = formatIssueWithoutPath(issue);
  return issue.path ? `${issue.path}: ${body}` : body;
}

/** One issue per line. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map(formatIssue).join('\n');
}

/** Whether a parse result is a {@link Problem} rather than a value. */
export function isProblem(x: unknown): x is Problem {
  return typeof x === 'object' && x !== null && 'problem' in x && 'fix' in x;
}

/**
 * Reading the Prometheus text exposition format (0.0.4), as the agents write it, for `ipfailover
 * status`. Only samples whose name has a given prefix are kept; comments, other metrics and
 * lines it cannot read are skipped, never thrown on. The text comes from the network: the
 * caller bounds its size, and this bounds what it keeps.
 */

/** One sample: `name{label="value",…} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** At most this many samples are kept from one text (an agent with 255 groups writes about 2,000). */
export const MAX_SAMPLES = 20_000;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };

/** Reads `{a="x",b="y"}` from the start of `text`; the labels and what follows, or `undefined`. */
function readLabels(text: string): { labels: Record<string, string>; rest: string } | undefined {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (name === undefined || text[i + name.length] !== '=' || text[i + name.length + 1] !== '"') return undefined;
    i += name.length + 2;
    let value = '';
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === '\\') {
        const escaped = ESCAPES[text[i + 1] ?? ''];
        if (escaped === undefined) return undefined;
        value += escaped;
        i++;
      } else value += text[i];
    }
    if (i >= text.length) return undefined;
    i++; // the closing quote
    if (!Object.prototype.hasOwnProperty.call(labels, name)) labels[name] = value;
  }
}

/** A sample value: a float, or `+Inf`, `-Inf`, `NaN`. */
function readValue(text: string): number | undefined {
  const token = text.trim().split(/\s+/)[0] ?? '';
  if (token === '+Inf') return Infinity;
  if (token === '-Inf') return -Infinity;
  if (token === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(token)) return undefined;
  return Number(token);
}

/** The samples of `text` whose metric name starts with `prefix`, in order, at most {@link MAX_SAMPLES}. */
export function parseMetrics(text: string, prefix: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (samples.length >= MAX_SAMPLES) break;
    if (!line.startsWith(prefix)) continue;
    const name = NAME.exec(line)?.[0];
    if (name === undefined) continue;
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const read = readLabels(rest);
      if (read === undefined) continue;
      ({ labels, rest } = read);
    }
    const value = readValue(rest);
    if (value !== undefined) samples.push({ name, labels, value });
  }
  return samples;
}

/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: it throws on any
 * line a scraper would reject or misread. (The parse-prometheus-text-format package was evaluated and
 * accepts "a total 3", "3 4 5 6" and a value of "abc": too lenient to catch a broken exposition.)
 * Checks: HELP/TYPE syntax, TYPE before the family's samples and once, metric and label names, label
 * value escapes, float values, counters not negative, histograms with cumulative buckets ending in +Inf
 * equal to _count, and _sum present.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | undefined;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?\s+(\S+)(?:\s+(-?\d+))?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"\s*(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function value(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value "${text}" in: ${line}`);
  return Number(text);
}

function labels(block: string | undefined, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!block || block === '{}') return out;
  const body = block.slice(1, -1);
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < body.length) {
    const m = LABEL.exec(body);
    if (!m) throw new Error(`bad labels in: ${line}`);
    if (m[1]! in out) throw new Error(`label ${m[1]} twice in: ${line}`);
    out[m[1]!] = m[2]!.replace(/\\(["\\n])/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    if (m[3] === '' && LABEL.lastIndex < body.length) throw new Error(`bad labels in: ${line}`);
  }
  return out;
}

/** The family a sample name belongs to (histogram and summary samples carry suffixes). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  if (families.has(name)) return families.get(name);
  const base = name.replace(/_(bucket|sum|count)$/, '');
  const f = families.get(base);
  return f && (f.type === 'histogram' || f.type === 'summary') ? f : undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name!)) throw new Error(`bad metric name in: ${line}`);
      if (kind === 'HELP') helps.set(name!, rest ?? '');
      else {
        if (!TYPES.has(rest ?? '')) throw new Error(`bad type in: ${line}`);
        if (families.has(name!)) throw new Error(`TYPE twice or after samples for ${name}`);
        families.set(name!, { name: name!, type: rest as Family['type'], help: undefined, samples: [] });
      }
      continue;
    }
    if (line.startsWith('#')) continue; // a plain comment
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const f = familyOf(m[1]!, families) ?? { name: m[1]!, type: 'untyped', help: undefined, samples: [] };
    if (!families.has(f.name)) families.set(f.name, f);
    const v = value(m[3]!, line);
    if (f.type === 'counter' && !(v >= 0)) throw new Error(`negative counter in: ${line}`);
    f.samples.push({ name: m[1]!, labels: labels(m[2], line), value: v });
  }
  for (const f of families.values()) {
    f.help = helps.get(f.name);
    if (f.type === 'histogram') checkHistogram(f);
  }
  return families;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of f.samples.filter((x) => x.name === `${f.name}_bucket`)) {
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${f.name}_bucket without le`);
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, buckets] of series) {
    const les = buckets.map((b) => value(b.labels.le!, `le="${b.labels.le}"`));
    for (let i = 1; i < buckets.length; i++) {
      if (!(les[i]! > les[i - 1]!) || buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${f.name}${key}: buckets not cumulative`);
    }
    if (les.at(-1) !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    const count = f.samples.find((s) => s.name === `${f.name}_count` && JSON.stringify(s.labels) === key);
    const sum = f.samples.find((s) => s.name === `${f.name}_sum` && JSON.stringify(s.labels) === key);
    if (!count || count.value !== buckets.at(-1)!.value) throw new Error(`${f.name}${key}: _count differs from the +Inf bucket`);
    if (!sum) throw new Error(`${f.name}${key}: no _sum`);
  }
}

/** The value of the one sample named `name` with exactly these labels (undefined when absent). */
export function sampleValue(fams: Map<string, Family>, name: string, lbls: Record<string, string> = {}): number | undefined {
  for (const f of fams.values()) {
    const s = f.samples.find(
      (x) => x.name === name && JSON.stringify(Object.entries(x.labels).sort()) === JSON.stringify(Object.entries(lbls).sort()),
    );
    if (s) return s.value;
  }
  return undefined;
}

/** Durations are strings with a unit ("300ms", "5s", "1m30s"); a bare number is rejected. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

const UNIT_WORDS: Array<[RegExp, string]> = [
  [/^(ms|msecs?|millis|milliseconds?)$/i, 'ms'],
  [/^(s|secs?|seconds?)$/i, 's'],
  [/^(m|mins?|minutes?)$/i, 'm'],
  [/^(h|hrs?|hours?)$/i, 'h'],
];

/**
 * The duration a malformed one most likely means, or undefined: "5 sec" → "5s", "1m 30s" → "1m30s",
 * "300" → "300ms" (a quoted bare number). Only returns text parseDuration accepts.
 */
export function repairDuration(text: string): string | undefined {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return `${s}ms`;
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*/g)];
  if (parts.length === 0 || parts.map((m) => m[0]).join('') !== s.replace(/^\s+/, '')) return undefined;
  let out = '';
  for (const m of parts) {
    const unit = UNIT_WORDS.find(([re]) => re.test(m[2]!))?.[1];
    if (unit === undefined) return undefined;
    out += `${m[1]}${unit}`;
  }
  return parseDuration(out) === undefined ? undefined : out;
}

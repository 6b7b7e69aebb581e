/** Plain-text tables (no colour, fixed-width columns) and number formatting that prints "n/a" for gaps. */

export const fmt = {
  ms: (x) => (Number.isFinite(x) ? `${x >= 100 ? x.toFixed(0) : x.toFixed(1)} ms` : 'n/a'),
  mb: (x) => (Number.isFinite(x) ? `${x.toFixed(0)} MB` : 'n/a'),
  n: (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a'),
  x: (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a'),
  signedMs: (x) =>
    Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x) >= 100 ? Math.abs(x).toFixed(0) : Math.abs(x).toFixed(1)} ms` : 'n/a',
};

/** PASS / FAIL / "n/a" for a goal check (undefined when there is no goal). */
export function verdict(ok) {
  if (ok === undefined) return '';
  if (ok === null) return 'n/a';
  return ok ? 'PASS' : 'FAIL';
}

/** rows: arrays of cells; a row that is a string is printed as a section title. */
export function renderTable(header, rows) {
  const cells = [header, ...rows.filter((r) => Array.isArray(r))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r) =>
    r
      .map((c, i) => String(c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows) out.push(Array.isArray(r) ? line(r) : `${r}`);
  return out.join('\n');
}

/**
 * The human-readable doctor report: one line per check with ✓ / ⚠ / ✗ / i, grouped by area, each
 * problem followed by its fix (text, commands, files with content) indented underneath. Pure.
 * Colour only when asked (a TTY without NO_COLOR); the symbols stay in plain output too.
 */
import { terminalText } from '../log/terminal-text.js';
import type { Check, DoctorReport } from './report-schema.js';
import { exitCodeOf, verdictParts } from './verdict.js';

const SYMBOL: Record<Check['status'], string> = { ok: '✓', warn: '⚠', fail: '✗', info: 'i' };
const COLOR: Record<Check['status'], string> = { ok: '32', warn: '33', fail: '31', info: '36' };

const GROUPS: [string, (id: string) => boolean][] = [
  ['inotify', (id) => id.startsWith('inotify')],
  ['Filesystems', (id) => id.startsWith('fs')],
  ['Tree', (id) => id.startsWith('tree')],
  [
    'Toolchain',
    (id) => id.startsWith('go') || id.startsWith('build') || id.startsWith('run') || id.startsWith('toolchain') || id === 'apps',
  ],
  ['Environment', (id) => id.startsWith('env')],
];

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

function renderCheck(c: Check, paint: (s: string, code: string) => string): string {
  const [first, ...rest] = terminalText(c.detail).split('\n');
  const lines = [`  ${paint(SYMBOL[c.status], COLOR[c.status])} ${terminalText(c.title)}: ${first}`];
  for (const r of rest) lines.push(`      ${r}`);
  if (c.fix && c.status !== 'ok') {
    const [fx, ...fxRest] = terminalText(c.fix.text).split('\n');
    lines.push(`      ${paint('fix:', '1')} ${fx}`);
    for (const r of fxRest) lines.push(`        ${r}`);
    for (const f of c.fix.files ?? []) {
      lines.push(`        file ${terminalText(f.path)}:`);
      lines.push(indent(terminalText(f.content.replace(/\n$/, '')), '          '));
    }
    for (const cmd of c.fix.commands ?? []) lines.push(indent(`$ ${cmd}`, '        '));
  }
  return lines.join('\n');
}

/**
 * The verdict line. A broken verdict says which part is broken: watching itself, or only the app's
 * build and start (a port in use, not a main package, no go.mod), where watching would work.
 */
export function verdictText(checks: readonly Check[]): string {
  const { watching, app } = verdictParts(checks);
  if (watching === 'broken') {
    return `✗ watching will not work here until the problems above are fixed${app === 'broken' ? ' (nor will the app start)' : ''}`;
  }
  if (app === 'broken') {
    return `✗ watching works${watching === 'degraded' ? ' (degraded: polling or caveats above)' : ''}, but the app will not start until the problems above are fixed`;
  }
  return watching === 'degraded' ? '⚠ watching will work, degraded (polling or caveats above)' : '✓ watching will work here';
}

export function renderReport(r: DoctorReport, opts: { color: boolean }): string {
  const paint = (s: string, code: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const out: string[] = [
    `hotwatch doctor ${r.version}: ${r.root}${r.configFile ? ` (config ${r.configFile})` : ' (no config file: defaults)'}`,
  ];
  const shown = new Set<Check>();
  for (const [name, match] of GROUPS) {
    const cs = r.checks.filter((c) => match(c.id));
    if (cs.length === 0) continue;
    out.push('', paint(name, '1'));
    for (const c of cs) {
      out.push(renderCheck(c, paint));
      shown.add(c);
    }
  }
  const other = r.checks.filter((c) => !shown.has(c));
  if (other.length > 0) {
    out.push('', paint('Other', '1'));
    for (const c of other) out.push(renderCheck(c, paint));
  }
  const counts = (['fail', 'warn'] as const).map(
    (s) => `${r.checks.filter((c) => c.status === s).length} ${s === 'fail' ? 'failed' : 'warnings'}`,
  );
  out.push(
    '',
    `${paint(verdictText(r.checks), COLOR[r.verdict === 'ok' ? 'ok' : r.verdict === 'degraded' ? 'warn' : 'fail'])} (${counts.join(', ')}; exit ${exitCodeOf(r.verdict)}; ${r.durationMs} ms)`,
    '',
  );
  return out.join('\n');
}

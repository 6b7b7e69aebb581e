/**
 * The start-up line that says what this run will do, before it does it: which config was loaded (or
 * none), what is built and how, and what runs with which arguments, paths shown from where hotwatch was
 * started. With the watching line and the serving line, a person reads the start-up in two seconds.
 */
import path from 'node:path';
import type { Settings } from './config/settings.js';

/** `p` as a person started elsewhere reads it: relative to `cwd` when under it, absolute otherwise. */
function shown(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

/** An argument list as a shell would need it typed. */
const quoted = (args: readonly string[]): string =>
  args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');

export function describePlan(s: Settings, cwd: string): { config: string; build: string; run: string; line: string } {
  const config = s.configFile ? `config ${shown(s.configFile, cwd)}` : 'no config file (defaults)';
  const build = s.build.cmd !== undefined ? `build.cmd: ${s.build.cmd}` : `go build ${quoted([...s.build.flags, s.build.package])}`;
  const binary = shown(s.run.binary, cwd);
  const run = s.run.args.length > 0 ? `${binary} ${quoted(s.run.args)}` : binary;
  const where = shown(s.root, cwd);
  const root = where === '.' ? '' : `${where}: `;
  if (s.exec) {
    const cmd = quoted(s.exec.command);
    const watching = s.watch.include.includes('**')
      ? `every file under the root but in ${s.watch.excludeDirs.join(', ')} (watch.excludeDirs)`
      : s.watch.include.join(', ');
    return { config, build: 'none (exec)', run: cmd, line: `${root}${config}; exec: ${cmd} on every change of ${watching} (no build)` };
  }
  return { config, build, run, line: `${root}${config}; build: ${build} → ${binary}; run: ${run}` };
}

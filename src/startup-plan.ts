/**
 * The start-up line that says what this run will do, before it does it: which config was loaded (or
 * none), what is built and how, and what runs with which arguments, paths shown from where hotwatch was
 * started. With the watching line and the serving line, a person reads the start-up in two seconds.
 */
import path from 'node:path';
import type { Settings } from './config/settings.js';
import type { Logger } from './log/logger.js';
import { localModules } from './os/go-modules.js';

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
    const watching = s.watch.include.includes('**') ? 'every file under the root' : s.watch.include.join(', ');
    return { config, build: 'none (exec)', run: cmd, line: `${root}${config}; exec: ${cmd} on every change of ${watching} (no build)` };
  }
  return { config, build, run, line: `${root}${config}; build: ${build} → ${binary}; run: ${run}` };
}

/**
 * Modules the build compiles from outside the watched root (a go.work `use` directory, a local replace
 * target such as ../lib): watching several roots is not built yet, so their edits are not seen. Said
 * loudly, once, at start, with what to do, rather than missed in silence. Asked of the toolchain without
 * the network; a toolchain that cannot answer is left to the build to report.
 */
export async function warnModulesOutsideRoot(s: Settings, log: Logger, signal: AbortSignal): Promise<void> {
  let layout: Awaited<ReturnType<typeof localModules>>;
  try {
    layout = await localModules(s.root, signal, { ...process.env, ...s.build.env });
  } catch (e) {
    log.debug({ event: 'modules.unknown', err: e }, `could not list the local modules the build uses: ${String(e)}`);
    return;
  }
  for (const m of layout.modules) {
    const rel = path.relative(s.root, m.dir);
    if (rel === '' || !(rel.startsWith('..') || path.isAbsolute(rel))) continue;
    const common = commonParent(s.root, m.dir);
    log.warn(
      {
        event: 'watch.module-unwatched',
        dir: m.dir,
        why: m.why,
        hint: `run hotwatch from ${common} (--root ${common} --package ./${path.relative(common, s.root) || '.'})`,
      },
      `${m.dir} (${m.why}) is compiled into the app but lies outside the watched root ${s.root}: edits there are NOT seen until a file under the root changes — fix: run hotwatch from ${common} (--root ${common} --package ./${path.relative(common, s.root) || '.'}), which watches both`,
    );
  }
}

/** The deepest directory holding both paths. */
function commonParent(a: string, b: string): string {
  const pa = a.split(path.sep);
  const pb = b.split(path.sep);
  let i = 0;
  while (i < pa.length && i < pb.length && pa[i] === pb[i]) i++;
  return pa.slice(0, i).join(path.sep) || path.sep;
}

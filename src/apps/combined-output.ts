/**
 * What one combined `go build -o DIR/ pkgA pkgB …` (combined-builds.ts) means for each app in it: which
 * binary go writes for its package, and its own result from the shared one.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BuildSettings } from '../config/settings.js';
import type { BuildResult } from '../supervisor/build.js';

/**
 * The name go gives the binary of `settings.package` in an -o directory (the last element of its import
 * path, which for a directory of the module is its base name), or undefined where that is not certain
 * or the build is not a plain `go build` of one package: such a build runs alone.
 */
export function combinedName(s: BuildSettings): string | undefined {
  if (s.cmd !== undefined) return undefined;
  if (s.flags.some((f) => f === '-o' || f.startsWith('-o='))) return undefined;
  const pkg = s.package.replace(/\/+$/, '');
  if (pkg.includes('...') || pkg.endsWith('.go') || pkg.startsWith('-') || /\s/.test(pkg)) return undefined;
  const base = path.posix.basename(pkg);
  // "." is named after the module, and a major version directory (v2) after the element before it.
  if (base === '' || base === '.' || base === '..' || /^v\d+$/.test(base)) return undefined;
  return base;
}

export interface CombinedMember {
  package: string;
  /** The app's build.output, where its binary goes. */
  output: string;
  /** combinedName of its package. */
  name: string;
}

/**
 * The member's result: built when go wrote its binary (moved onto its output now), failed when it did
 * not. 'alone' when go succeeded and still wrote no such binary (go named it otherwise than expected), or
 * when go failed before compiling anything (loadFailed): the member builds again on its own rather than
 * report a failure that is not one (one app's package that cannot be loaded stops go for all of them).
 */
export function memberResult(m: CombinedMember, dir: string, r: BuildResult, others: readonly string[]): BuildResult | 'alone' {
  const built = path.join(dir, m.name);
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(built);
  } catch {
    st = undefined;
  }
  if (st?.isFile()) {
    moveOnto(built, m.output);
    return { ...r, ok: true, canceled: false, timedOut: false, exitCode: 0, output: r.ok ? r.output : '' };
  }
  if (r.ok || loadFailed(r)) return 'alone';
  return { ...r, ok: false, exitCode: r.exitCode ?? 1, output: ownOutput(r.output, others) };
}

/**
 * go stopped before compiling (a package that cannot be loaded: a missing module, build constraints that
 * exclude every file, an import cycle): it failed, and its output has no `# import/path` section, which
 * heads every compile and link error. Then no app of the combined build got a binary, whoever was at fault.
 */
export function loadFailed(r: BuildResult): boolean {
  return !r.ok && !r.canceled && !r.timedOut && r.output.trim() !== '' && !/^# \S/m.test(r.output);
}

/** Renamed onto the output (replacing whatever is there, a planted symlink included, never through it). */
function moveOnto(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    // Another filesystem: copied into a fresh name beside the output, then renamed onto it.
    const tmp = path.join(path.dirname(to), `.${path.basename(to)}.${process.pid}.tmp`);
    fs.rmSync(tmp, { force: true });
    fs.copyFileSync(from, tmp, fs.constants.COPYFILE_EXCL);
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, to);
  }
}

/**
 * The output without the sections about the other apps' main packages (go heads each failing package's
 * errors with `# import/path`; no package imports a main package, so those never concern this app).
 * Everything else stays: a failing shared package, go's own errors.
 */
export function ownOutput(output: string, others: readonly string[]): string {
  const mains = others.map((p) => p.replace(/^\.\//, '').replace(/\/+$/, '')).filter((p) => p !== '' && p !== '.');
  const isOtherMain = (header: string): boolean => mains.some((p) => header === p || header.endsWith(`/${p}`));
  const kept: string[] = [];
  let skipping = false;
  for (const line of output.split('\n')) {
    if (line.startsWith('# ')) skipping = isOtherMain(line.slice(2).trim());
    if (!skipping) kept.push(line);
  }
  return kept.join('\n');
}

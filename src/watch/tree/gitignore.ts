/**
 * Directories the repo's ignore files ignore (a database dir, uploads, generated output), as watchexec
 * skips them: each `.gitignore` applies to its own subtree (a deeper one overrides), those between the
 * repository's top and the root apply too, and so does `.git/info/exclude`. Outside a git repository,
 * only when the root has a `.gitignore` (the walk costs one readdir per directory). Matching is the `ignore`
 * package's (gitignore semantics). A directory already excluded by the watch rules is never read.
 *
 * `topIgnoredDirs` finds the outermost ignored directories (not descended: git does not look inside
 * them either); `refineIgnored` then keeps what the build reads: an ignored directory that is, or holds,
 * a directory of `keep` (a package the build compiles, a directory it embeds files from) is descended,
 * and only its parts that hold none of them are excluded.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { WatchSettings } from '../../config/settings.js';
import { createFilter } from './filter.js';
import { readRegularTextSync } from '../../os/regular-file.js';

interface Scope {
  base: string;
  ig: Ignore;
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

function readIgnoreFile(file: string): string | undefined {
  try {
    const st = fs.lstatSync(file);
    return st.isFile() ? readRegularTextSync(file, 16 << 20) : undefined; // never through a symlink
  } catch {
    return undefined;
  }
}

/** The directory holding `.git` at or above `dir`, or undefined outside a repository. */
function repoTop(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/**
 * Whether ignore patterns match regardless of case, as git decides it: its core.ignorecase (set by git
 * when the repository was made on a case-insensitive file system), else the platform's usual file system.
 * The `ignore` package's own default (regardless of case) left a tracked `pkg/boot/bzimage` unwatched on
 * Linux for a `.gitignore` saying `bzImage`.
 */
export function ignoreCaseAt(root: string): boolean {
  const top = repoTop(root);
  const config = top ? readIgnoreFile(path.join(top, '.git', 'config')) : undefined;
  const set = config && /^\s*ignorecase\s*=\s*(\w+)\s*$/im.exec(config)?.[1]?.toLowerCase();
  if (set) return ['true', 'yes', 'on', '1'].includes(set);
  return process.platform === 'darwin' || process.platform === 'win32';
}

/** The rules of one ignore file. */
function rulesOf(text: string, ignoreCase: boolean): Ignore {
  return ignore({ ignorecase: ignoreCase }).add(text);
}

/** The scopes that apply at the root: .git/info/exclude, then each .gitignore from the repo's top down to the root's parent. */
function outerScopes(root: string, ignoreCase: boolean): Scope[] {
  const top = repoTop(root);
  const scopes: Scope[] = [];
  if (!top) return scopes;
  const exclude = readIgnoreFile(path.join(top, '.git', 'info', 'exclude'));
  if (exclude) scopes.push({ base: top, ig: rulesOf(exclude, ignoreCase) });
  const chain: string[] = [];
  for (let d = path.dirname(root); d.length >= top.length; d = path.dirname(d)) {
    chain.unshift(d);
    if (d === top || path.dirname(d) === d) break;
  }
  for (const d of chain) {
    const text = readIgnoreFile(path.join(d, '.gitignore'));
    if (text) scopes.push({ base: d, ig: rulesOf(text, ignoreCase) });
  }
  return scopes;
}

/** The scopes for the entries of `dir`: those above it, then its own .gitignore's text when it has one. */
function withIgnoreFile(above: Scope[], dir: string, text: string | undefined, ignoreCase: boolean): Scope[] {
  return text ? [...above, { base: dir, ig: rulesOf(text, ignoreCase) }] : above;
}

/** Whether `dir` is ignored: the deepest scope that says something wins (a `!` re-includes). */
function isIgnored(dir: string, scopes: readonly Scope[]): boolean {
  let ignored = false;
  for (const s of scopes) {
    const rel = toPosix(path.relative(s.base, dir));
    if (rel === '' || rel.startsWith('..')) continue;
    const r = s.ig.test(`${rel}/`);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

/**
 * Whether a directory under the root is git-ignored now (ignored itself, or inside an ignored one), by
 * the same scopes as topIgnoredDirs: for directories made after the plan (an app's uploads/, a
 * generator's output dir), which that walk never saw. Verdicts and scopes are kept per directory until
 * clear() (a .gitignore changed).
 */
export class IgnoredDirs {
  private readonly scopes = new Map<string, Scope[]>();
  private readonly verdicts = new Map<string, boolean>();

  private readonly ignoreCase: boolean;

  constructor(private readonly root: string) {
    this.ignoreCase = ignoreCaseAt(root);
  }

  clear(): void {
    this.scopes.clear();
    this.verdicts.clear();
  }

  ignored(dir: string): boolean {
    const rel = path.relative(this.root, dir);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return false;
    const known = this.verdicts.get(dir);
    if (known !== undefined) return known;
    const parent = path.dirname(dir);
    const here = this.scopesFor(parent);
    const verdict = this.ignored(parent) || (here.length > 0 && isIgnored(dir, here));
    this.verdicts.set(dir, verdict);
    return verdict;
  }

  /** The scopes that apply to the entries of `dir` (a directory at or under the root). */
  private scopesFor(dir: string): Scope[] {
    const known = this.scopes.get(dir);
    if (known) return known;
    const above = dir === this.root ? outerScopes(this.root, this.ignoreCase) : this.scopesFor(path.dirname(dir));
    const here = withIgnoreFile(above, dir, readIgnoreFile(path.join(dir, '.gitignore')), this.ignoreCase);
    this.scopes.set(dir, here);
    return here;
  }
}

/** Parallel readdirs of the walk (as scanTree). */
const CONCURRENCY = 16;

/**
 * The outermost ignored directories under the root (as the root is spelled), sorted. One readdir per
 * directory the watcher will watch anyway (a `.gitignore` is read only where the listing shows one).
 */
export async function topIgnoredDirs(s: WatchSettings, signal: AbortSignal): Promise<string[]> {
  const root = path.resolve(s.root);
  const filter = createFilter(s);
  const found: string[] = [];
  // Outside a git repository with no .gitignore at the root, ignore files mean little: no walk for them.
  if (!repoTop(root) && readIgnoreFile(path.join(root, '.gitignore')) === undefined) return found;
  const ignoreCase = ignoreCaseAt(root);
  const queue: { dir: string; scopes: Scope[] }[] = [{ dir: root, scopes: outerScopes(root, ignoreCase) }];
  const visit = async ({ dir, scopes }: { dir: string; scopes: Scope[] }): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return; // unreadable or gone: the watcher's own walk reports it
    }
    const hasIgnoreFile = entries.some((e) => e.name === '.gitignore' && e.isFile());
    const here = withIgnoreFile(scopes, dir, hasIgnoreFile ? readIgnoreFile(path.join(dir, '.gitignore')) : undefined, ignoreCase);
    for (const e of entries) {
      if (!e.isDirectory()) continue; // symlinks are never followed
      const child = path.join(dir, e.name);
      if (filter.isExcludedDir(child)) continue;
      if (here.length > 0 && isIgnored(child, here)) found.push(child);
      else queue.push({ dir: child, scopes: here });
    }
  };
  const worker = async (): Promise<void> => {
    for (let next = queue.pop(); next; next = queue.pop()) {
      signal.throwIfAborted();
      await visit(next);
    }
  };
  // The queue grows as the walk goes: workers start once the root is read.
  await visit(queue.pop()!);
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return found.sort();
}

export interface IgnoredVerdict {
  /** Ignored directories not watched (outermost). */
  excluded: string[];
  /** Ignored directories watched all the same: they are, or hold, a directory the build reads. */
  kept: string[];
}

/** Splits the ignored directories by what the build reads (`keep`: real paths). Reads only the ignored dirs that hold one. */
export function refineIgnored(root: string, ignored: readonly string[], keep: ReadonlySet<string>): IgnoredVerdict {
  const realRoot = fs.realpathSync(root);
  // The build's directories under the root, spelled as the walk spells them.
  const wanted = [...keep]
    .filter((k) => k === realRoot || k.startsWith(realRoot + path.sep))
    .map((k) => path.join(root, path.relative(realRoot, k)));
  const holds = (d: string): boolean => wanted.some((w) => w === d || w.startsWith(d + path.sep));
  const out: IgnoredVerdict = { excluded: [], kept: [] };
  const split = (d: string): void => {
    if (!holds(d)) return void out.excluded.push(d);
    if (wanted.includes(d)) return void out.kept.push(d); // a package's own directory: watched whole
    let names: fs.Dirent[] = [];
    try {
      names = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of names) if (e.isDirectory()) split(path.join(d, e.name));
  };
  for (const d of ignored) split(d);
  return out;
}

/** An exclude glob for each directory (picomatch escapes: names are taken literally). */
export function excludeGlobs(root: string, dirs: readonly string[]): string[] {
  return dirs.map((d) => `${toPosix(path.relative(root, d)).replace(/[*?[\]{}()!+@\\]/g, '\\$&')}/**`);
}

/**
 * Packages the build compiles that watch.excludeDirs would leave out: `internal/tmp` (the default `tmp`
 * matches at any depth), a dependency patched in `vendor/` (in vendor mode go builds from there), a
 * package under `testdata` or `node_modules`. Their edits would not be seen while everything looks fine,
 * so the toolchain's package list decides, as it does for git-ignored directories:
 * - left out by a default entry: each such package directory is watched all the same (its files, not its
 *   subdirectories; only the directories above it are descended, so vendor/ costs a watch per package the
 *   build compiles there, not one per vendored directory), said once at info;
 * - left out by an entry the config file writes: an explicit choice is not overridden, but a warning says
 *   once which packages it hides and how to watch them.
 * The package list is the embedded-files question's (`go list -deps`, in the background once the first
 * build had the cores, and again after `.go`/go.mod edits settle): no `go list` of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LIST_DEFAULTS } from '../../config/lists.js';
import type { WatchSettings } from '../../config/settings.js';
import type { Logger } from '../../log/logger.js';
import { createFilter, matcher } from './filter.js';

/** Package directories one excludeDirs entry leaves out, under the outermost directory it excludes. */
export interface LeftOutGroup {
  /** The root the packages are under. */
  root: string;
  /** The outermost directory the entry excludes (root-relative, POSIX): `internal/tmp`, `vendor`. */
  top: string;
  entry: string;
  /** Root-relative POSIX package directories. */
  dirs: string[];
}

export interface LeftOutPlan {
  /** Watched all the same (a default entry). */
  kept: LeftOutGroup[];
  /** Not watched: an entry the config writes (`by` excludeDirs), or an exclude glob besides (`by` exclude), leaves them out. */
  hidden: (LeftOutGroup & { by: 'excludeDirs' | 'exclude' })[];
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

/** Which of `packageDirs` (absolute) under `s.root` excludeDirs leaves out, kept or hidden. */
export function planLeftOut(s: WatchSettings, packageDirs: readonly string[]): LeftOutPlan {
  const entries = s.excludeDirs.map((e) => ({ entry: e, test: matcher([e]) }));
  const written = new Set(s.excludeDirsWritten ?? []);
  const groups = new Map<string, LeftOutGroup & { written: boolean }>();
  const entryOf = new Map<string, (typeof entries)[number] | null>();
  for (const abs of packageDirs) {
    const rel = toPosix(path.relative(s.root, abs));
    if (rel === '' || rel === '..' || rel.startsWith('../') || path.isAbsolute(rel)) continue;
    const parts = rel.split('/');
    let prefix = '';
    for (let i = 0; i < parts.length; i++) {
      prefix = i === 0 ? parts[0]! : `${prefix}/${parts[i]}`;
      // Package directories share their parents (vendor/github.com/…): each prefix is matched once.
      let hit = entryOf.get(prefix);
      if (hit === undefined) {
        hit = entries.find((e) => e.test(parts[i]!) || e.test(prefix)) ?? null;
        entryOf.set(prefix, hit);
      }
      if (!hit) continue;
      const key = `${prefix}\0${hit.entry}`;
      const g = groups.get(key) ?? { root: s.root, top: prefix, entry: hit.entry, dirs: [], written: written.has(hit.entry) };
      g.dirs.push(rel);
      groups.set(key, g);
      break;
    }
  }
  const plan: LeftOutPlan = { kept: [], hidden: [] };
  if (groups.size === 0) return plan; // the common case: no filter to build
  const all = [...groups.values()].map((g) => ({ ...g, dirs: [...new Set(g.dirs)].sort() }));
  const keepDirs = all.filter((g) => !g.written).flatMap((g) => g.dirs);
  // An exclude glob (or the build output directory) still leaves a package out: it is hidden, not kept.
  const filter = createFilter({ ...s, keepDirs });
  for (const { written: w, ...g } of all) {
    const watched = g.dirs.filter((d) => !filter.isExcludedDir(path.join(s.root, d)));
    const seen = new Set(watched);
    const left = g.dirs.filter((d) => !seen.has(d));
    if (!w && watched.length > 0) plan.kept.push({ ...g, dirs: watched });
    if (w) plan.hidden.push({ ...g, by: 'excludeDirs' });
    else if (left.length > 0) plan.hidden.push({ ...g, dirs: left, by: 'exclude' });
  }
  return plan;
}

/** `s` with the package directories a default excludeDirs entry leaves out kept (none: `s`). */
export function withLeftOutKept(s: WatchSettings, packageDirs: readonly string[]): WatchSettings {
  const keep = planLeftOut(s, packageDirs).kept.flatMap((g) => g.dirs);
  return keep.length === 0 ? s : { ...s, keepDirs: keep };
}

/** A group as a line says it: `internal/tmp`, or `vendor/a/b, vendor/c (2 packages in vendor)`. */
function shown(g: LeftOutGroup, from: string): string {
  const rel = (d: string): string => toPosix(path.relative(from, path.join(g.root, d))) || '.';
  if (g.dirs.length === 1 && g.dirs[0] === g.top) return rel(g.top);
  const names = g.dirs.slice(0, 6).map(rel).join(', ');
  const more = g.dirs.length > 6 ? ', …' : '';
  return `${names}${more} (${g.dirs.length} package${g.dirs.length === 1 ? '' : 's'} in ${rel(g.top)})`;
}

const vendorNote = (g: LeftOutGroup): string => (path.posix.basename(g.top) === 'vendor' ? ' (vendor mode: go builds from vendor/)' : '');

export function keptLine(g: LeftOutGroup, from: string): string {
  const one = g.dirs.length === 1;
  return `watching ${shown(g, from)} although watch.excludeDirs leaves out ${g.entry}: the build compiles ${one ? 'a package there' : 'those packages'}${vendorNote(g)}`;
}

type HiddenGroup = LeftOutPlan['hidden'][number];

export function hiddenLine(g: HiddenGroup, from: string): string {
  const rule = g.by === 'excludeDirs' ? `watch.excludeDirs "${g.entry}" (written in the config file)` : 'a watch.exclude glob';
  return `${shown(g, from)} ${g.dirs.length === 1 ? 'holds a package' : 'hold packages'} the build compiles${vendorNote(g)}, but ${rule} leaves ${g.dirs.length === 1 ? 'it' : 'them'} out: edits there are NOT seen`;
}

export function hiddenFix(g: HiddenGroup): string {
  return g.by === 'excludeDirs'
    ? `remove "${g.entry}" from watch.excludeDirs in the config file (${LIST_DEFAULTS.excludeDirs.includes(g.entry) ? `it stays a default: the packages the build compiles in ${g.top} are then watched, the rest of it is not` : `${g.top} is then watched`})`
    : `narrow the watch.exclude glob that covers ${g.dirs[0]} so it leaves the package out`;
}

/**
 * A relevant file of the package directories `fresh` (absolute, kept anew) modified at or after `since`
 * (epoch ms), or undefined: what changed there before it was watched.
 */
export function changedSince(
  roots: readonly WatchSettings[],
  packageDirs: readonly string[],
  fresh: readonly string[],
  since: number,
): string | undefined {
  for (const s of roots) {
    const filter = createFilter(withLeftOutKept(s, packageDirs));
    for (const dir of fresh) {
      if (filter.relative(dir) === undefined) continue; // another root's
      const file = newestIn(dir, filter, since);
      if (file) return file;
    }
  }
  return undefined;
}

function newestIn(dir: string, filter: ReturnType<typeof createFilter>, since: number): string | undefined {
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined; // gone since go listed it: its events are the watch's once it is watched
  }
  for (const e of names) {
    const f = path.join(dir, e.name);
    if (!e.isFile() || !filter.isRelevantFile(f)) continue;
    try {
      if (fs.statSync(f).mtimeMs >= since) return f;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** The last package list, each root's rules applied with it, and what it keeps or hides said once. */
export class LeftOutPackages {
  private dirs: readonly string[] = [];
  /** The main root: lines name paths from it. */
  private from: string | undefined;
  private readonly said = new Set<string>();
  /** Each root's last plan, by the rules it depends on and the package list (vendor mode: thousands of directories). */
  private readonly plans = new Map<string, { dirs: readonly string[]; key: string; plan: LeftOutPlan }>();

  constructor(private readonly log: Logger) {}

  /** Also at a config reload: an entry written since (or dropped) is said then, not at the next answer. */
  applyTo(s: WatchSettings): WatchSettings {
    const plan = this.planFor(s, this.dirs);
    this.say(plan);
    const keep = plan.kept.flatMap((g) => g.dirs);
    return keep.length === 0 ? s : { ...s, keepDirs: keep };
  }

  /**
   * A new package list for `roots` (the first is the main root). Says what is kept and what stays hidden
   * (each once); returns the package directories (absolute) kept anew, and whether the kept set changed
   * (the roots' rules must be re-applied).
   */
  update(dirs: readonly string[], roots: readonly WatchSettings[]): { changed: boolean; fresh: string[] } {
    const keptOf = (list: readonly string[]): Set<string> =>
      new Set(roots.flatMap((s) => this.planFor(s, list).kept.flatMap((g) => g.dirs.map((d) => path.join(s.root, d)))));
    const before = keptOf(this.dirs);
    [this.dirs, this.from] = [[...dirs], roots[0]?.root];
    const after = keptOf(this.dirs);
    for (const s of roots) this.say(this.planFor(s, this.dirs));
    const fresh = [...after].filter((d) => !before.has(d));
    return { changed: fresh.length > 0 || [...before].some((d) => !after.has(d)), fresh };
  }

  private planFor(s: WatchSettings, dirs: readonly string[]): LeftOutPlan {
    const key = JSON.stringify([s.excludeDirs, s.excludeDirsWritten, s.exclude, s.outputDir]); // include globs keep nothing out
    const hit = this.plans.get(s.root);
    if (hit && hit.dirs === dirs && hit.key === key) return hit.plan;
    const plan = planLeftOut(s, dirs);
    this.plans.set(s.root, { dirs, key, plan });
    return plan;
  }

  private say(plan: LeftOutPlan): void {
    for (const g of plan.kept) this.once('info', 'watch.excluded-kept', g, keptLine(g, this.from ?? g.root));
    for (const g of plan.hidden)
      this.once('warn', 'watch.excluded-hidden', g, `${hiddenLine(g, this.from ?? g.root)}; fix: ${hiddenFix(g)}`);
  }

  private once(level: 'info' | 'warn', event: string, g: LeftOutGroup, text: string): void {
    const key = `${level}\0${g.root}\0${g.top}\0${g.dirs.join('\0')}`;
    if (this.said.has(key)) return;
    this.said.add(key);
    const fields = { event, dir: path.join(g.root, g.top), entry: g.entry, packages: g.dirs.length };
    if (level === 'info') this.log.info(fields, text);
    else this.log.warn(fields, text);
  }
}

/**
 * The pure predicate every backend shares: which directories are descended and which files matter.
 *
 * Relevant file = (extension in `extensions` OR matches an `include` glob) AND NOT an `exclude` glob
 *                 AND NOT a watchdog sentinel (`.hotwatch-sentinel*`, wherever it is).
 * Excluded dir  = basename or relative path matches an `excludeDirs` entry (name or glob), or an `exclude`
 *                 glob matches the dir (or matches everything under it, e.g. "internal/gen/**"), or it is
 *                 the build output dir or under it, or `.hotwatch`; anything under an excluded dir too.
 * Exception: a dir excluded only by `excludeDirs` is still descended when an `include` glob names a path
 * at or under it ("vendor/**" keeps vendor watched); inside such a dir only `include` globs make a file
 * relevant (extensions alone do not: vendor/other/x.go stays quiet with include "vendor/me/**").
 * Likewise for `keepDirs` (packages the build compiles there: internal/tmp, vendor/example.com/lib): each is
 * watched as any directory (not its subdirectories), and the excluded directories above it are descended.
 * Globs are picomatch, relative to root, POSIX separators, dot files matched.
 */
import path from 'node:path';
import picomatch from 'picomatch';
import type { WatchSettings } from '../../config/settings.js';

export interface PathFilter {
  /** True when the directory must not be descended (it costs no watch). */
  isExcludedDir(abs: string): boolean;
  /** True when a change to this file should trigger a rebuild. */
  isRelevantFile(abs: string): boolean;
  /**
   * isRelevantFile for the files directly in `dir`, by name (a name holds no separator): what is
   * decided by the directory is decided once (a walk asks about 100,000 files at start).
   */
  filesIn(dir: string): (name: string) => boolean;
  /** Root-relative POSIX path ('' for the root), or undefined outside the root. */
  relative(abs: string): string | undefined;
  /**
   * The only regular files that can be relevant anywhere, by name: the inotify helper leaves the others
   * out of the listings it sends (half the entries of the benchmark's tree). Undefined when any name may
   * be (an include glob), or when the extensions are not plain ASCII (the helper lower-cases ASCII only).
   */
  readonly keptFiles: KeptFiles | undefined;
}

/** Regular files kept in a listing: an extension in `extensions` (lower-cased, with its dot), or a name in `names`. */
export interface KeptFiles {
  extensions: readonly string[];
  names: readonly string[];
}

/** 'kept': a package directory of `keepDirs` inside one excludeDirs leaves out; its files count as a watched dir's, its subdirectories do not. */
type DirStatus = 'watched' | 'include-only' | 'kept' | 'excluded';
/** Whether a file's extension alone makes it relevant in a directory of this status. */
const byDir = (d: DirStatus): boolean => d === 'watched' || d === 'kept';
type Matcher = ((s: string) => boolean) & {
  // Every glob tests the last path segment only (as the default exclude does): `lastSegment` decides from the file name.
  byNameOnly: boolean;
  lastSegment: (name: string) => boolean;
};

const HOTWATCH_DIR = '.hotwatch';
/** Prefix of the watchdog's sentinel files: never relevant, wherever they are. */
export const SENTINEL_PREFIX = '.hotwatch-sentinel';

export function isSentinelName(name: string): boolean {
  return name.startsWith(SENTINEL_PREFIX);
}
/**
 * Directory verdicts remembered (cleared when full). Small: a walk asks about a directory right after its
 * parent, so a few thousand entries keep the parent lookups cached, and a full cache of a 10,000-directory
 * tree held ~0.7 MB per thread for nothing.
 */
const CACHE_MAX = 4096;

function cleanGlob(g: string): string {
  return g.trim().replace(/^\.\//, '');
}

/** Characters that make a picomatch pattern more than a plain path (globs, escapes, extglobs, negation). */
const PATTERN_CHARS = /[*?[\]{}()!+@\\|]/;

const isPlainPath = (g: string): boolean => !PATTERN_CHARS.test(g) && !g.endsWith('/');

/**
 * picomatch's verdict (dot files matched) on normalized relative paths (no '', '.' or '..' segment), each
 * test cheaper: a plain path is looked up in a set (it matches only itself), and a glob of the form
 * "any depth, then one segment" (the default exclude, which ends in "*_test.go") tests that segment on the
 * path's last one; the rest go to picomatch. Every file of a tree is tested (100,000 at each start on the
 * benchmark's tree).
 */
export function matcher(globs: string[]): Matcher {
  const list = globs.map(cleanGlob).filter(Boolean);
  if (list.length === 0) return Object.assign(() => false, { byNameOnly: true, lastSegment: () => false });
  const plain = new Set(list.filter(isPlainPath));
  const anyDepth = list.filter((g) => !plain.has(g) && g.startsWith('**/') && !g.slice(3).includes('/') && !g.slice(3).includes('**'));
  const rest = list.filter((g) => !plain.has(g) && !anyDepth.includes(g));
  // "**/*<literal>" (the default "**/*_test.go"): a name matches when it ends with the literal (picomatch's
  // `*` matches any run of a name's characters, dot files included with dot: true, and '.'/'..' cannot end
  // with a literal holding no glob character). An endsWith, not a regex and a result object per file.
  const suffixes = anyDepth.map((g) => g.slice(4)).filter((t, i) => anyDepth[i]!.startsWith('**/*') && isPlainPath(t) && t !== '');
  const byPattern = anyDepth.filter((g) => !(g.startsWith('**/*') && isPlainPath(g.slice(4)) && g.length > 4));
  const last =
    byPattern.length > 0
      ? picomatch(
          byPattern.map((g) => g.slice(3)),
          { dot: true },
        )
      : undefined;
  const other = rest.length > 0 ? picomatch(rest, { dot: true }) : undefined;
  const byName = (name: string): boolean => {
    for (let i = 0; i < suffixes.length; i++) if (name.endsWith(suffixes[i]!)) return true;
    return last?.(name) === true;
  };
  return Object.assign((s: string) => plain.has(s) || byName(s.slice(s.lastIndexOf('/') + 1)) || other?.(s) === true, {
    byNameOnly: plain.size === 0 && other === undefined,
    lastSegment: byName,
  });
}

/**
 * The include globs as a set of exact root-relative paths, when every one of them is a plain path
 * (picomatch then matches that path only); undefined when any is a real glob.
 */
function literalPaths(globs: string[]): Set<string> | undefined {
  const list = globs.map(cleanGlob).filter(Boolean);
  if (!list.every(isPlainPath)) return undefined;
  return new Set(list);
}

/** `p` from `from` on (after a '/') is a normalized relative POSIX path: no '', '.' or '..' segment, no trailing '/'. */
function isNormalTail(p: string, from: number): boolean {
  if (from >= p.length || p.endsWith('/') || p.endsWith('/.') || p.endsWith('/..')) return false;
  const sep = from - 1;
  return p.indexOf('//', sep) < 0 && p.indexOf('/./', sep) < 0 && p.indexOf('/../', sep) < 0;
}

function isUnder(p: string, dir: string): boolean {
  return p === dir || p.startsWith(`${dir}/`);
}

/**
 * Names no build reads: go ignores `.go` files whose names start with '.' or '_' (an editor's `.#main.go`,
 * a `_scratch.go`), and editors' own files are never the app's, whatever the extension or include glob
 * that would match them (`templates/**` behind the proxy restarted the app for a vim swap file rewritten
 * every few seconds of typing): Emacs's `.#name` lock and `#name#` auto-save, vim's `.name.swp` swap
 * and its `4913` probe, `name~` backups, JetBrains' `name___jb_tmp___`/`___jb_old___`, GNOME's
 * `.goutputstream-*`, and the `sedXXXXXX` file of `sed -i`.
 */
function neverBuilt(name: string): boolean {
  const c = name.charCodeAt(0);
  if (c === 0x2e && name.charCodeAt(1) === 0x23) return true; // ".#"
  if (name.endsWith('.go')) return (c === 0x2e || c === 0x5f) && name.length > 3; // '.' or '_'; any other .go file is a source
  return EDITOR_FILE.test(name) || isVimProbe(name);
}

const EDITOR_FILE = /(^\..+\.sw[a-px]$)|(~$)|(^#.*#$)|(___jb_(tmp|old)___$)|(^\.goutputstream-)|(^sed[A-Za-z0-9]{6}$)/;
/** vim's write probe: 4913, or 4913 + k·123 when that name is taken. */
const isVimProbe = (name: string): boolean => /^\d{4,5}$/.test(name) && (Number(name) - 4913) % 123 === 0 && Number(name) >= 4913;

export function createFilter(s: WatchSettings): PathFilter {
  const root = path.resolve(s.root);
  const toPosix = path.sep === '/' ? (p: string) => p : (p: string) => p.split(path.sep).join('/');
  const rootSlash = root.endsWith(path.sep) ? root : root + path.sep;
  const relative = (abs: string): string | undefined => {
    // A walk's paths are the root plus normalized names: sliced, not resolved (path.relative resolves
    // both sides: a third of a 100,000-file scan went there).
    if (path.sep === '/' && abs.startsWith(rootSlash) && isNormalTail(abs, rootSlash.length)) return abs.slice(rootSlash.length);
    const rel = toPosix(path.relative(root, path.resolve(abs)));
    if (rel === '..' || rel.startsWith('../') || path.isAbsolute(rel)) return undefined;
    return rel;
  };
  const extensions = [...new Set(s.extensions.map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()))];
  const isIncluded = matcher(s.include);
  const hasIncludes = s.include.some((g) => cleanGlob(g) !== '');
  const includedPaths = literalPaths(s.include);
  const includedNames = includedPaths && new Set([...includedPaths].map((p) => p.slice(p.lastIndexOf('/') + 1)));
  const isExcludedFile = matcher(s.exclude);
  const statusOf = dirVerdicts(s, relative(s.outputDir));
  return {
    relative,
    keptFiles: keptFilesOf(extensions, hasIncludes ? includedNames : new Set()),
    isExcludedDir(abs) {
      const rel = relative(abs);
      return rel === undefined || statusOf(rel) === 'excluded';
    },
    isRelevantFile(abs) {
      const rel = relative(abs);
      if (rel === undefined || rel === '') return false;
      const slash = rel.lastIndexOf('/');
      return fileVerdict(slash < 0 ? '' : rel.slice(0, slash), rel.slice(slash + 1));
    },
    filesIn(dir) {
      const rel = relative(dir);
      if (rel === undefined) return () => false;
      const status = statusOf(rel);
      return (name) => fileVerdict(rel, name, status);
    },
  };

  /** The verdict on file `name` in the root-relative dir `dirRel` ('' = the root), whose status may be known. */
  function fileVerdict(dirRel: string, name: string, status?: DirStatus): boolean {
    // Without include globs only the extension can make a file relevant: most files of a tree fail here.
    const byExtension = hasExtension(extensions, name);
    if (!hasIncludes && !byExtension) return false;
    if (!byExtension && includedNames !== undefined && !includedNames.has(name)) return false;
    if (isSentinelName(name) || neverBuilt(name)) return false;
    const dir = status ?? statusOf(dirRel);
    if (dir === 'excluded') return false;
    // The common case (a .go file in a watched dir, exclude globs that test the name only, as the default
    // "**/*_test.go"): decided without making the file's path (50,000 times on the benchmark's tree).
    if (byExtension && byDir(dir) && isExcludedFile.byNameOnly) return !isExcludedFile.lastSegment(name);
    const rel = dirRel === '' ? name : `${dirRel}/${name}`;
    // Includes that are plain paths (the defaults: go.mod, go.sum) match only themselves: the other
    // files of a tree skip the globs (100,000 of them went through picomatch at each start).
    if (!byExtension && includedPaths !== undefined && !includedPaths.has(rel)) return false;
    if (isExcludedFile(rel)) return false;
    return (byDir(dir) && byExtension) || isIncluded(rel);
  }
}

/**
 * The regular files that can be relevant, by name: `names` undefined when an include glob may name any
 * file; undefined too when an extension is not plain ASCII (the helper lower-cases ASCII only).
 */
function keptFilesOf(extensions: string[], names: ReadonlySet<string> | undefined): KeptFiles | undefined {
  if (names === undefined || !extensions.every((e) => /^\.[\x21-\x2e\x30-\x7e]*$/.test(e))) return undefined;
  return { extensions, names: [...names] };
}

/**
 * Whether a file name's extension (path.extname's, lower-cased: none for dot files without another dot)
 * is one of `list` (lower-cased, each with its dot). Compared in place: no string is made for the 100,000 names of a start's walk
 * but where the length matches and the case differs.
 */
function hasExtension(list: readonly string[], name: string): boolean {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || (dot === 1 && name === '..')) return false;
  const len = name.length - dot;
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (e.length === len && (name.endsWith(e) || name.slice(dot).toLowerCase() === e)) return true;
  }
  return false;
}

/**
 * The verdict on each directory (root-relative, POSIX; '' is the root), from its parent's and its own
 * name, remembered in a bounded cache. `outRel`: the build output dir, relative (never watched).
 */
function dirVerdicts(s: WatchSettings, outRel: string | undefined): (rel: string) => DirStatus {
  const excludeDirByName = matcher(s.excludeDirs);
  // An exclude glob excludes a dir when it matches the dir itself, or everything under it ("a/**" → "a").
  const excludeDirGlobs = matcher(
    s.exclude
      .map(cleanGlob)
      .flatMap((g) => (g.endsWith('/**') ? [g, g.slice(0, -3)] : [g]))
      .filter(Boolean),
  );
  const includeBases = s.include.map((g) => picomatch.scan(cleanGlob(g)).base).filter((b) => b !== '' && !b.startsWith('..'));
  const hardExcluded = (rel: string): boolean =>
    isUnder(rel, HOTWATCH_DIR) || (outRel !== undefined && outRel !== '' && isUnder(rel, outRel));
  const keep = new Set(s.keepDirs ?? []);
  // The directories above a kept one: descended (a set: vendor mode may keep hundreds of packages).
  const aboveKept = new Set([...keep].flatMap((k) => k.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  // Some include glob names a path at, under or above this dir (only non-empty static bases count), or a kept dir is at or under it.
  const includeReaches = (rel: string): boolean => aboveKept.has(rel) || includeBases.some((b) => isUnder(b, rel) || isUnder(rel, b));

  const cache = new Map<string, DirStatus>();
  const statusOf = (rel: string): DirStatus => {
    if (rel === '') return 'watched';
    const hit = cache.get(rel);
    if (hit) return hit;
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? '' : rel.slice(0, slash);
    const base = slash < 0 ? rel : rel.slice(slash + 1);
    const p = statusOf(parent);
    let st: DirStatus;
    if (p === 'excluded' || hardExcluded(rel) || excludeDirGlobs(rel)) st = 'excluded';
    else if (p === 'include-only' || p === 'kept' || excludeDirByName(base) || excludeDirByName(rel))
      st = keep.has(rel) ? 'kept' : includeReaches(rel) ? 'include-only' : 'excluded';
    else st = 'watched';
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(rel, st);
    return st;
  };
  return statusOf;
}

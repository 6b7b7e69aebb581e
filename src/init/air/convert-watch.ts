/**
 * What air watches → watch.* and debounce.*. air names directories by their path from the root
 * (exclude_dir = ["assets"] is ./assets only), so they become root-anchored globs in watch.exclude
 * ("assets/**"), except names hotwatch already skips at any depth (its excludeDirs: .git, node_modules,
 * vendor, testdata, tmp ...). Regular expressions become globs where they have a simple shape.
 */
import fs from 'node:fs';
import path from 'node:path';
import { globProblem } from '../../config/glob.js';
import { LIST_DEFAULTS, type WatchListKey } from '../../config/lists.js';
import { ms, type Conv } from './conv.js';
import { AIR_DEFAULTS } from './keys.js';
import { regexToGlob } from './regex.js';

const clean = (d: string): string => path.posix.normalize(d.replace(/\\/g, '/')).replace(/^\.\/|\/+$/g, '');
/** picomatch's special characters escaped, so a file name is matched literally. */
const literal = (p: string): string => clean(p).replace(/[*?[\]{}()!+@\\]/g, '\\$&');

/** Root-relative directories outside every `include` (siblings along the way), as air skips them. */
function dirsOutside(root: string, include: readonly string[], skip: (name: string) => boolean): string[] {
  const out: string[] = [];
  const visit = (rel: string): void => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries
      .filter((x) => x.isDirectory() && !x.name.startsWith('.') && !skip(x.name))
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (include.some((i) => i === r || i.startsWith(`${r}/`))) {
        if (!include.includes(r)) visit(r);
      } else out.push(r);
    }
  };
  visit('');
  return out;
}

/**
 * The entries that turn a built-in watch list into `wanted` (the lists extend their defaults): what it
 * adds, then "!entry" for each default it does not want. Pure.
 */
export function listDelta(list: WatchListKey, wanted: readonly string[]): string[] {
  const key = (e: string): string => (list === 'extensions' ? e.replace(/^\./, '') : e);
  const defaults = LIST_DEFAULTS[list];
  const want = new Set(wanted.map(key));
  const base = new Set(defaults.map(key));
  return [...wanted.filter((e) => !base.has(key(e))), ...defaults.filter((e) => !want.has(key(e))).map((e) => `!${e}`)];
}

/** A hotwatch glob list being filled from air keys; an entry that is no valid glob is kept aside, by key. */
class Globs {
  readonly bad = new Map<string, string[]>();
  constructor(readonly items: string[]) {}

  add(glob: string, airKey: string): void {
    const problem = globProblem(glob);
    if (problem) this.bad.set(airKey, [...(this.bad.get(airKey) ?? []), problem.message]);
    else if (!this.items.includes(glob)) this.items.push(glob);
  }

  /** Each key is converted to `to`, or reported with the entries that could not be. */
  settle(c: Conv, keys: Record<string, string>): void {
    for (const [key, to] of Object.entries(keys)) {
      const bad = this.bad.get(key);
      if (bad) c.drop(key, `not converted: ${bad.join('; ')}`);
      else c.map(key, to);
    }
  }
}

/** A directory air names by its path from the root; one outside the root (absolute, "..") is in no tree watched. */
const dirGlob = (d: string): string | undefined =>
  d === '' || d.startsWith('/') || d === '..' || d.startsWith('../') ? undefined : `${literal(d)}/**`;

function mapExcludes(c: Conv, exclude: Globs): void {
  const defaults = new Set(LIST_DEFAULTS.excludeDirs);
  const skipped = (d: string): boolean => !d.includes('/') && defaults.has(d);
  const tmp = c.get<string>('tmp_dir') || AIR_DEFAULTS.tmp_dir;
  const dirs: Array<[string, string]> = [
    ...(c.get<string[]>('build.exclude_dir') ?? AIR_DEFAULTS.exclude_dir(tmp)).map((d): [string, string] => [d, 'build.exclude_dir']),
    [tmp, 'tmp_dir'],
    [c.get<string>('testdata_dir') || AIR_DEFAULTS.testdata_dir, 'testdata_dir'],
  ];
  const added: string[] = [];
  for (const [d, key] of dirs) {
    const glob = skipped(clean(d)) ? undefined : dirGlob(clean(d));
    if (glob !== undefined && !exclude.items.includes(glob)) added.push(glob);
    if (glob !== undefined) exclude.add(glob, key);
  }
  if (!c.has('build.exclude_dir'))
    c.note(
      'watch.exclude',
      `air's default exclude_dir (assets, tmp, vendor, testdata) is kept: ${added.join(', ') || 'hotwatch skips those already'}.`,
    );
  const includeDirs = (c.get<string[]>('build.include_dir') ?? []).map(clean).filter(Boolean);
  const beyond = includeDirs.filter((d) => d === '..' || d.startsWith('../') || path.isAbsolute(d));
  if (beyond.length > 0)
    c.differs(
      'build.include_dir',
      `${beyond.join(', ')} ${beyond.length === 1 ? 'is' : 'are'} outside the root, and not watched: hotwatch watches one tree (air watched these too). A Go module there is watched once the build uses it (go.work, or a replace in go.mod); for other files, run hotwatch from a directory that holds both`,
    );
  const inside = includeDirs.filter((d) => !beyond.includes(d));
  // "." is the whole root: nothing in it is outside.
  if (inside.length > 0 && !inside.includes('.')) {
    const outside = dirsOutside(c.ctx.root, inside, (n) => defaults.has(n));
    for (const d of outside) exclude.add(dirGlob(d)!, 'build.include_dir');
    c.note(
      'watch.exclude',
      `air watched only ${inside.join(', ')} (include_dir): hotwatch watches the whole root minus its excludes, so the directories outside them that exist now are excluded (${outside.join(', ') || 'none'}); one created later is watched. Files directly in the root (go.mod) are watched too.`,
    );
  }
  exclude.settle(c, {
    'build.exclude_dir': 'watch.exclude (as "dir/**": air names directories by their path from the root)',
    tmp_dir: 'watch.exclude (air never watched it) and build.output (hotwatch builds into .hotwatch/bin/app)',
    testdata_dir: 'watch.exclude (air never watched it)',
    'build.include_dir': 'watch.exclude (every directory outside it)',
  });
}

function mapRegexes(c: Conv, exclude: Globs): void {
  const regexes = c.get<string[]>('build.exclude_regex') ?? [...AIR_DEFAULTS.exclude_regex];
  const failed: string[] = [];
  const converted: string[] = [];
  for (const re of regexes) {
    const r = regexToGlob(re);
    if ('globs' in r && !r.globs.some(globProblem)) {
      for (const glob of r.globs) exclude.add(glob, 'build.exclude_regex');
      converted.push(`${re} → ${r.globs.join(' and ')}`);
    } else failed.push(`${JSON.stringify(re)}: ${'reason' in r ? r.reason : 'no valid glob'}`);
  }
  if (converted.length) c.note('watch.exclude', `From exclude_regex: ${converted.join('; ')}.`);
  if (!exclude.items.includes('**/*_test.go'))
    c.note(
      'watch.exclude',
      'air did not exclude tests here (no _test.go regex), so "!**/*_test.go" drops that default and a *_test.go change rebuilds, as it did; remove the entry to stop that.',
    );
  if (failed.length) c.drop('build.exclude_regex', `not converted: ${failed.join('; ')}`);
  else c.map('build.exclude_regex', 'watch.exclude');
}

const BUILD_INPUT_EXTENSIONS = ['s', 'sx', 'syso'];

function mapFiles(c: Conv): void {
  const exts = c.get<string[]>('build.include_ext') ?? [...AIR_DEFAULTS.include_ext];
  const include = new Globs([...LIST_DEFAULTS.include]);
  if (exts.some((e) => e.trim() === '*')) {
    include.add('**', 'build.include_ext');
    c.note('watch.include', 'air watched every extension (include_ext = ["*"]): every file under the root rebuilds.');
  }
  c.set(
    'watch.extensions',
    listDelta(
      'extensions',
      // Assembly and .syso files are build inputs go compiles whatever air watched: kept.
      [...exts.map((e) => e.trim().replace(/^\./, '')).filter((e) => e && e !== '*'), ...BUILD_INPUT_EXTENSIONS],
    ),
  );
  c.map('build.include_ext', 'watch.extensions');
  for (const f of c.get<string[]>('build.include_file') ?? []) include.add(literal(f), 'build.include_file');
  include.settle(c, { 'build.include_file': 'watch.include' });
  c.set('watch.include', listDelta('include', include.items));
  const exclude = new Globs([]);
  for (const f of c.get<string[]>('build.exclude_file') ?? []) exclude.add(clean(f), 'build.exclude_file');
  exclude.settle(c, { 'build.exclude_file': 'watch.exclude (air matched them as globs from the root too)' });
  mapRegexes(c, exclude);
  mapExcludes(c, exclude);
  c.set('watch.exclude', listDelta('exclude', exclude.items));
}

function mapTiming(c: Conv): void {
  if (c.get<boolean>('build.poll')) {
    c.set('watch.backend', 'poll');
    // air never polls faster than 500 ms.
    c.set('watch.pollInterval', ms(Math.max(AIR_DEFAULTS.poll_interval, c.get<number>('build.poll_interval') ?? 0)));
  }
  c.map('build.poll', 'watch.backend');
  c.map('build.poll_interval', c.get<boolean>('build.poll') ? 'watch.pollInterval' : '(no effect in air without poll = true)');
  const delay = c.get<number>('build.delay') ?? AIR_DEFAULTS.delay;
  if (delay > 1000) {
    c.set('debounce.quiet', ms(delay));
    c.set('debounce.maxWait', ms(delay));
  }
  c.map('build.delay', delay > 1000 ? 'debounce.quiet and debounce.maxWait' : "debounce (hotwatch's own windows)");
  const source = c.has('build.delay') ? 'delay' : 'its default delay';
  const air =
    delay > 0
      ? `air waited ${delay} ms after the first change of a batch before building (${source})`
      : `air built right after the first change (${source} = 0), so a burst could start several builds`;
  const kept = delay > 1000 ? `; the ${delay} ms asked for here are kept as the quiet window` : '';
  c.note(
    'debounce',
    `${air}. hotwatch builds once changes have been quiet for debounce.quiet (50ms by default; 5-15ms after a single save): a burst folds into one build without a fixed wait${kept}.`,
  );
}

export function convertWatch(c: Conv): void {
  const root = c.get<string>('root');
  if (root && clean(root) !== '') c.set('root', root);
  c.map('root', "root (relative to this file, as air's was to where it ran)");
  mapFiles(c);
  mapTiming(c);
  c.map('build.exclude_unchanged', 'hotwatch always skips a save that changes no bytes (except while the app is down)');
  c.map('build.ignore_dangerous_root_dir', 'hotwatch watches any root, within the inotify budget its watchdog checks');
  if (c.get<boolean>('build.follow_symlink'))
    c.drop(
      'build.follow_symlink',
      'hotwatch never follows symlinked directories (a link out of the root is reported once): watch the linked directory as its own root, or move it in',
    );
  else c.map('build.follow_symlink', 'hotwatch never follows symlinks either');
}

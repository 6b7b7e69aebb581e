/**
 * The watch lists (`include`, `exclude`, `extensions`, `excludeDirs`) extend their defaults. A user who
 * writes `excludeDirs: [pb_data]` means "also pb_data", not "stop excluding .git and node_modules": when
 * setting a list replaced its defaults, that config made `git gc` restart the app. Removing a default is
 * explicit: an entry `!vendor` drops the default `vendor`.
 */
import { suggest } from './suggest.js';

export type WatchListKey = 'include' | 'exclude' | 'extensions' | 'excludeDirs';

/** The built-in entries each list starts from. */
export const LIST_DEFAULTS: Readonly<Record<WatchListKey, readonly string[]>> = {
  include: ['go.mod', 'go.sum'],
  exclude: ['**/*_test.go'],
  extensions: ['go', 'tmpl', 'tpl', 'html', 's', 'sx', 'syso'],
  excludeDirs: ['.git', 'node_modules', 'vendor', 'testdata', '.hotwatch', '.idea', '.vscode', 'tmp'],
};

/** Extensions compare without their dot: `.go` and `go` are one entry. */
const keyOf = (list: WatchListKey, entry: string): string => (list === 'extensions' ? entry.replace(/^\./, '') : entry);

export interface ListProblem {
  index: number;
  message: string;
  fix: string;
}

/** A `!entry` must name a default (or an entry written before it): otherwise it removes nothing. */
export function listProblems(list: WatchListKey, entries: readonly string[]): ListProblem[] {
  const problems: ListProblem[] = [];
  const present = new Set(LIST_DEFAULTS[list].map((e) => keyOf(list, e)));
  entries.forEach((entry, index) => {
    if (!entry.startsWith('!')) {
      present.add(keyOf(list, entry));
      return;
    }
    const target = keyOf(list, entry.slice(1));
    if (present.delete(target)) return;
    const near = suggest(target, [...present]);
    problems.push({
      index,
      message: `"${entry}" removes nothing: "${target}" is not a default of watch.${list} (${LIST_DEFAULTS[list].join(', ')})`,
      fix: near ? `write "!${near}"` : `remove "${entry}"; a "!" entry only drops one of the defaults`,
    });
  });
  return problems;
}

/** The defaults, plus each entry, minus each `!entry`, in order, without repeats. */
export function effectiveList(list: WatchListKey, entries: readonly string[] | undefined): string[] {
  const out = new Map<string, string>();
  for (const e of LIST_DEFAULTS[list]) out.set(keyOf(list, e), e);
  for (const e of entries ?? []) {
    if (e.startsWith('!')) out.delete(keyOf(list, e.slice(1)));
    else if (!out.has(keyOf(list, e))) out.set(keyOf(list, e), e);
  }
  return [...out.values()];
}

/**
 * One line per list that differs from its defaults, saying what it is now: shown at start and by the
 * doctor, so a config written when a list replaced its defaults reads the way it now works.
 */
export function describeListChanges(lists: Readonly<Record<WatchListKey, readonly string[]>>): string[] {
  const lines: string[] = [];
  for (const list of Object.keys(LIST_DEFAULTS) as WatchListKey[]) {
    const defaults = LIST_DEFAULTS[list].map((e) => keyOf(list, e));
    const now = lists[list].map((e) => keyOf(list, e));
    const added = now.filter((e) => !defaults.includes(e));
    const dropped = defaults.filter((e) => !now.includes(e));
    if (added.length === 0 && dropped.length === 0) continue;
    const parts = [
      added.length > 0 ? `adds ${added.join(', ')} to the defaults` : '',
      dropped.length > 0 ? `drops ${dropped.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    lines.push(`watch.${list} ${parts}: ${now.join(', ') || '(empty)'}${dropped.length === 0 ? ` (a "!name" entry drops a default)` : ''}`);
  }
  return lines;
}

/**
 * The helper's line format (its protocol: main.go's header): a field's escaping, and the answers the
 * engine reads out of a line (a directory's listing, a count of watches).
 */

/** A field escaped for one line: '%' and newline as %25 and %0A (a name may hold either). */
export const escapeField = (s: string): string => (/[%\n]/.test(s) ? s.replace(/%/g, '%25').replace(/\n/g, '%0A') : s);
export const unescapeField = (s: string): string => (s.includes('%') ? s.replace(/%0A|%25/g, (m) => (m === '%25' ? '%' : '\n')) : s);

/**
 * A directory the helper watched, then read: its identity as Node's lstat gives it, and its entries,
 * each a type letter (d dir, f regular file, l symlink, o anything else) then the (unescaped) name,
 * '/'-separated: `forEachEntry` reads them.
 */
export interface DirListing {
  dev: number;
  ino: number;
  /** As fs.Stats#birthtimeMs (0 where the filesystem keeps no birth time). */
  birthtimeMs: number;
  entries: string;
}

/** Calls `fn` with each entry's type letter and name. */
export function forEachEntry(l: DirListing, fn: (kind: string, name: string) => void): void {
  const s = l.entries;
  for (let start = 0; start < s.length; ) {
    let end = s.indexOf('/', start);
    if (end === -1) end = s.length;
    fn(s[start]!, unescapeField(s.slice(start + 1, end)));
    start = end + 1;
  }
}

/** The helper's count of its watches, and the wall time reading the kernel's table took it (ms). */
export interface WatchCount {
  watches: number;
  costMs: number;
}

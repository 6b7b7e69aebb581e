/**
 * "Poll the overflow part" (issue 3, budget before arming): when the tree needs more inotify watches than
 * are left, choose subtrees to poll so that the rest, watched natively, fits what is left minus a safety
 * margin (the larger of 64 and 10%: new directories, other processes). Pure.
 *
 * Greedy, disjoint subtrees, fewest polled directories first: each step takes the smallest subtree that
 * sheds the whole remaining excess alone, else the largest one left (which sheds the most), never one
 * inside or around a subtree already chosen, never the root. No split → undefined (poll the whole tree).
 */
import path from 'node:path';

/** Most subtrees polled beside the native watcher (each is its own polling watcher). */
export const MAX_POLLED_SUBTREES = 32;

export interface PolledSubtree {
  /** Absolute directory (as the root is spelled). */
  path: string;
  /** Directories in it, itself included (the watches it would have needed). */
  dirs: number;
}

export interface BudgetSplit {
  /** Disjoint subtrees to poll, largest first. */
  polled: PolledSubtree[];
  /** Directories polled (sum over `polled`). */
  polledDirs: number;
  /** Watches the natively watched rest needs (extra watches included). */
  nativeDirs: number;
  /** What the native part must stay under: available minus the margin. */
  target: number;
}

/** The safety margin kept free out of `available` watches. */
export function safetyMargin(available: number): number {
  return Math.max(64, Math.ceil(available * 0.1));
}

/**
 * `dirs`: the absolute directories to watch (the root among them); `extra`: watches needed apart from
 * them (the sentinel dir); `available`: watches left.
 */
export function splitForBudget(
  root: string,
  dirs: readonly string[],
  extra: number,
  available: number,
  maxSubtrees = MAX_POLLED_SUBTREES,
): BudgetSplit | undefined {
  const target = available - safetyMargin(available);
  const total = dirs.length + extra;
  if (target < 1 + extra) return undefined; // not even the root fits
  if (total <= target) return { polled: [], polledDirs: 0, nativeDirs: total, target };
  const size = subtreeSizes(root, dirs);
  const candidates = [...size.entries()].filter(([d]) => d !== root).map(([d, n]) => ({ path: d, dirs: n }));
  const chosen: PolledSubtree[] = [];
  let excess = total - target;
  const overlaps = (d: string) => chosen.some((c) => d === c.path || d.startsWith(c.path + path.sep) || c.path.startsWith(d + path.sep));
  while (excess > 0 && chosen.length < maxSubtrees) {
    let fit: PolledSubtree | undefined; // smallest with dirs >= excess
    let big: PolledSubtree | undefined; // largest
    for (const c of candidates) {
      if (overlaps(c.path)) continue;
      if (c.dirs >= excess && (!fit || c.dirs < fit.dirs)) fit = c;
      if (!big || c.dirs > big.dirs) big = c;
    }
    const pick = fit ?? big;
    if (!pick) break;
    chosen.push(pick);
    excess -= pick.dirs;
  }
  if (excess > 0) return undefined;
  const polledDirs = chosen.reduce((n, c) => n + c.dirs, 0);
  chosen.sort((a, b) => b.dirs - a.dirs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)); // not localeCompare: no ICU
  return { polled: chosen, polledDirs, nativeDirs: total - polledDirs, target };
}

/** Directories in each directory's subtree (itself included), for every dir under `root`. */
function subtreeSizes(root: string, dirs: readonly string[]): Map<string, number> {
  const size = new Map<string, number>();
  for (const d of dirs) size.set(d, 0);
  for (const d of dirs) {
    if (d !== root && !d.startsWith(root + path.sep)) continue;
    for (let a = d; ; a = path.dirname(a)) {
      const n = size.get(a);
      if (n !== undefined) size.set(a, n + 1);
      if (a === root || a === path.dirname(a)) break;
    }
  }
  return size;
}

/** "./lib (121 dirs), ./assets (41 dirs) and 3 more": the first few, plus a count. */
export function describeSubtrees(root: string, polled: readonly PolledSubtree[], first = 3): string {
  const names = polled.slice(0, first).map((p) => `./${path.relative(root, p.path)} (${p.dirs} dir${p.dirs === 1 ? '' : 's'})`);
  const more = polled.length - names.length;
  return more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
}

/**
 * Up to `limit` relevant files for the content-dedupe baseline, shallowest packages first (where the
 * main package and the code most often edited live). Bounded so a huge tree costs little at start: the
 * walk stops at the limit (on the 10,000-directory benchmark tree it reads ~1,000 directories, not all of
 * them; walking the whole tree for it cost ~10 MB of RSS), and a file beyond the limit is indexed the
 * first time it changes (its first touch rebuilds once).
 */
import type { WatchSettings } from '../config/settings.js';
import { scanTree } from '../watch/tree/scan.js';

export async function relevantFiles(s: WatchSettings, signal: AbortSignal, limit = 5_000): Promise<string[]> {
  return (await scanTree(s, { signal, files: true, maxFiles: limit })).files;
}

/**
 * Up to `limit` relevant files for the content-dedupe baseline, shallowest packages first (where the
 * main package and the code most often edited live). Bounded so a huge tree costs little memory at
 * start: a file beyond the limit is indexed the first time it changes (its first touch rebuilds once).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { WatchSettings } from '../config/settings.js';
import { scanTree } from '../watch/scan.js';
import { createFilter } from '../watch/filter.js';

export async function relevantFiles(s: WatchSettings, signal: AbortSignal, limit = 5_000): Promise<string[]> {
  const { dirs } = await scanTree(s, { signal });
  const depth = (d: string): number => d.split(path.sep).length;
  const ordered = [...dirs].sort((a, b) => depth(a) - depth(b));
  const filter = createFilter(s);
  const out: string[] = [];
  for (const dir of ordered) {
    if (signal.aborted || out.length >= limit) break;
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      continue; // vanished since the scan: nothing to index
    }
    for (const name of names) {
      const p = path.join(dir, name);
      if (filter.isRelevantFile(p)) out.push(p);
      if (out.length >= limit) break;
    }
  }
  return out;
}

/** The relevant files under the watched dirs (the content-dedupe baseline). Same filter as the watcher. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { WatchSettings } from '../config/settings.js';
import { scanTree } from '../watch/scan.js';
import { createFilter } from '../watch/filter.js';

export async function relevantFiles(s: WatchSettings, signal: AbortSignal): Promise<string[]> {
  const { dirs } = await scanTree(s, { signal });
  const filter = createFilter(s);
  const out: string[] = [];
  for (const dir of dirs) {
    if (signal.aborted) break;
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      continue; // vanished since the scan
    }
    for (const e of entries) {
      if (!e.isFile()) continue;
      const p = path.join(dir, e.name);
      if (filter.isRelevantFile(p)) out.push(p);
    }
  }
  return out;
}

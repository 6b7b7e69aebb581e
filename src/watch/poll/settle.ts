/**
 * Closes chokidar's polling start-up gap: chokidar reads a directory, then starts fs.watchFile on it,
 * whose baseline stat is taken asynchronously a moment later. An entry created in between is in the
 * baseline but was not in the read: it is never reported (measured: 10 of 40 files written right after
 * 'ready' were lost). So once the baselines exist, re-read every polled dir once and report what
 * chokidar does not know; unknown subdirectories are handed to chokidar and their files reported.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { TreeRules } from '../tree/rules.js';

/** Reports (through `change`) relevant files present on disk but unknown to chokidar. */
export async function settlePolling(fsw: FSWatcher, paths: string[], rules: TreeRules, change: (p: string) => void): Promise<void> {
  const watched = fsw.getWatched();
  const under = (d: string) => paths.some((p) => d === p || d.startsWith(p + path.sep));
  const queue: Array<{ dir: string; known: Set<string> | undefined }> = Object.keys(watched)
    .filter(under)
    .map((dir) => ({ dir, known: new Set(watched[dir]) }));
  while (queue.length > 0) {
    const { dir, known } = queue.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      continue; // vanished meanwhile: chokidar reports it on its next poll
    }
    for (const e of entries) {
      if (known?.has(e.name)) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!rules.descend(p)) continue;
        fsw.add(p);
        queue.push({ dir: p, known: undefined });
      } else if ((e.isFile() || e.isSymbolicLink()) && rules.filter.isRelevantFile(p)) change(p);
    }
  }
}

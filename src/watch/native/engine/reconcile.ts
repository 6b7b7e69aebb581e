/**
 * A config reload changed the watch lists (include, exclude, extensions, excludeDirs): the current
 * watches are reconciled against what the new rules want, without a re-arm. A watched directory the new
 * rules exclude is dropped (with what is below it); a directory they now reach is armed then read, as any
 * new directory is. The rest keep their watches: no event is missed there, and the app is untouched.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../../../config/settings.js';
import { entryKind, type TreeRules } from '../../tree/rules.js';
import type { DirWatches } from './dir-watches.js';
import type { TreeArmer } from './tree-armer.js';

/** Directories read between two turns of the worker's event loop. */
const READ_CHUNK = 256;

export interface ReconcileCounts {
  /** Directories watched now. */
  dirs: number;
  /** Directories newly armed. */
  added: number;
  /** Directories whose watches were dropped. */
  removed: number;
}

export async function reconcileWatches(
  s: WatchSettings,
  root: string,
  parts: { rules: TreeRules; watches: DirWatches; armer: TreeArmer },
): Promise<ReconcileCounts> {
  const { rules, watches, armer } = parts;
  rules.setSettings(s);
  let removed = 0;
  for (const dir of watches.dirs()) {
    if (dir === root || !watches.has(dir) || rules.descend(dir)) continue;
    removed += watches.unwatchSubtree(dir).length;
  }
  let added = 0;
  let read = 0;
  // Only the directories still watched are read: a newly reached directory is below one of them.
  for (const dir of watches.dirs()) {
    // The thread answers the heartbeat between chunks (20,000 directories take ~0.6 s to read).
    if (++read % READ_CHUNK === 0) await new Promise<void>((r) => setImmediate(r));
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // vanished meanwhile: its own events report it
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (watches.has(p) || entryKind(dir, e) !== 'dir' || !rules.descend(p)) continue;
      const before = watches.size;
      if (!(await armer.armTree(p, undefined))) return { dirs: watches.size, added, removed };
      added += watches.size - before;
    }
  }
  return { dirs: watches.size, added, removed };
}

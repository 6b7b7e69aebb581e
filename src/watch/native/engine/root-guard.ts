/**
 * The watched root's identity, checked each second by the native engine (one stat): deleted, replaced by
 * another directory (rm -rf + mkdir, a branch-switch tool, a mount over it), or back after being gone.
 * The kernel says nothing of these to the watches of the old directory: without this check, the watcher
 * would go deaf in silence.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sameDir, type DirId } from './dir-watches.js';

export type RootVerdict = 'ok' | 'gone' | 'replaced' | 'back' | 'still-gone';

export class RootGuard {
  private gone = false;
  /** Where the root's directory is now, when it was found elsewhere at its loss (its parent renamed). */
  movedTo: string | undefined;

  constructor(
    private readonly root: string,
    /** (dev, ino) of the root as it is watched now; undefined when it is not watched. */
    private readonly watched: () => DirId | undefined,
  ) {}

  get isGone(): boolean {
    return this.gone;
  }

  check(): RootVerdict {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(this.root);
    } catch {
      st = undefined;
    }
    if (!st?.isDirectory()) {
      if (this.gone) return 'still-gone';
      this.gone = true;
      const id = this.watched();
      this.movedTo = id && movedDir(id);
      return 'gone';
    }
    const cur = this.watched();
    if (cur && sameDir(cur, st)) {
      this.gone = false;
      return 'ok';
    }
    const wasGone = this.gone;
    this.gone = false;
    return wasGone ? 'back' : 'replaced';
  }
}

/**
 * Where the directory `id` is now, if this process's working directory is in it: `mv ~/src ~/code` leaves
 * every watch on the same directories, but each path hotwatch holds names nothing. The kernel keeps the
 * working directory on the inode, so its path (and its ancestors) tells the new name. Undefined when the
 * directory is not found so (really deleted, or hotwatch runs from elsewhere with --root).
 */
function movedDir(id: DirId): string | undefined {
  let dir: string;
  try {
    dir = fs.readlinkSync('/proc/self/cwd');
  } catch {
    return undefined; // no /proc
  }
  if (!path.isAbsolute(dir)) return undefined; // "(unreachable)…": outside our root of the namespace
  for (;;) {
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (st && sameDir(id, st)) return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The watched root's identity, checked each second by the native engine (one stat): deleted, replaced by
 * another directory (rm -rf + mkdir, a branch-switch tool, a mount over it), or back after being gone.
 * The kernel says nothing of these to the watches of the old directory: without this check, the watcher
 * would go deaf in silence.
 */
import fs from 'node:fs';
import { sameDir, type DirId } from './dir-watches.js';

export type RootVerdict = 'ok' | 'gone' | 'replaced' | 'back' | 'still-gone';

export class RootGuard {
  private gone = false;

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

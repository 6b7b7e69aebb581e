/**
 * Content dedupe: a save that changes no bytes (touch, an editor re-saving the same content) does not
 * rebuild. Keeps a hash per relevant file as of the last batch that went to a build. A file that is not
 * indexed, vanished, or is not a regular file counts as changed: when in doubt, build.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';

export interface ContentVerdict {
  changed: string[];
  unchanged: string[];
}

async function hashFile(p: string): Promise<string | undefined> {
  try {
    const st = await fs.lstat(p);
    if (!st.isFile()) return undefined;
    const data = await fs.readFile(p);
    return crypto.createHash('sha1').update(data).digest('hex');
  } catch {
    return undefined; // vanished or unreadable: counts as changed
  }
}

export class ContentIndex {
  private readonly hashes = new Map<string, string>();

  get size(): number {
    return this.hashes.size;
  }

  /**
   * Record a baseline for files last modified before `since` (epoch ms, taken once the watcher is ready,
   * before the first build reads the tree). A file modified after `since` is left unindexed, so an edit
   * racing with seeding is never mistaken for "no change"; one modified before it is what the first
   * build compiled.
   */
  async seed(paths: Iterable<string>, since: number, signal: AbortSignal, limit = 20_000): Promise<number> {
    let n = 0;
    for (const p of paths) {
      if (signal.aborted || n >= limit) break;
      try {
        const st = await fs.lstat(p);
        // 50 ms: the kernel stamps mtimes from a coarse clock that may lag the wall clock by a tick.
        if (!st.isFile() || st.mtimeMs >= since - 50) continue;
        const h = await hashFile(p);
        // Re-check: written while we read it?
        const st2 = await fs.lstat(p);
        if (h !== undefined && st2.mtimeMs === st.mtimeMs && st2.size === st.size && !this.hashes.has(p)) {
          this.hashes.set(p, h);
          n++;
        }
      } catch {
        // vanished while seeding: nothing to record
      }
    }
    return n;
  }

  /** Split `paths` by whether their content differs from the index, and update the index. */
  async classify(paths: readonly string[]): Promise<ContentVerdict> {
    const changed: string[] = [];
    const unchanged: string[] = [];
    await Promise.all(
      paths.map(async (p) => {
        const h = await hashFile(p);
        const before = this.hashes.get(p);
        if (h === undefined) {
          this.hashes.delete(p);
          changed.push(p);
        } else if (before === h) {
          unchanged.push(p);
        } else {
          this.hashes.set(p, h);
          changed.push(p);
        }
      }),
    );
    return { changed, unchanged };
  }
}

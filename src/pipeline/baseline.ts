/**
 * What the running app was built from, as content hashes: the baseline of the files changed since. A
 * batch whose net effect returns every one of them to its baseline hash (`git stash && git stash pop`, a
 * checkout reverted, an edit undone) needs neither a build nor a restart: the app already runs those
 * sources. Pure: the content index reports each change with its batch's sequence number, the supervisor
 * reports which batch the running app's binary was built from.
 *
 * Only what is known counts: a file without a known baseline hash (not indexed, created since), or a batch
 * whose files were not hashed (a rescan), makes "back to the baseline" unknowable until the next served
 * build, and the answer is then no: when in doubt, build.
 */

/** Steps kept per file before its baseline is given up (an app that never serves, a file saved all day). */
const MAX_STEPS = 64;

interface FileHistory {
  /** The hash in the baseline; undefined: not known. */
  base: string | undefined;
  /** The hash after each batch that changed it since, in batch order. */
  steps: { seq: number; hash: string | undefined }[];
}

export class ServedBaseline {
  private readonly files = new Map<string, FileHistory>();
  /** A batch with files whose changes were not hashed: unknowable until a build of it (or later) serves. */
  private unknownUntil: number | undefined;
  /** Apps started whose sources are not settled yet (see serving()): meanwhile nothing is known. */
  private unsettled = 0;
  private newestSeq = 0;
  /** Files no build compiles (run.envFiles): never noted; a batch holding one is never "back". */
  private readonly outside = new Set<string>();

  leaveOut(paths: Iterable<string>): void {
    for (const p of paths) this.outside.add(p);
  }

  isLeftOut(path: string): boolean {
    return this.outside.has(path);
  }

  /** `path` changed in batch `seq`, from hash `before` (as of the last batch) to `after` (undefined: gone). */
  noteChange(seq: number, path: string, before: string | undefined, after: string | undefined): void {
    this.newestSeq = Math.max(this.newestSeq, seq);
    if (this.outside.has(path)) return;
    const h = this.files.get(path) ?? { base: before, steps: [] };
    h.steps.push({ seq, hash: after });
    if (h.steps.length > MAX_STEPS) {
      h.base = undefined;
      h.steps = h.steps.slice(-1);
    }
    this.files.set(path, h);
  }

  /** Batch `seq` held changes that were not hashed. */
  noteUnknown(seq: number): void {
    this.newestSeq = Math.max(this.newestSeq, seq);
    this.unknownUntil = Math.max(this.unknownUntil ?? seq, seq);
  }

  /** Every file changed since the baseline is back to its baseline hash (and at least one had changed). */
  backToBaseline(): boolean {
    if (this.unsettled > 0 || this.unknownUntil !== undefined || this.files.size === 0) return false;
    for (const h of this.files.values()) {
      // The last step decides, a removal (hash undefined) included: only no step at all means "as built".
      const last = h.steps.at(-1);
      const now = last ? last.hash : h.base;
      if (h.base === undefined || now !== h.base) return false;
    }
    return true;
  }

  /**
   * A new app runs: until the returned function says which batch its binary was built from, and whether
   * exactly (no file changed while it built), nothing is known. An inexact build may hold any change seen
   * so far: unknowable until an exact build of a later batch serves.
   */
  serving(): (seq: number, exact: boolean) => void {
    this.unsettled++;
    let settled = false;
    return (seq, exact) => {
      if (settled) return;
      settled = true;
      this.unsettled--;
      this.served(seq);
      if (!exact) this.unknownUntil = Math.max(this.unknownUntil ?? 0, this.newestSeq + 1);
    };
  }

  /** The running app's binary was built from the tree as of batch `seq`: the baseline moves there. */
  served(seq: number): void {
    if (this.unknownUntil !== undefined && seq >= this.unknownUntil) this.unknownUntil = undefined;
    for (const [path, h] of this.files) {
      const built = h.steps.filter((s) => s.seq <= seq);
      if (built.length === 0) continue;
      h.base = built.at(-1)!.hash;
      h.steps = h.steps.filter((s) => s.seq > seq);
      if (h.steps.length === 0) this.files.delete(path);
    }
  }
}

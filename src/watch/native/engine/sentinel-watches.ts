/**
 * The watchdog's sentinel directories, watched apart from the tree: their events never enter the change
 * stream or the storm count, a sentinel file's event goes to `seen` only. A broken sentinel watch shows
 * as a missed round trip, which the watchdog answers by asking for the directory again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isSentinelName } from '../../tree/filter.js';
import { DirWatches } from './dir-watches.js';
import type { WatchOpener } from './openers.js';

export class SentinelWatches {
  private readonly watches: DirWatches;

  constructor(seen: (file: string) => void, opener: WatchOpener | undefined) {
    this.watches = new DirWatches(
      (dir, name) => {
        if (name !== null && isSentinelName(name)) seen(path.join(dir, name));
      },
      () => undefined,
      opener,
    );
  }

  /** Watches a sentinel directory (again, if it was replaced). Rejects with the fs error unchanged. */
  async arm(dir: string): Promise<void> {
    const st = fs.lstatSync(dir);
    if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
    const failed = await this.watches.armMany([{ dir, st }]);
    if (failed.has(dir)) throw failed.get(dir);
  }

  /** No watch is being made. */
  get settled(): boolean {
    return this.watches.settled;
  }

  /** The watches the kernel should hold for them. */
  distinctInodes(): number {
    return this.watches.distinctInodes();
  }

  /** Test-only fault: every watch closed underneath, still believed armed. */
  closeHandlesSilently(): void {
    this.watches.closeHandlesSilently();
  }

  closeAll(): void {
    this.watches.closeAll();
  }
}

/**
 * A go.work outside every watched root (hotwatch runs in app/, the go.work is in the parent) still decides
 * which modules the build uses: its edits must change the watch set. No root's watcher sees it, and
 * watching its whole directory for one file would cost a watch per directory of the parent: it is
 * stat-polled instead (one stat per watchdog interval, no watch). Only the go.work in force is followed.
 */
import fs from 'node:fs';

export class GoWorkPoll {
  private file: string | undefined;
  private readonly listener = (cur: fs.Stats, prev: fs.Stats): void => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) this.onChange();
  };

  constructor(
    private readonly intervalMs: number,
    private readonly onChange: () => void,
  ) {}

  /** Follow `file` (undefined: nothing to follow: no go.work, or a watched root holds it). */
  follow(file: string | undefined): void {
    if (file === this.file) return;
    this.close();
    this.file = file;
    if (file) fs.watchFile(file, { interval: this.intervalMs, persistent: false }, this.listener);
  }

  close(): void {
    if (this.file) fs.unwatchFile(this.file, this.listener);
    this.file = undefined;
  }
}

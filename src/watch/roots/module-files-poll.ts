/**
 * Files that decide the watch set but lie where no root's watcher sees them, stat-polled (one stat each per
 * watchdog interval, no watch): a go.work outside every watched root (hotwatch runs in app/, the go.work
 * is in the parent: watching its whole directory for one file would cost a watch per directory of the
 * parent), and the go.mod of a module the build names but that does not exist yet (a go.work `use` or a
 * replace to a directory still to be cloned): once it appears, the module joins the set. Without a
 * go.work, the places one would be found if created (goWorkCandidates).
 */
import fs from 'node:fs';
import path from 'node:path';

export class ModuleFilesPoll {
  private files = new Set<string>();
  private readonly listener = (cur: fs.Stats, prev: fs.Stats): void => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) this.onChange();
  };

  constructor(
    private readonly intervalMs: number,
    private readonly onChange: () => void,
  ) {}

  /** Follow exactly `files` from now on. */
  follow(files: readonly string[]): void {
    const next = new Set(files);
    for (const f of this.files) if (!next.has(f)) fs.unwatchFile(f, this.listener);
    for (const f of next) if (!this.files.has(f)) fs.watchFile(f, { interval: this.intervalMs, persistent: false }, this.listener);
    this.files = next;
  }

  close(): void {
    this.follow([]);
  }
}

/**
 * Where a go.work created while hotwatch runs would put the build in a workspace: go looks in the root's
 * directory and each one above it (the root's own is reported by its watcher). Without these, `go work
 * init ./app ./lib` in the parent went unnoticed: the next build compiled ../lib, and its edits were
 * missed in silence. None when GOWORK names a file or is off (go then looks nowhere else).
 */
export function goWorkCandidates(root: string, goEnv: NodeJS.ProcessEnv): string[] {
  if (goEnv.GOWORK !== undefined && goEnv.GOWORK !== '') return [];
  const out: string[] = [];
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    out.push(path.join(dir, 'go.work'));
    if (path.dirname(dir) === dir) return out;
  }
}

/**
 * Files that decide the watch set but lie where no root's watcher sees them, stat-polled (one stat each per
 * watchdog interval, no watch): a go.work outside every watched root (hotwatch runs in app/, the go.work
 * is in the parent: watching its whole directory for one file would cost a watch per directory of the
 * parent), and the go.mod of a module the build names but that does not exist yet (a go.work `use` or a
 * replace to a directory still to be cloned): once it appears, the module joins the set. Without a
 * go.work, the places one would be found if created (goWorkCandidates).
 * One timer stats them all at once (a few µs each, on this thread: no thread-pool hop), every interval
 * while the tree is busy; on a quiet tree the wait goes to 30 s (issue 19: idle costs nothing
 * measurable), and the first change in the tree after a quiet spell (`activity`) checks them at once:
 * a `go work init` in the parent is then seen by the save that follows it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { QuietPace } from '../pace/quiet-pace.js';
import { WakeTimer } from '../pace/wake-timer.js';

/** What identifies a file's version here (undefined: it does not exist). */
function stamp(file: string): string | undefined {
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st && `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch (e) {
    return `unreadable:${(e as NodeJS.ErrnoException).code ?? String(e)}`; // EACCES, ENOTDIR: a state too; a change of it is a change
  }
}

export class ModuleFilesPoll {
  private files = new Map<string, string | undefined>();
  private awaited: readonly string[] = [];
  private readonly pace: QuietPace;
  private readonly timer = new WakeTimer(() => this.check());
  /**
   * The go.work candidates as they were when this watch set was made, right after the first build was
   * spawned: the first plan comes later (go is asked, the tree armed), and a go.work removed or created
   * meanwhile was taken as the baseline, its change never built (the app served the old workspace).
   */
  private readonly early: Map<string, string | undefined>;

  constructor(
    o: { watchdog: { intervalMs: number }; settings: { root: string }; goEnv: NodeJS.ProcessEnv },
    /** The files whose state changed (created, edited, removed) since the last check. */
    private readonly onChange: (files: string[]) => void,
  ) {
    this.pace = QuietPace.standard(o.watchdog.intervalMs, performance.now());
    this.early = new Map(goWorkCandidates(o.settings.root, o.goEnv).map((f) => [f, stamp(f)]));
  }

  /**
   * Follow exactly `files` from now on (their state now is the baseline, or as it was at the start).
   * `awaited`: the go.mod of modules the build names that are not there (its build fails until they are):
   * while one is missing, the base pace holds, never the quiet one, so a module put back (a `git clone`,
   * a directory restored) is built within an interval, not up to 30 s later.
   */
  follow(files: readonly string[], awaited: readonly string[] = []): void {
    const known = (f: string): string | undefined =>
      this.files.has(f) ? this.files.get(f) : this.early.has(f) ? this.early.get(f) : stamp(f);
    this.files = new Map(files.map((f) => [f, known(f)]));
    this.awaited = awaited.filter((f) => this.files.has(f));
    this.early.clear(); // the start's baseline serves the first plan only
    if (this.files.size === 0) return this.timer.cancel();
    const now = performance.now();
    if (this.awaitedMissing()) this.pace.wake(now);
    if (this.timer.dueAt === Number.POSITIVE_INFINITY || this.timer.dueAt > now + this.pace.everyMs)
      this.timer.set(now + this.pace.everyMs);
  }

  /** A change in the tree: the base pace again, and after a quiet spell a check at once. */
  activity(): void {
    if (this.pace.wake(performance.now()) && this.files.size > 0) this.timer.set(performance.now());
  }

  close(): void {
    this.follow([]);
  }

  private awaitedMissing(): boolean {
    return this.awaited.some((f) => this.files.get(f) === undefined);
  }

  private check(): void {
    const changed: string[] = [];
    for (const [f, before] of this.files) {
      const now = stamp(f);
      if (now === before) continue;
      changed.push(f);
      this.files.set(f, now);
    }
    const now = performance.now();
    if (changed.length > 0) {
      this.pace.wake(now);
      this.onChange(changed);
    } else if (this.awaitedMissing()) this.pace.wake(now);
    else this.pace.clean(now);
    if (this.files.size > 0) this.timer.set(now + this.pace.everyMs, now);
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

/**
 * Each root's vendor/modules.txt: vendor/ is never watched, and `go mod vendor` (or its removal) changes
 * which packages the build compiles from there (some are watched: tree/left-out-packages.ts).
 */
export function vendorManifests(roots: readonly string[]): string[] {
  return roots.map((d) => path.join(d, 'vendor', 'modules.txt'));
}

/**
 * A `.gitignore` edited while hotwatch runs changes what watch.gitignore leaves out. Before, the new rules
 * applied only at the next start: a directory taken out of .gitignore stayed unwatched, its edits missed
 * in silence. So every .gitignore under a watched root is reported by the watcher (never as a change to
 * build), and once its saves settle each root's git-ignored directories are planned again and its
 * watches reconciled in place: a directory no longer ignored is armed, and one rebuild picks up what
 * changed there while it was not watched; one newly ignored loses its watches. Both are said.
 * (.git/info/exclude and a global excludes file are read at start only: they are not in the tree.)
 */
import path from 'node:path';
import type { Logger } from '../../log/logger.js';
import type { WatchEvent } from '../../pipeline/events.js';
import type { WatchSettings } from '../../config/settings.js';
import { IgnoredDirs } from '../tree/gitignore.js';

export const IGNORE_FILE = '.gitignore';
/** Added to the watch lists where watch.gitignore is on: every .gitignore of the tree. */
export const IGNORE_FILE_GLOB = `**/${IGNORE_FILE}`;
/** Editors and `git checkout` write several .gitignore files in a row: planned once they settle. */
const QUIET_MS = 300;

/** The .gitignore a change event is about, if it is one. */
export const ignoreFileOf = (ev: WatchEvent): string | undefined =>
  ev.kind === 'change' && path.basename(ev.path) === IGNORE_FILE ? ev.path : undefined;

export interface IgnoreFilesHost {
  /** Each root's git-ignored directories left out now. */
  leftOut(): { root: string; excluded: string[] }[];
  /** Each watched root's settings now (watch.gitignore is per root). */
  roots(): WatchSettings[];
  /** Plans every root's git-ignored directories again and reconciles its watches in place. */
  replanIgnored(): Promise<void>;
  /** One rebuild of what changed while some directories were not watched. */
  rescan(reason: string): void;
  /**
   * What changed in `dirs` (watched again) while they were not: each such file as a change (a template
   * the app reads at run time restarts it), nothing when none did; rejects when it cannot tell.
   */
  changedIn?(dirs: string[], name: string): Promise<void>;
}

export class IgnoreFileChanges {
  private timer: NodeJS.Timeout | undefined;
  /** Per root: which directories git ignores now, for those made after the plan. */
  private readonly ignoredDirs = new Map<string, IgnoredDirs>();
  /** Directories already planned again for (once each, until a .gitignore changes). */
  private readonly planned = new Set<string>();

  constructor(
    private readonly host: IgnoreFilesHost,
    private readonly log: Logger,
    private readonly cwd: string,
  ) {}

  changed(file: string): void {
    for (const d of this.ignoredDirs.values()) d.clear();
    this.planned.clear();
    this.schedule(file, 'changed');
  }

  /**
   * A file changed: in a directory git ignores that was made after the plan (an app's uploads/, a
   * public/ it renders to), the git-ignored directories are planned again, as at start: that directory
   * then loses its watches (said), unless the build reads it. The change itself goes on as any other.
   */
  fileChanged(file: string): void {
    const dir = path.dirname(file);
    // Go sources in a new ignored directory are generated code the build may compile: go list decides (embedded-files.ts).
    if (this.planned.has(dir) || file.endsWith('.go') || /^go\.(mod|sum|work)$/.test(path.basename(file))) return;
    const s = this.host.roots().find((r) => r.gitignore && !path.relative(r.root, dir).startsWith('..'));
    if (!s) return;
    const ignored = this.ignoredDirs.get(s.root) ?? new IgnoredDirs(s.root);
    this.ignoredDirs.set(s.root, ignored);
    if (!ignored.ignored(dir)) return;
    this.planned.add(dir);
    this.schedule(file, 'was written in a directory git ignores');
  }

  private schedule(file: string, what: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.follow(file, what), QUIET_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private async follow(file: string, what: string): Promise<void> {
    this.timer = undefined;
    const before = leftOutDirs(this.host);
    try {
      await this.host.replanIgnored();
    } catch (e) {
      this.log.warn(
        { event: 'watch.gitignore-failed', file, err: e },
        `${this.rel(file)} changed, but planning the git-ignored directories again failed (${String(e)}): they stay watched as they were until a restart`,
      );
      return;
    }
    const after = leftOutDirs(this.host);
    const watched = [...before].filter((d) => !after.has(d));
    const ignored = [...after].filter((d) => !before.has(d));
    if (watched.length === 0 && ignored.length === 0) {
      this.log.debug({ event: 'watch.gitignore-same', file }, `${this.rel(file)} ${what}: the same directories are left out`);
      return;
    }
    const parts = [
      ...(watched.length ? [`watching ${this.list(watched)} again`] : []),
      ...(ignored.length ? [`no longer watching ${this.list(ignored)} (git-ignored now)`] : []),
    ];
    this.log.info({ event: 'watch.gitignore-changed', file, watched, ignored }, `${this.rel(file)} ${what}: ${parts.join('; ')}`);
    if (watched.length === 0) return;
    const why = `${this.list(watched)} no longer git-ignored: building what changed there while it was not watched`;
    try {
      if (this.host.changedIn) return await this.host.changedIn(watched, this.list(watched));
    } catch (e) {
      this.log.debug(
        { event: 'watch.gitignore-catch-up-failed', err: e },
        `could not tell what changed in ${this.list(watched)}: ${String(e)}`,
      );
    }
    this.host.rescan(why); // what changed is unknown: one build of everything
  }

  private rel(p: string): string {
    return path.relative(this.cwd, p) || p;
  }

  private list(dirs: string[]): string {
    const shown = dirs.slice(0, 5).map((d) => this.rel(d));
    return dirs.length > 5 ? `${shown.join(', ')} and ${dirs.length - 5} more` : shown.join(', ');
  }
}

function leftOutDirs(host: IgnoreFilesHost): Set<string> {
  return new Set(host.leftOut().flatMap((r) => r.excluded));
}

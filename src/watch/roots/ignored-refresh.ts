/**
 * A git-ignored directory left out at start may become a build input later: an edit imports a generated
 * package that nothing imported before. Its edits would then be missed in silence. So, after `.go` edits
 * settle (and only in a root that left git-ignored directories out), the package list is asked again in the
 * background (`go list -deps`, no network); a left-out directory that now holds a directory the build reads
 * has its root re-armed with it watched, and one rebuild picks up what changed there meanwhile.
 */
import type { Logger } from '../../log/logger.js';
import { refineIgnored } from '../tree/gitignore.js';
import type { BuildDirsOnce } from './ignored-excludes.js';

export interface RefreshHost {
  /** Each root that left git-ignored directories out, with them. */
  leftOut(): { root: string; excluded: string[] }[];
  /** A fresh package list (also used by the next plans). */
  freshBuildDirs(): BuildDirsOnce;
  /** Plan the root's git-ignored directories again and re-arm it (one rescan). */
  rearm(root: string, why: string): Promise<void>;
}

/** After the last `.go` edit: a build has usually run by then. */
const SETTLE_MS = 2000;

export class IgnoredRefresh {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly host: RefreshHost,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {}

  goChanged(): void {
    if (this.signal.aborted || this.host.leftOut().length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), SETTLE_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.running) return this.goChanged(); // once the current one ends
    this.running = true;
    try {
      const dirs = await this.host.freshBuildDirs()();
      for (const { root, excluded } of this.host.leftOut()) {
        const now = refineIgnored(root, excluded, dirs).kept;
        if (now.length === 0) continue;
        await this.host.rearm(root, `the build now reads git-ignored ${now.join(', ')}`);
      }
    } catch (e) {
      if (!this.signal.aborted)
        this.log.warn(
          { event: 'watch.gitignore-unknown', err: e },
          `could not list the packages the build uses again (${String(e)}): git-ignored directories left out at start stay unwatched`,
        );
    } finally {
      this.running = false;
    }
  }
}

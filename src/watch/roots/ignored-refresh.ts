/**
 * A git-ignored directory left out at start may become a build input later: an edit imports a generated
 * package that nothing imported before. Its edits would then be missed in silence. So, after `.go` edits
 * settle (and only in a root that left git-ignored directories out), the package list is asked again in the
 * background (`go list -deps`, no network); a left-out directory that now holds a directory the build reads
 * has its root re-armed with it watched, and one rebuild picks up what changed there meanwhile.
 */
import type { Logger } from '../../log/logger.js';
import { refineIgnored } from '../tree/gitignore.js';
import { AfterSettle } from './after-settle.js';
import type { BuildDirsOnce } from './ignored-excludes.js';

export interface RefreshHost {
  /** Each root that left git-ignored directories out, with them. */
  leftOut(): { root: string; excluded: string[] }[];
  /** A fresh package list (also used by the next plans). */
  freshBuildDirs(): BuildDirsOnce;
  /** Plan the root's git-ignored directories again and re-arm it (one rescan). */
  rearm(root: string, why: string): Promise<void>;
}

export class IgnoredRefresh {
  private readonly settle: AfterSettle;

  constructor(
    private readonly host: RefreshHost,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {
    this.settle = new AfterSettle(() => this.run(), signal);
  }

  goChanged(): void {
    if (this.host.leftOut().length > 0) this.settle.changed();
  }

  close(): void {
    this.settle.close();
  }

  private async run(): Promise<void> {
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
    }
  }
}

/**
 * Polling watchers beside the native one, one per subtree: poll-type mounts inside the tree (9p, NFS,
 * fuse...: inotify never sees edits made on the other side), the subtrees the inotify budget does not
 * fit, and a mount the watchdog gave up watching natively. Keyed by path; adding twice is a no-op.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../../config/settings.js';
import { createFilter } from '../tree/filter.js';
import { classifyFs, mountsUnder, type MountEntry } from '../../os/mounts.js';
import { PollWatcher } from './poll.js';
import type { WatcherOptions, WatcherReady } from '../types.js';

export class PolledSubtrees {
  private readonly byPath = new Map<string, PollWatcher>();
  /** Why each subtree is polled (kept to start its poller again after a config reload). */
  private readonly reasons = new Map<string, string>();

  constructor(
    /** The options every polling watcher shares (callbacks, signal, mount table). */
    private readonly backendOptions: () => WatcherOptions & { mounts?: MountEntry[] },
    private readonly settings: WatchSettings,
  ) {}

  /** Poll-type mounts strictly under the root (as the root is spelled), not excluded. */
  pollTypeMounts(realRoot: string, mounts: MountEntry[]): Array<{ p: string; m: MountEntry }> {
    const root = path.resolve(this.settings.root);
    const filter = createFilter(this.backendOptions().settings); // the lists as they are now (a reload changes them)
    return mountsUnder(realRoot, mounts)
      .filter((m) => m.mountPoint !== realRoot && classifyFs(m.fsType).events === 'poll')
      .map((m) => ({ m, p: path.join(root, path.relative(realRoot, m.mountPoint)) }))
      .filter(({ p }) => !filter.isExcludedDir(p));
  }

  async add(p: string, reason: string): Promise<WatcherReady> {
    const old = this.byPath.get(p);
    if (old) return old.ready;
    const w = new PollWatcher({ ...this.backendOptions(), paths: [p], reason });
    this.byPath.set(p, w);
    this.reasons.set(p, reason);
    try {
      return await w.ready;
    } catch (e) {
      this.byPath.delete(p);
      await w.close();
      throw e;
    }
  }

  has(p: string): boolean {
    return this.byPath.has(p);
  }

  /**
   * A config reload changed the watch lists (backendOptions() gives the new ones): each poller starts again
   * with them (a poller holds no watch to keep), and a subtree the lists now exclude is no longer polled.
   */
  async restartAll(): Promise<void> {
    const filter = createFilter(this.backendOptions().settings);
    for (const [p, reason] of [...this.reasons]) {
      await this.remove(p);
      if (!filter.isExcludedDir(p)) await this.add(p, reason);
    }
  }

  async remove(p: string): Promise<void> {
    const w = this.byPath.get(p);
    this.byPath.delete(p);
    this.reasons.delete(p);
    await w?.close();
  }

  /** A mount changed at `p`: poll it when it is a poll-type mount now, stop polling it otherwise. */
  async sync(p: string, mounts: MountEntry[]): Promise<void> {
    const root = path.resolve(this.settings.root);
    let real = root;
    try {
      real = fs.realpathSync(root);
    } catch {
      // root gone meanwhile: compare as spelled
    }
    const m = mountsUnder(real, mounts).find((x) => path.join(root, path.relative(real, x.mountPoint)) === p);
    if (m && classifyFs(m.fsType).events === 'poll') await this.add(p, `${m.fsType} mount: ${classifyFs(m.fsType).reason}`);
    else await this.remove(p);
  }

  dirs(): number {
    let n = 0;
    for (const w of this.byPath.values()) n += w.stats()?.dirs ?? 0;
    return n;
  }

  /** A full poll round (PollWatcher.caughtUp) of every subtree polled here, and of `main` when it is a poller too. */
  caughtUp(main: unknown): Promise<void> {
    const all = [...this.byPath.values(), ...(main instanceof PollWatcher ? [main] : [])];
    return Promise.all(all.map((w) => w.caughtUp())).then(() => undefined);
  }

  async closeAll(): Promise<void> {
    const all = [...this.byPath.values()];
    this.byPath.clear();
    this.reasons.clear();
    await Promise.all(all.map((w) => w.close()));
  }
}

/**
 * Where the watches of a DirWatches come from: the inotify helper process (Linux: the watches outside
 * V8, the kernel's queue overflow seen) or, where it cannot run, fs.watch (libuv's inotify instance of
 * the watcher thread). Both open a watch per directory and report raw events, errors and drops to the
 * watch's owner.
 */
import fs from 'node:fs';
import { HelperLink, RENAMED_MASK, writeComplete, type WriteState } from '../helper/link.js';
import type { DirListing, WatchCount } from '../helper/wire.js';
import type { KeptFiles } from '../../tree/filter.js';

/** What an opened watch reports to (a DirWatches). */
export interface WatchOwner {
  raw(dir: string, name: string | null, renamed: boolean, complete?: WriteState): void;
  error(dir: string, err: Error): void;
  /** The kernel dropped the watch on its own (directory deleted, unmounted). */
  gone(dir: string, handle: WatchHandle): void;
}

export interface WatchHandle {
  close(): void;
  /** Set when the watch could not be made (known once `settle()` resolved). */
  failed?: Error;
  /** openListed: the directory as read after its watch was made (known once `settle()` resolved)... */
  listing?: DirListing;
  /** ...or why it could not be read (the watch stands). */
  unreadable?: Error;
}

export interface WatchOpener {
  /** Starts watching `dir`. May throw at once (fs.watch) or fail later (`handle.failed` after settle). */
  open(dir: string, owner: WatchOwner): WatchHandle;
  /**
   * Starts watching `dir`, then reads it (the helper does both in one round trip: on a big tree the
   * per-directory syscalls are most of the arming). Where absent, the caller lstats and reads itself.
   */
  openListed?(dir: string, owner: WatchOwner, keep?: KeptFiles): WatchHandle;
  /** Resolves once every watch opened before is made or failed. */
  settle(): Promise<void>;
}

/** fs.watch: libuv's inotify instance of this thread. */
export const fsWatchOpener: WatchOpener = {
  open(dir, owner) {
    const w = fs.watch(dir, { persistent: true }, (type, name) =>
      owner.raw(dir, typeof name === 'string' ? name : null, type === 'rename'),
    );
    w.on('error', (err: Error) => owner.error(dir, err));
    return {
      close() {
        w.removeAllListeners('error');
        w.on('error', () => undefined); // a late error from a closed handle has nobody to tell
        w.close();
      },
    };
  },
  settle: () => Promise.resolve(),
};

/** One watch of the inotify helper. */
class HelperHandle implements WatchHandle {
  failed?: Error;
  listing?: DirListing;
  unreadable?: Error;
  constructor(
    readonly id: number,
    readonly dir: string,
    readonly owner: WatchOwner,
    private readonly opener: HelperOpener,
  ) {}

  close(): void {
    this.opener.closeHandle(this);
  }
}

/** What the helper reports that is not about one watch. */
export interface HelperEvents {
  /** The kernel's event queue overflowed: events were lost. */
  overflow(): void;
  /** The helper cannot watch (errno of inotify_init1) or died: nothing is watched any more. */
  died(why: string, errno: string | undefined): void;
}

/** Watches held by an inotify helper process it starts: events, drops and failures routed by id. */
export class HelperOpener implements WatchOpener {
  private nextId = 0;
  private readonly handles = new Map<number, HelperHandle>();
  private readonly link: HelperLink;

  constructor(
    binPath: string,
    private readonly settleTimeoutMs: number,
    on: HelperEvents,
  ) {
    this.link = new HelperLink(binPath, {
      event: (id, mask, name) => this.event(id, name, (mask & RENAMED_MASK) !== 0, writeComplete(mask)),
      gone: (id) => this.gone(id),
      failed: (id, errno) => this.failed(id, errno),
      listed: (id, listing) => {
        const h = this.handles.get(id);
        if (h) h.listing = listing;
      },
      unreadable: (id, errno) => {
        const h = this.handles.get(id);
        if (h) h.unreadable = Object.assign(new Error(`${errno}: cannot read ${h.dir}`), { code: errno, path: h.dir });
      },
      overflow: () => on.overflow(),
      died: (why, errno) => on.died(why, errno),
    });
  }

  /** The helper's pid (its fdinfo holds the watches), once started. */
  get pid(): number | undefined {
    return this.link.pid;
  }

  close(): void {
    this.link.close();
  }

  /** Resolves once the helper has exited and been reaped (or after `timeoutMs`). */
  exited(timeoutMs: number): Promise<void> {
    return this.link.exited(timeoutMs);
  }

  open(dir: string, owner: WatchOwner): WatchHandle {
    const h = new HelperHandle(++this.nextId, dir, owner, this);
    this.handles.set(h.id, h);
    this.link.add(h.id, dir);
    return h;
  }

  openListed(dir: string, owner: WatchOwner, keep?: KeptFiles): WatchHandle {
    const h = new HelperHandle(++this.nextId, dir, owner, this);
    this.handles.set(h.id, h);
    this.link.list(h.id, dir, keep);
    return h;
  }

  settle(): Promise<void> {
    return this.link.barrier(this.settleTimeoutMs);
  }

  /** The kernel's count of the helper's watches, read by the helper (HelperLink.count). */
  countWatches(): Promise<WatchCount | undefined> {
    return this.link.count();
  }

  closeHandle(h: HelperHandle): void {
    if (this.handles.delete(h.id)) this.link.remove(h.id);
  }

  private event(id: number, name: string | null, renamed: boolean, complete: WriteState): void {
    const h = this.handles.get(id);
    if (h) h.owner.raw(h.dir, name, renamed, complete);
  }

  private gone(id: number): void {
    const h = this.handles.get(id);
    if (!h) return;
    this.handles.delete(id);
    h.owner.gone(h.dir, h);
  }

  private failed(id: number, errno: string): void {
    const h = this.handles.get(id);
    if (!h) return;
    this.handles.delete(id);
    h.failed = Object.assign(new Error(`${errno}: cannot watch ${h.dir}`), { code: errno, path: h.dir });
  }
}

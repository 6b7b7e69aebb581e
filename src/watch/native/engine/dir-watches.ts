/**
 * The set of per-directory watches of one watcher thread (one inotify watch each, no per-file watches).
 * Knows each dir's (dev, ino) so a directory replaced under the same name is noticed, and can drop a
 * whole subtree at once when a directory vanishes or moves out. The watches themselves come from a
 * WatchOpener (openers.ts): the inotify helper process, or fs.watch where it cannot run.
 */
import path from 'node:path';
import fs from 'node:fs';
import type { DirListing } from '../helper/wire.js';
import type { KeptFiles } from '../../tree/filter.js';
import type { WriteState } from '../helper/link.js';
import { fsWatchOpener, type WatchHandle, type WatchOpener, type WatchOwner } from './openers.js';

/**
 * `renamed`: an entry was created, deleted or moved (inotify IN_CREATE/IN_DELETE/IN_MOVED_*).
 * `complete`: the entry's write as the event left it (WriteState; see writeComplete).
 */
export type RawListener = (dir: string, name: string | null, renamed: boolean, complete?: WriteState) => void;

/** Identity of a directory: (dev, ino) plus its birth time, since a deleted dir's inode number is reused at once. */
export interface DirId {
  dev: number;
  ino: number;
  /** statx birth time (ms); 0 where the filesystem does not record it. */
  birth: number;
}

/** Whether `st` is the directory `id` describes (not a new one that got the same inode number). */
export function sameDir(id: DirId, st: { dev: number; ino: number; birthtimeMs?: number }): boolean {
  const birth = st.birthtimeMs ?? 0;
  return id.dev === st.dev && id.ino === st.ino && (id.birth === 0 || birth === 0 || id.birth === birth);
}

interface Entry extends DirId {
  handle: WatchHandle;
  /** The kernel dropped the watch (helper): known, but deaf until re-armed. */
  dead?: boolean;
  /** armListed: the identity comes with the helper's answer; unknown until then. */
  pending?: boolean;
}

/** What armListed found for one directory: its listing, the watch's failure, or neither (dropped meanwhile). */
export type ListedOutcome = { listing: DirListing } | { unreadable: unknown } | { failed: unknown } | undefined;

export class DirWatches implements WatchOwner {
  private readonly map = new Map<string, Entry>();
  /** parent → watched children, so a vanished subtree is dropped without scanning every dir. */
  private readonly children = new Map<string, Set<string>>();
  /** armMany calls waiting for their watches to be made: the map then holds dirs the kernel may not yet. */
  private settling = 0;

  constructor(
    private readonly onRaw: RawListener,
    private readonly onError: (dir: string, err: Error) => void,
    private readonly opener: WatchOpener = fsWatchOpener,
  ) {}

  raw(dir: string, name: string | null, renamed: boolean, complete?: WriteState): void {
    this.onRaw(dir, name, renamed, complete);
  }

  error(dir: string, err: Error): void {
    this.onError(dir, err);
  }

  /**
   * The kernel dropped this watch: the entry stays, marked dead (so a vanished subtree is still dropped
   * and reported), and the engine resolves the path as if its parent had reported it: re-armed when it
   * is still there, dropped when it is gone.
   */
  gone(dir: string, handle: WatchHandle): void {
    const e = this.map.get(dir);
    if (e?.handle !== handle) return;
    e.dead = true;
    this.onRaw(path.dirname(dir), path.basename(dir), true);
  }

  get size(): number {
    return this.map.size;
  }

  has(dir: string): boolean {
    return this.map.has(dir);
  }

  /** The identity of a live watch on `dir` (undefined when none, or when the kernel dropped it). */
  inodeOf(dir: string): DirId | undefined {
    const e = this.map.get(dir);
    return e?.dead || e?.pending ? undefined : e;
  }

  /** The opener watches and reads a directory in one step (the helper): armListed may be used. */
  get listsOnArm(): boolean {
    return this.opener.openListed !== undefined;
  }

  dirs(): string[] {
    return [...this.map.keys()];
  }

  /** No watch is being made: every dir in the map is one the kernel was asked for and answered. */
  get settled(): boolean {
    return this.settling === 0;
  }

  /** Distinct (dev, ino) pairs: what the kernel really holds watches for (bind mounts share one). */
  distinctInodes(): number {
    // Counted when asked (an audit, every few seconds at most): a standing "dev:ino" map cost ~1.5 MB.
    // One set of inode numbers per device, not "dev:ino" strings: on 10,000 directories the strings were
    // ~0.7 MB of garbage per audit, a young-generation collection on node's worker threads each time
    // (issue 19, idle CPU); inode numbers below 2^30 are stored unboxed.
    const byDev = new Map<number, Set<number>>();
    for (const e of this.map.values()) {
      if (e.dead || e.pending) continue;
      let inos = byDev.get(e.dev);
      if (!inos) {
        inos = new Set<number>();
        byDev.set(e.dev, inos);
      }
      inos.add(e.ino);
    }
    let n = 0;
    for (const inos of byDev.values()) n += inos.size;
    return n;
  }

  /**
   * Watches each dir (already lstat'ed as a directory by the caller); resolves once every watch is made
   * or failed, with the failures (fs.watch's or the helper's errors: ENOSPC, EMFILE, ENOENT, EACCES...)
   * by dir: the caller decides what each means. A failed dir is not kept.
   */
  async armMany(
    items: ReadonlyArray<{ dir: string; st: { dev: number; ino: number; birthtimeMs?: number } }>,
  ): Promise<Map<string, unknown>> {
    const failed = new Map<string, unknown>();
    const opened: string[] = [];
    for (const { dir, st } of items) {
      try {
        if (this.arm(dir, st)) opened.push(dir);
      } catch (e) {
        failed.set(dir, e);
      }
    }
    if (opened.length === 0) return failed;
    await this.settleOpener();
    for (const dir of opened) {
      const err = this.map.get(dir)?.handle.failed;
      if (err === undefined) continue;
      this.closeOne(dir);
      failed.set(dir, err);
    }
    return failed;
  }

  /** Until the opener has answered every open asked so far (`settling` says one is awaited meanwhile). */
  private async settleOpener(): Promise<void> {
    this.settling++;
    try {
      await this.opener.settle();
    } finally {
      this.settling--;
    }
  }

  /**
   * Watches each dir (none watched yet; the caller applied the rules), then has it read, by the opener
   * (openListed): the watch is made before the listing, so nothing created in between is missed. The
   * identity kept is the one the listing gives. Resolves once every answer is in, with each dir's outcome.
   * `keep`: the only regular files the listings must name (the others are never relevant).
   */
  async armListed(dirs: readonly string[], keep?: KeptFiles): Promise<Map<string, ListedOutcome>> {
    const opened: Array<[string, WatchHandle]> = [];
    for (const dir of dirs) {
      this.closeOne(dir); // a caller's stale entry, if any: never two handles for one path
      const handle = this.opener.openListed!(dir, this, keep);
      this.map.set(dir, { handle, dev: 0, ino: 0, birth: 0, pending: true });
      this.addChild(dir);
      opened.push([dir, handle]);
    }
    const out = new Map<string, ListedOutcome>();
    if (opened.length === 0) return out;
    await this.settleOpener();
    for (const [dir, handle] of opened) {
      const { listing, unreadable, failed } = handle;
      handle.listing = handle.unreadable = undefined; // the handle lives as long as the watch: the entries must not
      const e = this.map.get(dir);
      if (e?.handle !== handle) continue; // dropped (or re-armed) meanwhile
      if (failed !== undefined) {
        this.closeOne(dir);
        out.set(dir, { failed });
      } else if (listing) {
        setIdentity(e, listing);
        out.set(dir, { listing });
      } else if (unreadable !== undefined) {
        setIdentity(e, lstatOr(dir));
        out.set(dir, { unreadable });
      }
    }
    return out;
  }

  /** Watches one dir; true when a watch was opened (false: already watched as that very directory). */
  private arm(dir: string, st: { dev: number; ino: number; birthtimeMs?: number }): boolean {
    const old = this.map.get(dir);
    if (old) {
      if (sameDir(old, st) && !old.dead) return false;
      this.closeOne(dir);
    }
    const handle = this.opener.open(dir, this);
    this.map.set(dir, { handle, dev: st.dev, ino: st.ino, birth: st.birthtimeMs ?? 0 });
    this.addChild(dir);
    return true;
  }

  private addChild(dir: string): void {
    const parent = path.dirname(dir);
    let set = this.children.get(parent);
    if (!set) {
      set = new Set();
      this.children.set(parent, set);
    }
    set.add(dir);
  }

  /** Whether `p` or anything below it is watched. */
  hasSubtree(p: string): boolean {
    return this.map.has(p) || (this.children.get(p)?.size ?? 0) > 0;
  }

  /** Closes the watches of `p` and every watched dir below it; returns the dirs that were dropped. */
  unwatchSubtree(p: string): string[] {
    const dropped: string[] = [];
    const stack = [p];
    while (stack.length > 0) {
      const d = stack.pop()!;
      const kids = this.children.get(d);
      if (kids) stack.push(...kids);
      if (this.map.has(d)) {
        this.closeOne(d);
        dropped.push(d);
      }
    }
    return dropped;
  }

  /** Test-only fault: close every handle but keep believing they are armed (a deaf watcher). */
  closeHandlesSilently(): void {
    for (const e of this.map.values()) e.handle.close();
  }

  closeAll(): void {
    for (const d of [...this.map.keys()]) this.closeOne(d);
  }

  private closeOne(dir: string): void {
    const e = this.map.get(dir);
    if (!e) return;
    this.map.delete(dir);
    const parent = path.dirname(dir);
    const set = this.children.get(parent);
    set?.delete(dir);
    if (set?.size === 0) this.children.delete(parent);
    e.handle.close();
  }
}

function setIdentity(e: Entry, st: { dev: number; ino: number; birthtimeMs: number } | undefined): void {
  e.pending = undefined;
  // Unknown (a listing that failed, then an lstat too: it is going away): no identity matches it, so
  // the next event there re-arms it.
  e.dev = st?.dev ?? -1;
  e.ino = st?.ino ?? -1;
  e.birth = st?.birthtimeMs ?? 0;
}

function lstatOr(dir: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(dir);
  } catch {
    return undefined;
  }
}

/**
 * Raw events on their way to change events, inside the watcher thread. The paths and directories they
 * name wait here (coalesced for `coalesceMs`), then a flush resolves them against the watches: a new
 * directory is armed (and its files reported), a vanished or replaced one dropped, a relevant file
 * posted. The coverage sweep works on the same tree (directories that should be watched vs watched), so
 * it runs only between flushes. `sync` posts what was received without the coalescing wait.
 */
import path from 'node:path';
import type { NativeTuning } from './tuning.js';
import type { DirWatches } from './dir-watches.js';
import type { WriteState } from '../helper/link.js';
import type { WatchNotice } from '../../types.js';
import type { TreeArmer } from './tree-armer.js';
import { wallNow } from '../protocol.js';

/** One step of the coverage sweep: whether it ended a pass over every watched dir, and found anything. */
export interface SweepStep {
  passEnded: boolean;
  found: boolean;
}

/** Where resolved events go. */
export interface ResolverSink {
  /**
   * `at`: when the newest raw event behind these paths arrived (epoch ms, `wallNow`), not when they were
   * resolved: the debouncer's quiet window counts from the event, so the coalescing here is not added to it.
   * `complete[i]`: the write of `paths[i]` is known to be finished (the helper saw it closed or renamed into
   * place, and nothing since); absent when no path is. `writing[i]`: it was written and not closed yet (a
   * writer has it open: its close is to come); absent when no path is.
   */
  events(paths: string[], at: number, complete?: boolean[], writing?: boolean[]): void;
  /** Rebuild everything: an event may have been missed (a watch failed, resolving events failed). */
  rescan(reason: string): void;
  notice(n: WatchNotice): void;
}

/** What the resolver needs of the engine that feeds it. */
export interface ResolverHost {
  readonly stopped: boolean;
  readonly inStorm: boolean;
  /** The tree rules' notices not posted yet go out. */
  postNotices(): void;
  /** New directories were armed: count the kernel's watches soon. */
  armedMore(): void;
  /** A flush left nothing pending: report the re-arms it completed (`reconciled`: every directory re-checked). */
  settled(reconciled: boolean): void;
}

const POST_CHUNK = 2000;

export class EventResolver {
  private pending = new Set<string>();
  /** When the newest raw event arrived (epoch ms). */
  private lastRawAt: number | undefined;
  /** Per path not yet posted: whether its latest raw event left its write complete (see writeComplete). */
  private readonly complete = new Map<string, true | false | 'writing'>();
  /** Pending paths that are watched dirs their parent reported created/deleted/moved: re-armed whatever their identity. */
  private renamed = new Set<string>();
  /** Watched directories whose event named no entry: re-read whole. */
  private dirtyDirs = new Set<string>();
  private reconcileWanted = false;
  /** A reconcile ran since the last flush that left nothing pending. */
  private reconciled = false;
  private flushTimer: NodeJS.Timeout | undefined;
  /** The flush under way (not a sweep), for sync() to wait on. */
  private flushRun: Promise<void> | undefined;
  /** A flush or a sweep holds the tree. */
  private busy = false;
  /** The coverage sweep's work list: watched dirs still to re-read in this round. */
  private sweepQueue: string[] = [];

  constructor(
    private readonly tuning: NativeTuning,
    private readonly sink: ResolverSink,
    private readonly armer: TreeArmer,
    private readonly watches: DirWatches,
    private readonly host: ResolverHost,
  ) {}

  /** Nothing waits to be resolved and nothing is being resolved. */
  get idle(): boolean {
    return !this.busy && this.pending.size === 0 && this.dirtyDirs.size === 0;
  }

  /** A raw event: `name` in `dir` (null: the directory itself changed in a way that names no entry). */
  add(dir: string, name: string | null, renamed: boolean, complete: WriteState): void {
    this.lastRawAt = wallNow();
    if (name === null) this.dirtyDirs.add(dir);
    else {
      const p = path.join(dir, name);
      this.pending.add(p);
      if (complete !== undefined) this.complete.set(p, complete);
      if (renamed && this.watches.has(p)) this.renamed.add(p); // a watched dir created/deleted/moved there
    }
    this.schedule();
  }

  /** Resolve `p` at the next flush (a directory to arm again, one whose watch failed). */
  queue(p: string): void {
    this.pending.add(p);
    this.schedule();
  }

  /** Re-check every watched directory at the next flush (a storm is over: events of any dir may be lost). */
  reconcileAll(): void {
    this.reconcileWanted = true;
    this.schedule();
  }

  stop(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  /**
   * Resolves once everything received so far is posted: a flush under way is awaited, one that waits
   * out the coalescing runs now. (The helper's barrier, which drains the kernel's queue into here, is
   * the engine's part of NativeEngine.sync.)
   */
  async sync(): Promise<void> {
    // A sweep holds the tree for a few ms, and its end schedules the flush; a flush under way takes what
    // is pending (it loops while anything is), or leaves it to the next one, which then runs at once.
    while (!this.host.stopped && this.busy && this.flushRun === undefined)
      await new Promise<void>((r) => {
        setTimeout(r, 1);
      });
    if (this.flushRun !== undefined) await this.flushRun;
    if (this.flushTimer && !this.host.stopped) await this.runFlush();
  }

  /**
   * The coverage sweep: re-reads watched dirs in turn for `sweepBudgetMs`; a subdirectory that exists
   * (for longer than an event takes) but is not watched lost its create event (kernel queue overflow, a
   * storm): it is armed, its files reported, and the loss said. Only while nothing else is resolved.
   */
  async sweep(): Promise<SweepStep | undefined> {
    if (this.busy || this.flushTimer || !this.idle || this.host.inStorm) return undefined;
    this.busy = true;
    const out: string[] = [];
    const armed: string[] = [];
    const started = performance.now();
    try {
      if (this.sweepQueue.length === 0) this.sweepQueue = this.watches.dirs();
      while (this.sweepQueue.length > 0 && !this.host.stopped && performance.now() - started < this.tuning.sweepBudgetMs) {
        const d = this.sweepQueue.pop()!;
        if (!(await this.armer.reconcileDir(d, out, { minAgeMs: this.tuning.sweepMinAgeMs, armed }))) this.pending.add(d); // vanished unseen
      }
      // A special mount armed now that it holds Go sources (a tmpfs mounted empty, filled later) lost no
      // event: the rules said so (MOUNT_HOLDS_GO); its files are in `out` all the same.
      const lost = armed.filter((d) => !this.armer.rules.isSpecialMount(d));
      if (lost.length > 0) this.coverageLost(lost);
      else if (armed.length > 0) this.host.armedMore();
      this.post(out);
      return { passEnded: this.sweepQueue.length === 0, found: armed.length > 0 || out.length > 0 || this.pending.size > 0 };
    } catch (e) {
      this.sink.notice({ level: 'error', code: 'WATCH_INTERNAL', message: `the coverage sweep failed (${String(e)}): a rescan follows` });
      this.sink.rescan(`coverage sweep error: ${String(e)}`);
      return { passEnded: true, found: true };
    } finally {
      this.busy = false;
      this.host.postNotices();
      if (!this.idle) this.schedule();
    }
  }

  private coverageLost(armed: string[]): void {
    const shown = armed.slice(0, 3).join(', ') + (armed.length > 3 ? ` and ${armed.length - 3} more` : '');
    this.sink.notice({
      level: 'warn',
      code: 'WATCH_COVERAGE_LOST',
      path: armed[0]!,
      message: `${armed.length} director${armed.length === 1 ? 'y was' : 'ies were'} not watched (their create event was lost): ${shown}; watched now, and their files rescanned`,
      health: { kind: 'deaf', scope: 'dir', cause: 'coverage-shortfall', selfHealing: true },
    });
    this.host.armedMore();
  }

  private schedule(): void {
    if (this.flushTimer || this.busy || this.host.stopped) return;
    this.flushTimer = setTimeout(() => void this.runFlush(), this.tuning.coalesceMs);
  }

  private runFlush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushRun = this.flush().finally(() => (this.flushRun = undefined));
    return this.flushRun;
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    this.busy = true;
    const out: string[] = [];
    try {
      while (!this.host.stopped && this.waiting) {
        await this.resolvePending(out);
        if (this.reconcileWanted) {
          this.reconcileWanted = false;
          await this.armer.reconcileAll(out);
          this.reconciled = true;
        }
        const dirty = this.dirtyDirs;
        this.dirtyDirs = new Set();
        for (const d of dirty) if (!(await this.armer.reconcileDir(d, out))) this.pending.add(d);
      }
      this.post(out);
    } catch (e) {
      this.sink.notice({
        level: 'error',
        code: 'WATCH_INTERNAL',
        message: `the native watcher failed while resolving events (${String(e)}): a rescan follows`,
      });
      this.sink.rescan(`native watcher error: ${String(e)}`);
    } finally {
      this.busy = false;
      this.host.postNotices();
      if (this.waiting) this.schedule();
      else {
        this.host.settled(this.reconciled);
        this.reconciled = false;
      }
    }
  }

  /** Something waits to be resolved. */
  private get waiting(): boolean {
    return this.pending.size > 0 || this.dirtyDirs.size > 0 || this.reconcileWanted;
  }

  private async resolvePending(out: string[]): Promise<void> {
    const batch = this.pending;
    const renamed = this.renamed;
    this.pending = new Set();
    this.renamed = new Set();
    for (const p of batch) {
      if (await this.armer.resolve(p, out, renamed.has(p))) this.host.armedMore();
      if (out.length >= POST_CHUNK) this.post(out.splice(0));
    }
  }

  private post(paths: string[]): void {
    if (paths.length === 0) return;
    const unique = [...new Set(paths)];
    let complete: boolean[] | undefined;
    let writing: boolean[] | undefined;
    if (this.complete.size > 0) {
      complete = unique.map((p) => this.complete.get(p) === true);
      writing = unique.map((p) => this.complete.get(p) === 'writing');
      for (const p of unique) this.complete.delete(p);
      if (!complete.includes(true)) complete = undefined;
      if (!writing.includes(true)) writing = undefined;
      // A path resolved away (an ignored name) keeps no entry for long: a storm must not grow the map.
      if (this.complete.size > 4 * POST_CHUNK) this.complete.clear();
    }
    // Paths found without a raw event just before (a sweep, a re-arm, a reconcile) are dated now, less
    // what the coalescing may have held back, never by a raw event long past.
    this.sink.events(unique, Math.max(this.lastRawAt ?? 0, wallNow() - this.tuning.coalesceMs), complete, writing);
  }
}

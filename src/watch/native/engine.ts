/**
 * The native watcher's logic, run inside the worker thread: one fs.watch per directory, raw events
 * coalesced and resolved with lstat, new directories armed then read (their files reported), vanished
 * or replaced directories dropped, the root checked for deletion/replacement, and kernel-queue overflow
 * inferred (storm-detector.ts): each storm gives ONE rescan, then a reconcile of every watched dir.
 * Sentinel events (the watchdog's files) go to `sink.sentinel` only, never into the change stream.
 * Losses and re-arms carry a health tag (health.ts) so the watchdog can log them by the contract.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../../config/settings.js';
import { HotwatchError, errnoCode } from '../../errors.js';
import { instanceLimitError } from '../budget/limits.js';
import { DirWatches, HelperOpener } from './dir-watches.js';
import { EngineLosses } from './engine-losses.js';
import { isSentinelName } from '../tree/filter.js';
import { readMounts, type MountEntry } from '../../os/mounts.js';
import { wallNow, type NativeTuning, type WorkerStats } from './protocol.js';
import { StormDetector } from './storm-detector.js';
import { TreeArmer } from './tree-armer.js';
import { WatchAudit } from './audit.js';
import { createTreeRules, type TreeRules } from '../tree/rules.js';
import type { WatchNotice } from '../types.js';

export const DEFAULT_TUNING: NativeTuning = {
  coalesceMs: 5,
  stormEvents: 5000,
  stormWindowMs: 1000,
  stallMs: 1500,
  tickMs: 250,
  auditMinMs: 5000,
  sweepEveryMs: 1000,
  sweepBudgetMs: 2,
  sweepMinAgeMs: 2000,
};

export interface EngineSink {
  /**
   * `at`: when the newest raw event behind these paths arrived (epoch ms, `wallNow`), not when they were
   * resolved: the debouncer's quiet window counts from the event, so the coalescing here is not added to it.
   * `complete[i]`: the write of `paths[i]` is known to be finished (the helper saw it closed or renamed into
   * place, and nothing since); absent when no path is.
   */
  events(paths: string[], at: number, complete?: boolean[]): void;
  rescan(reason: string): void;
  notice(n: WatchNotice): void;
  /** Watching cannot go on (limit reached): the engine has stopped. */
  fatal(e: HotwatchError): void;
  /** A sentinel file event (absolute path). */
  sentinel(p: string): void;
  /** The inotify helper died: nothing is watched any more (the host restarts the whole watcher). */
  crashed(why: string): void;
}

export interface EngineOptions {
  descendPollMounts?: boolean;
  mounts?: MountEntry[] | undefined;
  /** Subtrees polled beside this watcher (the inotify budget does not fit them): never armed. */
  pollDirs?: string[];
  /** Sentinel directories to watch apart from the tree. */
  sentinelDirs?: string[];
  /** Post a RescanEvent after re-arming a replaced root (default true; false when the watchdog diffs). */
  rescanOnRearm?: boolean;
  /** Test-only: raw events for entries of this name are dropped (a lost create event). */
  dropEventsNamed?: string | undefined;
  /** The inotify helper binary (Linux); without it, fs.watch holds the watches. */
  helperPath?: string | undefined;
}

/** How long the helper may take to confirm a batch of watches (10,000 take ~70 ms). */
const HELPER_SETTLE_MS = 30_000;
const HELPER_EXIT_MS = 1000;

const POST_CHUNK = 2000;
const ROOT_CHECK_MS = 1000;
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

export class NativeEngine {
  private readonly root: string;
  private readonly rules: TreeRules;
  private readonly watches: DirWatches;
  private readonly armer: TreeArmer;
  private readonly storms: StormDetector;
  private pending = new Set<string>();
  /** When the newest raw event arrived (epoch ms). */
  private lastRawAt: number | undefined;
  /** Per path not yet posted: whether its latest raw event left its write complete (see writeComplete). */
  private complete = new Map<string, boolean>();
  /** Pending paths that are watched dirs their parent reported created/deleted/moved: re-armed whatever their identity. */
  private renamed = new Set<string>();
  private dirtyDirs = new Set<string>();
  private needFullReconcile = false;
  private flushTimer: NodeJS.Timeout | undefined;
  /** The flush under way (not a sweep), for sync() to wait on. */
  private flushRun: Promise<void> | undefined;
  private flushing = false;
  private rawEvents = 0;
  private lastRootCheck = 0;
  private readonly losses: EngineLosses;
  private readonly audit: WatchAudit;
  private reconcileDone = false;
  private readonly sentinels: DirWatches;
  private tickTimer: NodeJS.Timeout | undefined;
  private noticesSent = 0;
  private stopped = false;
  /** The coverage sweep's work list (watched dirs still to re-read in this round) and last run. */
  private sweepQueue: string[] = [];
  private lastSweep = 0;
  private readonly helper: HelperOpener | undefined;

  constructor(
    s: WatchSettings,
    private readonly tuning: NativeTuning,
    private readonly sink: EngineSink,
    private readonly opts: EngineOptions = {},
  ) {
    this.root = path.resolve(s.root);
    this.audit = new WatchAudit(tuning.auditMinMs);
    this.rules = createTreeRules(s, {
      pollMounts: opts.descendPollMounts ? 'warn' : 'list',
      ...(opts.mounts ? { mounts: opts.mounts } : {}),
      ...(opts.pollDirs ? { pollDirs: opts.pollDirs } : {}),
    });
    this.helper = opts.helperPath
      ? new HelperOpener(opts.helperPath, HELPER_SETTLE_MS, {
          overflow: () => this.kernelOverflow(),
          died: (why, errno) => this.helperDied(why, errno),
        })
      : undefined; // fs.watch
    this.watches = new DirWatches(
      (dir, name, renamed, complete) => this.raw(dir, name, renamed, complete),
      (dir, err) => this.handleError(dir, err),
      this.helper,
    );
    this.armer = new TreeArmer(s, this.root, this.rules, this.watches, {
      notice: (n) => sink.notice(n),
      fatal: (e) => sink.fatal(e),
      stop: () => this.stop(),
      stopped: () => this.stopped,
      breathe: async () => {
        this.postNotices();
        await yieldNow();
      },
    });
    this.storms = new StormDetector(tuning, performance.now());
    this.losses = new EngineLosses(this.root, {
      notice: (n) => sink.notice(n),
      rescan: (r) => sink.rescan(r),
      rootInode: () => this.watches.inodeOf(this.root),
      closeAll: () => this.watches.closeAll(),
      armRoot: () => {
        this.pending.add(this.root);
        this.scheduleFlush();
      },
      rescanOnRearm: opts.rescanOnRearm ?? true,
    });
    // Sentinel dirs: watched apart, so their events never enter the change stream or the storm count.
    this.sentinels = new DirWatches(
      (dir, name) => {
        if (name !== null && isSentinelName(name)) sink.sentinel(path.join(dir, name));
      },
      () => undefined, // a broken sentinel watch shows as a missed round trip: the watchdog re-arms it
      this.helper,
    );
  }

  /** Arms the whole tree; false when a fatal error stopped it (already reported through the sink). */
  async start(): Promise<boolean> {
    if (this.helper) this.audit.useProcess(this.helper.pid);
    else this.audit.beforeArming();
    const ok = await this.armer.armTree(this.root, undefined);
    this.postNotices();
    if (!ok) return false;
    if (!this.watches.has(this.root)) {
      let why = 'not a directory';
      try {
        fs.readdirSync(this.root);
      } catch (e) {
        why = errnoCode(e) ?? String(e);
      }
      this.stop();
      this.sink.fatal(
        new HotwatchError('ROOT_UNREADABLE', `cannot watch ${this.root}: ${why}`, {
          hint: 'check the root (--root or `root:` in watcher.config.yaml) exists and is a readable directory',
        }),
      );
      return false;
    }
    if (!this.helper && !this.audit.afterArming() && process.platform === 'linux') {
      this.sink.notice({
        level: 'warn',
        code: 'AUDIT_OFF',
        message: "cannot tell this watcher's own inotify instance in /proc/self/fd: the count of watches actually held is not audited (sentinels, the coverage sweep and the heartbeat still run)",
      });
    }
    for (const d of this.opts.sentinelDirs ?? []) {
      try {
        await this.armSentinel(d);
      } catch {
        // the watchdog re-creates the dir and asks again
      }
    }
    this.tickTimer = setInterval(() => this.tick(), this.tuning.tickMs);
    return true;
  }

  /** Counters; the kernel's watch count is re-read when an audit is due (or `audit` forces it). */
  stats(audit = false): WorkerStats {
    const r = this.audit.read(() => this.watches.distinctInodes() + this.sentinels.distinctInodes(), audit);
    return { dirs: this.watches.size, inodes: r.inodes, watches: r.watches, watchesFresh: r.fresh, rawEvents: this.rawEvents };
  }

  /**
   * True when no event is waiting to be resolved and no watch is being made (the stats are then a
   * consistent picture: while the tree is armed, at start or after a re-arm, the map lists directories
   * the helper has not watched yet; a loaded run read 1 of 2 and called the watches lost).
   */
  idle(): boolean {
    return !this.flushing && this.pending.size === 0 && this.dirtyDirs.size === 0 && this.watches.settled && this.sentinels.settled;
  }

  /** Test-only fault: every handle closed underneath (sentinel dirs too); the engine still believes it is armed. */
  closeHandlesSilently(): void {
    this.watches.closeHandlesSilently();
    this.sentinels.closeHandlesSilently();
  }

  /** Watches a sentinel directory (again, if it was replaced). Rejects with the fs error unchanged. */
  async armSentinel(dir: string): Promise<void> {
    const st = fs.lstatSync(dir);
    if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
    const failed = await this.sentinels.armMany([{ dir, st }]);
    if (failed.has(dir)) throw failed.get(dir);
  }

  /**
   * A mount appeared, vanished or changed at/under `p`: re-read the mount table, drop every watch from
   * `p` down and arm it again (what is visible there now). Returns the directories watched under `p`.
   */
  async rearmPath(p: string, mounts: MountEntry[] | undefined): Promise<number> {
    this.rules.setMounts(mounts ?? readMounts());
    this.watches.unwatchSubtree(p);
    if (p === this.root || this.watches.has(path.dirname(p))) await this.armer.armTree(p, undefined);
    this.postNotices();
    this.audit.requestSoon();
    return this.watches.dirs().filter((d) => d === p || d.startsWith(p + path.sep)).length;
  }

  stop(): void {
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.watches.closeAll();
    this.sentinels.closeAll();
    this.helper?.close();
  }

  /** stop(), then wait (bounded) until the helper has exited and been reaped. */
  async shutdown(): Promise<void> {
    this.stop();
    await this.helper?.exited(HELPER_EXIT_MS);
  }

  /** The helper saw IN_Q_OVERFLOW: events were lost for sure (not just suspected by the storm detector). */
  private kernelOverflow(): void {
    if (this.stopped) return;
    const reason = this.storms.overflow();
    if (reason) this.losses.overflow(reason);
  }

  private helperDied(why: string, errno: string | undefined): void {
    if (this.stopped) return;
    if (errno === 'EMFILE' || errno === 'ENFILE') {
      this.stop();
      this.sink.fatal(instanceLimitError(Object.assign(new Error(why), { code: errno })));
      return;
    }
    this.stop();
    this.sink.crashed(why);
  }

  private raw(dir: string, name: string | null, renamed: boolean, complete?: boolean): void {
    if (this.stopped) return;
    if (name !== null && isSentinelName(name)) {
      this.sink.sentinel(path.join(dir, name)); // a mount's sentinel, in a watched dir of the tree
      return;
    }
    if (name !== null && name === this.opts.dropEventsNamed) return;
    this.rawEvents++;
    this.lastRawAt = wallNow();
    // A write's close follows its modify: counting both would call a checkout a storm at 2/3 of its size.
    const closeOnly = complete === true && !renamed;
    const storm = closeOnly ? undefined : this.storms.raw();
    if (storm) this.losses.overflow(storm);
    if (name === null) this.dirtyDirs.add(dir);
    else {
      const p = path.join(dir, name);
      this.pending.add(p);
      if (complete !== undefined) this.complete.set(p, complete);
      if (renamed && this.watches.has(p)) this.renamed.add(p); // a watched dir created/deleted/moved there
    }
    this.scheduleFlush();
  }

  private tick(): void {
    const now = performance.now();
    const v = this.storms.tick(now);
    if (v.rescan) this.losses.overflow(v.rescan);
    if (v.reconcile) {
      this.needFullReconcile = true;
      this.scheduleFlush();
    }
    if (now - this.lastRootCheck >= ROOT_CHECK_MS) {
      this.lastRootCheck = now;
      this.losses.checkRoot();
    }
    if (now - this.lastSweep >= this.tuning.sweepEveryMs) {
      this.lastSweep = now;
      void this.sweep();
    }
  }

  /**
   * The coverage sweep: directories that should be watched vs directories watched. Re-reads watched
   * dirs in turn for `sweepBudgetMs`; a subdirectory that exists (for longer than an event takes) but is
   * not watched lost its create event (kernel queue overflow, a storm): it is armed, its files reported,
   * and the loss said. Only while nothing else is being resolved (flush owns the tree meanwhile).
   */
  private async sweep(): Promise<void> {
    if (this.flushing || this.flushTimer || this.pending.size > 0 || this.dirtyDirs.size > 0 || this.storms.inStorm) return;
    this.flushing = true;
    const out: string[] = [];
    const armed: string[] = [];
    const started = performance.now();
    try {
      if (this.sweepQueue.length === 0) this.sweepQueue = this.watches.dirs();
      while (this.sweepQueue.length > 0 && !this.stopped && performance.now() - started < this.tuning.sweepBudgetMs) {
        const d = this.sweepQueue.pop()!;
        if (!(await this.armer.reconcileDir(d, out, { minAgeMs: this.tuning.sweepMinAgeMs, armed }))) this.pending.add(d); // vanished unseen
      }
      if (armed.length > 0) {
        const shown = armed.slice(0, 3).join(', ') + (armed.length > 3 ? ` and ${armed.length - 3} more` : '');
        this.sink.notice({
          level: 'warn',
          code: 'WATCH_COVERAGE_LOST',
          path: armed[0]!,
          message: `${armed.length} director${armed.length === 1 ? 'y was' : 'ies were'} not watched (their create event was lost): ${shown}; watched now, and their files rescanned`,
          health: { kind: 'deaf', scope: 'dir', cause: 'coverage-shortfall', selfHealing: true },
        });
        this.audit.requestSoon();
      }
      this.post(out);
    } catch (e) {
      this.sink.notice({ level: 'error', code: 'WATCH_INTERNAL', message: `the coverage sweep failed (${String(e)}): a rescan follows` });
      this.sink.rescan(`coverage sweep error: ${String(e)}`);
    } finally {
      this.flushing = false;
      this.postNotices();
      if (this.pending.size > 0 || this.dirtyDirs.size > 0) this.scheduleFlush();
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.flushing || this.stopped) return;
    this.flushTimer = setTimeout(() => void this.runFlush(), this.tuning.coalesceMs);
  }

  private runFlush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushRun = this.flush().finally(() => (this.flushRun = undefined));
    return this.flushRun;
  }

  /**
   * Resolves once every event the kernel had queued when it was called is posted: the helper's barrier
   * drains the kernel's queue in order, then what it delivered is flushed without the coalescing wait.
   * On a starved machine the helper or this thread may lag the writer by hundreds of ms; the debouncer
   * asks this before it calls a batch quiet, so a lag is not taken for a pause in the writing. Without
   * the helper (fs.watch) only what this thread has received is flushed.
   */
  async sync(): Promise<void> {
    if (this.helper) await this.helper.settle();
    // What the barrier delivered is pending now. A sweep holds `flushing` for a few ms, and its end
    // schedules the flush; a flush under way takes it (it loops while anything is pending), or leaves
    // it to the next one; that one then runs at once instead of after the coalescing wait.
    while (!this.stopped && this.flushing && !this.flushRun) await new Promise((r) => setTimeout(r, 1));
    if (this.flushRun) await this.flushRun;
    if (this.flushTimer && !this.stopped) await this.runFlush();
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    this.flushing = true;
    const out: string[] = [];
    try {
      while (!this.stopped && (this.pending.size > 0 || this.dirtyDirs.size > 0 || this.needFullReconcile)) {
        const batch = this.pending;
        const renamed = this.renamed;
        this.pending = new Set();
        this.renamed = new Set();
        for (const p of batch) {
          if (await this.armer.resolve(p, out, renamed.has(p))) this.audit.requestSoon(); // new dirs: count the kernel's watches soon
          if (out.length >= POST_CHUNK) this.post(out.splice(0));
        }
        if (this.needFullReconcile) {
          this.needFullReconcile = false;
          await this.armer.reconcileAll(out);
          this.reconcileDone = true;
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
      this.flushing = false;
      this.postNotices();
      if (this.pending.size > 0 || this.dirtyDirs.size > 0 || this.needFullReconcile) this.scheduleFlush();
      else if (this.reconcileDone || this.losses.arming) {
        const rootWatched = this.watches.has(this.root);
        this.losses.afterFlush({ rootWatched, dirs: this.watches.size, reconciled: this.reconcileDone, inStorm: this.storms.inStorm });
        this.reconcileDone = false;
      }
    }
  }

  private post(paths: string[]): void {
    if (paths.length === 0) return;
    const unique = [...new Set(paths)];
    let complete: boolean[] | undefined;
    if (this.complete.size > 0) {
      complete = unique.map((p) => this.complete.get(p) === true);
      for (const p of unique) this.complete.delete(p);
      if (!complete.includes(true)) complete = undefined;
      // A path resolved away (an ignored name) keeps no entry for long: a storm must not grow the map.
      if (this.complete.size > 4 * POST_CHUNK) this.complete.clear();
    }
    // Paths found without a raw event just before (a sweep, a re-arm, a reconcile) are dated now, less
    // what the coalescing may have held back, never by a raw event long past.
    this.sink.events(unique, Math.max(this.lastRawAt ?? 0, wallNow() - this.tuning.coalesceMs), complete);
  }

  private postNotices(): void {
    while (this.noticesSent < this.rules.notices.length) this.sink.notice(this.rules.notices[this.noticesSent++]!);
  }

  private handleError(dir: string, err: Error): void {
    const code = errnoCode(err);
    this.sink.notice({
      level: 'warn',
      code: 'WATCH_ERROR',
      path: dir,
      message: `the watch on ${dir} failed (${code ?? err.message}): re-arming it`,
      health: { kind: 'deaf', scope: 'dir', cause: 'backend-error', selfHealing: true },
    });
    this.watches.unwatchSubtree(dir);
    this.pending.add(dir);
    this.sink.rescan(`watch error on ${dir}: ${code ?? err.message}`);
    this.scheduleFlush();
  }
}

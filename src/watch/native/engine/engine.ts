/**
 * The native watcher's logic, on the main thread (engine-port.ts): one inotify watch per directory (held by
 * the hotwatch-inotify helper, or fs.watch where it cannot run), raw events resolved into change events
 * (event-resolver.ts), new directories armed then read, the root checked for deletion or replacement,
 * and kernel-queue overflow seen (the helper's IN_Q_OVERFLOW) or inferred (storm-detector.ts): each
 * storm is ONE loss report, then a reconcile of every watched dir. Sentinel events (the watchdog's
 * files) go to `sink.sentinel` only, never into the change stream. Losses and re-arms carry a
 * HealthReport (types.ts): the watchdog owns recovery and logs them.
 */
import path from 'node:path';
import type { WatchSettings } from '../../../config/settings.js';
import { readMounts, type MountEntry } from '../../../os/mounts.js';
import { instanceLimitError } from '../../budget/limits.js';
import { isSentinelName } from '../../tree/filter.js';
import { createTreeRules, type TreeRules } from '../../tree/rules.js';
import type { WorkerStats } from '../protocol.js';
import type { EngineOptions, EngineSink } from './engine-types.js';
import { AUDIT_OFF, OFF_THREAD_AUDIT_DIRS, WatchAudit } from './coverage/audit.js';
import { DirWatches, type RawListener } from './dir-watches.js';
import { EventResolver } from './event-resolver.js';
import { EngineLosses } from './losses.js';
import { HelperOpener } from './openers.js';
import { reconcileWatches, type ReconcileCounts } from './reconcile.js';
import { SentinelWatches } from './sentinel-watches.js';
import { StormDetector } from './storm-detector.js';
import { SweepPace } from './coverage/sweep-pace.js';
import { QuietPace } from '../../pace/quiet-pace.js';
import { WakeTimer } from '../../pace/wake-timer.js';
import { TreeArmer } from './tree-armer.js';
import type { NativeTuning } from './tuning.js';

export type { EngineOptions, EngineSink } from './engine-types.js';

/** How long the helper may take to confirm a batch of watches (10,000 take ~70 ms). */
const HELPER_SETTLE_MS = 30_000;
const HELPER_EXIT_MS = 1000;
const ROOT_CHECK_MS = 1000; // the root's identity: every second while busy, up to every 30 s once quiet

export class NativeEngine {
  private readonly root: string;
  private readonly rules: TreeRules;
  private readonly watches: DirWatches;
  private readonly sentinels: SentinelWatches;
  private readonly armer: TreeArmer;
  private readonly resolver: EventResolver;
  private readonly storms: StormDetector;
  private readonly losses: EngineLosses;
  private readonly audit: WatchAudit;
  private readonly helper: HelperOpener | undefined;
  private rawEvents = 0;
  private lastRootCheck = 0;
  private readonly rootPace = QuietPace.standard(ROOT_CHECK_MS, performance.now());
  private readonly sweepPace: SweepPace;
  private readonly clock = new WakeTimer((plannedAt) => this.tick(plannedAt)); // storm window, root check, sweep: whichever is due first
  private lastTickAt = performance.now();
  private noticesSent = 0;
  private isStopped = false;
  /** The relevant files the first arming read (collectFiles), until taken. */
  private startFiles: string[] | undefined;

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
      (dir, err) => this.watchFailed(dir, err),
      this.helper,
    );
    this.sentinels = new SentinelWatches((file) => sink.sentinel(file), this.helper);
    this.armer = new TreeArmer(s, this.root, this.rules, this.watches, {
      notice: (n) => sink.notice(n),
      fatal: (e) => sink.fatal(e),
      stop: () => this.stop(),
      stopped: () => this.isStopped,
      postNotices: () => this.postNotices(),
    });
    this.storms = new StormDetector(tuning, performance.now());
    this.sweepPace = new SweepPace(tuning.sweepEveryMs);
    this.resolver = new EventResolver(tuning, sink, this.armer, this.watches, this);
    this.losses = new EngineLosses(this.root, {
      notice: (n) => sink.notice(n),
      rootInode: () => this.watches.inodeOf(this.root),
      closeAll: () => this.watches.closeAll(),
      armRoot: () => this.resolver.queue(this.root),
    });
  }

  get stopped(): boolean {
    return this.isStopped;
  }
  get inStorm(): boolean {
    return this.storms.inStorm;
  }

  /** Arms the whole tree; false when a fatal error stopped it (already reported through the sink). */
  async start(): Promise<boolean> {
    if (this.helper) this.audit.useProcess(this.helper.pid, () => this.helper!.countWatches());
    else this.audit.beforeArming();
    this.startFiles = this.opts.collectFiles ? [] : undefined;
    const ok = await this.armer.armRoot(this.startFiles);
    this.postNotices();
    if (!ok) return false;
    if (!this.helper && !this.audit.afterArming() && process.platform === 'linux') this.sink.notice(AUDIT_OFF);
    for (const d of this.opts.sentinelDirs ?? []) {
      try {
        await this.armSentinel(d);
      } catch {
        // the watchdog re-creates the dir and asks again
      }
    }
    const now = performance.now();
    this.sweepPace.activity(now); // one pass at the base pace after arming
    this.clock.set(now + this.tuning.tickMs, now);
    return true;
  }

  /** What the start's arming read (with collectFiles), once: the relevant files, and the directories armed. */
  takeStartListing(): { files: string[]; dirs: string[] } | undefined {
    const files = this.startFiles;
    this.startFiles = undefined;
    return files && { files, dirs: this.watches.dirs() };
  }

  /** Counters; the kernel's watch count is re-read when an audit is due (or `audit` forces it). */
  stats(audit = false): WorkerStats {
    const r = this.audit.read(() => this.watches.distinctInodes() + this.sentinels.distinctInodes(), audit);
    return { dirs: this.watches.size, inodes: r.inodes, watches: r.watches, watchesFresh: r.fresh, rawEvents: this.rawEvents };
  }

  /** stats(true), the kernel's count read off this thread while the caller works; undefined where that would not pay (audit.ts). */
  auditedStats(): Promise<WorkerStats> | undefined {
    if (this.watches.size < OFF_THREAD_AUDIT_DIRS) return undefined;
    const reading = this.audit.readOffThread(() => this.watches.distinctInodes() + this.sentinels.distinctInodes());
    return reading.then(() => ({ ...this.stats(false), watchesFresh: true }));
  }

  /**
   * True when no event is waiting to be resolved and no watch is being made (the stats are then a
   * consistent picture: while the tree is armed, at start or after a re-arm, the map lists directories
   * the helper has not watched yet; a loaded run read 1 of 2 and called the watches lost).
   */
  idle(): boolean {
    return this.resolver.idle && this.watches.settled && this.sentinels.settled;
  }

  /** Once the helper answered a barrier (it still reads); pending while it does not (its death is reported apart). */
  helperAnswers(): Promise<void> {
    return this.helper ? this.helper.settle().catch(() => new Promise<void>(() => undefined)) : Promise.resolve();
  }
  /** Test-only fault: the inotify helper stopped (SIGSTOP), as a helper hung in the kernel would be. */
  stopHelperForTest(): void {
    if (this.helper?.pid !== undefined) process.kill(this.helper.pid, 'SIGSTOP');
  }
  /** Test-only fault: every watch closed underneath (sentinel dirs too); the engine still believes it is armed. */
  closeHandlesSilently(): void {
    this.watches.closeHandlesSilently();
    this.sentinels.closeHandlesSilently();
  }

  /** Watches a sentinel directory (again, if it was replaced). Rejects with the fs error unchanged. */
  armSentinel(dir: string): Promise<void> {
    return this.sentinels.arm(dir);
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

  /** A config reload changed the watch lists: the watches reconciled with them (reconcile.ts), no re-arm. */
  async reconcile(s: WatchSettings): Promise<ReconcileCounts> {
    const counts = await reconcileWatches(s, this.root, { rules: this.rules, watches: this.watches, armer: this.armer });
    this.postNotices();
    this.audit.requestSoon();
    return counts;
  }

  /**
   * Resolves once every event the kernel had queued when it was called is posted (Watcher.sync): the
   * helper's barrier drains the kernel's queue in order, then what it delivered is flushed without the
   * coalescing wait. Without the helper (fs.watch) only what this thread has received is flushed.
   */
  async sync(): Promise<void> {
    if (this.helper) await this.helper.settle();
    await this.resolver.sync();
  }

  stop(): void {
    this.isStopped = true;
    this.clock.cancel();
    this.resolver.stop();
    this.watches.closeAll();
    this.sentinels.closeAll();
    this.helper?.close();
  }

  /** stop(), then wait (bounded) until the helper has exited and been reaped. */
  async shutdown(): Promise<void> {
    this.stop();
    await this.helper?.exited(HELPER_EXIT_MS);
  }

  // ResolverHost
  postNotices(): void {
    while (this.noticesSent < this.rules.notices.length) this.sink.notice(this.rules.notices[this.noticesSent++]!);
  }
  armedMore(): void {
    this.audit.requestSoon();
  }
  settled(reconciled: boolean): void {
    if (!reconciled && !this.losses.arming) return;
    this.losses.afterFlush({ rootWatched: this.watches.has(this.root), dirs: this.watches.size, reconciled, inStorm: this.storms.inStorm });
  }

  /** The helper saw IN_Q_OVERFLOW: events were lost for sure (not just suspected by the storm detector). */
  private kernelOverflow(): void {
    if (this.isStopped) return;
    this.sweepPace.activity();
    this.losses.kernelOverflow(this.storms.overflow());
  }

  private helperDied(why: string, errno: string | undefined): void {
    if (this.isStopped) return;
    this.stop();
    if (errno === 'EMFILE' || errno === 'ENFILE') this.sink.fatal(instanceLimitError(Object.assign(new Error(why), { code: errno })));
    else this.sink.crashed(why);
  }

  private raw(dir: string, name: string | null, renamed: boolean, complete?: Parameters<RawListener>[3]): void {
    if (this.isStopped) return;
    if (name !== null && isSentinelName(name)) {
      this.sink.sentinel(path.join(dir, name)); // a mount's sentinel, in a watched dir of the tree
      return;
    }
    if (name !== null && name === this.opts.dropEventsNamed) return;
    this.rawEvents++;
    const now = performance.now();
    this.sweepPace.activity(now); // a busy tree is where events get lost: the sweep at its base pace
    this.rootPace.wake(now);
    this.audit.activity(now);
    if (this.clock.dueAt < Number.POSITIVE_INFINITY) this.clock.atMost(now + this.tuning.tickMs, now); // once started
    // A write's close follows its modify: counting both would call a checkout a storm at 2/3 of its size.
    const closeOnly = complete === true && !renamed;
    const storm = closeOnly ? undefined : this.storms.raw();
    if (storm) this.losses.overflow(storm);
    this.resolver.add(dir, name, renamed, complete);
  }

  private tick(plannedAt: number): void {
    const now = performance.now();
    const v = this.storms.tick(now, Math.max(0, plannedAt - this.lastTickAt - this.tuning.tickMs)); // a longer planned sleep is no stall
    this.lastTickAt = now;
    if (v.overflow) this.losses.overflow(v.overflow);
    if (v.reconcile) this.resolver.reconcileAll();
    const dueNow = Math.max(now, plannedAt); // later than now when this wake came early, shared (wake-timer.ts)
    if (dueNow - this.lastRootCheck >= this.rootPace.everyMs - 5) {
      this.lastRootCheck = now;
      if (this.losses.checkRoot()) this.rootPace.clean(now);
      else this.rootPace.wake(now);
    }
    // A storm window open or events not yet resolved: the base tick; else whichever check is due first. Judged
    // before the sweep's step (busy for its own ms, it follows up itself): else each quiet step woke twice.
    const busy = !this.storms.quiet || !this.resolver.idle ? now + this.tuning.tickMs : Number.POSITIVE_INFINITY;
    this.sweepPace.maybeStep(now, () => this.resolver.sweep(), dueNow);
    const next = Math.min(this.lastRootCheck + this.rootPace.everyMs, this.sweepPace.nextDueAt, busy);
    this.clock.set(Math.max(next, now + Math.min(this.tuning.tickMs, 50)), now);
  }

  /** A watch failed (fs.watch's error event): dropped with what is below it, and armed again. */
  private watchFailed(dir: string, err: Error): void {
    const why = this.losses.watchFailed(dir, err);
    this.watches.unwatchSubtree(dir);
    this.sink.rescan(`watch error on ${dir}: ${why}`);
    this.resolver.queue(dir);
  }
}

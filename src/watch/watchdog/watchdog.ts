/**
 * The watchdog: hotwatch never loses watches in silence, and it is the one owner of their recovery. It wraps createWatcher and
 *   - at start: arms the tree, whose walk seeds the snapshot and counts it against the inotify budget
 *     (watch.budget; budget/arm-first.ts), then polls or refuses (what was armed closed first);
 *   - each wake (one timer, set for whatever is due next: half the interval while busy, up to 30 s on a
 *     quiet tree, sentinel-guard.ts): sentinel round trips per root and per distinct mount, a mountinfo
 *     re-read (mount-watch.ts), the snapshot kept current; a change or an anomaly wakes it at once;
 *   - turns the backend's reports (root replaced, hung thread, coverage shortfall, limits, storms) and
 *     its own findings into contract lines and recovery (loss-intake.ts, recovery-policy.ts,
 *     recovery-runner.ts).
 * `watchdog.enabled: false` turns off what it looks for by itself (the budget before arming, sentinels,
 * mount checks), never the recovery of what the backend reports.
 */
import path from 'node:path';
import type { WatchdogSettings, WatchSettings } from '../../config/settings.js';
import { formatDuration } from '../../config/duration.js';
import type { Logger } from '../../log/logger.js';
import type { WatchEvent } from '../../pipeline/events.js';
import { readMounts, realPathOr, type MountEntry } from '../../os/mounts.js';
import { createWatcher, type CreateWatcherOptions, type WatchControl } from '../backend.js';
import { armFirst } from '../budget/arm-first.js';
import type { BudgetVerdict, InotifyUsage, WatchBudget } from '../budget/gate.js';
import { fittingCount, nativeFitsNow, startupScan } from '../budget/startup-scan.js';
import { createFilter, type PathFilter } from '../tree/filter.js';
import type { ArmingListing, ReconcileReport, SyncOptions, Watcher, WatcherReady, WatcherStats } from '../types.js';
import { FAULTS_ENV, FaultPlan, parseFaults, scheduleFaults, type TestFaults } from './faults.js';
import { HealthLog, type HealthListener } from './health-log.js';
import { LossIntake } from './loss-intake.js';
import { MountWatch, type MountChange } from './mount-watch.js';
import { RecoveryPolicy, type ScopeRecord } from './recovery-policy.js';
import { RecoveryRunner, type RecoveryHost } from './recovery-runner.js';
import { SentinelGuard } from './sentinel-guard.js';
import { SentinelFiles } from './sentinel-files.js';
import { Snapshot } from './snapshot.js';
import { reportPlannedFallbacks } from './planned-fallbacks.js';
import { relevantEvents } from './directory-events.js';

export interface WatchdogOptions {
  settings: WatchSettings;
  watchdog: WatchdogSettings;
  onEvent: (ev: WatchEvent) => void;
  log: Logger;
  signal: AbortSignal;
  /** Where HOTWATCH_TEST_FAULTS is read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Knobs of the native backend (tests). */
  native?: CreateWatcherOptions['native'];
  /** Told of each watch-health line (service mode's watch view). */
  onHealth?: HealthListener;
}

const REPLAY_TIMEOUT_MS = 120_000;
const STALL_MS = 1500; // a wake this late: this process was stopped or starved (SIGSTOP, suspend)

/** The watcher, behind the watchdog. */
export function createWatchdog(opts: WatchdogOptions): Watcher {
  return new Watchdog(opts);
}

class Watchdog implements Watcher, RecoveryHost {
  readonly ready: Promise<WatcherReady>;
  readonly intervalMs: number;
  readonly pollEvery: string;
  private control: WatchControl | undefined;
  private readonly log: HealthLog;
  private readonly root: string;
  private filter: PathFilter;
  private snapshot: Snapshot;
  private readonly guard: SentinelGuard;
  private readonly policy: RecoveryPolicy;
  private readonly faults = new FaultPlan();
  private readonly runner: RecoveryRunner;
  private readonly intake: LossIntake;
  private mountWatch: MountWatch | undefined;
  private ticking = false;
  private readonly ac = new AbortController();
  private closing: Promise<void> | undefined;
  private readonly onAbort = (): void => void this.close();

  constructor(private readonly opts: WatchdogOptions) {
    const { intervalMs, auditIntervalMs, enabled } = opts.watchdog;
    this.intervalMs = intervalMs;
    this.pollEvery = formatDuration(opts.settings.pollIntervalMs);
    this.log = new HealthLog(opts.log, opts.onHealth);
    this.root = path.resolve(opts.settings.root);
    this.filter = createFilter(opts.settings);
    this.snapshot = new Snapshot(opts.settings);
    this.policy = new RecoveryPolicy({ intervalMs, auditIntervalMs, maxAttempts: 3 });
    this.guard = new SentinelGuard(this.root, intervalMs, new SentinelFiles(), this.log, enabled, this.ac.signal);
    this.runner = new RecoveryRunner(this, this.policy, this.log, this.faults);
    this.intake = new LossIntake(this.root, auditIntervalMs, this.policy, this.runner, this.guard, this.log);
    opts.signal.addEventListener('abort', this.onAbort, { once: true });
    this.ready = this.start();
    this.ready.catch(() => undefined); // surfaced through `ready`
  }

  get signal(): AbortSignal {
    return this.ac.signal;
  }

  get watcher(): WatchControl {
    if (!this.control) throw new Error('the watcher is not created yet');
    return this.control;
  }

  stats(): WatcherStats | undefined {
    return this.control?.stats();
  }

  sync(timeoutMs: number, opts?: SyncOptions): Promise<void> {
    return this.control?.sync(timeoutMs, opts) ?? Promise.resolve();
  }

  knownFiles(limit: number): string[] | undefined {
    return this.snapshot.size > 0 ? this.snapshot.shallowest(limit) : undefined;
  }

  takeArmingListing(): ArmingListing | undefined {
    return this.snapshot.takeArmingListing();
  }

  /** A config reload changed the watch lists (Watcher.reconcile); the snapshot is seeded again in the background. */
  async reconcile(settings: WatchSettings): Promise<ReconcileReport> {
    [this.opts.settings, this.filter] = [settings, createFilter(settings)];
    const report = await this.watcher.reconcile(settings);
    this.guard.reconcileMounts(realPathOr(this.root), this.mounts(), (p) => this.filter.isExcludedDir(p));
    this.snapshot = new Snapshot(settings); // until seeded, a replay after a loss rebuilds everything: nothing is missed
    this.snapshot.reseed(this.signal).catch((e) => this.log.say('warn', 'WATCHDOG_ERROR', this.root, `snapshot not seeded: ${e}`, e));
    return report;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.ac.abort(new Error('the watchdog was closed'));
      this.opts.signal.removeEventListener('abort', this.onAbort);
      await this.control?.close();
      this.guard.close();
    })();
    return this.closing;
  }

  private async start(): Promise<WatcherReady> {
    const faults = parseFaults((this.opts.env ?? process.env)[FAULTS_ENV]);
    this.faults.load(faults);
    const { settings, watchdog } = this.opts;
    const budgetOf = { overBudget: watchdog.overBudget, pollEvery: this.pollEvery, root: this.root, log: this.log };
    const { w, ready, budget } = await armFirst({
      signal: this.signal,
      budgeted: watchdog.enabled,
      create: (verdict, onStartFiles) => this.createControl(verdict, faults, onStartFiles),
      fitting: (dirs, usage) => fittingCount(settings, dirs + (this.guard.prepare() ? 1 : 0), { ...budgetOf, usage }),
      scan: (usage) => this.scanAndBudget(usage),
      seed: (files, dirs) => this.snapshot.seedLater(files, dirs),
    });
    reportPlannedFallbacks(this.log, this.policy, { root: this.root, pollEvery: this.pollEvery }, w, ready, budget);
    await this.startChecks(w);
    scheduleFaults(faults, w, this.log, this.signal);
    setImmediate(() => this.snapshot.fillPending()); // the arming's listing, once watching ready is said (not before)
    return ready;
  }

  /** A scan (budget/startup-scan.ts): the snapshot's seed and, with `usage`, the budget judged on it. */
  private async scanAndBudget(usage: InotifyUsage | undefined): Promise<BudgetVerdict | undefined> {
    const extraWatches = () => (this.guard.prepare() ? 1 : 0);
    const log = (b: WatchBudget, outcome: string | undefined) => this.log.budget(b, outcome);
    const budget = usage ? { overBudget: this.opts.watchdog.overBudget, pollEvery: this.pollEvery, extraWatches, log, usage } : undefined;
    const scan = await startupScan(this.opts.settings, this.signal, budget);
    this.snapshot.seed(scan.files);
    return scan.verdict;
  }

  private createControl(
    budget: BudgetVerdict | undefined,
    faults: TestFaults | undefined,
    onStartFiles?: (files: string[], dirs: string[]) => void,
  ): WatchControl {
    const { pollReason, split } = budget ?? {};
    const native = this.opts.native;
    const w = createWatcher({
      settings: this.opts.settings,
      onEvent: (ev) => this.event(ev),
      onNotice: (n) => {
        this.guard.wake(); // a notice is an anomaly (or a change of state): the base pace
        this.intake.notice(n);
      },
      onSentinel: (p) => this.guard.seen(p),
      signal: this.signal,
      ...(pollReason ? { pollReason } : {}),
      ...(split ? { pollSubtrees: { paths: split.polled.map((p) => p.path), reason: split.reason } } : {}),
      native: {
        ...native,
        tuning: { auditMinMs: this.opts.watchdog.auditIntervalMs, ...native?.tuning },
        ...(onStartFiles ? { onStartFiles } : {}),
        ...(faults?.dropEventsNamed ? { testHooks: { ...native?.testHooks, dropEventsNamed: faults.dropEventsNamed } } : {}),
      },
    });
    this.control = w;
    this.guard.attach(w);
    return w;
  }

  /** Mount checks and sentinels (with the watchdog on), and the tick that drives them and recovery. */
  private async startChecks(w: WatchControl): Promise<void> {
    const realRoot = realPathOr(this.root);
    if (this.opts.watchdog.enabled) {
      this.mountWatch = new MountWatch(this.root, realRoot);
      if (this.mountWatch.unavailable && process.platform === 'linux') {
        const why = 'a mount placed over a watched directory will not be noticed, and special filesystems are not recognised';
        this.log.say('warn', 'MOUNTINFO_UNREADABLE', this.root, `cannot read /proc/self/mountinfo: ${why}; mount /proc in this container`);
      }
    }
    if (w.backend() === 'native') {
      await this.guard.armRoot();
      this.guard.addMounts(realRoot, this.mountWatch?.mounts ?? [], (p) => this.filter.isExcludedDir(p));
    }
    this.guard.drive((plannedAt) => void this.tick(plannedAt));
  }

  private event(ev: WatchEvent): void {
    this.guard.wake();
    for (const e of relevantEvents(ev, this.filter, this.snapshot, this.opts.log)) {
      if (e.kind === 'change') this.snapshot.note(e.path);
      this.opts.onEvent(e);
    }
  }

  private async tick(plannedAt: number): Promise<void> {
    if (!this.control || this.ticking || this.signal.aborted) return;
    const now = performance.now();
    this.ticking = true;
    try {
      if (now - plannedAt > STALL_MS) return this.guard.voidPending(); // stalled: no round trip can be judged
      for (const c of this.mountWatch?.check() ?? []) this.mountChanged(c);
      this.guard.judge(
        now,
        (key) => this.policy.healthy(key),
        (loss) => this.intake.lose(loss),
      );
      await this.snapshot.settle(this.signal);
      for (const d of this.policy.due(now)) void this.runner.run(d.key, d.action);
      this.log.tick({ sentinels: this.guard.targets, snapshot: this.snapshot.size, scopes: this.policy.keys().length });
    } catch (e) {
      if (!this.signal.aborted)
        this.log.say('warn', 'WATCHDOG_ERROR', undefined, `the watchdog's check failed (${String(e)}); it runs again at the next tick`, e);
    } finally {
      this.ticking = false;
      if (!this.signal.aborted) this.guard.schedule(this.policy.keys().length > 0); // a recovery under way: the base pace
    }
  }

  private mountChanged(c: MountChange): void {
    if (this.filter.isExcludedDir(c.path)) return;
    const what = c.kind === 'removed' ? 'a mount was removed from' : `a ${c.entry?.fsType ?? ''} mount was placed over`;
    this.guard.mountChanged(c.path, c.entry);
    this.policy.forget(c.path);
    const detail = `${what} the watched directory ${c.path}: what is watched there is no longer what is visible; re-arming it and rescanning it`;
    this.intake.lose({ key: c.path, scope: 'mount', cause: 'mount-changed', detail });
  }

  // RecoveryHost: what the recovery actions ask of the watchdog.

  mounts(): MountEntry[] {
    return this.mountWatch?.mounts ?? readMounts();
  }

  prove(rec: ScopeRecord): Promise<boolean> {
    return this.guard.prove(rec);
  }

  resumeSentinel(rec: ScopeRecord, roundTripNow: boolean): Promise<void> {
    return this.guard.resume(rec, roundTripNow);
  }

  nativeFits(): Promise<boolean> {
    return nativeFitsNow(this.opts.settings, this.signal, this.opts.watchdog.enabled);
  }

  async replay(rec: ScopeRecord, since: number | undefined): Promise<number> {
    const under = rec.scope === 'mount' ? rec.path : this.root;
    const rescan = (reason: string) => this.event({ kind: 'rescan', reason, at: performance.now() });
    try {
      const d = await this.snapshot.diff(under, since, AbortSignal.any([this.signal, AbortSignal.timeout(REPLAY_TIMEOUT_MS)]));
      if (!d) {
        rescan(`re-armed ${under}: the tree is too large for a snapshot diff`);
        return 0;
      }
      const at = performance.now();
      for (const p of d.changed) this.event({ kind: 'change', path: p, at });
      return d.changed.length;
    } catch (e) {
      if (this.signal.aborted) return 0;
      this.log.warn(
        { event: 'watchdog.error', err: e },
        `could not diff ${under} after re-arming (${String(e)}): rebuilding everything instead`,
      );
      rescan(`re-armed ${under}; snapshot diff failed`);
      return 0;
    }
  }
}

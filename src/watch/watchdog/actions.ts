/**
 * What the watchdog DOES about a loss (policy.ts decides when): re-arm (close the old subscription,
 * await it, subscribe again, prove it with a sentinel round trip), then diff the snapshot so changes
 * made while deaf become change events (content dedupe decides whether to rebuild); after repeated
 * failures, poll that scope only; while polling, probe native watching and restore it when it works.
 * Every step is bounded in time; every outcome is one contract line (health-log.ts).
 */
import type { WatchdogSettings, WatchSettings } from '../../config/settings.js';
import type { WatchEvent } from '../../pipeline/events.js';
import type { WatchControl } from '../backend.js';
import type { DeafCause } from '../types.js';
import type { HealthLog } from './health-log.js';
import { measureBudget } from '../budget/gate.js';
import type { MountEntry } from '../../os/mounts.js';
import type { Recovery, ScopeRecord } from './policy.js';
import { scanTree } from '../tree/scan.js';
import type { Sentinels } from './sentinel-files.js';
import type { Snapshot } from './snapshot.js';

/** Longest wait for a re-arm (a fresh worker arming the tree) or for native watching to start. */
const REARM_TIMEOUT_MS = 60_000;
const DIFF_TIMEOUT_MS = 120_000;

export interface RecoveryContext {
  root: string;
  settings: WatchSettings;
  watchdog: WatchdogSettings;
  watcher: WatchControl;
  recovery: Recovery;
  sentinels: Sentinels;
  snapshot: Snapshot;
  hl: HealthLog;
  onEvent: (ev: WatchEvent) => void;
  /** Aborted when the watchdog closes. */
  signal: AbortSignal;
  mounts(): MountEntry[];
  /** (Re)creates and arms the root's sentinel dir; false when it cannot. */
  armRootSentinel(): Promise<boolean>;
  /** Test-only: true when this attempt must fail (HOTWATCH_TEST_FAULTS rearm-fails). */
  injectedFailure(): boolean;
}

export class RecoveryRunner {
  /** The last reason a native retry failed, per scope: said once per distinct reason. */
  private readonly probeWhy = new Map<string, string>();
  constructor(private readonly c: RecoveryContext) {}

  /** Runs one due action; never throws (every failure is logged and fed back to the policy). */
  async run(key: string, action: 'rearm' | 'probe'): Promise<void> {
    const rec = this.c.recovery.get(key);
    if (!rec || this.c.signal.aborted) return;
    this.c.recovery.begin(key);
    try {
      if (action === 'rearm') await this.rearm(key, rec);
      else await this.probe(key, rec);
    } catch (e) {
      if (!this.c.signal.aborted) this.c.hl.warn({ event: 'watchdog.error', err: e }, `watchdog recovery of ${rec.path} failed unexpectedly: ${String(e)}`);
      this.c.recovery.probeFailed(key, performance.now());
    }
  }

  /**
   * The backend fell back to polling on its own (a limit reached after start): polling sees only what
   * changes from its start on, so what changed between the loss and now comes from the snapshot diff.
   */
  async caughtUpAfterFallback(key: string): Promise<void> {
    const rec = this.c.recovery.get(key);
    if (!rec || this.c.signal.aborted) return;
    await this.diff(rec, rec.watermark);
  }

  /** The scope is watched again (by us or by the backend): find what changed while deaf, say so. */
  async finish(key: string, cause: DeafCause | undefined): Promise<void> {
    const rec = this.c.recovery.get(key);
    if (!rec) return;
    // A fresh round trip replaces any stale pending one (the sentinel dir may be new: a replaced root).
    if (rec.scope !== 'mount' && this.c.watcher.backend() === 'native') await this.c.armRootSentinel();
    this.c.sentinels.write(rec.scope === 'mount' ? rec.path : this.c.root);
    const changed = await this.diff(rec, rec.cause === 'mount-changed' ? undefined : rec.watermark);
    const done = this.c.recovery.recovered(key, performance.now());
    if (!done) return;
    this.c.hl.rearmed({
      scope: rec.scope,
      path: rec.path,
      cause: cause ?? rec.cause ?? 'backend-error',
      recoveryMs: done.recoveryMs,
      changedWhileDeaf: changed,
      detail: `${rec.scope === 'mount' ? 'mount' : 'watch'} on ${rec.path} re-armed after ${cause ?? rec.cause}`,
    });
  }

  private async rearm(key: string, rec: ScopeRecord): Promise<void> {
    try {
      if (this.c.injectedFailure()) throw new Error('injected re-arm failure (HOTWATCH_TEST_FAULTS rearm-fails)');
      if (rec.scope === 'mount') await this.c.watcher.rearmPath(rec.path, this.c.mounts(), REARM_TIMEOUT_MS);
      else await this.c.watcher.rearm(REARM_TIMEOUT_MS);
      if (!(await this.verify(rec))) throw new Error(`the sentinel did not come back within ${2 * this.c.watchdog.intervalMs}ms after re-arming`);
    } catch (e) {
      if (this.c.signal.aborted) return;
      const now = performance.now();
      const verdict = this.c.recovery.attemptFailed(key, now);
      const n = this.c.recovery.get(key)?.attempts ?? 0;
      this.c.hl.warn(
        { event: 'watch.rearm-failed', scope: rec.scope, path: rec.path, cause: rec.cause, attempt: n },
        `re-arming ${rec.path} failed (attempt ${n}): ${(e as Error).message ?? String(e)}` +
          (verdict === 'retry' ? `; trying again in ${this.c.watchdog.intervalMs}ms` : '; falling back to polling'),
      );
      if (verdict === 'fallback') await this.fallBack(key, rec, (e as Error).message ?? String(e));
      return;
    }
    await this.finish(key, rec.cause);
  }

  /** A sentinel round trip through the re-armed watch (where the scope has a sentinel). */
  private async verify(rec: ScopeRecord): Promise<boolean> {
    if (this.c.watcher.backend() !== 'native') return true;
    const target = rec.scope === 'mount' ? rec.path : this.c.root;
    if (rec.scope !== 'mount' && !(await this.c.armRootSentinel())) return true; // no sentinel possible here
    if (!this.c.sentinels.has(target)) return true;
    return this.c.sentinels.roundTrip(target, 2 * this.c.watchdog.intervalMs);
  }

  private async fallBack(key: string, rec: ScopeRecord, why: string): Promise<void> {
    const reason = `re-arming failed ${this.c.recovery.get(key)?.attempts ?? 3} times after ${rec.cause} (last: ${why})`;
    if (rec.scope === 'mount') {
      await this.c.watcher.pollPath(rec.path, reason);
      this.c.hl.fallback({
        scope: 'mount',
        path: rec.path,
        reason,
        loss: true,
        msg: `polling the mount ${rec.path} every ${this.c.settings.pollIntervalMs}ms: ${reason}; native watching is retried every ${Math.round(this.probeMs() / 1000)}s`,
      });
    } else {
      await this.c.watcher.fallBackToPoll(reason, rec.cause); // its FALLBACK_POLL notice is the watch.fallback line
    }
    this.c.recovery.fellBack(key, performance.now());
    await this.diff(rec, rec.watermark); // what changed while deaf (polling only sees what changes from now on)
  }

  private async probe(key: string, rec: ScopeRecord): Promise<void> {
    const now = () => performance.now();
    if (rec.scope === 'mount') {
      await this.c.watcher.rearmPath(rec.path, this.c.mounts(), REARM_TIMEOUT_MS);
      const proven = !this.c.sentinels.has(rec.path) || (await this.c.sentinels.roundTrip(rec.path, 2 * this.c.watchdog.intervalMs));
      if (!proven) return this.c.recovery.probeFailed(key, now());
      await this.c.watcher.unpollPath(rec.path);
    } else {
      const scan = await scanTree(this.c.settings, { signal: AbortSignal.any([this.c.signal, AbortSignal.timeout(DIFF_TIMEOUT_MS)]) });
      const budget = measureBudget(scan.dirs.length + 1);
      if (!budget.fits) return this.c.recovery.probeFailed(key, now()); // still does not fit: keep polling, quietly
      const why = this.c.injectedFailure() ? 'injected test fault (rearm-fails)' : await this.c.watcher.tryNative(REARM_TIMEOUT_MS);
      if (why !== undefined) {
        if (this.probeWhy.get(key) !== why) {
          this.probeWhy.set(key, why);
          this.c.hl.warn({ event: 'watch.notice', code: 'NATIVE_RETRY_FAILED', path: rec.path }, `native watching of ${rec.path} still cannot start (${why}); still polling, retried every ${Math.round(this.probeMs() / 1000)}s`);
        }
        return this.c.recovery.probeFailed(key, now());
      }
      this.probeWhy.delete(key);
      await this.c.armRootSentinel();
    }
    this.c.sentinels.reset(rec.scope === 'mount' ? rec.path : this.c.root); // judged afresh from now on
    const done = this.c.recovery.recovered(key, now());
    const dirs = this.c.watcher.stats?.()?.dirs;
    this.c.hl.restored({
      scope: rec.scope === 'mount' ? 'mount' : 'root',
      path: rec.path,
      msg: `native watching works again on ${rec.path}${dirs !== undefined ? ` (${dirs} directories)` : ''} after ${Math.round((done?.recoveryMs ?? 0) / 1000)}s of polling; polling stopped`,
    });
  }

  /** Changes under the scope since `since` → change events; the count (0 when the diff failed, said so). */
  private async diff(rec: ScopeRecord, since: number | undefined): Promise<number> {
    const under = rec.scope === 'mount' ? rec.path : this.c.root;
    try {
      const d = await this.c.snapshot.diff(under, since, AbortSignal.any([this.c.signal, AbortSignal.timeout(DIFF_TIMEOUT_MS)]));
      const at = performance.now();
      if (!d) {
        this.c.onEvent({ kind: 'rescan', reason: `re-armed ${under}: the tree is too large for a snapshot diff`, at });
        return 0;
      }
      for (const p of d.changed) this.c.onEvent({ kind: 'change', path: p, at });
      return d.changed.length;
    } catch (e) {
      if (this.c.signal.aborted) return 0;
      this.c.hl.warn({ event: 'watchdog.error', err: e }, `could not diff ${under} after re-arming (${String(e)}): rebuilding everything instead`);
      this.c.onEvent({ kind: 'rescan', reason: `re-armed ${under}; snapshot diff failed`, at: performance.now() });
      return 0;
    }
  }

  private probeMs(): number {
    return Math.max(this.c.watchdog.intervalMs, this.c.watchdog.auditIntervalMs);
  }
}

/**
 * What the watchdog DOES about a loss (recovery-policy.ts decides when): re-arm (close the old
 * subscription, await it, subscribe again, prove it with a sentinel round trip), then replay what
 * changed while deaf from the snapshot (content dedupe decides whether to rebuild); after repeated
 * failures, or at once when a kernel limit stopped native watching, poll that scope only; while
 * polling, probe native watching and restore it when it works. Every step is bounded in time; every
 * outcome is one contract line (health-log.ts).
 */
import type { MountEntry } from '../../os/mounts.js';
import type { WatchControl } from '../backend.js';
import type { DeafCause } from '../types.js';
import type { FaultPlan } from './faults.js';
import type { HealthLog } from './health-log.js';
import type { RecoveryPolicy, ScopeRecord } from './recovery-policy.js';

/** Longest wait for a re-arm (a fresh worker arming the tree) or for native watching to start. */
const REARM_TIMEOUT_MS = 60_000;

/** What the recovery actions need from the watchdog that runs them. */
export interface RecoveryHost {
  /** The watcher being recovered. */
  readonly watcher: WatchControl;
  /** Aborted when the watchdog closes: nothing starts or is said after it. */
  readonly signal: AbortSignal;
  /** The sentinel interval (ms): a proof waits two of them, a failed re-arm is retried after one. */
  readonly intervalMs: number;
  /** watch.pollInterval, as messages say it ("1s"). */
  readonly pollEvery: string;
  mounts(): MountEntry[];
  /** A sentinel round trip through the scope's re-armed watch; true where the scope has no sentinel. */
  prove(rec: ScopeRecord): Promise<boolean>;
  /** The scope is watched again: its sentinel is armed anew and judged afresh (`roundTripNow`: one starts now). */
  resumeSentinel(rec: ScopeRecord, roundTripNow: boolean): Promise<void>;
  /** What changed under the scope since `since` (epoch ms; undefined: every file) becomes change events; their count. */
  replay(rec: ScopeRecord, since: number | undefined): Promise<number>;
  /** Whether native watching of the whole tree fits the inotify budget now. */
  nativeFits(): Promise<boolean>;
}

export type RecoveryAction = 'rearm' | 'fallback' | 'probe';

export class RecoveryRunner {
  /** The last reason a native retry failed, per scope: said once per distinct reason. */
  private readonly probeWhy = new Map<string, string>();
  /** Scopes said to be lost for good (watch.stopped): said once, until they recover. */
  private readonly stopped = new Set<string>();

  constructor(
    private readonly host: RecoveryHost,
    private readonly policy: RecoveryPolicy,
    private readonly log: HealthLog,
    private readonly faults: FaultPlan | undefined,
  ) {}

  /** Runs one action; never throws (every failure is logged and fed back to the policy). */
  async run(key: string, action: RecoveryAction, why?: { reason: string; hint?: string | undefined }): Promise<void> {
    const rec = this.policy.get(key);
    if (!rec || this.host.signal.aborted) return;
    this.policy.begin(key);
    try {
      if (action === 'rearm') await this.rearm(key, rec);
      else if (action === 'fallback') await this.fallBack(key, rec, why?.reason ?? `native watching stopped after ${rec.cause}`, why?.hint);
      else await this.probe(key, rec);
    } catch (e) {
      if (!this.host.signal.aborted)
        this.log.warn({ event: 'watchdog.error', err: e }, `watchdog recovery of ${rec.path} failed unexpectedly: ${String(e)}`);
      this.policy.probeFailed(key, performance.now());
    }
  }

  /**
   * A scope became polled without a recovery of ours (a notice said so): polling sees only what changes
   * from its start on, so what changed between the loss and now comes from the snapshot.
   */
  async caughtUpAfterFallback(key: string): Promise<void> {
    const rec = this.policy.get(key);
    if (!rec || this.host.signal.aborted) return;
    await this.host.replay(rec, rec.watermark);
  }

  /** The scope is watched again (by us or by the backend): find what changed while deaf, say so. */
  async finish(key: string, cause: DeafCause | undefined): Promise<void> {
    const rec = this.policy.get(key);
    if (!rec) return;
    // A fresh round trip replaces any stale pending one (the sentinel dir may be new: a replaced root).
    await this.host.resumeSentinel(rec, true);
    const changed = await this.host.replay(rec, rec.cause === 'mount-changed' ? undefined : rec.watermark);
    const done = this.policy.recovered(key, performance.now());
    this.stopped.delete(key);
    if (!done) return;
    this.log.rearmed({
      scope: rec.scope,
      path: rec.path,
      cause: cause ?? rec.cause ?? 'backend-error',
      recoveryMs: done.recoveryMs,
      changedWhileDeaf: changed,
      detail: `${rec.scope === 'mount' ? 'mount' : 'watch'} on ${rec.path} re-armed after ${cause ?? rec.cause}`,
    });
  }

  private async rearm(key: string, rec: ScopeRecord): Promise<void> {
    const { watcher, intervalMs } = this.host;
    try {
      if (this.faults?.failRearm()) throw new Error('injected re-arm failure (HOTWATCH_TEST_FAULTS rearm-fails)');
      if (rec.scope === 'mount') await watcher.rearmPath(rec.path, this.host.mounts(), REARM_TIMEOUT_MS);
      else await watcher.rearm(REARM_TIMEOUT_MS);
      if (!(await this.host.prove(rec))) throw new Error(`the sentinel did not come back within ${2 * intervalMs}ms after re-arming`);
    } catch (e) {
      if (this.host.signal.aborted) return;
      const verdict = this.policy.attemptFailed(key, performance.now());
      const n = this.policy.get(key)?.attempts ?? 0;
      const why = e instanceof Error ? e.message : String(e);
      this.log.warn(
        { event: 'watch.rearm-failed', scope: rec.scope, path: rec.path, cause: rec.cause, attempt: n },
        `re-arming ${rec.path} failed (attempt ${n}): ${why}${verdict === 'retry' ? `; trying again in ${intervalMs}ms` : '; falling back to polling'}`,
      );
      if (verdict === 'fallback') await this.fallBack(key, rec, `re-arming failed ${n} times after ${rec.cause} (last: ${why})`);
      return;
    }
    await this.finish(key, rec.cause);
  }

  private async fallBack(key: string, rec: ScopeRecord, reason: string, hint?: string): Promise<void> {
    if (rec.scope === 'mount') {
      await this.host.watcher.pollPath(rec.path, reason);
      this.log.fallback({
        scope: 'mount',
        path: rec.path,
        reason,
        loss: true,
        msg: `polling the mount ${rec.path} every ${this.host.pollEvery}: ${reason}; native watching is retried every ${Math.round(this.policy.probeEveryMs / 1000)}s`,
      });
    } else {
      try {
        if (this.faults?.failFallback()) throw new Error('injected fallback failure (HOTWATCH_TEST_FAULTS fallback-fails)');
        await this.host.watcher.fallBackToPoll(reason, rec.cause, hint); // its FALLBACK_POLL notice is the watch.fallback line
      } catch (e) {
        // Re-arming failed, and polling too: no recovery works (the systemd pings stop: service mode).
        if (!this.host.signal.aborted && !this.stopped.has(key)) {
          this.stopped.add(key);
          this.log.stopped({
            scope: rec.scope,
            path: rec.path,
            cause: rec.cause ?? 'backend-error',
            why: String(e),
            probeEverySec: Math.round(this.policy.probeEveryMs / 1000),
          });
        }
        throw e;
      }
    }
    this.stopped.delete(key);
    this.policy.fellBack(key, performance.now());
    await this.host.replay(rec, rec.watermark); // what changed while deaf (polling only sees what changes from now on)
  }

  private async probe(key: string, rec: ScopeRecord): Promise<void> {
    const now = () => performance.now();
    if (rec.scope === 'mount') {
      await this.host.watcher.rearmPath(rec.path, this.host.mounts(), REARM_TIMEOUT_MS);
      if (!(await this.host.prove(rec))) return this.policy.probeFailed(key, now());
      await this.host.watcher.unpollPath(rec.path);
    } else {
      if (!(await this.host.nativeFits())) return this.policy.probeFailed(key, now()); // still does not fit: keep polling, quietly
      const why = this.faults?.failRearm() ? 'injected test fault (rearm-fails)' : await this.host.watcher.tryNative(REARM_TIMEOUT_MS);
      if (why !== undefined) {
        this.probeFailedSaying(key, rec, why);
        return this.policy.probeFailed(key, now());
      }
      this.probeWhy.delete(key);
    }
    await this.host.resumeSentinel(rec, false);
    this.stopped.delete(key);
    const done = this.policy.recovered(key, now());
    const dirs = this.host.watcher.stats()?.dirs;
    this.log.restored({
      scope: rec.scope === 'mount' ? 'mount' : 'root',
      path: rec.path,
      msg: `native watching works again on ${rec.path}${dirs !== undefined ? ` (${dirs} directories)` : ''} after ${Math.round((done?.recoveryMs ?? 0) / 1000)}s of polling; polling stopped`,
    });
  }

  /** Native watching still cannot start: said once per distinct reason. */
  private probeFailedSaying(key: string, rec: ScopeRecord, why: string): void {
    if (this.probeWhy.get(key) === why) return;
    this.probeWhy.set(key, why);
    const every = Math.round(this.policy.probeEveryMs / 1000);
    this.log.say(
      'warn',
      'NATIVE_RETRY_FAILED',
      rec.path,
      `native watching of ${rec.path} still cannot start (${why}); still polling, retried every ${every}s`,
    );
  }
}

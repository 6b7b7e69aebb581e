/**
 * THE mapping of losses to contract lines and recovery: a backend's notices (their HealthReport) and the
 * watchdog's own findings (a sentinel that did not come back, a mount placed or removed) each become one
 * watch.deaf / watch.rearmed / watch.fallback line, and the recovery the loss needs:
 *   - self-healing (the backend arms the scope again as part of its work): wait for its `rearmed`, then
 *     replay what changed meanwhile;
 *   - a kernel limit that stopped native watching: poll at once (re-arming would hit the same limit);
 *   - anything else: re-arm at once (recovery within one more interval), retried by the policy.
 * A notice without a HealthReport is logged as it is (watch.notice).
 */
import { formatDuration } from '../../config/duration.js';
import type { DeafCause, HealthReport, WatchNotice } from '../types.js';
import { isKernelLimit, type HealthLog } from './health-log.js';
import type { RecoveryPolicy } from './recovery-policy.js';
import type { RecoveryRunner } from './recovery-runner.js';
import type { SentinelGuard, SentinelLoss } from './sentinel-guard.js';

type Report<K extends HealthReport['kind']> = Extract<HealthReport, { kind: K }>;

export class LossIntake {
  private readonly startedEpoch = Date.now();

  constructor(
    private readonly root: string,
    /** watchdog.auditInterval: how far back a loss found by the audit may go. */
    private readonly auditIntervalMs: number,
    private readonly policy: RecoveryPolicy,
    private readonly runner: RecoveryRunner,
    private readonly sentinels: SentinelGuard,
    private readonly log: HealthLog,
  ) {}

  /** A notice from the watcher. */
  notice(n: WatchNotice): void {
    const h = n.health;
    if (!h) return this.log.notice(n);
    const p = n.path ?? this.root;
    const key = h.scope === 'mount' ? p : this.root;
    if (h.kind === 'fallback') return this.polled(n, h, p, key);
    if (h.kind === 'rearmed') {
      if (this.policy.get(key)?.selfHealing) void this.runner.finish(key, h.cause);
      else this.log.quiet(n); // our own re-arm: the runner says it
      return;
    }
    if (h.scope === 'dir') return this.log.deaf({ scope: 'dir', path: p, cause: h.cause, detail: n.message, hint: n.hint });
    this.deaf(n, h, p, key);
  }

  /** A loss the watchdog found itself: one watch.deaf line, then a re-arm at once. */
  lose(l: SentinelLoss): void {
    const watermark = l.cause === 'mount-changed' ? undefined : this.watermark(l.key, l.cause);
    if (
      this.policy.lost(l.key, { scope: l.scope, path: l.key, cause: l.cause, selfHealing: false, watermark }, performance.now()) !== 'new'
    )
      return;
    this.log.deaf({
      scope: l.scope,
      path: l.key,
      cause: l.cause,
      detail: l.detail,
      sinceMs: watermark === undefined ? undefined : Date.now() - watermark,
    });
    void this.runner.run(l.key, 'rearm');
  }

  private deaf(n: WatchNotice, h: Report<'deaf'>, p: string, key: string): void {
    const watermark = this.watermark(key, h.cause);
    const verdict = this.policy.lost(
      key,
      { scope: h.scope, path: p, cause: h.cause, selfHealing: h.selfHealing, watermark },
      performance.now(),
    );
    if (verdict !== 'new') return this.log.quiet(n);
    const limit = isKernelLimit(h.scope, h.cause);
    const then = h.selfHealing ? '' : limit ? '; falling back to polling' : '; re-arming';
    this.log.deaf({
      scope: h.scope,
      path: p,
      cause: h.cause,
      detail: `${n.message}${then}`,
      hint: n.hint,
      sinceMs: Date.now() - watermark,
    });
    if (h.selfHealing) return;
    if (!limit) return void this.runner.run(key, 'rearm');
    const reason = h.cause === 'watch-limit' ? 'the inotify watch limit was reached' : 'no inotify instance was left';
    void this.runner.run(key, 'fallback', { reason, hint: n.hint });
  }

  /** A scope is polled: planned (a poll-type mount) or after a loss (then native watching is retried). */
  private polled(n: WatchNotice, h: Report<'fallback'>, p: string, key: string): void {
    const loss = h.cause !== undefined;
    const msg = loss ? `${n.message}; native watching is retried every ${formatDuration(this.policy.probeEveryMs)}` : n.message;
    // After a kernel limit the watch.deaf line just before said it with the fix, at warn: polling serves every
    // edit, so this line says the new state at warn (status: polling, healthy), the fix not repeated.
    const limit = h.cause !== undefined && isKernelLimit(this.policy.get(key)?.scope ?? h.scope, h.cause);
    this.log.fallback({
      scope: h.scope,
      path: p,
      reason: n.message,
      hint: limit ? undefined : n.hint,
      loss,
      msg,
      ...(limit ? { level: 'warn' as const } : {}),
    });
    if (!loss) return;
    // Our own fallback replays what changed while deaf by itself; one we did not drive (polling chosen
    // when native watching could not start) dropped what changed before polling began: the replay finds it.
    const ours = this.policy.get(key)?.busy === true;
    this.policy.fellBack(key, performance.now(), { scope: h.scope, path: p, cause: h.cause });
    if (!ours) void this.runner.caughtUpAfterFallback(key);
  }

  /**
   * Epoch ms the scope was last proven live: the replay reports what changed since. A sentinel proves
   * its own directory's watch; watches lost one by one (coverage, limits) may have been lost any time
   * since the last good audit, so those go back two audit intervals.
   */
  private watermark(key: string, cause: DeafCause): number {
    const sentinel = this.sentinels.lastOkEpoch(key) ?? this.startedEpoch;
    if (cause !== 'coverage-shortfall' && cause !== 'watch-limit') return sentinel;
    return Math.max(this.startedEpoch, Math.min(sentinel, Date.now() - 2 * this.auditIntervalMs));
  }
}

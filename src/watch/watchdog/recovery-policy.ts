/**
 * The watchdog's policy per scope (the root, or one mount), as a pure state machine with an injected
 * clock (unit-tested with fake times):
 *
 *   healthy ──loss──▶ deaf ──re-arm ok──▶ healthy
 *                      │ └─re-arm failed─▶ deaf (next attempt one interval later)
 *                      └─ `maxAttempts` failures ─▶ polling ──probe ok──▶ healthy (restored)
 *                         (or at once: a kernel limit)   └─probe failed─▶ polling (next probe later)
 *
 * A self-healing loss (arming repairs it as the backend's ordinary work: a replaced root armed again, a
 * storm reconciled) waits in `deaf` without attempts until the backend says it re-armed. While a scope is
 * not healthy, its sentinel is not judged (no second loss line for the same outage).
 */
import type { DeafCause, DeafScope } from '../types.js';

/** How often native watching is retried while a scope is polled: every auditInterval, never more often than the interval. */
export function probeEveryMs(cfg: { intervalMs: number; auditIntervalMs: number }): number {
  return Math.max(cfg.intervalMs, cfg.auditIntervalMs);
}

export type Phase = 'healthy' | 'deaf' | 'polling';

export interface ScopeRecord {
  scope: DeafScope;
  path: string;
  phase: Phase;
  cause: DeafCause | undefined;
  /** When the loss was noticed (clock ms). */
  lostAt: number;
  /** Epoch ms the scope was last proven live (snapshot watermark for the diff). */
  watermark: number | undefined;
  selfHealing: boolean;
  attempts: number;
  nextAttemptAt: number;
  nextProbeAt: number;
  busy: boolean;
}

export interface RecoveryConfig {
  intervalMs: number;
  auditIntervalMs: number;
  maxAttempts: number;
}

export class RecoveryPolicy {
  private readonly scopes = new Map<string, ScopeRecord>();

  constructor(private readonly cfg: RecoveryConfig) {}

  get(key: string): ScopeRecord | undefined {
    return this.scopes.get(key);
  }

  healthy(key: string): boolean {
    return (this.scopes.get(key)?.phase ?? 'healthy') === 'healthy';
  }

  /** A loss. 'new' = log it; 'known' = the scope is already deaf or polling (no second line). */
  lost(
    key: string,
    l: { scope: DeafScope; path: string; cause: DeafCause; selfHealing: boolean; watermark: number | undefined },
    now: number,
  ): 'new' | 'known' {
    const cur = this.scopes.get(key);
    // Already deaf or polling: one line per outage, and whoever drives its recovery keeps driving it.
    if (cur && cur.phase !== 'healthy') return 'known';
    this.scopes.set(key, {
      ...l,
      phase: 'deaf',
      lostAt: now,
      attempts: 0,
      nextAttemptAt: now,
      nextProbeAt: Number.POSITIVE_INFINITY,
      busy: false,
    });
    return 'new';
  }

  /** Scopes whose next re-arm attempt (deaf) or native probe (polling) is due now. */
  due(now: number): Array<{ key: string; action: 'rearm' | 'probe'; rec: ScopeRecord }> {
    const out: Array<{ key: string; action: 'rearm' | 'probe'; rec: ScopeRecord }> = [];
    for (const [key, rec] of this.scopes) {
      if (rec.busy) continue;
      if (rec.phase === 'deaf' && !rec.selfHealing && now >= rec.nextAttemptAt) out.push({ key, action: 'rearm', rec });
      else if (rec.phase === 'polling' && now >= rec.nextProbeAt) out.push({ key, action: 'probe', rec });
    }
    return out;
  }

  begin(key: string): void {
    const rec = this.scopes.get(key);
    if (rec) rec.busy = true;
  }

  /** A re-arm attempt failed: try again one interval later, or fall back after `maxAttempts`. */
  attemptFailed(key: string, now: number): 'retry' | 'fallback' {
    const rec = this.scopes.get(key);
    if (!rec) return 'retry';
    rec.busy = false;
    rec.attempts++;
    if (rec.attempts >= this.cfg.maxAttempts) return 'fallback';
    rec.nextAttemptAt = now + this.cfg.intervalMs;
    return 'retry';
  }

  /** Re-armed (by us or by the backend): healthy again. Returns what the rearmed line needs. */
  recovered(key: string, now: number): { recoveryMs: number; rec: ScopeRecord } | undefined {
    const rec = this.scopes.get(key);
    if (!rec || rec.phase === 'healthy') return undefined;
    this.scopes.delete(key);
    return { recoveryMs: now - rec.lostAt, rec: { ...rec, busy: false } };
  }

  /** Polling this scope now; native watching is probed every probeEveryMs. */
  fellBack(key: string, now: number, l?: { scope: DeafScope; path: string; cause: DeafCause | undefined }): void {
    let rec = this.scopes.get(key);
    if (!rec) {
      if (!l) return;
      rec = {
        ...l,
        phase: 'polling',
        lostAt: now,
        watermark: undefined,
        selfHealing: false,
        attempts: 0,
        nextAttemptAt: now,
        nextProbeAt: 0,
        busy: false,
      };
      this.scopes.set(key, rec);
    }
    rec.phase = 'polling';
    rec.busy = false;
    rec.selfHealing = false;
    rec.nextProbeAt = now + this.probeEveryMs;
  }

  probeFailed(key: string, now: number): void {
    const rec = this.scopes.get(key);
    if (!rec) return;
    rec.busy = false;
    rec.nextProbeAt = now + this.probeEveryMs;
  }

  /** Forget a scope (a mount removed, or superseded by a loss of its parent). */
  forget(key: string): void {
    this.scopes.delete(key);
  }

  keys(): string[] {
    return [...this.scopes.keys()];
  }

  get probeEveryMs(): number {
    return probeEveryMs(this.cfg);
  }
}

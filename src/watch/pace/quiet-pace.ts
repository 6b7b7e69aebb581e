/**
 * The pace of a periodic check that proves something which can only break silently (issue 19: idle
 * costs nothing measurable). At its base period while the tree is busy (activity is when a loss matters
 * most: the next save is coming) and for `quietAfterMs` after the last activity; then the first clean
 * round sets the period to `maxMs` at once. No promise needs the steps between: a quiet tree's promised
 * detection time is the longest wait's, and a doubling ramp (2, 4, 8, 16 s) spent five rounds, each a
 * wake-up of hotwatch and its helper, in the first minute of every quiet spell for detections the
 * README never promised. Any activity or anomaly brings the base period back at once, and
 * `wake()` says whether it was slowed down, so the caller can check at once: the first change after a
 * quiet spell is checked then, not one long period later. Pure: the caller passes the clock.
 */
/** The longest wait of a quiet tree's checks, and how long after the last change (or anomaly) the waits start to grow. */
export const QUIET_MAX_MS = 30_000;
export const QUIET_AFTER_MS = 5000;

export class QuietPace {
  private periodMs: number;
  private lastWakeAt: number;

  constructor(
    readonly baseMs: number,
    readonly maxMs: number,
    private readonly quietAfterMs: number,
    now: number,
  ) {
    this.periodMs = baseMs;
    this.lastWakeAt = now;
  }

  /** The pace every check of a quiet tree uses: from `baseMs`, up to QUIET_MAX_MS, growing QUIET_AFTER_MS after a change. */
  static standard(baseMs: number, now: number): QuietPace {
    return new QuietPace(baseMs, QUIET_MAX_MS, QUIET_AFTER_MS, now);
  }

  /** The period now (ms). */
  get everyMs(): number {
    return this.periodMs;
  }

  /** Slowed down (longer than the base period). */
  get quiet(): boolean {
    return this.periodMs > this.baseMs;
  }

  /** A round found nothing wrong: once quiet long enough, the next one waits the longest wait. */
  clean(now: number): void {
    if (now - this.lastWakeAt >= this.quietAfterMs) this.periodMs = Math.max(this.baseMs, this.maxMs);
  }

  /** Activity or an anomaly: the base period again. Returns true when it was slowed down until now. */
  wake(now: number): boolean {
    const was = this.quiet;
    this.periodMs = this.baseMs;
    this.lastWakeAt = now;
    return was;
  }
}

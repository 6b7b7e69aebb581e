/**
 * Debounce timing as a pure state machine with an injected clock: a batch is due once no event arrived
 * for `quietMs`, or `maxWaitMs` after its first event even if events keep coming (a continuous stream of
 * writes still builds). The caller owns the timer: it asks `deadline()` and calls `due(now)` then.
 */
export interface DebounceOptions {
  quietMs: number;
  maxWaitMs: number;
}

export class Debouncer {
  private firstAt: number | undefined;
  private lastAt: number | undefined;

  constructor(private readonly opts: DebounceOptions) {
    if (opts.quietMs < 0 || opts.maxWaitMs < opts.quietMs) {
      throw new RangeError(`debounce: need 0 <= quiet (${opts.quietMs}ms) <= maxWait (${opts.maxWaitMs}ms)`);
    }
  }

  get pending(): boolean {
    return this.firstAt !== undefined;
  }

  /** Record an event at `now` (monotonic ms). */
  note(now: number): void {
    if (this.firstAt === undefined) this.firstAt = now;
    this.lastAt = now;
  }

  /** When the pending batch becomes due, or undefined when nothing is pending. */
  deadline(): number | undefined {
    if (this.firstAt === undefined || this.lastAt === undefined) return undefined;
    return Math.min(this.lastAt + this.opts.quietMs, this.firstAt + this.opts.maxWaitMs);
  }

  /** True (and resets) when the pending batch is due at `now`. */
  take(now: number): boolean {
    const d = this.deadline();
    if (d === undefined || now < d) return false;
    this.firstAt = undefined;
    this.lastAt = undefined;
    return true;
  }
}

/**
 * Debounce timing as a pure state machine with an injected clock. A batch is due once no event arrived
 * for the quiet window, or `maxWaitMs` after its first event even if events keep coming (a continuous
 * stream of writes still builds). Two quiet windows:
 *   - `loneQuietMs` for a lone save after an idle moment: a handful of events (at most LONE_MAX_EVENTS)
 *     spanning less than `loneQuietMs` (measured: an editor save, even with gofmt rewriting it, is 1 to 4
 *     events within 4 ms), so it builds fast;
 *   - `quietMs` for bursts (events spanning longer) and for events arriving within `quietMs` of the
 *     previous batch (the developer is still typing and saving, or a checkout is still running).
 * The caller owns the timer: it asks `deadline()` and calls `take(now)` then.
 */
/** vim's `:w` is 4 events, an atomic save 1–3, save + gofmt 2: more than this is the start of a burst. */
export const LONE_MAX_EVENTS = 8;

export interface DebounceOptions {
  quietMs: number;
  /** Defaults to quietMs (a single window). */
  loneQuietMs?: number;
  maxWaitMs: number;
}

export class Debouncer {
  private firstAt: number | undefined;
  private lastAt: number | undefined;
  private lastTakeAt: number | undefined;
  private continuation = false;
  private count = 0;
  private readonly loneQuietMs: number;

  constructor(private readonly opts: DebounceOptions) {
    this.loneQuietMs = Math.min(opts.loneQuietMs ?? opts.quietMs, opts.quietMs);
    if (opts.quietMs < 0 || this.loneQuietMs < 0 || opts.maxWaitMs < opts.quietMs) {
      throw new RangeError(`debounce: need 0 <= loneQuiet, 0 <= quiet (${opts.quietMs}ms) <= maxWait (${opts.maxWaitMs}ms)`);
    }
  }

  get pending(): boolean {
    return this.firstAt !== undefined;
  }

  /** Record an event at `now` (monotonic ms). */
  note(now: number): void {
    if (this.firstAt === undefined) {
      this.firstAt = now;
      this.count = 0;
      this.continuation = this.lastTakeAt !== undefined && now - this.lastTakeAt < this.opts.quietMs;
    }
    this.lastAt = Math.max(this.lastAt ?? now, now);
    this.count++;
  }

  /** When the pending batch becomes due, or undefined when nothing is pending. */
  deadline(): number | undefined {
    if (this.firstAt === undefined || this.lastAt === undefined) return undefined;
    const lone = !this.continuation && this.count <= LONE_MAX_EVENTS && this.lastAt - this.firstAt < this.loneQuietMs;
    const quiet = lone ? this.loneQuietMs : this.opts.quietMs;
    return Math.min(this.lastAt + quiet, this.firstAt + this.opts.maxWaitMs);
  }

  /** True (and resets) when the pending batch is due at `now`. */
  take(now: number): boolean {
    const d = this.deadline();
    if (d === undefined || now < d) return false;
    this.firstAt = undefined;
    this.lastAt = undefined;
    this.lastTakeAt = now;
    return true;
  }
}

/**
 * Debounce timing as a pure state machine with an injected clock. A batch is due once no event arrived
 * for the quiet window, or `maxWaitMs` after its first event even if events keep coming (a continuous
 * stream of writes still builds). The quiet windows:
 *   - `settledQuietMs` for a lone save whose every write the backend saw complete (the inotify helper
 *     reports IN_CLOSE_WRITE and IN_MOVED_TO): nothing is left to guess, so it waits only long enough for
 *     an editor's "save all" to land in the same batch;
 *   - `loneQuietMs` for a lone save after an idle moment: a handful of events (at most LONE_MAX_EVENTS)
 *     spanning less than `loneQuietMs` (measured: an editor save, even with gofmt rewriting it, is 1 to 4
 *     events within 4 ms), so it builds fast;
 *   - `quietMs` for bursts (events spanning longer) and for events arriving within `quietMs` of the
 *     previous batch (the developer is still typing and saving, or a checkout is still running).
 *   - a bulk window, `quietMs × BULK_QUIET_FACTOR` (200 ms by default, capped by maxWait), once a batch
 *     holds BULK_MIN_EVENTS events or more, and for events soon after such a batch: a checkout or a code
 *     generator writing thousands of files pauses longer than 50 ms when the machine is busy (measured: a
 *     2,000-file rewrite split into 3 builds under a parallel test run), and each split is a build that is
 *     started only to be cancelled; in a clean-clone CI run the first fragment was only 13 files (~30
 *     events) before such a pause, hence 16. An editor save is at most 8 events (vim :w 4, save + gofmt
 *     2–5): a lone save or a handful of files still uses the short windows.
 * A file whose newest event says a writer still has it open (written, not closed: the inotify helper
 * reports both) holds the batch until its close comes, at most WRITER_QUIET_MS after its last write and
 * WRITER_MAX_MS after the batch's first event: what it holds meanwhile may be half of it (a generator's
 * output redirected into it is emptied at once and written a second later), and a build of it would fail
 * for nothing. Editors and tools close what they write within milliseconds; fs.watch and polling never say.
 * Sizes are counted on the live events only (live-changes.ts): the events of a file whose content was
 * found unchanged while the window was open are dismissed (`dismiss`), so a storm of same-content
 * rewrites followed by one real edit takes that edit's own window, not the bulk window.
 * The caller owns the timer: it asks `deadline()` and calls `take(now)` then.
 */
import { LiveChanges } from './live-changes.js';

/** vim's `:w` is 4 events, an atomic save 1–3, save + gofmt 2: more than this is the start of a burst. */
export const LONE_MAX_EVENTS = 8;
/** A batch this large is a bulk write (checkout, code generation): it gets the bulk window. */
export const BULK_MIN_EVENTS = 16;
export const BULK_QUIET_FACTOR = 4;
/** How long after its last write a file still open for writing holds the batch (a generator compiling before it prints). */
export const WRITER_QUIET_MS = 3000;
/** The longest a file open for writing holds a batch, from its first event (a writer that never closes). */
export const WRITER_MAX_MS = 10_000;

export interface DebounceOptions {
  quietMs: number;
  /** Defaults to quietMs (a single window). */
  loneQuietMs?: number;
  /** A lone save whose writes are all known complete; defaults to loneQuietMs (no fast path). */
  settledQuietMs?: number;
  maxWaitMs: number;
}

export class Debouncer {
  private firstAt: number | undefined;
  private lastAt: number | undefined;
  private lastTakeAt: number | undefined;
  private continuation = false;
  /** The pending batch continues a bulk batch taken moments ago. */
  private bulkContinuation = false;
  private lastTakeBulk = false;
  /** The last batch taken had live events: a batch found wholly unchanged continues nothing. */
  private lastTakeLive = false;
  /** The pending batch's events that may be real changes (not dismissed as same content). */
  private readonly live = new LiveChanges();
  private readonly loneQuietMs: number;
  private readonly settledQuietMs: number;
  private readonly bulkQuietMs: number;

  constructor(private readonly opts: DebounceOptions) {
    this.loneQuietMs = Math.min(opts.loneQuietMs ?? opts.quietMs, opts.quietMs);
    this.settledQuietMs = Math.min(opts.settledQuietMs ?? this.loneQuietMs, this.loneQuietMs);
    this.bulkQuietMs = Math.min(opts.quietMs * BULK_QUIET_FACTOR, opts.maxWaitMs);
    if (opts.quietMs < 0 || this.settledQuietMs < 0 || opts.maxWaitMs < opts.quietMs) {
      throw new RangeError(`debounce: need 0 <= loneQuiet, 0 <= quiet (${opts.quietMs}ms) <= maxWait (${opts.maxWaitMs}ms)`);
    }
  }

  get pending(): boolean {
    return this.firstAt !== undefined;
  }

  /**
   * Record an event at `now` (monotonic ms). `path` and `complete`: the event's file and whether the
   * backend saw its write finish; an event without them counts as not known complete.
   */
  note(now: number, path = '', complete = false, writing = false): void {
    if (this.firstAt === undefined) {
      this.firstAt = now;
      this.live.clear();
      const sinceTake = this.lastTakeAt === undefined ? Number.POSITIVE_INFINITY : now - this.lastTakeAt;
      this.continuation = this.lastTakeLive && sinceTake < this.opts.quietMs;
      this.bulkContinuation = this.lastTakeBulk && sinceTake < this.bulkQuietMs;
    }
    this.lastAt = Math.max(this.lastAt ?? now, now);
    this.live.note(path, now, complete, writing);
  }

  /** The pending batch's files still open for writing (their newest event was a write, not a close). */
  get writing(): string[] {
    return this.live.writing;
  }

  /**
   * `path`'s content was read after its newest event and is what the last build had: its events are no
   * change, and no longer size the window (until its next event). The deadline may come sooner.
   */
  dismiss(path: string): void {
    if (this.firstAt !== undefined) this.live.dismiss(path);
  }

  /** When the pending batch becomes due, or undefined when nothing is pending. */
  deadline(): number | undefined {
    if (this.firstAt === undefined || this.lastAt === undefined) return undefined;
    const due = Math.min(this.lastAt + this.quiet(), this.firstAt + this.opts.maxWaitMs);
    const written = this.live.lastWriteAt();
    if (written === undefined) return due;
    return Math.max(due, Math.min(written + WRITER_QUIET_MS, this.firstAt + WRITER_MAX_MS));
  }

  /** The pending batch is due because maxWait ran out, not because it went quiet. */
  capped(): boolean {
    return this.firstAt !== undefined && this.lastAt! + this.quiet() >= this.firstAt + this.opts.maxWaitMs;
  }

  /** The quiet window the pending batch waits for (see the class comment). */
  private quiet(): number {
    if (this.isBulk()) return this.bulkQuietMs;
    // span() last: it scans the live files, which the count has just said are few.
    const lone = !this.continuation && this.live.events <= LONE_MAX_EVENTS && this.live.span() < this.loneQuietMs;
    if (!lone) return this.opts.quietMs;
    return this.live.open === 0 ? this.settledQuietMs : this.loneQuietMs;
  }

  /** Nothing live (every file dismissed as unchanged) is never bulk: there is nothing to gather. */
  private isBulk(): boolean {
    const n = this.live.events;
    return n > 0 && (this.bulkContinuation || n >= BULK_MIN_EVENTS);
  }

  /** True (and resets) when the pending batch is due at `now`. */
  take(now: number): boolean {
    const d = this.deadline();
    if (d === undefined || now < d) return false;
    this.lastTakeBulk = this.isBulk();
    this.lastTakeLive = this.live.events > 0;
    // A save taken early because its writes were seen complete counts its continuation window from when
    // a lone save would have been taken: the fast path must not shorten "the developer is still saving".
    this.lastTakeAt = Math.max(now, this.lastAt! + (this.quiet() < this.loneQuietMs ? this.loneQuietMs : 0));
    this.firstAt = undefined;
    this.lastAt = undefined;
    return true;
  }
}

/**
 * One timer for a component whose periodic checks are due at different times (issue 19): it is set for
 * the earliest due time the component computes after each run, instead of one setInterval per check, so
 * a quiet process wakes only when something is due. Long waits (a quiet tree) are rounded up to whole
 * seconds of wall time and share one Node timer per thread (`GridClock`): the watchdog's round, the
 * heartbeat's ping, the engine's root check and the module-files poll that fall due in the same second
 * run in the same turn of the event loop, one wake-up for all of them. Short waits (a busy tree) are
 * exact, on a timer of their own. Unref'd: it never keeps the process alive.
 *
 * Rounding alone did not coalesce them: each check keeps the phase it started at, so a quiet hotwatch
 * still woke four times every 30 s (strace: the engine's check, the go.work poll, the watchdog round and
 * the heartbeat each in a second of its own). So a long wait may also end early, at an instant the grid
 * already wakes for, up to EARLY_SHARE of the wait before it is due: a check run early only proves
 * more, never later, so no promised detection time moves. Each check is set again from the wake it
 * shared, so checks of the same pace stay together from then on. The callback then gets the time it asked
 * for as `plannedAt` (later than now): a check that tests "is it due" compares with that.
 */

/** A run this close before its due time counts as due (timers may fire a little early on the loop's clock). */
export const DUE_SLACK_MS = 5;

/** Waits from this long are rounded up to whole seconds of wall time (the shared grid); shorter ones are exact. */
const GRID_FROM_MS = 2000;
const GRID_MS = 1000;
/** How much of a long wait may be cut to share a wake-up already on the grid. */
const EARLY_SHARE = 0.5;

const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * The shared grid of one thread: grid instants (epoch ms, whole seconds) → the timers due then, and one
 * Node timer for the earliest. Module state on purpose: sharing it is the point (like Node's own timer
 * lists); it holds nothing but pending wake-ups.
 */
class GridClock {
  private readonly due = new Map<number, Set<WakeTimer>>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  /** The latest instant already on the grid within [earliest, at], else `at`. */
  shared(earliest: number, at: number): number {
    let best = at;
    for (const x of this.due.keys()) if (x >= earliest && x < at && (best === at || x > best)) best = x;
    return best;
  }

  add(at: number, t: WakeTimer): void {
    const set = this.due.get(at) ?? new Set<WakeTimer>();
    this.due.set(at, set);
    set.add(t);
    if (at < this.timerAt) this.arm(at);
  }

  remove(at: number, t: WakeTimer): void {
    const set = this.due.get(at);
    if (!set) return;
    set.delete(t);
    if (set.size === 0) this.due.delete(at);
    if (this.due.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
    }
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - epochNow()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = epochNow();
    const run: [WakeTimer, number][] = [];
    for (const [at, set] of this.due) {
      if (at > now + DUE_SLACK_MS) continue;
      for (const t of set) run.push([t, at]);
      this.due.delete(at);
    }
    const next = Math.min(...this.due.keys());
    if (Number.isFinite(next)) this.arm(next);
    // One that an earlier one of this wake set again (the round's ping moves the heartbeat's) is not due now.
    for (const [t, at] of run) t.fireFromGrid(at);
  }
}

const grid = new GridClock();

/** The delay to set for a wait of `ms` from `now` (performance.now()): rounded up to the grid when long. */
export function alignedDelay(ms: number, now: number = performance.now()): number {
  if (ms < GRID_FROM_MS) return Math.max(0, ms);
  const at = performance.timeOrigin + now + ms;
  return Math.ceil(at / GRID_MS) * GRID_MS - performance.timeOrigin - now;
}

export class WakeTimer {
  private timer: NodeJS.Timeout | undefined;
  /** The grid instant (epoch ms) it waits for on the shared clock, if it does. */
  private gridAt: number | undefined;
  private due = Number.POSITIVE_INFINITY;
  /** When the caller asked it to fire (later than `due` when it shares an earlier wake-up). */
  private asked = Number.POSITIVE_INFINITY;

  constructor(private readonly run: (plannedAt: number) => void) {}

  /** When it fires next (performance.now() ms, after rounding to the grid); infinite when not set. */
  get dueAt(): number {
    return this.due;
  }

  /**
   * Fires once at `at` (performance.now() ms), replacing any earlier setting; a long wait may fire up to
   * EARLY_SHARE of it earlier, with a wake-up already on the grid (`plannedAt` is then `at`).
   */
  set(at: number, now: number = performance.now()): void {
    this.cancel();
    const delay = alignedDelay(at - now, now);
    this.due = now + delay;
    if (at - now >= GRID_FROM_MS) {
      const aligned = Math.round(performance.timeOrigin + this.due);
      const earliest = performance.timeOrigin + now + (at - now) * (1 - EARLY_SHARE);
      this.gridAt = grid.shared(Math.max(earliest, performance.timeOrigin + now + GRID_FROM_MS / 2), aligned);
      this.due -= aligned - this.gridAt;
      this.asked = Math.max(at, this.due);
      grid.add(this.gridAt, this);
      return;
    }
    const planned = this.due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = Number.POSITIVE_INFINITY;
      this.run(planned);
    }, delay);
    this.timer.unref();
  }

  /** Fires at `at` unless it is already set to fire earlier. */
  atMost(at: number, now: number = performance.now()): void {
    if (at < this.due) this.set(at, now);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.gridAt !== undefined) grid.remove(this.gridAt, this);
    this.gridAt = undefined;
    this.due = Number.POSITIVE_INFINITY;
    this.asked = Number.POSITIVE_INFINITY;
  }

  /** The shared clock reached this timer's grid instant (GridClock only). */
  fireFromGrid(at: number): void {
    if (this.gridAt !== at) return;
    const planned = this.asked;
    this.gridAt = undefined;
    this.due = Number.POSITIVE_INFINITY;
    this.asked = Number.POSITIVE_INFINITY;
    this.run(planned);
  }
}

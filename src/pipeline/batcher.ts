/**
 * The batcher: the pipeline's only stateful stage with a clock, between the watcher and the supervisor.
 *
 *   event ─▶ ring ─▶ debounce (timer) ─▶ delivery barrier ─▶ aggregate ─▶ content dedupe ─▶ deliver(batch)
 *
 * The pure stages (ring, debounce, aggregate) take the time from here; this file owns the one timer that
 * decides when a batch is quiet, asks the watcher to confirm nothing is still on its way before taking
 * it, and drops a batch whose bytes did not change (unless nothing is running: then a save means "run it
 * again", as in air).
 */
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Batch, WatchEvent } from './events.js';
import { Ring } from './ring.js';
import { Debouncer, WRITER_MAX_MS, WRITER_QUIET_MS, type DebounceOptions } from './debounce.js';
import { toBatch, describeBatch } from './aggregate.js';
import { ContentIndex } from './content.js';
import { type HashedSlice, PreHasher } from './prehash.js';
import { type BatchTiming, logTiming } from './batch-timing.js';

/**
 * How long a batch that looks quiet waits for the watcher to confirm that nothing more is queued (see
 * Watcher.sync): beyond it, the batch is built as it is; what arrives later builds next.
 */
const SYNC_MS = 1000;

export interface BatcherOptions {
  root: string;
  bufferCapacity: number;
  debounce: DebounceOptions;
  log: Logger;
  /** Where each batch goes (the supervisor). */
  deliver: (batch: Batch) => void;
  /**
   * A batch that returns every file changed since what the running app was built from to its hash then:
   * nothing to build or restart, and a build under way for the change it undoes is moot. Absent: delivered.
   */
  revert?: (batch: Batch) => void;
  /** True while no app runs and nothing is on its way: an unchanged save then still rebuilds. */
  appIdle: () => boolean;
  /** Files whose change restarts the app without a build (run.envFiles): never "back to what runs". */
  restartOnly?: readonly string[];
  /** Told of each batch taken: the events it merged (rescan markers included) and those the ring dropped. */
  onTaken?: (batch: Batch, events: readonly WatchEvent[]) => void;
}

/** What the batcher needs of the watcher: a delivery barrier (optional: polling has none), and a poll round. */
export interface DeliveryBarrier {
  sync?(timeoutMs: number, opts?: { pollRound?: boolean }): Promise<void>;
}

export class Batcher {
  readonly content = new ContentIndex();
  /** The content check, begun while the window is open; what it finds unchanged no longer sizes the window. */
  private readonly prehash = new PreHasher((read) => this.dismissUnchanged(read));
  private readonly ring: Ring;
  private readonly debounce: Debouncer;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  /** The batch is being confirmed quiet (the barrier): that ends in a take or a new timer. */
  private confirming = false;
  /** Batches are deduped in order: each waits for the previous one's dedupe. */
  private delivering: Promise<void> = Promise.resolve();
  private barrier: DeliveryBarrier = {};
  /** The number of the last batch handed on (see Batch.seq). */
  private seq = 0;
  /** Monotonic ms of the newest event pushed (0: none yet). */
  private newestEventAt = 0;
  /** Files taken into a batch while still open for writing, not closed since (changedOrWriting). */
  private readonly takenOpen = new Set<string>();
  /** Woken by the next event (changedSince waiting for a poll round). */
  private eventWaiters: Array<() => void> = [];

  constructor(private readonly opts: BatcherOptions) {
    this.ring = new Ring(opts.bufferCapacity);
    this.debounce = new Debouncer(opts.debounce);
    this.content.baseline.leaveOut(opts.restartOnly ?? []);
  }

  /** Events arrive before the watcher is ready; the barrier is known only once it exists. */
  useBarrier(barrier: DeliveryBarrier): void {
    this.barrier = barrier;
  }

  /** A batch is gathering: its end (the build) must not wait behind other work. */
  get pending(): boolean {
    return this.debounce.pending;
  }

  /** When the newest event the watcher delivered happened (monotonic ms; 0 before any). */
  get lastEventAt(): number {
    return this.newestEventAt;
  }

  /**
   * Did the watcher see a relevant change after `since` (monotonic ms)? Events the kernel still queues
   * or the watcher thread still holds count: the barrier delivers them first. Those in the debounce
   * window or being deduped count too (they are pushed already).
   */
  /**
   * changedSince, and 'writing' when a file taken into a batch while still open for writing (the wait's
   * cap: a generator streaming for more than 10 s) has not been closed since: a build of it as it was
   * failed, and building it again before its close fails again (3 builds in 0.3 s, then a false BUILD
   * FAILED); its close builds it.
   */
  async changedOrWriting(since: number, opts: { pollRound?: boolean; graceMs?: number } = {}): Promise<boolean | 'writing'> {
    const changed = await this.changedSince(since, opts);
    return changed && this.takenOpen.size > 0 ? 'writing' : changed;
  }

  async changedSince(since: number, opts: { pollRound?: boolean; graceMs?: number } = {}): Promise<boolean> {
    if (this.newestEventAt > since) return true;
    if (opts.graceMs) {
      // A failed build is judged: an editor's save may be half done (vim and JetBrains rename the old file
      // away, then the new one in, 30–100 ms apart: go failed in between with "cannot find main module").
      // Its next step is waited for a moment; a real failure is said that much later.
      const grace = new Promise<void>((r) => setTimeout(r, opts.graceMs).unref());
      await Promise.race([grace, this.nextEvent()]);
      if (this.newestEventAt > since) return true;
    }
    let done = false;
    // Never rejects: a watcher that cannot confirm is said at debug, and what arrived by then answers.
    const synced = this.barrier.sync?.(SYNC_MS, opts).then(
      () => undefined,
      (e: unknown) =>
        this.opts.log.debug({ event: 'watch.sync-failed', err: e }, `the watcher did not confirm what it holds (${String(e)})`),
    );
    if (synced === undefined) return false;
    // With pollRound (a failed build is judged), polled files count once a poll round after now has looked
    // at them all: ended early by an event after `since`, which already answers yes.
    void synced.finally(() => (done = true));
    while (!done && this.newestEventAt <= since) await Promise.race([synced, this.nextEvent()]);
    return this.newestEventAt > since;
  }

  /** Resolves at the next event pushed. */
  private nextEvent(): Promise<void> {
    return new Promise((resolve) => this.eventWaiters.push(resolve));
  }

  /** One event from the watcher. */
  push(ev: WatchEvent): void {
    if (ev.kind === 'change' && ev.complete) this.takenOpen.delete(ev.path);
    this.newestEventAt = Math.max(this.newestEventAt, ev.at);
    for (const wake of this.eventWaiters.splice(0)) wake();
    this.ring.push(ev);
    if (ev.kind === 'change') {
      this.debounce.note(ev.at, ev.path, ev.complete === true, ev.writing === true);
      this.prehash.note(ev.path, ev.at);
    } else this.debounce.note(ev.at);
    this.armTimer();
  }

  /** Stops the timer and waits for the batch being deduped, if any. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.prehash.clear();
    await this.delivering.catch(() => undefined);
  }

  /**
   * Files read while the window is open whose bytes are what the last build had are no change: the
   * debouncer stops counting them, and the batch may be due sooner (a storm of same-content rewrites
   * then one edit builds after the edit's own window, not the bulk one). The batch still holds them,
   * and its content check decides what changed.
   */
  private dismissUnchanged(read: HashedSlice): void {
    let any = false;
    for (const [p, h] of read) {
      if (h === undefined || !this.content.holds(p, h)) continue;
      this.debounce.dismiss(p);
      any = true;
    }
    if (any) this.armTimer();
  }

  private armTimer(): void {
    const due = this.debounce.deadline();
    if (due === undefined) return;
    if (this.timer) {
      // A later event can only make the batch due sooner when it completes the last open write.
      if (due >= this.timerDue) return;
      clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = setTimeout(() => void this.onTimer(), Math.max(0, due - performance.now()));
  }

  private async onTimer(): Promise<void> {
    this.timer = undefined;
    if (this.confirming) return;
    const due = this.debounce.deadline();
    if (due === undefined) return;
    if (performance.now() < due) return this.armTimer();
    // maxWait cuts anyway; a quiet batch is first confirmed complete by the watcher.
    const fired = performance.now();
    if (!this.debounce.capped()) await this.confirmQuiet();
    const confirmed = performance.now();
    const writing = this.debounce.writing;
    if (!this.debounce.take(confirmed)) return this.armTimer();
    if (writing.length > 0) this.sayStillWriting(writing);
    for (const f of writing) this.takenOpen.add(f);
    const events = this.ring.drain();
    const known = this.prehash.take();
    const batch = toBatch(events);
    if (!batch) return;
    this.opts.onTaken?.(batch, events);
    const timing: BatchTiming = { events: events.length, due, fired, confirmed, prehashed: known.size };
    this.delivering = this.delivering.then(() => this.dedupeAndDeliver(batch, timing, known));
  }

  /** A batch taken while a writer still had a file open (it never closed it within the wait): said, then built. */
  private sayStillWriting(files: string[]): void {
    const names = files.slice(0, 3).map((f) => path.relative(this.opts.root, f));
    const more = files.length > 3 ? ` and ${files.length - 3} more` : '';
    this.opts.log.info(
      { event: 'batch.still-writing', files: names, count: files.length },
      `${names.join(', ')}${more} still open for writing ${WRITER_QUIET_MS / 1000} s after the last write (or ${WRITER_MAX_MS / 1000} s after the first): building it as it is (its close is checked again, and builds if the bytes changed)`,
    );
  }

  /**
   * No event for the quiet window: on a starved machine that may be the watcher lagging the writer (a
   * checkout read hundreds of ms late), not the writer pausing. The watcher delivers everything the
   * kernel has queued; any of it moves the deadline.
   */
  private async confirmQuiet(): Promise<void> {
    if (!this.barrier.sync) return;
    this.confirming = true;
    try {
      await this.barrier.sync(SYNC_MS);
    } catch (e) {
      // A hung watcher is the heartbeat's to report; the batch is built as it is, later events next.
      this.opts.log.debug(
        { event: 'watch.sync-failed', err: e },
        `the watcher did not confirm the batch is complete (${String(e)}): building it as it is`,
      );
    } finally {
      this.confirming = false;
    }
  }

  /**
   * The running app's binary was built from `batch` (the tree as of it): the revert check's new baseline.
   * Exactly so only if no file changed after the batch while it built; else what runs is not known.
   */
  serving(batch: Batch): void {
    const settle = this.content.baseline.serving();
    // A build asked for by hand (the r key) compiled whatever the tree held: no batch says what.
    if (batch.seq === undefined && batch.force) return settle(0, false);
    this.changedSince(batch.lastAt).then(
      (changed) => settle(batch.seq ?? 0, !changed),
      () => settle(batch.seq ?? 0, false),
    );
  }

  private async dedupeAndDeliver(unnumbered: Batch, timing: BatchTiming, known: ReadonlyMap<string, string | undefined>): Promise<void> {
    const { log, root } = this.opts;
    const batch = { ...unnumbered, seq: ++this.seq };
    const started = performance.now();
    const deliver = (b: Batch): void => {
      logTiming(log, b, timing, started);
      this.opts.deliver(b);
    };
    try {
      const verdict = batch.rescanReasons.length > 0 ? undefined : await this.content.classify(batch.paths, batch.seq, known);
      if (!verdict) {
        this.content.forgetAll();
        this.content.baseline.noteUnknown(batch.seq);
        return deliver(batch);
      }
      if (verdict.changed.length > 0) return this.deliverChanged({ ...batch, paths: verdict.changed }, deliver);
      const files = verdict.unchanged.length;
      if (!this.opts.appIdle()) {
        log.debug({ event: 'batch.unchanged', files }, `${describeBatch(batch, root)}: content unchanged, no rebuild`);
        return;
      }
      log.info(
        { event: 'batch.unchanged-rerun', files },
        `${describeBatch(batch, root)}: content unchanged, but the app is not running: building and starting it again`,
      );
      deliver(batch);
    } catch (e) {
      // Never lose a batch to an error here: build it as it is, and say why the dedupe was skipped.
      this.content.baseline.noteUnknown(batch.seq);
      log.warn({ event: 'batch.error', err: e }, `${describeBatch(batch, root)}: content check failed (${String(e)}); rebuilding anyway`);
      deliver(batch);
    }
  }

  /** Changed bytes: a build, unless they only undo what changed since the running app's build. */
  private deliverChanged(batch: Batch, deliver: (b: Batch) => void): void {
    const { log, root, revert } = this.opts;
    const { baseline } = this.content;
    if (!revert || this.opts.appIdle() || batch.paths.some((p) => baseline.isLeftOut(p)) || !baseline.backToBaseline())
      return deliver(batch);
    log.debug(
      { event: 'batch.reverted', files: batch.paths.length },
      `${describeBatch(batch, root)}: every changed file is back to what the running app was built from: no build, no restart`,
    );
    revert(batch);
  }
}

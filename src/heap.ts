/**
 * A long-lived daemon's heap: keep V8's young generation at its initial size.
 *
 * Module loading and the start-up scan keep most of what they allocate (the watchdog's snapshot of every
 * relevant file), so V8 grows the main thread's young generation to its 16 MB × 2 maximum and, idle
 * afterwards, never gives it back: on the benchmark's 10,000-directory tree that was 34 MB of RSS held by
 * an empty young generation. `--max-semi-space-size` would cap it, but only on node's command line, which
 * `node bin/hotwatch.js` and npm's bin shims do not pass. The growth factor is read at every scavenge, so
 * setting it at run time works, with one catch measured on Node 20: starting a worker thread resets V8's
 * flags, so the native watcher's host calls this again once each worker has armed its tree. A scavenge of the
 * 1 MB semi-space takes well under a millisecond.
 *
 * The same call keeps V8's optimizing compiler off unless the start-up is heavy (compiler-tier.ts).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { optimizeOnlyHeavyStartUp, reapplyOptimizerState } from './compiler-tier.js';
import { keepMemoryReducerAsleep } from './heap-reducer.js';

// Process-wide on purpose: bin/hotwatch.js sets it through dist/bundle/heap.js, and the CLI's bundle (a
// separate copy of this module) reads it when a worker starts.
const APPLIED = Symbol.for('hotwatch.keepYoungGenerationSmall');
const flags = globalThis as { [APPLIED]?: boolean };

export function keepYoungGenerationSmall(): void {
  flags[APPLIED] = true;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  keepMemoryReducerAsleep();
  optimizeOnlyHeavyStartUp();
}

/** After a worker started (it resets V8's flags): the setting again, if this process asked for it. */
export function reapplyYoungGenerationSetting(): void {
  if (!flags[APPLIED]) return;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  keepMemoryReducerAsleep();
  reapplyOptimizerState();
}

/**
 * V8's full garbage collection as a function, or undefined where the runtime refuses it. `--expose-gc`
 * set at run time applies to contexts created afterwards: a new vm context hands out its `gc`, which
 * collects this thread's whole heap. Made at the first collection, not before (the collectors are created
 * on the way to the first build's spawn, and a context takes ~1 ms to make), and once per thread: every
 * collector of the thread shares it (a context holds ~150 KB of heap for as long as its `gc` is kept).
 */
let threadGc: (() => void) | null | undefined;
function fullGc(): (() => void) | undefined {
  if (threadGc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const gc: unknown = vm.runInNewContext('gc');
      threadGc = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      threadGc = null;
    }
  }
  return threadGc ?? undefined;
}

/**
 * A full collection that also compacts every page: a plain one frees the objects but leaves the pages
 * that still hold a few live ones (measured: 300,000 objects, one in ten kept: 32 → 5 MB used, physical
 * 42 → 36 MB; compacting, 42 → 29 MB). V8's memory reducer compacts like this, ~10 s after work ends.
 * Compacting needs room for what it moves: a plain collection first frees the garbage, so the moved
 * objects fill freed space instead of new pages (the peak during it: +10 → +6 MB on the benchmark tree).
 */
function collectCompacting(gc: () => void): void {
  gc();
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/**
 * The young generation handed back once the thread has settled. V8 gives back the second of its two 1 MB
 * semi-spaces (and shrinks the young generation to its initial size) only in a full collection that sees
 * a low allocation rate over the last seconds (its Heap::ReduceNewSpaceSize, under ~1 KB/ms), and the
 * collection 1 s after a burst still sees the burst: measured on the benchmark's 200-directory tree, the
 * young generation stayed at 2.0 MB (physical) for the rest of the run. One more plain collection SETTLE_MS
 * after the burst's, when nothing else happened meanwhile, takes it to 0.3 MB: RSS 54.9 → 53.0 MB 14 s
 * after an edit (issue 19, memory; measured 2 s and 4 s after the burst's collection: not yet, then yes).
 * One per quiet period for the whole thread (a later burst's collection pushes it back, whichever
 * IdleCollector made it): ~7–25 ms of this thread, once, after the work is over.
 */
export const SETTLE_MS = 5000;
let settle: { timer: NodeJS.Timeout; owner: IdleCollector } | undefined;

function settleLater(owner: IdleCollector, delayMs: number, busy: () => boolean): void {
  if (settle) clearTimeout(settle.timer);
  const timer = setTimeout(() => {
    settle = undefined;
    if (busy()) return settleLater(owner, delayMs, busy);
    fullGc()?.();
  }, delayMs);
  timer.unref();
  settle = { timer, owner };
}

/**
 * One full collection shortly after a burst of work ends (the tree armed, an edit's cycle done, a
 * storm resolved), while nothing else is going on. A daemon's heap is idle most of the time and V8's
 * memory reducer hands a burst's garbage back to the OS only some 10 s later; measured on the benchmark's
 * 10,000-directory tree, a collection after each cycle took the RSS 2 s after an edit from 95 to 89 MB.
 * A collection of this heap costs ~10–15 ms of this thread; it waits while `busy()` says work is under
 * way (a save being gathered, a cycle running), so an edit meets it only if it arrives during those ms.
 * V8's flags are process-wide: if both threads collect at once, one may compact less than it could
 * (harmless).
 */
export class IdleCollector {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs = 1000,
    private readonly busy: () => boolean = () => false,
    private readonly settleMs = SETTLE_MS,
  ) {}

  /** Asks for one collection `delayMs` from now (a later call moves it). */
  soon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.busy()) return this.soon();
      this.collect();
    }, this.delayMs);
    this.timer.unref();
  }

  /** One collection now (a burst of work just ended and nothing waits on this thread). */
  now(): void {
    this.cancel();
    this.collect();
  }

  /** No collection pending from this collector any more (its settling one included). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (settle?.owner === this) {
      clearTimeout(settle.timer);
      settle = undefined;
    }
  }

  private collect(): void {
    const gc = fullGc();
    if (!gc) return;
    collectCompacting(gc);
    settleLater(this, this.settleMs, this.busy);
  }
}

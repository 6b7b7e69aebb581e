/**
 * V8's memory reducer kept asleep in the long-lived `run` (issue 19: idle costs nothing measurable).
 *
 * Measured per thread (bench/idle-threads.mjs, --trace-gc): in an idle minute after a save, most of what
 * hotwatch used was not ours but the memory reducer's: armed by the start-up's first full collection, and
 * pushed back 8 s by every full collection since (the IdleCollector's after each cycle, heap.ts), it ran
 * one or two incremental full collections 8–15 s after the last one, with concurrent marking on node's
 * four V8 worker threads: 25–45 ms of CPU over five threads, against a budget of 60 ms a minute for all
 * of hotwatch. Its job (handing a burst's garbage back once work ends) is done already, sooner, by the
 * IdleCollector's compacting collection 1 s after each burst.
 *
 * `--no-memory-reducer` only works on node's command line (the reducer is made with the heap), which
 * `node bin/hotwatch.js` and npm's bin shims do not pass. Set at run time, `--no-incremental-marking`
 * keeps it from ever being armed (V8 11: the reducer ignores full collections while incremental marking
 * is off, and it can only start one by incremental marking). What that costs: a full collection V8 starts
 * by itself (an old generation at its limit, rare once the IdleCollector has compacted) is done in one
 * pause (still parallel) instead of in steps; measured, ready on the 10,000-directory tree and RSS at
 * ready and after an edit unchanged within noise.
 * Process-wide, and reset when a worker thread starts: heap.ts applies it again then.
 *
 * Asleep is not enough: V8 also arms the reducer when the old generation first grows by 1 MB before any
 * full collection (`memory_reducer_for_small_heaps`), and an armed reducer that cannot start incremental
 * marking re-arms its 8 s timer forever. strace of an idle `run` showed it: the main thread woke every
 * 8.1 s for nothing (an eventfd write and read). `--no-memory-reducer-for-small-heaps`, set at run time
 * before the bundle loads, keeps that path closed too (the flag has no other use in V8 11): measured on
 * node 20.20 with a 68 MB heap, an idle minute has no reducer timer at all.
 */
import v8 from 'node:v8';

export function keepMemoryReducerAsleep(): void {
  v8.setFlagsFromString('--no-incremental-marking');
  v8.setFlagsFromString('--no-memory-reducer-for-small-heaps');
}

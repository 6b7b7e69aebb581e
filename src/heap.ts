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
 */
import v8 from 'node:v8';

// Process-wide on purpose: bin/hotwatch.js sets it through dist/bundle/heap.js, and the CLI's bundle (a
// separate copy of this module) reads it when a worker starts.
const APPLIED = Symbol.for('hotwatch.keepYoungGenerationSmall');
const flags = globalThis as { [APPLIED]?: boolean };

export function keepYoungGenerationSmall(): void {
  flags[APPLIED] = true;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** After a worker started (it resets V8's flags): the setting again, if this process asked for it. */
export function reapplyYoungGenerationSetting(): void {
  if (flags[APPLIED]) keepYoungGenerationSmall();
}

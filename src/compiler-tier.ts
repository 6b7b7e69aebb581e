/**
 * V8's optimizing compiler (TurboFan) for a long-lived `run`: off from the start, and on for good only when
 * the start-up turns out heavy.
 *
 * A daemon that waits for saves runs little JS: its heavy lifting is done by the kernel, `go build` and its
 * helper. But once TurboFan optimizes anything, which every start-up did, it costs RSS for the rest of
 * the run: its code pages, its zones, the optimized code (measured on the benchmark's 200-directory tree:
 * 64.0 → 57.6 MB at ready without it; README, Benchmark, "Memory"). Bytecode and Sparkplug's baseline
 * code are fast enough for a save's path (edit → serving and a 2,000-file storm showed no difference
 * beyond noise), not for the start-up scan of a very large tree: 10,000 directories were ready 1.6×
 * later without it. So the start-up decides: when this process has used HEAVY_START_CPU_MS of CPU within
 * the first START_WINDOW_MS (a tree of several thousand directories; 200 directories take ~0.3 s, 1,000
 * ~0.5 s, 10,000 over 1.7 s), TurboFan is switched on, and stays on (its cost is paid by then).
 * HOTWATCH_V8_OPTIMIZER=on keeps it on from the start, =off never switches it on (for measurement).
 * A start-up can also be known heavy before its CPU shows it: the arming of a tree of HEAVY_TREE_DIRS
 * directories, armed or found and waiting to be, says so (heavyStartUp), and the rest of that walk runs
 * optimized (on 10,001 directories the CPU check fired only as the arming ended: the whole walk ran
 * unoptimized, ~1.6× slower; counting the armed ones only, the first 2,000 still did).
 */
import v8 from 'node:v8';

const HEAVY_START_CPU_MS = 800;
const START_WINDOW_MS = 5_000;
const CHECK_EVERY_MS = 100;
/** Directories armed or found at start from which the start-up is heavy (200 take ~0.3 s of CPU, 10,000 over 1.7 s). */
export const HEAVY_TREE_DIRS = 2000;

// Process-wide: starting a worker thread resets V8's flags, and whoever started it re-applies the state.
const STATE = Symbol.for('hotwatch.optimizer');
type OptimizerState = 'off' | 'on';
const shared = globalThis as { [STATE]?: OptimizerState };

function set(state: OptimizerState): void {
  shared[STATE] = state;
  v8.setFlagsFromString(state === 'on' ? '--opt' : '--no-opt');
}

/** TurboFan off, switched on if the start-up proves heavy (see above). */
export function optimizeOnlyHeavyStartUp(): void {
  const mode = process.env.HOTWATCH_V8_OPTIMIZER;
  if (mode === 'on') return;
  set('off');
  if (mode === 'off') return;
  const since = process.cpuUsage();
  const t0 = performance.now();
  const check = setInterval(() => {
    const used = process.cpuUsage(since);
    if ((used.user + used.system) / 1000 >= HEAVY_START_CPU_MS) {
      clearInterval(check);
      if (shared[STATE] === 'off') set('on');
    } else if (performance.now() - t0 > START_WINDOW_MS) clearInterval(check);
  }, CHECK_EVERY_MS);
  check.unref();
}

/** The start-up is known to be heavy (a large tree being armed): TurboFan on now, unless forced off or never switched off. */
export function heavyStartUp(): void {
  if (shared[STATE] === 'off' && process.env.HOTWATCH_V8_OPTIMIZER !== 'off') set('on');
}

/** After a worker thread started (V8's flags were reset): the state this process is in, again. */
export function reapplyOptimizerState(): void {
  const state = shared[STATE];
  if (state) v8.setFlagsFromString(state === 'on' ? '--opt' : '--no-opt');
}

/**
 * Where a start-up's time goes, from the process's own start (performance.now() counts from it): node's
 * start, loading hotwatch's modules, the config, the checks, the claim on the root, the first build's
 * spawn, the watch stack's loading and watching ready. Said once, at debug level, after watching is ready
 * (`startup.timings`), so a slow start can be told apart from a slow build. Marks are plain numbers: no
 * clock is read but performance.now(), and the process's CPU time (user + system) at each mark
 * (`cpuMs`): on a loaded machine the wall clock says how long the start-up waited, the CPU time how much
 * work it was (the figure to compare two builds by).
 */

/** The process's CPU time so far (user + system, ms): each mark's `cpuMs`, and the early build's at its spawn. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** bin/hotwatch.js stamps its first line here (process-wide: the bundle is a separate module graph). */
const BIN_STARTED = Symbol.for('hotwatch.binStartedAt');

export type StartupMark = 'modules' | 'config' | 'checks' | 'claimed' | 'build' | 'watchLoaded' | 'ready';

const LABELS: Record<StartupMark, string> = {
  modules: 'modules loaded',
  config: 'config',
  checks: 'start-up checks',
  claimed: 'root claimed',
  build: 'first build started',
  watchLoaded: 'watch stack loaded',
  ready: 'watching ready',
};

export class StartupTimings {
  private readonly marks = new Map<StartupMark, number>();
  private readonly cpu = new Map<StartupMark, number>();
  /** When node had started and ran hotwatch's first line (undefined when not run through bin/hotwatch.js). */
  readonly nodeMs: number | undefined;

  constructor(
    now: () => number = () => performance.now(),
    private readonly cpuNow: () => number = processCpuMs,
  ) {
    this.now = now;
    const bin = (globalThis as { [BIN_STARTED]?: unknown })[BIN_STARTED];
    this.nodeMs = typeof bin === 'number' ? bin : undefined;
  }

  private readonly now: () => number;

  /** The first mark of each name counts (a later call is a no-op). `at`: when it happened, if before now. */
  mark(name: StartupMark, at?: { ms: number; cpuMs: number }): void {
    if (this.marks.has(name)) return;
    this.marks.set(name, at?.ms ?? this.now());
    this.cpu.set(name, at?.cpuMs ?? this.cpuNow());
  }

  /** The process's CPU time (user + system, ms, rounded) at each mark, in the order they happened. */
  cpuFields(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of [...this.cpu].sort((a, b) => a[1] - b[1])) out[k] = Math.round(v);
    return out;
  }

  /** Milliseconds since the process started, per mark (rounded), in the order they happened. */
  fields(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.nodeMs !== undefined) out.node = Math.round(this.nodeMs);
    for (const [k, v] of [...this.marks].sort((a, b) => a[1] - b[1])) out[k] = Math.round(v);
    return out;
  }

  /** "node 45 ms → modules loaded 112 ms → ... → watching ready 301 ms" (since the process started). */
  line(): string {
    const steps = [...this.marks].sort((a, b) => a[1] - b[1]).map(([k, v]) => `${LABELS[k]} ${Math.round(v)} ms`);
    const node = this.nodeMs !== undefined ? [`node started ${Math.round(this.nodeMs)} ms`] : [];
    return `start-up (ms since the process started): ${[...node, ...steps].join(' → ')}`;
  }
}

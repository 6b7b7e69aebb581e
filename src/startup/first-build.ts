/**
 * When the first build starts. By default at once, once the config is valid and the start-up checks
 * passed (preflight.ts, the claim on the root), while the watches are still being armed: arming a large
 * tree takes hundreds of ms that the build need not wait for. What changes during arming is caught once
 * watching is ready (watch/tree/changed-since.ts), and until then a failed first build is not called a real failure
 * (changedSince waits for the catch-up: a half-written file during arming is a superseded build, not a
 * compiler error to report).
 *
 * After watching is ready instead, as before, when building first would be wrong:
 *   - build steps (before, after or instead of the build) write files; their own writes are told apart
 *     from a person's by the watcher's events (step-writes.ts), which need the watches armed first;
 *   - ad-hoc mode (exec): the command may write under the root what it then watches, the same way;
 *   - watchdog.overBudget: refuse: the watch budget decides whether hotwatch starts at all (exit 2), and
 *     nothing may be started before that is known.
 */
import type { Settings } from '../config/settings.js';

export type FirstBuildOrder = { whileArming: true } | { whileArming: false; why: string };

export function firstBuildOrder(s: Settings): FirstBuildOrder {
  if (s.exec) return { whileArming: false, why: 'ad-hoc mode (exec)' };
  const builds = s.apps?.length ? s.apps.map((a) => a.build) : [s.build];
  if (builds.some((b) => b.steps.length > 0)) return { whileArming: false, why: 'build.steps write files the watcher must see' };
  if (s.watchdog.overBudget === 'refuse') return { whileArming: false, why: 'watchdog.overBudget: refuse decides first' };
  return { whileArming: true };
}

/** The first build's start (wall clock, comparable with file times) and the end of the arming's catch-up. */
export class FirstBuild {
  /** Date.now() when the first build was asked for; undefined before. */
  startedAt: number | undefined;
  /** Resolves once what changed during arming is known (at once when the build waited for watching). */
  readonly settled: Promise<void>;
  /** Resolves when the first cycle (build, start) has ended: background work waits for it (2 cores). */
  readonly cycleEnded: Promise<void>;
  private settle: () => void = () => undefined;
  /** Called after each cycle (the supervisor's afterCycle); only the first one counts. */
  endCycle: () => void = () => undefined;

  constructor(readonly order: FirstBuildOrder) {
    this.settled = new Promise<void>((resolve) => (this.settle = resolve));
    this.cycleEnded = new Promise<void>((resolve) => (this.endCycle = resolve));
    if (!order.whileArming) this.settle();
  }

  /** Starts it (`run` spawns the build, or adopts one spawned `at`: early-build.ts) and records when. */
  start<T>(run: () => T, at = Date.now()): T {
    this.startedAt = at;
    return run();
  }

  /** The catch-up is done (or hotwatch stops): failures judged from here on are judged on every event. */
  done(): void {
    this.settle();
  }
}

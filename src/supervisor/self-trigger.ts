/**
 * A build that triggers itself: an app, a build step or a generator that writes a watched file at each
 * build or start (a timestamped `version.go`, a `go generate` output) makes every cycle cause the next,
 * forever, at a core's worth of CPU and in silence. The kernel tells no one which process wrote a file
 * (fanotify needs privileges hotwatch does not have), so the pattern is what gives it away: the same
 * files change while a build runs or just after the app starts, cycle after cycle. After `cycles` such
 * cycles in a row the guard says "loop" once, naming the files; from then on a batch of only those files
 * that a cycle caused is held back, for the rest of the run: a change to anything else (a person's edit)
 * builds as usual, and the loop's files written by the cycle after it stay held (before, the loop started
 * over and ran another `cycles` times after each edit, though the log had said "no more builds"). A
 * loop's file changed long after any cycle (a person editing it) builds.
 *
 * Pure: the supervisor reports when builds and starts happen and asks about each batch (time injected).
 */

export interface SelfTriggerOptions {
  /** How long after an app start a change still counts as caused by it. */
  afterStartMs: number;
  /** Self-caused cycles in a row that make a loop. */
  cycles: number;
}

export const SELF_TRIGGER_DEFAULTS: SelfTriggerOptions = { afterStartMs: 1000, cycles: 5 };

export type SelfTriggerVerdict =
  /** Build it. */
  | { kind: 'build' }
  /** The loop was just found: stop cycling, and say so once. */
  | { kind: 'loop'; files: string[]; cycles: number }
  /** Only files of a loop already reported: held back. */
  | { kind: 'held'; files: string[] };

interface Cycle {
  buildStartedAt?: number;
  buildEndedAt?: number;
  appStartedAt?: number;
}

export class SelfTriggerGuard {
  private cycle: Cycle = {};
  /** Consecutive self-caused batches and the files they share. */
  private run = { count: 0, files: new Set<string>() };
  /** The files of a reported loop: batches of only these are held back. */
  private looping: Set<string> | undefined;

  constructor(private readonly opts: SelfTriggerOptions = SELF_TRIGGER_DEFAULTS) {}

  buildStarted(at: number): void {
    this.cycle = { buildStartedAt: at };
  }

  buildEnded(at: number): void {
    this.cycle.buildEndedAt = at;
  }

  appStarted(at: number): void {
    this.cycle.appStartedAt = at;
  }

  /** A batch of changes, first seen at `firstAt`: build it, or the loop it belongs to. */
  judge(paths: readonly string[], firstAt: number): SelfTriggerVerdict {
    const caused = paths.length > 0 && this.causedByCycle(firstAt);
    const looping = this.looping;
    if (looping && paths.length > 0 && paths.every((p) => looping.has(p))) {
      if (caused) return { kind: 'held', files: [...paths] };
      this.run = { count: 0, files: new Set() }; // edited by hand, long after any cycle: build it
      return { kind: 'build' };
    }
    if (!caused) {
      this.run = { count: 0, files: new Set() };
      return { kind: 'build' };
    }
    // Files of a loop already reported do not count again; a second loop among the others is found as the first was.
    const fresh = looping ? paths.filter((p) => !looping.has(p)) : [...paths];
    const shared = this.run.count === 0 ? new Set(fresh) : new Set(fresh.filter((p) => this.run.files.has(p)));
    this.run = shared.size > 0 ? { count: this.run.count + 1, files: shared } : { count: 1, files: new Set(fresh) };
    if (this.run.count < this.opts.cycles) return { kind: 'build' };
    this.looping = new Set([...(looping ?? []), ...this.run.files]);
    return { kind: 'loop', files: [...this.run.files].sort(), cycles: this.run.count };
  }

  /** During the last build, or within `afterStartMs` of the app's start. */
  private causedByCycle(at: number): boolean {
    const { buildStartedAt, buildEndedAt, appStartedAt } = this.cycle;
    if (buildStartedAt !== undefined && at >= buildStartedAt && (buildEndedAt === undefined || at <= buildEndedAt)) return true;
    return appStartedAt !== undefined && at >= appStartedAt && at - appStartedAt <= this.opts.afterStartMs;
  }
}

/**
 * A build that triggers itself: an app, a build command or a generator that writes a watched file at each
 * build or start (a timestamped `version.go`, a `go generate` output, a `.txt` the app rewrites) makes
 * every cycle cause the next, forever, in silence. The kernel tells no one which process wrote a file
 * (fanotify needs privileges hotwatch does not have), so the pattern is what gives it away: the same
 * files change again after each of hotwatch's own steps (a build, or an app start), at the same time
 * after it, cycle after cycle, with nothing else changed in between (the rule, and why a person is not
 * caught by it: self-trigger-pattern.ts). Builds and app starts are followed apart: a change during a
 * build (a build.cmd that writes a file) is a build's trigger; one after the app started, the app's.
 *
 * After `cycles` such triggers in a row (3 more for a writer later than 0.5 s after the start) the guard
 * says "loop" once, naming the files, the step and the time; from then on a batch of only those files
 * that changes at the loop's time after that step is held back, for the rest of the run: a change to
 * anything else (a person's edit) builds as usual, and so does a loop's file changed at another time (a
 * person editing it).
 *
 * Pure: the supervisor reports when builds and starts happen and asks about each batch (time injected).
 */
import { LATE_EXTRA_CYCLES, inLoopPace, loopPattern, type LoopPattern, type Trigger } from './self-trigger-pattern.js';

export interface SelfTriggerOptions {
  /** Self-caused cycles in a row that make a loop (a writer later than 0.5 s after the start: 3 more). */
  cycles: number;
}

export const SELF_TRIGGER_DEFAULTS: SelfTriggerOptions = { cycles: 5 };

/** hotwatch's own steps whose start a change may follow: a build, an app start, a run of the after-steps (build.steps, when: after). */
export type OwnStep = 'build' | 'app' | 'step';

export type SelfTriggerVerdict =
  /** Build it. */
  | { kind: 'build' }
  /**
   * The loop was just found: stop cycling, and say so once. `builds` and `appStarts`: how many started
   * while it ran (from its first trigger seen to now), so the message says what really happened.
   */
  | { kind: 'loop'; files: string[]; cycles: number; after: OwnStep; delayMs: number; builds: number; appStarts: number; step?: string }
  /** Only files of a loop already reported, at its pace: held back (a loop after the app's starts: built after a pause, loop-pause.ts). */
  | { kind: 'held'; files: string[]; after: OwnStep };

interface Seen extends Trigger {
  builds: number;
  appStarts: number;
}

interface Loop extends LoopPattern {
  after: OwnStep;
  fileSet: ReadonlySet<string>;
}

export class SelfTriggerGuard {
  /** The last of hotwatch's own steps to start. */
  private last: { step: OwnStep; at: number; version?: string; name?: string } | undefined;
  private readonly started = { builds: 0, appStarts: 0 };
  /** The recent triggers after each kind of step. */
  private seen: Record<OwnStep, Seen[]> = { build: [], app: [], step: [] };
  /** The loops reported. */
  private readonly loops: Loop[] = [];

  constructor(private readonly opts: SelfTriggerOptions = SELF_TRIGGER_DEFAULTS) {}

  buildStarted(at: number): void {
    this.last = { step: 'build', at };
    this.started.builds++;
  }

  appStarted(at: number): void {
    this.last = { step: 'app', at };
    this.started.appStarts++;
  }

  /** The after-steps (`name`: their commands) started running for the app just started. */
  stepStarted(at: number, name: string): void {
    this.last = { step: 'step', at, name };
  }

  /** The identity of the binary the app start at `at` runs (known just after the spawn): rule 4 reads it. */
  appVersion(at: number, version: string): void {
    if (this.last?.step === 'app' && this.last.at === at) this.last = { ...this.last, version };
  }

  /** A batch of changes, first seen at `firstAt`: build it, or the loop it belongs to. */
  judge(paths: readonly string[], firstAt: number): SelfTriggerVerdict {
    const last = this.last;
    if (!last || paths.length === 0 || firstAt < last.at) {
      // Before any step of ours, or a rescan: nothing of ours caused it, and it breaks any run.
      this.seen = { build: [], app: [], step: [] };
      return { kind: 'build' };
    }
    const delayMs = firstAt - last.at;
    const ofLoop = (p: string, pace: boolean): boolean =>
      this.loops.some((l) => l.fileSet.has(p) && (!pace || (l.after === last.step && inLoopPace(l, delayMs))));
    if (paths.every((p) => ofLoop(p, true))) return { kind: 'held', files: [...paths], after: last.step };
    // Files of a loop already reported do not count again; a second loop among the others is found as the first was.
    const fresh = paths.filter((p) => !ofLoop(p, false));
    if (fresh.length === 0) {
      this.seen[last.step] = []; // a loop's files, at another time: a person's edit
      return { kind: 'build' };
    }
    const seen = this.seen[last.step];
    seen.push({ files: new Set(fresh), delayMs, at: firstAt, version: last.version, ...this.started });
    if (seen.length > this.opts.cycles + LATE_EXTRA_CYCLES) seen.shift();
    const found = loopPattern(seen, this.opts.cycles);
    if (!found) return { kind: 'build' };
    this.loops.push({ ...found, after: last.step, fileSet: new Set(found.files) });
    const first = seen[seen.length - found.cycles]!;
    this.seen[last.step] = [];
    return {
      kind: 'loop',
      files: found.files,
      cycles: found.cycles,
      after: last.step,
      delayMs: found.medianDelayMs,
      builds: this.started.builds - first.builds,
      appStarts: this.started.appStarts - first.appStarts,
      ...(last.name !== undefined ? { step: last.name } : {}),
    };
  }
}

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
 * suspects a loop: that change is built after a pause, which moves hotwatch's next step. If the files
 * change again at the same time after that moved step, it says "loop" once, naming the files, the step
 * and the time; if they change while nothing of ours started, or at another time, the writer keeps its
 * own pace (a sync tool, a script), and the suspicion is cleared. From then on a batch of only a loop's files
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
  | { kind: 'held'; files: string[]; after: OwnStep }
  /**
   * The pattern of a loop, not yet said: this change is built after a pause, which moves hotwatch's next
   * step. A writer that follows the step (the app, the build) changes the files again at the same time
   * after it: then the loop is said. One that keeps its own pace (a script, a sync tool saving every 0.8 s)
   * changes them while nothing of hotwatch's started, or at another time: `cleared`.
   */
  | { kind: 'suspect'; files: string[]; after: OwnStep; cycles: number; delayMs: number }
  /** A suspected loop's files changed while nothing of ours started, or at another time after it: not a loop. Build it. */
  | { kind: 'cleared'; files: string[]; after: OwnStep };

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
  /** A loop found, held for one pause to be told from a writer at its own pace; the step that had started last then. */
  private suspect: { loop: Loop; stepAt: number; verdict: Extract<SelfTriggerVerdict, { kind: 'loop' }>; since: Seen } | undefined;

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
    const suspected = this.confirmOrClear(paths, last, delayMs);
    if (suspected) return suspected;
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
    const first = seen[seen.length - found.cycles]!;
    this.seen[last.step] = [];
    const verdict: Extract<SelfTriggerVerdict, { kind: 'loop' }> = {
      kind: 'loop',
      files: found.files,
      cycles: found.cycles,
      after: last.step,
      delayMs: found.medianDelayMs,
      builds: 0,
      appStarts: 0,
      ...(last.name !== undefined ? { step: last.name } : {}),
    };
    this.suspect = { loop: { ...found, after: last.step, fileSet: new Set(found.files) }, stepAt: last.at, verdict, since: first };
    return { kind: 'suspect', files: found.files, after: last.step, cycles: found.cycles, delayMs: found.medianDelayMs };
  }

  /**
   * The change that follows a suspicion: only its files, at its time after a step of ours that started since
   * (the pause moved it, and the writer followed): the loop, said now. Its files while nothing of ours
   * started, or at another time: cleared. Other files with them: a person's doing, the suspicion dropped.
   */
  private confirmOrClear(paths: readonly string[], last: { step: OwnStep; at: number }, delayMs: number): SelfTriggerVerdict | undefined {
    const s = this.suspect;
    if (!s) return undefined;
    this.suspect = undefined;
    // Files of loops already said come along (an app writing gen.go and stamp.go): judged without them.
    const fresh = paths.filter((p) => !this.loops.some((l) => l.fileSet.has(p)));
    if (fresh.length === 0 || !fresh.every((p) => s.loop.fileSet.has(p))) return undefined;
    if (last.at !== s.stepAt && last.step === s.loop.after && inLoopPace(s.loop, delayMs)) {
      this.loops.push(s.loop);
      const builds = this.started.builds - s.since.builds;
      const appStarts = this.started.appStarts - s.since.appStarts;
      return { ...s.verdict, cycles: s.verdict.cycles + 1, builds, appStarts };
    }
    this.seen = { build: [], app: [], step: [] };
    return { kind: 'cleared', files: fresh, after: s.loop.after };
  }
}

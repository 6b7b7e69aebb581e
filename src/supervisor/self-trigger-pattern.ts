/**
 * The rule that tells a build loop from a person (pure; self-trigger.ts feeds it). Each trigger is a batch
 * of changes seen after one of hotwatch's own steps started (a build, or an app start): which files, how
 * long after that start its first change came, and when. The last triggers are a loop when:
 *
 * 1. the same files are in every one of them (the loop's files), or the same turns come back: an app that
 *    writes a.go at one start and b.go at the next loops too, each trigger then being exactly the files of
 *    the one 2 (or more, up to half the triggers) before it; a person editing around changes other files,
 *    and a change of anything else in between (a file that changed only once) starts the count over, and
 *    so does a save-all or a checkout after files were edited one by one (each file is then seen twice,
 *    but no trigger repeats an earlier one);
 * 2. each came the same time after its step started: all within 0.2 s plus a tenth of that time of each
 *    other (1 s after the start: within 0.3 s; 10 s: within 1.2 s). A writer's pace is set by the start
 *    (an app that writes 0 s, 2 s or 10 s after it starts, a build.cmd that writes 0.1 s into the build);
 *    there is no fixed window after the start, so a late writer is found as an early one is;
 * 3. that time is steadier than the time between the triggers themselves: in a loop each trigger is
 *    caused by the step before it, so the step's own jitter (a build that takes 0.6 s, then 0.9 s) shows
 *    in the time between triggers and not in the time after the start; a script that saves every 3 s,
 *    whatever hotwatch does, is steady the other way round (its saves are steady, the build before each
 *    is not).
 *
 * 4. no version came back: a loop's writer makes each start run a new binary (a version seen before, A
 *    then B then A again, is a checkout back and forth or an undo, a person's or a script's doing).
 *
 * A writer within 0.5 s of the start is suspected after `cycles` (5) triggers; a later one after 3 more (8)
 * (the guard then holds one pause to confirm it: self-trigger.ts):
 * a person's pace can match a later time by chance more easily than an early one, and a late writer's
 * cycles are slower anyway (a cycle every 10 s is a loop, but not a hot one).
 *
 * Why a person is not caught: a person's saves are neither in step with hotwatch's starts nor with each
 * other to a fraction of a second, eight times in a row (five within 0.5 s of each start), on the same
 * file, with nothing else saved in between: saves 1 to 5 s after each start, at random, match all three
 * rules about twice in a million windows of eight (measured). What is caught, as hotwatch cannot tell who
 * wrote a file (the kernel does not say), is any writer that changes the same file at the same time
 * after each start: an app, a build, or a script that waits for each new version and then saves after a
 * fixed sleep (a person saving within 0.5 s of five starts in a row was already one).
 */

/** A batch seen after one of hotwatch's own steps started. */
export interface Trigger {
  files: ReadonlySet<string>;
  /** From the start of the step (the build, or the app start) to the batch's first change. */
  delayMs: number;
  /** When the first change was seen. */
  at: number;
  /** After an app start: the identity of the binary that start ran (its Go build ID), when known. */
  version?: string | undefined;
}

/** A writer later than this after the start needs `LATE_EXTRA_CYCLES` more cycles to be named. */
export const QUICK_DELAY_MS = 500;
export const LATE_EXTRA_CYCLES = 3;

/** The loop found: its files, the times after the start at which they changed, and in how many cycles. */
export interface LoopPattern {
  files: string[];
  cycles: number;
  minDelayMs: number;
  maxDelayMs: number;
  medianDelayMs: number;
}

/** How far apart a writer's times after the start may be: the machine's jitter grows with the wait. */
export function delayToleranceMs(delayMs: number): number {
  return 200 + Math.abs(delayMs) / 10;
}

/** The last triggers, if they are a loop: `cycles` of them within 0.5 s of the start, 3 more later. */
export function loopPattern(triggers: readonly Trigger[], cycles: number): LoopPattern | undefined {
  const quick = lastAreLoop(triggers, cycles);
  if (!quick || quick.medianDelayMs <= QUICK_DELAY_MS) return quick;
  return lastAreLoop(triggers, cycles + LATE_EXTRA_CYCLES);
}

/** The last `cycles` triggers, if they are a loop (rules 1 to 3 above). */
function lastAreLoop(triggers: readonly Trigger[], cycles: number): LoopPattern | undefined {
  if (cycles < 2 || triggers.length < cycles) return undefined;
  const last = triggers.slice(-cycles);
  const files = loopFiles(last);
  if (files.length === 0) return undefined;
  const delays = last.map((t) => t.delayMs);
  const medianDelayMs = median(delays);
  if (spread(delays) > delayToleranceMs(medianDelayMs)) return undefined;
  // Each trigger after the first against the time since the one before it (both include that delay).
  const periods = last.slice(1).map((t, i) => t.at - last[i]!.at);
  if (spread(delays.slice(1)) >= spread(periods)) return undefined;
  if (aVersionCameBack(last)) return undefined;
  return { files, cycles, minDelayMs: Math.min(...delays), maxDelayMs: Math.max(...delays), medianDelayMs };
}

/** The loop's time after the start, with its tolerance: a later batch of its files then is the loop again. */
export function inLoopPace(loop: Pick<LoopPattern, 'minDelayMs' | 'maxDelayMs'>, delayMs: number): boolean {
  return delayMs >= loop.minDelayMs - delayToleranceMs(loop.minDelayMs) && delayMs <= loop.maxDelayMs + delayToleranceMs(loop.maxDelayMs);
}

/**
 * Rule 1: the files in all the triggers; else, for a writer that takes turns (a.go at one start, b.go at
 * the next), the files of a turn that comes back unchanged every `period` triggers (2 up to half of them,
 * so each turn is seen at least twice): each trigger exactly the files of the one `period` before it.
 * Not merely a file seen in two of them: a person editing one file after each start, then saving all of
 * them at once (a save-all, a checkout), puts each file in two triggers without any of them repeating.
 */
function loopFiles(triggers: readonly Trigger[]): string[] {
  const shared = [...triggers[0]!.files].filter((f) => triggers.every((t) => t.files.has(f)));
  if (shared.length > 0) return shared.sort();
  for (let period = 2; period <= triggers.length / 2; period++) {
    const turnsRepeat = triggers.slice(period).every((t, i) => sameFiles(t.files, triggers[i]!.files));
    if (turnsRepeat) return [...new Set(triggers.slice(0, period).flatMap((t) => [...t.files]))].sort();
  }
  return [];
}

function sameFiles(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((f) => b.has(f));
}

/**
 * Rule 4: the changes brought back a version that ran before (A, B, then A again: a checkout back and
 * forth, an undo, a script that switches branches after each version serves). A loop's writer changes its
 * files at each start, and each change must give a new binary (the same one restarts nothing, and the loop
 * ends by itself): a timestamp, a counter, generated code. The same binary started again after its files
 * were restarted without a build (a `run.envFiles` file the app writes) is not a return: it never left.
 */
function aVersionCameBack(triggers: readonly Trigger[]): boolean {
  return triggers.some((t, i) => {
    if (t.version === undefined || i < 2 || t.version === triggers[i - 1]!.version) return false;
    return triggers.slice(0, i - 1).some((before) => before.version === t.version);
  });
}

function spread(values: readonly number[]): number {
  return Math.max(...values) - Math.min(...values);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * A crash loop made visible: the app's recent unexpected exits as one line for STATUS= and the status
 * JSON, e.g. "crash loop: 5 exits in 30 s, next try in 8 s". Pure: the exits, the clock and the
 * supervisor's plan (a backoff deadline, or waiting for a change) are given.
 */

export interface CrashLoopOptions {
  /** Exits older than this do not count (default 60 s). */
  windowMs?: number;
  /** Fewer exits than this in the window are not a loop (default 3). */
  threshold?: number;
}

export interface CrashLoop {
  /** Unexpected exits in the window. */
  exits: number;
  /** From the first counted exit to the last one. */
  spanMs: number;
  /** When the supervisor tries again (onCrash: restart), in ms from now; undefined when it waits for a change. */
  nextTryInMs: number | undefined;
  line: string;
}

/** Seconds for a person: whole seconds, at least 1 (a loop "in 0 s" reads as a bug). */
const seconds = (ms: number): string => `${Math.max(1, Math.round(ms / 1000))} s`;

/**
 * The loop, or undefined when the app is not crash-looping.
 * @param exitTimes epoch ms of the app's unexpected exits (crashes, not the stops hotwatch asked for), any order
 * @param next the supervisor's plan: the epoch ms of the next start, 'change' (waits for an edit), or undefined (unknown)
 */
export function crashLoop(
  exitTimes: readonly number[],
  now: number,
  next: number | 'change' | undefined,
  opts: CrashLoopOptions = {},
): CrashLoop | undefined {
  const windowMs = opts.windowMs ?? 60_000;
  const threshold = opts.threshold ?? 3;
  const recent = exitTimes.filter((t) => t <= now && now - t <= windowMs).sort((a, b) => a - b);
  if (recent.length < threshold) return undefined;
  const spanMs = recent.at(-1)! - recent[0]!;
  const nextTryInMs = typeof next === 'number' ? Math.max(0, next - now) : undefined;
  const plan = next === 'change' ? ', waiting for a change' : nextTryInMs !== undefined ? `, next try in ${seconds(nextTryInMs)}` : '';
  return { exits: recent.length, spanMs, nextTryInMs, line: `crash loop: ${recent.length} exits in ${seconds(spanMs)}${plan}` };
}

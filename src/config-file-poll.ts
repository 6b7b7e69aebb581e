/**
 * The stat check of a config file the watcher does not report (outside the root, or excluded by the watch
 * lists; config-file-watch.ts says why not inotify). It was `fs.watchFile` every second: a timer and a
 * stat through libuv's thread pool, two wake-ups a second for as long as hotwatch runs (issue 19: idle
 * costs nothing measurable). Now a stat on the main thread on the shared wake grid (wake-timer.ts), paced
 * like every other periodic check (quiet-pace.ts): each second while the tree is busy and for 5 s after
 * the last change, then the first clean check sets the wait to CONFIG_QUIET_MAX_MS. Shorter than the
 * checks' 30 s on purpose: a config edit is often the only change, and waiting for its reload is waiting,
 * while a stat costs microseconds. Any event in the tree brings the base pace back and checks at once (the
 * edit made next to a save is seen with it), and so does a change of the file itself.
 */
import fs from 'node:fs';
import { QUIET_AFTER_MS, QuietPace } from './watch/pace/quiet-pace.js';
import { WakeTimer } from './watch/pace/wake-timer.js';

/** The check's period while the tree is busy, and the longest wait on a quiet tree (ms). */
export const CONFIG_CHECK_MS = 1000;
export const CONFIG_QUIET_MAX_MS = 5000;

interface Seen {
  mtimeMs: number;
  ctimeMs: number;
  size: number;
  ino: number;
}

const differs = (a: Seen | undefined, b: Seen | undefined): boolean =>
  a === undefined || b === undefined ? a !== b : a.mtimeMs !== b.mtimeMs || a.ctimeMs !== b.ctimeMs || a.size !== b.size || a.ino !== b.ino;

export class ConfigFilePoll {
  private last: Seen | undefined;
  private readonly pace: QuietPace;
  private readonly timer = new WakeTimer(() => this.check());
  private closed = false;

  constructor(
    private readonly file: string,
    /** The file's stat changed (created, deleted, written, replaced). */
    private readonly changed: () => void,
  ) {
    const now = performance.now();
    this.last = this.stat();
    this.pace = new QuietPace(CONFIG_CHECK_MS, CONFIG_QUIET_MAX_MS, QUIET_AFTER_MS, now);
    this.timer.set(now + this.pace.everyMs, now);
  }

  /** The current wait between two checks (ms). */
  get everyMs(): number {
    return this.pace.everyMs;
  }

  /** Activity in the tree: the base pace again, and a check now when it had slowed down. */
  activity(): void {
    if (this.closed) return;
    const now = performance.now();
    if (this.pace.wake(now)) this.check();
    else this.timer.atMost(now + this.pace.everyMs, now);
  }

  close(): void {
    this.closed = true;
    this.timer.cancel();
  }

  private check(): void {
    if (this.closed) return;
    const now = performance.now();
    const seen = this.stat();
    if (differs(seen, this.last)) {
      this.last = seen;
      this.pace.wake(now);
      this.changed();
    } else this.pace.clean(now);
    this.timer.set(now + this.pace.everyMs, now);
  }

  /** The file's identity and times; undefined when it cannot be stat'ed (gone, no access): a change too. */
  private stat(): Seen | undefined {
    try {
      const s = fs.statSync(this.file);
      return { mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, size: s.size, ino: s.ino };
    } catch {
      return undefined; // the reload that follows reads it and says why it cannot (config-file-watch.ts)
    }
  }
}

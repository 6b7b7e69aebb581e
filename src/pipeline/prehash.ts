/**
 * The content check done while the quiet window is still open: each changed file is hashed soon after
 * its event, in slices between other work, so that when the batch is taken only files that changed
 * again since need reading. A 1,000-file checkout's check then costs nothing after its window.
 *
 * Why a hash read early is still right: it is kept only if the file had no event at or after the moment
 * its read began. A write that lands after that moment raises an event dated after it (the watcher dates
 * an event by when it received it, which is after the write), and the delivery barrier has delivered
 * every such event by the time the batch is taken; a write that landed before it is in what was read.
 * A half-written file read early is therefore re-read: its remaining writes and its close come later.
 */
import { hashSmallFile } from './content.js';

/** Files hashed per turn of the event loop. */
const SLICE = 64;
/** Beyond this many files pending, the rest are hashed when the batch is taken (a storm's memory bound). */
const MAX_TRACKED = 20_000;

interface Entry {
  /** Monotonic ms of the newest event for the file. */
  lastEventAt: number;
  /** Its hash as read at `readAt` (undefined: vanished or not a regular file), once read. */
  hash?: string | undefined;
  readAt?: number;
}

/** Files read in one slice, each with its hash (undefined: vanished or not a regular file). */
export type HashedSlice = ReadonlyArray<readonly [path: string, hash: string | undefined]>;

export class PreHasher {
  private entries = new Map<string, Entry>();
  /** Files with an event since their read (or never read), in arrival order. */
  private queue: string[] = [];
  /** The next queue index to read (the queue is an array read front to back, not shifted). */
  private head = 0;
  private scheduled: NodeJS.Immediate | undefined;

  /** `onHashed`: told of each slice's reads, each current when told (no event for the file since). */
  constructor(private readonly onHashed?: (read: HashedSlice) => void) {}

  /** A change event for `path` at `at` (monotonic ms). */
  note(path: string, at: number): void {
    const e = this.entries.get(path);
    if (e) {
      e.lastEventAt = Math.max(e.lastEventAt, at);
      if (e.readAt !== undefined) {
        e.readAt = undefined;
        e.hash = undefined;
        this.queue.push(path);
      }
    } else {
      if (this.entries.size >= MAX_TRACKED) return;
      this.entries.set(path, { lastEventAt: at });
      this.queue.push(path);
    }
    this.schedule();
  }

  /**
   * The batch is taken: the hashes still current (read after the file's newest event), and everything
   * forgotten (events from now on belong to the next batch).
   */
  take(): Map<string, string | undefined> {
    const known = new Map<string, string | undefined>();
    for (const [p, e] of this.entries) if (e.readAt !== undefined && e.readAt > e.lastEventAt) known.set(p, e.hash);
    this.clear();
    return known;
  }

  /** Forget everything (a batch taken without a content check, the pipeline closing). */
  clear(): void {
    this.entries = new Map();
    this.queue = [];
    this.head = 0;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  private schedule(): void {
    if (this.scheduled || this.head >= this.queue.length) return;
    this.scheduled = setImmediate(() => this.slice());
  }

  private slice(): void {
    this.scheduled = undefined;
    let n = 0;
    const read: [string, string | undefined][] = [];
    while (n < SLICE && this.head < this.queue.length) {
      const p = this.queue[this.head++]!;
      const e = this.entries.get(p);
      if (!e || e.readAt !== undefined) continue;
      const readAt = performance.now();
      const h = hashSmallFile(p);
      n++;
      if (h === 'large') continue; // read when the batch is taken, asynchronously
      e.hash = h;
      e.readAt = readAt;
      read.push([p, h]);
    }
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    if (read.length > 0) this.onHashed?.(read);
    this.schedule();
  }
}

/** Events that flow from the watcher through ring → debounce → aggregate → supervisor. */

/** A relevant file changed (created, written, removed or renamed). Paths are absolute. */
export interface ChangeEvent {
  kind: 'change';
  path: string;
  /**
   * Monotonic ms (performance.now()) when the backend reported it: never earlier than the write it
   * reports (a hash read before `at` may predate the write: prehash.ts relies on this).
   */
  at: number;
  /**
   * The backend saw the write finish (closed, or renamed into place) and nothing since: a lone save can
   * build without waiting out the quiet window. Absent when unknown (fs.watch, polling).
   */
  complete?: true;
  /**
   * The backend saw the file written and not yet closed: a writer has it open, and what it holds now may
   * be half of it (`go run ./gen > gen.go` empties the file at once and writes it a second later). The
   * debouncer waits for its close (debounce.ts). Absent when not known so (fs.watch, polling never say).
   */
  writing?: true;
  /**
   * Monotonic ms the file was written, from its mtime, where the backend finds changes late: polling sees a
   * write only at the file's next stat, up to a poll interval after it. Absent: `at` (the native backend
   * reports a write as it happens). Never later than `at`.
   */
  writtenAt?: number;
}

/**
 * The watcher may have missed something (kernel queue overflow inferred from a burst or stall, ring
 * overflow, backend error, re-arm): the next cycle treats the whole tree as changed.
 */
export interface RescanEvent {
  kind: 'rescan';
  reason: string;
  at: number;
  /** Events dropped for it (a ring overflow). */
  dropped?: number;
}

export type WatchEvent = ChangeEvent | RescanEvent;

/** What the debouncer hands to the supervisor: one build's worth of changes. */
export interface Batch {
  /** Distinct changed files (absolute), in first-seen order. */
  paths: string[];
  /** Non-empty when a rescan was requested: content dedupe is skipped and the build always runs. */
  rescanReasons: string[];
  /** Monotonic ms of the first and last event in the batch. */
  firstAt: number;
  lastAt: number;
  /** When its first change was written (ChangeEvent.writtenAt), when earlier than firstAt (polled files). */
  firstWrittenAt?: number;
  /**
   * The batcher's number for it (merged: the highest): a build of it compiles the tree as of this batch,
   * which is what the content index's baseline needs to know once that build's app runs.
   */
  seq?: number;
  /**
   * Restart the app even if the build gives the binary it already runs: the build was asked for (the `r`
   * key), or the app's environment changed with it (a run.envFiles file).
   */
  force?: true;
}

/**
 * A full poll round, waited for: what polling has to offer instead of the native backend's delivery
 * barrier. Polling finds a change only at its next stat of the file (fs.watchFile, every pollInterval, each
 * file on its own timer), and a new file only once its directory's stat showed a change and chokidar read
 * the directory again. So "did anything change after t?" is answered for polled files only after every
 * polled entry was stat'ed once after the question, and what those stats found was read and emitted:
 *   1. one interval (plus a margin for timers a busy loop fires late): every stat timer fired once;
 *   2. a stat of our own, queued behind those (libuv's thread pool runs requests in order): they are done;
 *   3. while chokidar re-reads a directory (its 'readdir' throttle holds an entry until the read ends), wait
 *      and probe again: the files it finds are emitted by then.
 * Bounded: past `boundMs` the round is taken as done (the caller judges with what it has).
 * The build failure check asks for it (supervisor-build.ts): a failure is only real when no file it read
 * was still changing, and a checkout whose next files a poll round has not seen yet is still changing.
 */
import fs from 'node:fs/promises';
import type { FSWatcher } from 'chokidar';

/** Timers of a loaded event loop fire late: beyond one interval, this much more before the stats are asked for. */
const TIMER_MARGIN_MS = 150;
/** Between two probes while chokidar still reads a directory. */
const READ_PROBE_MS = 25;

export async function pollRound(fsw: FSWatcher, probePath: string, intervalMs: number, boundMs: number): Promise<void> {
  // Bounded even when a stat never returns (a hung network mount): the round is then taken as done.
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, boundMs);
    timer.unref();
  });
  try {
    await Promise.race([round(fsw, probePath, intervalMs, boundMs), bound]);
  } finally {
    clearTimeout(timer);
  }
}

async function round(fsw: FSWatcher, probePath: string, intervalMs: number, boundMs: number): Promise<void> {
  const deadline = performance.now() + boundMs;
  await sleep(Math.min(intervalMs + TIMER_MARGIN_MS, boundMs));
  do {
    await probe(probePath);
    if (!readingDirs(fsw)) break;
    await sleep(READ_PROBE_MS);
  } while (performance.now() < deadline);
  // The stats' callbacks that emit a change await one more stat of their own (chokidar's listener): one more turn.
  await probe(probePath);
}

/** A stat through the thread pool, behind every request queued before it; its result does not matter. */
function probe(p: string): Promise<void> {
  return fs.stat(p).then(
    () => undefined,
    () => undefined,
  );
}

/** Whether chokidar is reading a directory again (a change it saw in it): its throttle entry lasts until the read ends. */
function readingDirs(fsw: FSWatcher): boolean {
  return (fsw._throttled?.get('readdir')?.size ?? 0) > 0;
}

/** Unref'd: a round in progress never keeps hotwatch from exiting. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}

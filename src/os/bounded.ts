/**
 * Every await on the outside world is bounded: by a signal (the caller gives up) and by a timeout (the
 * outside world does not answer: a config file or root on a hung network mount, a check that hangs, a
 * watcher that never gets ready). One helper for all of them, so each says the same thing the same way.
 */
import { HotwatchError, type ErrorCode } from '../errors.js';

export const FS_TIMEOUT_MS = 10_000;

export interface BoundedOptions {
  /** What is waited for, as the timeout's message names it ("scanning the tree"). */
  what: string;
  /** Giving up: the wait rejects with its reason, and the operation's signal aborts. */
  signal?: AbortSignal | undefined;
  /** Default FS_TIMEOUT_MS. */
  timeoutMs?: number | undefined;
  /**
   * Set when the operation waits on the filesystem: the timeout is then a HotwatchError with this code
   * that says the filesystem does not answer, and how to check it. Otherwise it is
   * `<what> did not finish within <ms> ms`.
   */
  code?: ErrorCode | undefined;
}

/**
 * Runs `op` with a signal that aborts on `signal` or after the timeout, and rejects as soon as either
 * happens (an operation that ignores its signal keeps running; the caller cleans up what it leaves).
 */
export async function bounded<T>(op: (signal: AbortSignal) => Promise<T>, opts: BoundedOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? FS_TIMEOUT_MS;
  opts.signal?.throwIfAborted();
  const inner = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      inner.abort();
      reject(timedOut(opts.what, timeoutMs, opts.code));
    }, timeoutMs);
    onAbort = () => {
      inner.abort();
      reject(opts.signal?.reason);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([op(inner.signal), limit]);
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
  }
}

function timedOut(what: string, ms: number, code: ErrorCode | undefined): Error {
  if (code === undefined) return new Error(`${what} did not finish within ${ms} ms`);
  return new HotwatchError(code, `${what}: no answer from the filesystem after ${ms / 1000} s`, {
    hint: 'a hung network or FUSE mount? check it with `stat` and `mount`, or move the project to a local disk',
  });
}

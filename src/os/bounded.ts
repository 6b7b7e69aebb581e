/**
 * Every await on the filesystem while loading config is bounded: a config file or root on a hung network
 * mount must produce an error that says so, not a hotwatch that never starts. Cancellable by a signal.
 */
import { HotwatchError, type ErrorCode } from '../errors.js';

export const FS_TIMEOUT_MS = 10_000;

export async function bounded<T>(
  op: (signal: AbortSignal) => Promise<T>,
  opts: { what: string; code: ErrorCode; signal?: AbortSignal | undefined; timeoutMs?: number | undefined },
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? FS_TIMEOUT_MS;
  opts.signal?.throwIfAborted();
  const inner = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      inner.abort();
      reject(
        new HotwatchError(opts.code, `${opts.what}: no answer from the filesystem after ${timeoutMs / 1000} s`, {
          hint: 'a hung network or FUSE mount? check it with `stat` and `mount`, or move the project to a local disk',
        }),
      );
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

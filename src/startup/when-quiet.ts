/**
 * When the start-up's background work may run: the quick doctor checks (they read every process's
 * inotify fdinfo, 10,000 lines for hotwatch's own helper on a large tree) and the content index's baseline
 * (5,000 files read and hashed). It used to start the moment the first cycle ended, which is when a
 * developer saves again: on 10,001 directories, an edit 300 ms after the first answer met it (and the
 * arming's catch-up) on the same 2 cores. Now it waits for the catch-up to be done and for the pipeline
 * to have been idle (no batch gathering, no cycle running) for a moment: an early save is served first,
 * the checks a second later. Nothing is lost meanwhile: an edit before the baseline is indexed at its first
 * change (it builds), and the checks only report.
 */

/** How long the pipeline must have been idle (ms), looked at in CHECKS steps. */
export const QUIET_MS = 1000;
const CHECKS = 4;

/**
 * Resolves once `busy()` has answered false at CHECKS checks in a row, `quietMs / CHECKS` apart (so the
 * pipeline was idle for about `quietMs`; a busy answer starts the count again); never once `signal` aborted.
 */
export function whenQuiet(busy: () => boolean, signal: AbortSignal, quietMs = QUIET_MS): Promise<void> {
  return new Promise<void>((resolve) => {
    let idle = 0;
    const check = (): void => {
      if (signal.aborted) return;
      idle = busy() ? 0 : idle + 1;
      if (idle >= CHECKS) resolve();
      else setTimeout(check, quietMs / CHECKS).unref();
    };
    setTimeout(check, quietMs / CHECKS).unref();
  });
}

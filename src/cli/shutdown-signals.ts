/**
 * The process signals of `hotwatch run`: the first asks for a clean stop, a second (not a repeat of the
 * same keypress) forces it; the exit code says which signal ended the run.
 */
import fs from 'node:fs';
import os from 'node:os';
import { isatty } from 'node:tty';
import type { Logger } from '../log/logger.js';
import { REQUEST_SIGNALS, STOP_SIGNALS } from '../os/stop-signals.js';

export { STOP_SIGNALS };

/** Exit code after a clean stop on `sig`: 0 when asked to stop, else 128+n as if the signal had ended us. */
export const stopExitCode = (sig: NodeJS.Signals | undefined): number =>
  sig === undefined || REQUEST_SIGNALS.includes(sig) ? 0 : 128 + (os.constants.signals[sig] ?? 0);

/**
 * After a hang-up the terminal is usually gone: node's own restore of its modes at exit (ResetStdio) then
 * fails with EIO and aborts the process (SIGABRT and a native stack instead of exit 0; nodejs/node#51519,
 * fixed after Node 20). Closed first, the terminal descriptors are skipped there. Raw mode was already
 * turned off by the keys' reader (hotkeys.ts), so a SIGHUP sent with the terminal still there leaves it
 * as it should be.
 */
function leaveHungUpTerminal(ttys: readonly number[]): void {
  for (const fd of ttys) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/** Counts the stop signals of one run and turns them into a stop, then a forced stop. */
export class ShutdownSignals {
  private count = 0;
  private firstAt = 0;
  private first: NodeJS.Signals | undefined;
  /** A second signal came: the app was killed without grace. */
  forced = false;
  /**
   * Set when SIGHUP means "reload the config" (`service.sighup: reload`): asked at each SIGHUP, it then
   * returns true and the SIGHUP stops nothing. Unset (the default), a hang-up of the terminal stops hotwatch.
   */
  hangup: (() => boolean) | undefined;
  /** The descriptors that are a terminal, known now: once it has hung up, isatty() answers false (EIO). */
  private readonly ttys = [0, 1, 2].filter((fd) => isatty(fd));

  constructor(
    private readonly root: AbortController,
    private readonly hooks: { log: () => Logger | undefined; forceKill: () => void },
  ) {
    // From the start: a signal while the config is read or `go list` runs (seconds on a loaded machine)
    // ends the start-up cleanly (exit 0, or 128+n, nothing started) instead of killing hotwatch half-way.
    for (const sig of STOP_SIGNALS) process.on(sig, this.onSignal);
  }

  /** A stop asked for at the keyboard (`q`): as SIGINT, said as what was pressed. */
  request(what: string): void {
    this.stop('SIGINT', what);
  }

  // Node calls a signal listener with the signal's number as a second argument: not a word to say.
  private readonly onSignal = (sig: NodeJS.Signals): void => this.stop(sig, sig);

  private stop(sig: NodeJS.Signals, what: string): void {
    if (sig === 'SIGHUP' && this.count === 0 && this.hangup?.()) return;
    const log = this.hooks.log();
    // One keypress or `kill` can arrive twice (e.g. `timeout` signals both the child and its group):
    // a repeat within 200 ms is the same request, not "force".
    if (this.count > 0 && performance.now() - this.firstAt < 200) {
      log?.debug({ event: 'shutdown.duplicate-signal', signal: sig }, `${sig} repeated within 200ms: ignored`);
      return;
    }
    this.count++;
    if (this.count === 1) {
      this.firstAt = performance.now();
      this.first = sig;
      if (sig === 'SIGHUP') process.once('exit', () => leaveHungUpTerminal(this.ttys));
      log?.info({ event: 'shutdown', signal: sig, ...(what !== sig ? { key: what } : {}) }, `${what}: stopping (again to force)`);
      this.root.abort(new Error(sig));
    } else {
      log?.warn({ event: 'shutdown.forced', signal: sig }, `${what} again: killing the app now`);
      this.hooks.forceKill();
      this.forced = true;
    }
  }

  /** How a stop ends: exit 0, or 128+n after a signal that is not a request to stop (SIGQUIT...). */
  stopped(): { code: number; note: string } {
    const code = stopExitCode(this.first);
    return { code, note: code === 0 ? '' : ` (exit ${code}: ended by ${this.first})` };
  }

  close(): void {
    for (const sig of STOP_SIGNALS) process.off(sig, this.onSignal);
  }
}

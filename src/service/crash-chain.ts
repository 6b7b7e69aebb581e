/**
 * Which exits count toward a crash loop (crash-loop.ts): the crashes of versions hotwatch itself started
 * again after a crash (run.onCrash: restart), and the crash that led to the first of those restarts.
 * Not a clean exit (code 0: a CLI app, a one-shot job, done), and not the exit of a version a build
 * started that hotwatch did not then restart (run.onCrash: wait-for-change, where nothing restarts on its
 * own): three edits of an app that exits after each are three runs a person asked for, not a loop of
 * restarts. Pure: the recorder feeds it the starts and exits it is told of.
 */

/** Why an app process started, as the recorder is told (service-wiring.ts). */
export type StartReason = 'initial' | 'build' | 'crash';

/** How an app exited on its own. */
export interface OwnExit {
  pid: number;
  code: number | null;
  signal: string | null;
  /** With apps:, the app's name. */
  app?: string | undefined;
  at: number;
}

/** A clean exit: code 0, no signal. Not a crash, whatever the policy does next. */
export function isCleanExit(e: { code: number | null; signal: string | null }): boolean {
  return e.code === 0 && e.signal === null;
}

export class CrashChain {
  /** The app processes running that hotwatch started again after a crash, by pid (with the app's name). */
  readonly #restarted = new Map<number, string>();
  /** Per app: the crash of a version hotwatch did not restart, counted once hotwatch restarts it. */
  readonly #pending = new Map<string, number>();

  /** An app process started: the exit times that now count (the crash this restart follows, if any). */
  started(pid: number, reason: StartReason, app = ''): number[] {
    if (reason !== 'crash') {
      this.#pending.delete(app);
      return [];
    }
    this.#restarted.set(pid, app);
    const before = this.#pending.get(app);
    this.#pending.delete(app);
    return before === undefined ? [] : [before];
  }

  /** An app process exited on its own: the exit times that now count. */
  exited(e: OwnExit): number[] {
    const app = e.app ?? '';
    const restarted = this.#restarted.delete(e.pid);
    if (isCleanExit(e)) {
      this.#pending.delete(app);
      return [];
    }
    if (restarted) return [e.at];
    this.#pending.set(app, e.at);
    return [];
  }

  /** An app process hotwatch stopped (a restart for a build, shutdown): it is no longer followed. */
  stopped(pid: number): void {
    this.#restarted.delete(pid);
  }
}

/**
 * What the runtime told the service layer through the MetricsRecorder, kept for `GET /status`: the last
 * build, counts, the last exit, recent crash times (for the crash-loop line: crash-chain.ts says which count) and a short event history.
 * Bounded: a long-lived hotwatch keeps the same few kilobytes.
 */

export interface BuildFact {
  outcome: 'ok' | 'failed' | 'canceled';
  /** Epoch ms. */
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  /** The compiler's error lines (at most 20, each at most 300 characters); empty unless failed. */
  errors: string[];
  /** Failed because build.timeout stopped it (no save fixes that). */
  timedOut?: true;
  /**
   * Epoch ms when a failed build stopped applying: the files went back to what the running app was built
   * from (build.reverted after BUILD FAILED, the fact the proxy's overlay clears on). Only on a failure.
   */
  clearedAt?: number;
}

export interface ExitFact {
  pid: number;
  /** Epoch ms. */
  at: number;
  code: number | null;
  signal: string | null;
  uptimeMs: number;
  /** True when hotwatch stopped it (a restart, shutdown); false when it exited on its own. */
  expected: boolean;
  /** "code 1", "SIGSEGV". */
  how: string;
  /** With apps: the app's name, when known. */
  app?: string;
}

export interface EventFact {
  /** Epoch ms. */
  at: number;
  /** A stable name: build.ok, build.failed, app.started, app.crashed, watch.lost... */
  event: string;
  message: string;
}

const MAX_ERROR_LINES = 20;
const MAX_LINE = 300;
const MAX_EVENTS = 20;
const MAX_CRASHES = 50;

export class ServiceFacts {
  lastBuild: BuildFact | undefined;
  /**
   * Each app's last build that ended (ok or failed; a canceled one decides nothing), by app name ('' for
   * the one app without apps:): a failed one, not cleared, while the app runs means it serves code older
   * than the files (status: not ok). With apps:, another app's good build used to hide it.
   */
  readonly lastBuildOf = new Map<string, BuildFact>();
  /**
   * By app name, as lastBuildOf: a new version that did not start while the previous one serves on
   * (blue-green behind the proxy), until a version of that app starts or its files go back.
   */
  readonly startFailedOf = new Map<string, { at: number; why: string }>();
  buildRunningSince: number | undefined;
  builds = { ok: 0, failed: 0, canceled: 0 };
  restarts = 0;
  lastExit: ExitFact | undefined;
  /** The last exit hotwatch did not cause (a crash, or a clean exit): what the exited and backoff lines name. */
  lastCrash: ExitFact | undefined;
  #crashes: number[] = [];
  #events: EventFact[] = [];

  static errorLines(errors: readonly string[] | undefined): string[] {
    return (errors ?? []).slice(0, MAX_ERROR_LINES).map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE - 1)}…` : l));
  }

  noteCrash(at: number): void {
    this.#crashes.push(at);
    if (this.#crashes.length > MAX_CRASHES) this.#crashes.shift();
  }

  crashTimes(): readonly number[] {
    return this.#crashes;
  }

  event(at: number, event: string, message: string): void {
    this.#events.push({ at, event, message });
    if (this.#events.length > MAX_EVENTS) this.#events.shift();
  }

  /** Oldest first. */
  recentEvents(): EventFact[] {
    return [...this.#events];
  }
}

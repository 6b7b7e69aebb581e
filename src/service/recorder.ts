/**
 * MetricsRecorder: what the runtime calls as things happen. Each call updates the Prometheus metrics and
 * the facts `GET /status` shows, and tells the service layer something changed (for STATUS= and READY=1).
 * Every method is cheap and never throws: it is called from the supervisor's and the watchdog's paths.
 */
import type { MetricSink } from './metrics.js';
import { ServiceFacts, type BuildFact } from './facts.js';
import { CrashChain, isCleanExit } from './crash-chain.js';

export type BuildOutcome = 'ok' | 'failed' | 'canceled';

/** An app's exit as the recorder takes it; `expected` when hotwatch stopped it (restart, shutdown). */
export interface AppExitFact {
  pid: number;
  code: number | null;
  signal: string | null;
  uptimeMs: number;
  expected: boolean;
  app?: string;
  at?: number;
}

/** A build's end, as the recorder takes it (`app`: with apps:, whose; `errors`: the compiler's lines when it failed). */
export interface BuildEnd {
  outcome: BuildOutcome;
  durationMs: number;
  errors?: readonly string[];
  at?: number;
  app?: string;
  /** Stopped by build.timeout. */
  timedOut?: boolean;
}

export interface MetricsRecorder {
  /** A build started (the supervisor's build.start). */
  buildStarted(e?: { at?: number }): void;
  /** A build ended: outcome, duration, and the compiler's error lines when it failed. */
  buildFinished(e: BuildEnd): void;
  /** After a failed build, the files are back to what the running app (pid) was built from: the failure no longer applies. */
  buildFailureCleared(e: { pid: number; at?: number; app?: string }): void;
  /** An app process started: the first one ('initial'), one replacing the previous after a build ('build'), or a restart after a crash ('crash'). */
  appStarted(e: { pid: number; reason: 'initial' | 'build' | 'crash'; app?: string; at?: number }): void;
  /** A new version did not start, and the previous one serves on (blue-green): what serves is not the newest code. */
  newVersionFailed(e: { why: string; app?: string; at?: number }): void;
  /** The app listens (the runtime's app.listening). */
  appListening(e: { pid: number; address: string; at?: number }): void;
  /** The app exited; `expected` when hotwatch stopped it (restart, shutdown), false when it exited on its own. */
  appExited(e: AppExitFact): void;
  /** Watches were lost (the watchdog's watch.deaf). */
  watchLost(e: { scope: string; cause: string; path?: string; at?: number }): void;
  /** Watching came back: re-armed (watch.rearmed) or replaced by polling (watch.fallback). */
  watchRecovered(e: { scope: string; cause: string; how: 'rearmed' | 'polling'; recoveryMs?: number; path?: string; at?: number }): void;
  /** File events dropped (ring overflow, kernel queue overflow): each forces a rescan. */
  eventsDropped(e: { count: number; reason: string }): void;
  /** File events merged into one batch (events in, batch paths out). */
  eventsCoalesced(count: number): void;
  /** From the first write of a change to the new app listening. */
  editToServing(ms: number): void;
}

export type ChangeKind = 'build' | 'app' | 'watch';

const how = (code: number | null, signal: string | null): string => (signal ? signal : `code ${code ?? '?'}`);
const s = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

export class ServiceRecorder implements MetricsRecorder {
  /** Which exits make a crash loop: crashes of versions hotwatch restarted, not every exit (crash-chain.ts). */
  readonly #chain = new CrashChain();

  constructor(
    readonly facts: ServiceFacts,
    private readonly m: MetricSink,
    private readonly onChange: (kind: ChangeKind) => void = () => {},
    private readonly clock: () => number = Date.now,
  ) {}

  buildStarted(e: { at?: number } = {}): void {
    this.facts.buildRunningSince = e.at ?? this.clock();
    this.onChange('build');
  }

  buildFinished(e: BuildEnd): void {
    const at = e.at ?? this.clock();
    const errors = e.outcome === 'failed' ? ServiceFacts.errorLines(e.errors) : [];
    const fact: BuildFact = { outcome: e.outcome, startedAt: at - e.durationMs, finishedAt: at, durationMs: e.durationMs, errors };
    if (e.timedOut) fact.timedOut = true;
    this.facts.lastBuild = fact;
    if (e.outcome !== 'canceled') this.facts.lastBuildOf.set(e.app ?? '', fact);
    this.facts.buildRunningSince = undefined;
    this.facts.builds[e.outcome]++;
    this.m.inc('builds', { outcome: e.outcome });
    this.m.observe('buildSeconds', { outcome: e.outcome }, e.durationMs / 1000);
    const detail = e.outcome === 'failed' && errors[0] ? `: ${errors[0]}` : '';
    this.facts.event(at, `build.${e.outcome}`, `build ${e.outcome} in ${s(e.durationMs)}${detail}`);
    this.onChange('build');
  }

  buildFailureCleared(e: { pid: number; at?: number; app?: string }): void {
    const b = this.facts.lastBuildOf.get(e.app ?? '') ?? this.facts.lastBuild;
    if (b?.outcome !== 'failed' || b.clearedAt !== undefined) return;
    const at = e.at ?? this.clock();
    b.clearedAt = at;
    this.facts.startFailedOf.delete(e.app ?? '');
    this.facts.event(at, 'build.cleared', `the failed build no longer applies: the files are back to what the app (pid ${e.pid}) runs`);
    this.onChange('build');
  }

  newVersionFailed(e: { why: string; app?: string; at?: number }): void {
    const at = e.at ?? this.clock();
    this.facts.startFailedOf.set(e.app ?? '', { at, why: e.why });
    this.facts.event(
      at,
      'app.start-failed',
      `the new version${e.app ? ` of ${e.app}` : ''} did not start (${e.why}): the previous one serves on`,
    );
    this.onChange('app');
  }

  appStarted(e: { pid: number; reason: 'initial' | 'build' | 'crash'; app?: string; at?: number }): void {
    this.facts.startFailedOf.delete(e.app ?? '');
    for (const t of this.#chain.started(e.pid, e.reason, e.app)) this.facts.noteCrash(t);
    if (e.reason !== 'initial') {
      this.facts.restarts++;
      this.m.inc('restarts', { reason: e.reason });
    }
    this.facts.event(
      e.at ?? this.clock(),
      'app.started',
      `app started (pid ${e.pid}${e.reason === 'initial' ? '' : `, after a ${e.reason}`})`,
    );
    this.onChange('app');
  }

  appListening(e: { pid: number; address: string; at?: number }): void {
    this.facts.event(e.at ?? this.clock(), 'app.listening', `app (pid ${e.pid}) listens on ${e.address}`);
    this.onChange('app');
  }

  appExited(e: AppExitFact): void {
    const at = e.at ?? this.clock();
    this.facts.lastExit = {
      pid: e.pid,
      at,
      code: e.code,
      signal: e.signal,
      uptimeMs: e.uptimeMs,
      expected: e.expected,
      how: how(e.code, e.signal),
      ...(e.app !== undefined ? { app: e.app } : {}),
    };
    this.m.inc('exits', { kind: e.expected ? 'stopped' : isCleanExit(e) ? 'clean' : 'crash' });
    if (e.expected) this.#chain.stopped(e.pid);
    else {
      this.facts.lastCrash = this.facts.lastExit;
      for (const t of this.#chain.exited({ ...e, at })) this.facts.noteCrash(t);
      // A clean exit (code 0) is the app done (a CLI, a one-shot job), not a crash.
      const event = isCleanExit(e) ? 'app.exited' : 'app.crashed';
      this.facts.event(at, event, `app (pid ${e.pid}) exited on its own (${how(e.code, e.signal)}) after ${s(e.uptimeMs)}`);
    }
    this.onChange('app');
  }

  watchLost(e: { scope: string; cause: string; path?: string; at?: number }): void {
    this.m.inc('losses', { scope: e.scope, cause: e.cause });
    this.facts.event(e.at ?? this.clock(), 'watch.lost', `watch lost: ${e.scope}${e.path ? ` ${e.path}` : ''} (${e.cause})`);
    this.onChange('watch');
  }

  watchRecovered(e: { scope: string; cause: string; how: 'rearmed' | 'polling'; recoveryMs?: number; path?: string; at?: number }): void {
    this.m.inc('recoveries', { scope: e.scope, cause: e.cause, how: e.how });
    const took = e.recoveryMs !== undefined ? ` in ${Math.round(e.recoveryMs)} ms` : '';
    this.facts.event(
      e.at ?? this.clock(),
      'watch.recovered',
      `watch recovered: ${e.scope}${e.path ? ` ${e.path}` : ''} ${e.how === 'polling' ? 'by polling' : 're-armed'}${took} (${e.cause})`,
    );
    this.onChange('watch');
  }

  eventsDropped(e: { count: number; reason: string }): void {
    this.m.inc('dropped', { reason: e.reason }, e.count);
  }

  eventsCoalesced(count: number): void {
    if (count > 0) this.m.inc('coalesced', {}, count);
  }

  editToServing(ms: number): void {
    this.m.observe('editToServing', {}, ms / 1000);
  }
}

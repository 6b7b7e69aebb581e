/**
 * What `GET /status` and `hotwatch status` say, built from two things:
 *  - StatusSource: what only the runtime knows live (the supervisor's job state, the watchdog's health),
 *    read on each request, so it is never stale;
 *  - ServiceFacts: what the runtime reported through the MetricsRecorder (builds, exits, restarts, events).
 * Pure apart from the source it reads: the clock is a parameter. This module imports nothing heavy, so
 * `hotwatch status` (the client) loads only its types.
 */
import { crashLoop, type CrashLoop } from './crash-loop.js';
import type { ServiceFacts, BuildFact, ExitFact, EventFact } from './facts.js';

/**
 * The supervisor's job, as the status needs it. The runtime maps its own states onto these:
 *   starting     hotwatch is starting (nothing built yet)
 *   building     a build runs (an app from an earlier build may still serve: `app` says)
 *   running      the app runs
 *   build-failed the last build failed and no app runs
 *   exited       the app exited on its own; waiting for a change (run.onCrash: wait-for-change)
 *   backoff      the app crashed; it is started again at `nextTryAt` (run.onCrash: restart)
 *   stopping     hotwatch is shutting down
 */
/** 'restarting': the old app is being stopped before the new version starts (a graceful stop can take seconds); 'stopping': hotwatch is. */
export type JobState = 'starting' | 'building' | 'running' | 'build-failed' | 'exited' | 'backoff' | 'restarting' | 'stopping';

export interface AppView {
  pid: number;
  /** Epoch ms. */
  startedAt: number;
  /** The addresses it listens on ("127.0.0.1:8080"); empty until it listens. */
  listening: string[];
  /** It listened on these, and a look at a status request found it no longer does. */
  stoppedListening?: string[];
}

export interface JobView {
  state: JobState;
  /** Epoch ms when the job entered `state`. */
  since: number;
  /** The app process running now, whatever the state (a build runs beside the old app). */
  app: AppView | undefined;
  /** Serving means listening (run.port is set, or this app listened before); false for an app that never listens. */
  expectsListening: boolean;
  /** Epoch ms of the next start in state backoff. */
  nextTryAt?: number | undefined;
  /** With apps: (several apps), the app this view describes: the least settled one (its state is `state`). */
  name?: string | undefined;
  /**
   * In state exited, why no app runs: it exited on its own, hotwatch stopped it (and waits for a change),
   * or it could not start.
   */
  down?: 'app-exited' | 'stopped' | 'start-failed' | undefined;
}

/**
 * ok: watched; polling: watched by polling (degraded, working); deaf: lost, being recovered; failed: lost,
 * recovery gave up; arming: the start-up is still arming its watches (the first build runs meanwhile, and
 * what changes before the arming ends is caught by the catch-up walk once it does: watch/tree/changed-since.ts).
 */
export type ScopeState = 'ok' | 'polling' | 'deaf' | 'failed' | 'arming';

export interface ScopeView {
  path: string;
  kind: 'root' | 'mount';
  state: ScopeState;
  /** Epoch ms when it entered `state`. */
  since: number;
  /** Why it is not ok (a DeafCause such as "sentinel-timeout"). */
  cause?: string | undefined;
}

export interface WatchView {
  /** "native", "poll", or "native+poll" when some scopes are polled. */
  backend: string;
  /** inotify watches held (last audit); undefined when polling or unknown. */
  watches: number | undefined;
  dirs: number | undefined;
  scopes: ScopeView[];
}

/** Implemented by the runtime; called on every status request and metrics scrape (keep it cheap: no I/O). */
export interface StatusSource {
  job(): JobView;
  watch(): WatchView;
  /** With apps: (several apps), each app's own state; undefined with one app. */
  apps?(): AppStateView[] | undefined;
  /**
   * Every watch is armed (watch.ready). The first build runs while the watches are armed, so the app can
   * serve before they are: READY=1 waits for both. Absent: armed.
   */
  armed?(): boolean;
  /**
   * At a status request (not at each change): what the app listens on, read from the system now, so
   * "serving" is not a memory of the app's first listen (an app that closed its listener is not serving).
   */
  verify?(): void;
}

/** One app of `apps:`: its job's state and the process that serves for it. */
export interface AppStateView {
  name: string;
  state: JobState;
  /** Epoch ms when it entered `state`. */
  since: number;
  pid: number | null;
}

/** The live views and the health derived from them (what the metrics' gauges read at scrape time). */
export interface Live {
  job: JobView;
  watch: WatchView;
  health: Health;
}

export interface StatusMeta {
  root: string;
  version: string;
  pid: number;
  /** Epoch ms. */
  startedAt: number;
  /** Where pages are served when the proxy is on (the app's own port is behind it). */
  proxy?: string;
}

export interface Health {
  /** What `hotwatch status --check` exits 0 on: serving, current and watchHealthy. */
  ok: boolean;
  serving: boolean;
  /** False while an app serves its previous version because its last build failed. */
  current: boolean;
  watchHealthy: boolean;
  /** One line saying why not, when not ok. */
  why?: string;
}

export interface StatusSnapshot {
  schema: 1;
  hotwatch: StatusMeta & { uptimeMs: number };
  /** `app`: with apps:, the app whose state this is (the least settled of them). */
  state: { name: JobState; since: number; forMs: number; nextTryAt?: number; app?: string };
  app: (AppView & { uptimeMs: number; serving: boolean }) | null;
  lastBuild: BuildFact | null;
  builds: { ok: number; failed: number; canceled: number; runningSince: number | null };
  restarts: number;
  lastExit: ExitFact | null;
  crashLoop: CrashLoop | null;
  watch: WatchView & { healthy: boolean };
  health: Health;
  recentEvents: EventFact[];
  /** With apps: (several apps): each app's state (`state` above is the least settled of them), and its own last build (ok or failed). */
  apps?: Array<AppStateView & { lastBuild: BuildFact | null }>;
}

/** How long an app restarted in a crash loop must stay up to count as serving again (run.backoffReset's default). */
const CRASH_LOOP_UP_MS = 10_000;

const secs = (ms: number): string => `${Math.max(0, Math.round(ms / 1000))} s`;

/** "the app", or with apps: "the app worker" (the one the view describes). */
const theApp = (job: JobView): string => (job.name === undefined ? 'the app' : `the app ${job.name}`);

/**
 * Why no app runs in state exited, by what the job says happened (not by the last exit of any app: with
 * apps:, that can be another app's, and an exit hotwatch caused is no crash). The crash's signal or code
 * is the last crash's; with apps:, the app's own when it is the one that crashed last.
 */
function downWhy(job: JobView, facts: ServiceFacts): string {
  if (job.down === 'stopped') return `hotwatch stopped ${theApp(job)}`;
  if (job.down === 'start-failed') return `${theApp(job)} could not start`;
  const crash = facts.lastCrash;
  const own = crash !== undefined && (job.name === undefined || crash.app === job.name);
  return `${theApp(job)} exited (${own ? crash.how : 'on its own'})`;
}

/** Whether the app serves, and if not, why (for --check and STATUS=). */
export function servingOf(job: JobView, facts: ServiceFacts, now: number): { serving: boolean; why?: string } {
  const app = job.app;
  if (job.state === 'stopping') return { serving: false, why: 'stopping' };
  // The old app was told to stop (its listener closes at once in a graceful Go shutdown): the new version starts after it.
  if (job.state === 'restarting')
    return {
      serving: false,
      why: `restarting: ${app ? `${theApp(job)} (pid ${app.pid}) is stopping` : 'the previous version is stopping'} (for ${secs(now - job.since)}); the new version starts after it`,
    };
  const loop = crashLoop(facts.crashTimes(), now, job.state === 'backoff' ? job.nextTryAt : job.state === 'exited' ? 'change' : undefined);
  // An app restarted in a crash loop is not serving until it has stayed up a while (it is about to exit
  // again); one from a build after the last crash (the fix) serves at once.
  const rebuilt = facts.lastBuild?.outcome === 'ok' && facts.lastBuild.finishedAt >= Math.max(...facts.crashTimes());
  if (app && loop && !rebuilt && now - app.startedAt < CRASH_LOOP_UP_MS)
    return { serving: false, why: `not serving: ${loop.line}; ${theApp(job)} (pid ${app.pid}) restarted ${secs(now - app.startedAt)} ago` };
  if (app) {
    if (!job.expectsListening || app.listening.length > 0) return { serving: true };
    if (app.stoppedListening?.length)
      return {
        serving: false,
        why: `not serving: ${theApp(job)} (pid ${app.pid}) no longer listens (it listened on ${app.stoppedListening.join(', ')}); it still runs`,
      };
    return { serving: false, why: `not serving: ${theApp(job)} (pid ${app.pid}) is not listening yet (up ${secs(now - app.startedAt)})` };
  }
  if (loop) return { serving: false, why: `not serving: ${loop.line}` };
  switch (job.state) {
    case 'build-failed':
      if (facts.lastBuild?.timedOut)
        return {
          serving: false,
          why: `not serving: the last build was stopped by build.timeout after ${secs(facts.lastBuild.durationMs)}; raise build.timeout (the code may be fine)`,
        };
      return {
        serving: false,
        why: `not serving: ${job.name === undefined ? 'the last build' : `the last build of the app ${job.name}`} failed${facts.lastBuild?.errors.length ? ` (${facts.lastBuild.errors.length} error line${facts.lastBuild.errors.length === 1 ? '' : 's'})` : ''}; fix the code and save`,
      };
    case 'exited':
      return { serving: false, why: `not serving: ${downWhy(job, facts)} ${secs(now - job.since)} ago; waiting for a change` };
    case 'backoff':
      return {
        serving: false,
        why: `not serving: ${theApp(job)} ${facts.lastCrash?.how === 'code 0' ? 'exited' : 'crashed'} (${facts.lastCrash?.how ?? 'on its own'}); next try in ${secs((job.nextTryAt ?? now) - now)}`,
      };
    default:
      return { serving: false, why: `not serving yet: ${job.state} for ${secs(now - job.since)}` };
  }
}

/**
 * Whether every watched scope delivers changes (polling counts: degraded but working). A scope still being
 * armed does not yet: an edit there is only caught once the arming ends, so not healthy, and says so.
 */
export function watchHealthOf(watch: WatchView, now: number): { healthy: boolean; why?: string } {
  const bad = watch.scopes.filter((s) => s.state === 'deaf' || s.state === 'failed');
  if (bad.length === 0) {
    const arming = watch.scopes.find((s) => s.state === 'arming');
    if (!arming) return { healthy: true };
    return { healthy: false, why: `watch arming: ${arming.kind} ${arming.path} for ${secs(now - arming.since)}` };
  }
  const s = bad.find((x) => x.state === 'failed') ?? bad[0]!;
  const what = s.state === 'failed' ? 'deaf, recovery failed' : 'deaf, recovering';
  return {
    healthy: false,
    why: `watch unhealthy: ${s.kind} ${s.path} ${what}${s.cause ? ` (${s.cause})` : ''} for ${secs(now - s.since)}${bad.length > 1 ? ` (+${bad.length - 1} more)` : ''}`,
  };
}

/**
 * Whether what serves is the newest code: not when an app's last build failed (and its files were not put
 * back since) while that app runs its previous version. `apps`: each app with its pid, with apps:.
 */
export function currentOf(
  job: JobView,
  facts: ServiceFacts,
  now: number,
  apps?: readonly AppStateView[],
): { current: boolean; why?: string } {
  const running = apps?.length ? apps.filter((a) => a.pid !== null).map((a) => a.name) : job.app ? [''] : [];
  for (const name of running) {
    const notStarted = facts.startFailedOf.get(name);
    if (notStarted) {
      const version = name === '' ? 'the new version' : `the new version of the app ${name}`;
      return {
        current: false,
        why: `serving the previous version: ${version} did not start ${secs(now - notStarted.at)} ago (${notStarted.why}); fix it and save`,
      };
    }
    const b = facts.lastBuildOf.get(name);
    if (b?.outcome !== 'failed' || b.clearedAt !== undefined) continue;
    const which = name === '' ? 'the last build' : `the last build of the app ${name}`;
    const lines = b.errors.length ? ` (${b.errors.length} error line${b.errors.length === 1 ? '' : 's'})` : '';
    return {
      current: false,
      why: `serving the previous version: ${which} failed ${secs(now - b.finishedAt)} ago${lines}; fix the code and save`,
    };
  }
  return { current: true };
}

export function healthOf(job: JobView, watch: WatchView, facts: ServiceFacts, now: number, apps?: readonly AppStateView[]): Health {
  const s = servingOf(job, facts, now);
  const w = watchHealthOf(watch, now);
  const c = currentOf(job, facts, now, apps);
  const why = s.why ?? w.why ?? c.why;
  const ok = s.serving && c.current && w.healthy;
  return {
    ok,
    serving: s.serving,
    current: c.current,
    watchHealthy: w.healthy,
    ...(why !== undefined && !ok ? { why } : {}),
  };
}

export function snapshot(source: StatusSource, facts: ServiceFacts, meta: StatusMeta, now: number): StatusSnapshot {
  const job = source.job();
  const watch = source.watch();
  const apps = source.apps?.();
  const health = healthOf(job, watch, facts, now, apps);
  const loop = crashLoop(facts.crashTimes(), now, job.state === 'backoff' ? job.nextTryAt : job.state === 'exited' ? 'change' : undefined);
  return {
    schema: 1,
    hotwatch: { ...meta, uptimeMs: now - meta.startedAt },
    state: {
      name: job.state,
      since: job.since,
      forMs: now - job.since,
      ...(job.nextTryAt !== undefined ? { nextTryAt: job.nextTryAt } : {}),
      ...(job.name !== undefined ? { app: job.name } : {}),
    },
    app: job.app ? { ...job.app, uptimeMs: now - job.app.startedAt, serving: health.serving } : null,
    lastBuild: facts.lastBuild ?? null,
    builds: { ...facts.builds, runningSince: facts.buildRunningSince ?? null },
    restarts: facts.restarts,
    lastExit: facts.lastExit ?? null,
    crashLoop: loop ?? null,
    watch: { ...watch, healthy: health.watchHealthy },
    health,
    recentEvents: facts.recentEvents(),
    ...(apps ? { apps: apps.map((a) => ({ ...a, lastBuild: facts.lastBuildOf.get(a.name) ?? null })) } : {}),
  };
}

/**
 * Whether systemd's watchdog may be pinged: not while a scope's recovery failed, nor while one has been
 * deaf longer than `deafGraceMs` (a recovery that never ends). A deaf spell the watchdog is repairing
 * (re-arming takes ~0.1 s) keeps the pings going. Polling is working watching.
 */
export function watchdogVerdict(watch: WatchView, now: number, deafGraceMs = 30_000): { ok: true } | { ok: false; why: string } {
  // An arming that never ends (a hung helper at start) is judged like a deaf spell that never ends.
  const overdue = (s: ScopeView) => (s.state === 'deaf' || s.state === 'arming') && now - s.since > deafGraceMs;
  const failed = watch.scopes.find((s) => s.state === 'failed' || overdue(s));
  if (!failed) return { ok: true };
  return {
    ok: false,
    why:
      failed.state === 'arming'
        ? `${failed.kind} ${failed.path} still arming its watches after ${secs(now - failed.since)}`
        : `${failed.kind} ${failed.path} deaf${failed.cause ? ` (${failed.cause})` : ''} for ${secs(now - failed.since)}${failed.state === 'failed' ? ', recovery failed' : ', not recovered'}`,
  };
}

/** The one line for systemd's STATUS= (what `systemctl status` shows under the unit). */
export function statusLine(s: StatusSnapshot): string {
  if (s.state.name === 'stopping') return 'stopping';
  const n = s.watch.watches;
  const watch = s.watch.healthy
    ? `watch ok (${s.watch.backend}${n !== undefined ? `, ${n} watch${n === 1 ? '' : 'es'}` : ''})`
    : (healthWhy(s) ?? watchTrouble(s.watch));
  if (!s.health.serving) return [s.health.why ?? `${s.state.name}`, s.watch.healthy ? undefined : watch].filter(Boolean).join('; ');
  const app = s.app!;
  const build = !s.lastBuild
    ? ''
    : s.lastBuild.clearedAt !== undefined
      ? '; sources back to what it runs (the failed build no longer applies)'
      : `; last build ${s.lastBuild.outcome} in ${(s.lastBuild.durationMs / 1000).toFixed(1)} s`;
  const building = s.state.name === 'building' ? '; building' : '';
  return `serving pid ${app.pid}${app.listening.length ? ` on ${app.listening.join(', ')}` : ''}${build}${building}; ${watch}`;
}

const healthWhy = (s: StatusSnapshot): string | undefined => (s.health.serving ? s.health.why : undefined);

/** Why the watch is not healthy, in a word or two: still arming at start is not "unhealthy". */
function watchTrouble(w: WatchView): string {
  const bad = w.scopes.find((x) => x.state === 'failed') ?? w.scopes.find((x) => x.state === 'deaf');
  if (bad) return `watch unhealthy: ${bad.kind} ${bad.path} ${bad.state === 'failed' ? 'deaf, recovery failed' : 'deaf, recovering'}`;
  return w.scopes.length === 0 || w.scopes.some((x) => x.state === 'arming') ? 'watch arming' : 'watch unhealthy';
}

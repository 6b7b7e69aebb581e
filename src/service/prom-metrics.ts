/**
 * The Prometheus metrics of one hotwatch in prom-client (a registry of its own, never the global one):
 * the counters and histograms metrics.ts replays into it and feeds, and gauges read from the StatusSource
 * at scrape time. Loaded only when metrics are first asked for (see metrics.ts). No default process
 * metrics: their event-loop-lag monitor samples every 10 ms, a wake-up hotwatch does not pay while idle.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Live } from './status.js';

export type PromMetrics = ReturnType<typeof createPromMetrics>;

/** Build times: a warm `go build` of a small module is 0.3-1 s, a cold one with module downloads minutes. */
const BUILD_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];
/** Edit to serving: the write, the quiet window, the build, the restart, the first listen. */
const EDIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30];

export function createPromMetrics(version: string, startedAt: number, live: () => Live) {
  const registry = new Registry();
  const reg = [registry];
  const counters = {
    builds: new Counter({
      name: 'hotwatch_builds_total',
      help: 'Builds finished, by outcome (ok, failed, canceled)',
      labelNames: ['outcome'],
      registers: reg,
    }),
    restarts: new Counter({
      name: 'hotwatch_app_restarts_total',
      help: 'App starts after the first, by reason (build: a new build replaced it; crash: restarted after a crash)',
      labelNames: ['reason'],
      registers: reg,
    }),
    exits: new Counter({
      name: 'hotwatch_app_exits_total',
      help: 'App exits, by kind (crash: on its own, with a code other than 0 or a signal; clean: on its own, code 0; stopped: hotwatch stopped it)',
      labelNames: ['kind'],
      registers: reg,
    }),
    losses: new Counter({
      name: 'hotwatch_watch_losses_total',
      help: 'Watches lost, by scope and cause',
      labelNames: ['scope', 'cause'],
      registers: reg,
    }),
    recoveries: new Counter({
      name: 'hotwatch_watch_recoveries_total',
      help: 'Watch recoveries, by scope, cause and how (rearmed, polling)',
      labelNames: ['scope', 'cause', 'how'],
      registers: reg,
    }),
    dropped: new Counter({
      name: 'hotwatch_events_dropped_total',
      help: 'File events dropped (each drop forces a rescan, never a lost edit), by reason: ring-overflow (counted), kernel-overflow (one per IN_Q_OVERFLOW: the kernel does not say how many)',
      labelNames: ['reason'],
      registers: reg,
    }),
    coalesced: new Counter({
      name: 'hotwatch_events_coalesced_total',
      help: 'File events merged into a batch with others',
      registers: reg,
    }),
  };
  const histograms = createHistograms(reg);
  gauges(registry, version, startedAt, live);
  return { registry, counters, histograms };
}

/** Build durations by outcome, and edit → serving. */
function createHistograms(reg: Registry[]) {
  return {
    buildSeconds: new Histogram({
      name: 'hotwatch_build_duration_seconds',
      help: 'Build duration, by outcome',
      labelNames: ['outcome'],
      buckets: BUILD_BUCKETS,
      registers: reg,
    }),
    editToServing: new Histogram({
      name: 'hotwatch_edit_to_serving_seconds',
      help: 'From the first write of a change to the new app listening',
      buckets: EDIT_BUCKETS,
      registers: reg,
    }),
  };
}

function gauges(registry: Registry, version: string, startedAt: number, live: () => Live): void {
  const reg = [registry];
  new Gauge({ name: 'hotwatch_info', help: 'Always 1; the version as a label', labelNames: ['version'], registers: reg }).set(
    { version },
    1,
  );
  new Gauge({ name: 'hotwatch_start_time_seconds', help: 'When this hotwatch started (Unix time)', registers: reg }).set(startedAt / 1000);
  new Gauge({
    name: 'hotwatch_app_serving',
    help: '1 while the app runs and, when it is expected to, listens',
    registers: reg,
    collect() {
      this.set(live().health.serving ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hotwatch_watch_healthy',
    help: '1 while every watched scope delivers changes (polling counts)',
    registers: reg,
    collect() {
      this.set(live().health.watchHealthy ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hotwatch_watch_scope_healthy',
    help: 'Per watched root or mount: 1 ok or polled, 0 deaf',
    labelNames: ['kind', 'path', 'state'],
    registers: reg,
    collect() {
      this.reset(); // a scope that went away must not linger
      for (const s of live().watch.scopes)
        this.set({ kind: s.kind, path: s.path, state: s.state }, s.state === 'ok' || s.state === 'polling' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hotwatch_inotify_watches',
    help: 'inotify watches held by the native watcher (last audit)',
    registers: reg,
    collect() {
      this.reset();
      const w = live().watch.watches;
      if (w !== undefined) this.set(w);
    },
  });
  new Gauge({
    name: 'hotwatch_watched_dirs',
    help: 'Directories watched or polled',
    registers: reg,
    collect() {
      this.reset();
      const d = live().watch.dirs;
      if (d !== undefined) this.set(d);
    },
  });
}

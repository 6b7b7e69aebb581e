/**
 * Several apps from one hotwatch (`apps:`): one Supervisor per app (its own job, last good version,
 * failure and backoff), fed by the one watcher and pipeline of the runtime. Each batch is split among the
 * apps by what their builds read (route.ts); the packages each app imports are asked of the toolchain
 * before the first build and again after any batch that may change an import (a .go file, go.mod,
 * go.work), so routing never works from a stale import graph. The apps a batch rebuilds build in one
 * go build where they can (CombinedBuilds), in bounded turns (BuildSlots).
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import path from 'node:path';
import type { AppSettings } from '../config/apps.js';
import { appBuildRun, type BuildSettings, type RunSettings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import type { Batch } from '../pipeline/events.js';
import { packageDependencies } from '../os/go-deps.js';
import { appEnvironment, envFilesWithTargets } from '../supervisor/env.js';
import type { JobSnapshot, Report } from '../supervisor/job-state.js';
import type { LeftProcess } from '../supervisor/port-holders.js';
import { Supervisor, type SupervisorOptions } from '../supervisor/supervisor.js';
import { BuildSlots, defaultBuildBound } from './build-slots.js';
import { CombinedBuilds } from './combined-builds.js';
import { routeBatch, routedApp, touchesImports, type RoutedApp } from './route.js';
import { aggregateState } from './app-state.js';
import { ImportHeaders } from './import-headers.js';
import { MODULE_FILES } from './route.js';

/** What the runtime drives: one Supervisor, or the AppSet of several. */
export interface Supervising {
  submit(batch: Batch): void;
  revert(batch: Batch): void;
  rebuild(why?: string): void;
  restart(reason: string): void;
  forceKill(): void;
  run(initial: Batch): Promise<void>;
  leftovers(): LeftProcess[];
  readonly busy: boolean;
  readonly idleWithoutApp: boolean;
  readonly state: JobSnapshot;
}

/** The options every app's Supervisor shares (root, build, run, appEnv and log are each app's own). */
export type SharedOptions = Omit<SupervisorOptions, 'root' | 'build' | 'run' | 'appEnv' | 'log' | 'buildRunner'>;

export interface AppSetOptions {
  root: string;
  apps: readonly AppSettings[];
  log: Logger;
  shared: SharedOptions;
  /** The build's environment (build.env over hotwatch's): go list runs with it. */
  env: NodeJS.ProcessEnv;
  /**
   * The top-level build: and run: a config reload updates in place: each app's settings are derived from
   * them again before a rebuild or restart is passed on (appBuildRun). Absent: never re-derived.
   */
  top?: { build: BuildSettings; run: RunSettings };
  /** Told whenever an app's process changes, with every app's that runs (the state file records them). */
  onAppsChange?: (apps: RunningApp[]) => void;
}

type RunningApp = NonNullable<Parameters<NonNullable<SupervisorOptions['onAppChange']>>[0]>;

export class AppSet implements Supervising {
  readonly apps: ReadonlyArray<{ settings: AppSettings; supervisor: Supervisor }>;
  private readonly routed: RoutedApp[];
  private readonly log: Logger;
  /** Each app's package directories (by name); undefined until known, or when go list failed. */
  private deps: Map<string, Set<string>> | undefined;
  /** Batches are routed in order: a refresh of the dependencies is awaited before the next batch. */
  private queue: Promise<void> = Promise.resolve();
  /** Builds of several apps from one batch run as one go build, in bounded turns (combined-builds.ts). */
  private readonly builds: CombinedBuilds;
  /** Each Go file's imports as last seen: a batch that changes none needs no new listing. */
  private readonly headers = new ImportHeaders();
  /** The process each app runs now, by name. */
  private readonly running = new Map<string, RunningApp>();

  constructor(private readonly o: AppSetOptions) {
    this.log = o.log.child({ component: 'apps' });
    // Each app's Supervisor listens on the run's signal: with more than ten apps Node would warn of a leak
    // (seen with the 46 main packages of golang.org/x/tools) where there is none.
    setMaxListeners(Math.max(getMaxListeners(o.shared.signal), o.apps.length + 10), o.shared.signal);
    this.builds = new CombinedBuilds(new BuildSlots(defaultBuildBound()), this.log);
    // Every app's markers, for each app to know its siblings (a port held by one is not a stray's).
    const runMarkers = new Set<string>();
    this.apps = o.apps.map((settings) => ({
      settings,
      supervisor: new Supervisor({
        ...o.shared,
        root: o.root,
        build: settings.build,
        run: settings.run,
        appEnv: () => appEnvironment(settings.run),
        log: o.log.child({ app: settings.name }),
        buildRunner: this.builds.run,
        runMarkers,
        onAppChange: (app) => this.appChanged(settings.name, app),
        // The service's facts are kept per app too (a failed build of one is not hidden by another's good one).
        ...(o.shared.onReport ? { onReport: (r: Report) => o.shared.onReport?.(r, settings.name) } : {}),
      }),
    }));
    this.routed = o.apps.map((a) => routedApp(a.name, a.include, envFilesWithTargets(a.run.envFiles, o.root)));
  }

  private appChanged(name: string, app: RunningApp | undefined): void {
    this.o.shared.onAppChange?.(app);
    if (app) this.running.set(name, app);
    else this.running.delete(name);
    this.o.onAppsChange?.([...this.running.values()]);
  }

  /** The state of each app, by name (status, doctor). */
  states(): Array<{ name: string; state: JobSnapshot }> {
    return this.apps.map((a) => ({ name: a.settings.name, state: a.supervisor.state }));
  }

  submit(batch: Batch): void {
    this.enqueue(async () => {
      if (await this.importsMayHaveChanged(batch)) await this.refresh();
      this.dispatch(batch);
    });
  }

  /** Files back to what ran: with several apps, what runs differs per app, so each builds (a same binary restarts nothing). */
  revert(batch: Batch): void {
    this.submit(batch);
  }

  rebuild(why?: string): void {
    this.rederive();
    for (const a of this.apps) a.supervisor.rebuild(why);
  }

  /** A restart without a build of every app (a config reload that changes only run: settings). */
  restart(reason: string): void {
    this.rederive();
    for (const a of this.apps) a.supervisor.restart(reason);
  }

  /** Each app's build and run settings from the top-level ones as they are now (a config reload changed them). */
  private rederive(): void {
    const top = this.o.top;
    if (!top) return;
    for (const { settings: a } of this.apps) {
      const fresh = appBuildRun(a.name, a.overrides, this.o.root, top.build, top.run);
      // In place: each Supervisor holds these objects and reads them at each build and start.
      Object.assign(a.build, fresh.build);
      Object.assign(a.run, fresh.run);
    }
  }

  forceKill(): void {
    for (const a of this.apps) a.supervisor.forceKill();
  }

  /** The first builds start at once; the imports are listed meanwhile (batches wait for them, in order). */
  async run(initial: Batch): Promise<void> {
    this.enqueue(() => this.refresh());
    await Promise.all(this.apps.map((a) => a.supervisor.run(initial)));
  }

  leftovers(): LeftProcess[] {
    return this.apps.flatMap((a) => a.supervisor.leftovers());
  }

  get busy(): boolean {
    return this.apps.some((a) => a.supervisor.busy);
  }

  /** One app down is enough for a save of unchanged files to mean "run it again" (routing picks which). */
  get idleWithoutApp(): boolean {
    return this.apps.some((a) => a.supervisor.idleWithoutApp);
  }

  get state(): JobSnapshot {
    return aggregateState(this.apps.map((a) => a.supervisor.state));
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch((e: unknown) => {
      // A bug here would leave edits unbuilt in silence: said loudly; the next batch is routed anyway.
      this.log.error({ event: 'apps.route-failed', err: e }, `could not route a change to the apps: ${String(e)}`);
    });
  }

  private dispatch(batch: Batch): void {
    const routing = routeBatch(batch, this.o.root, this.routed, this.deps);
    const rel = (p: string): string => path.relative(this.o.root, p);
    for (const p of routing.unrouted) {
      this.log.debug({ event: 'apps.unrouted', file: p }, `${rel(p)}: no app imports its package: nothing rebuilds`);
    }
    if (routing.all === undefined && routing.batches.size > 0) {
      const names = [...routing.batches.keys()];
      const routed = batch.paths.filter((p) => !routing.unrouted.includes(p));
      this.log.debug({ event: 'apps.routed', apps: names }, `${routed.map(rel).join(', ')} → ${names.join(', ')}`);
    }
    for (const a of this.apps) {
      const part = routing.batches.get(a.settings.name);
      if (part) a.supervisor.submit(part);
    }
  }

  /** A module file, a Go file whose header (package, build tags, imports) changed, new or gone; or nothing known yet. */
  private async importsMayHaveChanged(batch: Batch): Promise<boolean> {
    if (!touchesImports(batch)) return false;
    const headers = this.headers.changed(batch.paths); // remembers the new headers, whatever else is true
    return (await headers) || this.deps === undefined || batch.paths.some((p) => MODULE_FILES.has(path.basename(p)));
  }

  /**
   * The packages each app imports, asked again; unknown (every change goes to every app) when go cannot
   * say. The headers of a package's files are read before go list runs, never after: an edit in between
   * then differs from what was read, and asks again.
   */
  private async refresh(): Promise<void> {
    const packages = this.o.apps.map((a) => a.build.package);
    const { signal } = this.o.shared;
    const dirsOf = (deps: Map<string, Set<string>> | undefined): Set<string> => new Set([...(deps?.values() ?? [])].flatMap((d) => [...d]));
    try {
      let seeded = dirsOf(this.deps);
      await this.headers.seed(seeded, signal);
      for (let pass = 0; pass < 3; pass++) {
        // The first app's build flags (build.flags, unless it sets its own): their -tags decide which files count.
        const flags = this.o.apps[0]?.build.flags ?? [];
        const byPackage = await packageDependencies(this.o.root, packages, signal, this.o.env, flags);
        this.deps = new Map(this.o.apps.map((a) => [a.name, byPackage.get(a.build.package) ?? new Set<string>()]));
        // Packages new to the list: their headers are read now, and go asked once more (see above).
        const fresh = [...dirsOf(this.deps)].filter((d) => !seeded.has(d));
        if (fresh.length === 0) break;
        await this.headers.seed(fresh, signal);
        seeded = new Set([...seeded, ...fresh]);
      }
    } catch (e) {
      if (this.o.shared.signal.aborted) return;
      this.deps = undefined;
      this.log.warn(
        { event: 'apps.deps-unknown', err: e },
        `could not list the packages each app imports (${String(e)}): every change rebuilds every app until go list answers`,
      );
    }
  }
}

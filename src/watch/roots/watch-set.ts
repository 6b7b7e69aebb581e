/**
 * The watch set follows the build: the root, plus every local module the build compiles from outside it
 * (module-roots.ts), each behind its own watchdog (same rules: excludes, filters, budget, sentinels,
 * mount classification, recovery), their events merged into the one pipeline. Whenever a go.mod, go.sum
 * or go.work changes, the toolchain is asked again: a module that left the set is unwatched; one that
 * joined is armed, and what changed there while nobody watched is built. The extra roots are armed one
 * after the other once the root is: each budget check counts the watches already held (per user).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../../config/settings.js';
import type { Logger } from '../../log/logger.js';
import type { WatchEvent } from '../../pipeline/events.js';
import { changedInDirs, changedInLateRoot } from '../tree/changed-since.js';
import type { ArmedTree, ReconcileReport, SyncOptions, Watcher, WatcherReady, WatcherStats } from '../types.js';
import { describeRoot, planRootsOrNone, rulesFor, withLinked, withGoWork, type RootsPlan, type WatchRoot } from './module-roots.js';
import { knownOf, sayRootAdded, sayRootFailed, sayRootRemoved, saySkipped, sumReady, sumReports, sumStats, underAny } from './set-lines.js';
import { leaveAsFound } from './own-dir.js';
import { goWorkCandidates, ModuleFilesPoll, vendorManifests } from './module-files-poll.js';
import { buildDirsOnce, withoutIgnored, type BuildDirsOnce } from './ignored-excludes.js';
import { IgnoredRefresh, type RefreshHost } from './ignored-refresh.js';
import { EmbeddedFiles } from './embedded-files.js';
import type { BuildPackages } from '../../os/go-embeds.js';
import { IgnoreFileChanges, ignoreFileOf } from './ignore-files.js';
import { OneAtATime } from './one-at-a-time.js';
import { HotwatchError } from '../../errors.js';
import { closeExtra, rootWatchdog, type Extra, type WatchSetOptions } from './set-options.js';

export type { WatchSetOptions } from './set-options.js';
type Linked = BuildPackages['linked'];

/** Files whose edit may change which modules the build uses (a `-modfile` one is a `.mod` file too). */
const isModuleFile = (name: string): boolean => name === 'go.sum' || name === 'go.work' || name.endsWith('.mod');
/** Saves of go.mod come in bursts (an editor, `go mod tidy`): asked once they settle. */
const REPLAN_QUIET_MS = 300;

export class WatchSet implements Watcher, RefreshHost {
  readonly ready: Promise<WatcherReady>;
  private main: Watcher | undefined;
  /** The root's settings and the rules for the extra roots: a config reload replaces them (reconcile). */
  private settings: WatchSettings;
  private rules: WatchSettings;
  private mainExcluded: string[] = [];
  private readonly refresh: IgnoredRefresh;
  /** Files the binary embeds whatever their extension: include globs of the root (embedded-files.ts). */
  private readonly embedded: EmbeddedFiles;
  private readonly ignoreFiles: IgnoreFileChanges;
  private buildDirs: BuildDirsOnce;
  private readonly extras = new Map<string, Extra>();
  private readonly log: Logger;
  private readonly polled: ModuleFilesPoll;
  private replanTimer: NodeJS.Timeout | undefined;
  /** Changes of the set run one at a time. */
  private readonly changes = new OneAtATime((e) =>
    this.log.warn({ event: 'watch.roots-error', err: e }, `changing the watched roots failed: ${String(e)}`),
  );
  private closed = false;
  /** Skipped modules already said (each once, not at every go.mod save). */
  private readonly said = new Set<string>();
  /** The settings each root was armed with and its watcher, by root (the start-up's catch-up checks exactly what is watched). */
  private readonly armedWith = new Map<string, { settings: WatchSettings; watcher: Watcher }>();
  private linked: Linked = [];
  /** From when a root armed later must be looked at for changes: the start, or the first trigger of a replan. */
  private replanSince: number | undefined = Date.now();

  constructor(private readonly opts: WatchSetOptions) {
    this.log = opts.log;
    [this.settings, this.rules] = [opts.settings, opts.rules];
    this.polled = new ModuleFilesPoll(opts, (files) => this.modulesFileChanged(files));
    this.buildDirs = buildDirsOnce(opts.build, opts.signal);
    this.refresh = new IgnoredRefresh(this, this.log, opts.signal);
    const replanIgnored = async (): Promise<void> => void (await this.reconcile(this.settings));
    const rescan = (reason: string): void => this.opts.onEvent({ kind: 'rescan', reason, at: performance.now() });
    const roots = (): WatchSettings[] => [this.settings, ...[...this.extras.values()].map((e) => rulesFor(this.rules, e.root))];
    // Embedded files, and directories watched again (no longer git-ignored): what changed there since the start, as changes.
    const [started, emit] = [Date.now(), (evs: WatchEvent[]) => evs.forEach(opts.onEvent)];
    const changed = (files: string[]) => emit(files.map((path) => ({ kind: 'change' as const, path, at: performance.now() })));
    const embedHost = { roots, reapply: () => this.reconcile(this.settings), rescan, changed, linked: (l: Linked) => this.followLinked(l) };
    this.embedded = new EmbeddedFiles(opts.build, embedHost, this.log, opts.signal);
    const changedIn = async (dirs: string[], name: string) => emit(await changedInDirs(roots(), dirs, started, name, opts.signal));
    const ignoreHost = { leftOut: () => this.leftOut(), roots, replanIgnored, rescan, changedIn };
    this.ignoreFiles = new IgnoreFileChanges(ignoreHost, this.log, opts.cwd);
    this.ready = this.start(this.plan());
    this.ready.catch(() => undefined); // surfaced through `ready`
  }

  /** The root first (git-ignored dirs left out), then the extra roots one by one (the budget sees each). */
  private async start(plan: Promise<RootsPlan | undefined>): Promise<WatcherReady> {
    const { settings, excluded } = await this.rootRules(this.settings);
    if (this.closed) throw new HotwatchError('INTERNAL', 'the watcher was closed before it was ready');
    this.main = this.watchdogFor(settings);
    this.armedWith.set(settings.root, { settings, watcher: this.main });
    this.mainExcluded = excluded;
    const ready = await this.main.ready;
    this.embedded.goChanged(); // in the background, once the first build had the cores
    const p = await plan;
    if (p) await this.changes.serial(() => this.apply(p, false));
    return sumReady(ready, [...this.extras.values()], this.opts.cwd);
  }

  /** The watched trees as they were armed (the root's first), each with what its arming walk listed (once). */
  armedTrees(): ArmedTree[] {
    return [...this.armedWith.values()].map(({ settings, watcher }) => ({ settings, listing: watcher.takeArmingListing?.() }));
  }

  stats(): WatcherStats | undefined {
    return sumStats(this.main, [...this.extras.values()]);
  }

  knownFiles(limit: number): string[] | undefined {
    return knownOf(this.main, [...this.extras.values()], limit);
  }

  /** A config reload changed the watch lists: every root follows them (git-ignored directories planned again). */
  reconcile(settings: WatchSettings): Promise<ReconcileReport> {
    return this.changes.exclusive(async () => {
      [this.settings, this.rules] = [settings, settings];
      const reports: ReconcileReport[] = [];
      const main = await this.rootRules(settings);
      if (this.main?.reconcile) reports.push(await this.main.reconcile(main.settings));
      this.mainExcluded = main.excluded;
      for (const e of this.extras.values()) {
        const extra = await this.extraRules(e.root);
        if (e.watcher.reconcile) reports.push(await e.watcher.reconcile(extra.settings));
        e.excluded = extra.excluded;
      }
      return sumReports(reports);
    });
  }

  async sync(timeoutMs: number, opts?: SyncOptions): Promise<void> {
    await Promise.all([this.main, ...[...this.extras.values()].map((e) => e.watcher)].map((w) => w?.sync?.(timeoutMs, opts)));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.replanTimer) clearTimeout(this.replanTimer);
    this.polled.close();
    this.refresh.close();
    this.embedded.close();
    this.ignoreFiles.close();
    await this.changes.settled();
    await Promise.all([this.main?.close(), ...[...this.extras.values()].map((e) => closeExtra(e))]);
    this.extras.clear();
  }

  // RefreshHost: a git-ignored directory the build starts reading is watched from then on.
  leftOut(): { root: string; excluded: string[] }[] {
    const main = { root: this.settings.root, excluded: this.mainExcluded };
    return [main, ...[...this.extras.values()].map((e) => ({ root: e.root.dir, excluded: e.excluded }))].filter(
      (r) => r.excluded.length > 0,
    );
  }

  freshBuildDirs(): BuildDirsOnce {
    this.buildDirs = buildDirsOnce(this.opts.build, this.opts.signal);
    return this.buildDirs;
  }

  rearm(root: string, why: string): Promise<void> {
    return this.changes.serial(async () => {
      if (this.closed) return;
      const extra = this.extras.get(root);
      if (extra) {
        this.extras.delete(root);
        await closeExtra(extra);
        return this.arm(extra.root, 'always');
      }
      const { settings, excluded } = await this.rootRules(this.settings);
      const [old, fresh] = [this.main, this.watchdogFor(settings)];
      try {
        await fresh.ready; // the old one watches until the new one does
      } catch (e) {
        await fresh.close();
        throw new Error(`re-arming ${root} failed (${String(e)}); it stays watched as it was`);
      }
      [this.main, this.mainExcluded] = [fresh, excluded];
      await old?.close();
      this.log.info({ event: 'watch.root-rearmed', dir: root, why }, `${why}: watching it from now on`);
      this.opts.onEvent({ kind: 'rescan', reason: `${why}: building what changed there while it was not watched`, at: performance.now() });
    });
  }

  private watchdogFor(settings: WatchSettings): Watcher {
    return rootWatchdog(this.opts, settings, (ev) => this.event(ev));
  }

  private event(ev: WatchEvent): void {
    this.polled.activity();
    const ignoreFile = ignoreFileOf(ev);
    if (ignoreFile) return this.ignoreFiles.changed(ignoreFile); // changes what is watched; builds nothing
    if (ev.kind === 'change') for (const c of [this.embedded, this.ignoreFiles]) c.fileChanged(ev.path);
    if (ev.kind === 'change' && isModuleFile(path.basename(ev.path))) this.replanSoon(`${path.basename(ev.path)} changed`);
    else if (ev.kind === 'change' && ev.path.endsWith('.go')) this.refresh.goChanged();
    this.opts.onEvent(ev);
  }

  /** The build compiles these through symlinks out of the roots (go list's answer): watched as extra roots when they change. */
  private followLinked(linked: Linked): void {
    const key = (l: Linked): string => l.map((x) => x.dir).join('\n');
    if (key(linked) === key(this.linked)) return;
    this.linked = linked;
    this.replanSoon('the directories the build compiles through symlinks changed');
  }

  /** A polled go.work, go.mod or vendor/modules.txt changed what the build compiles: a change to build, and a new plan. */
  private modulesFileChanged(files: string[]): void {
    this.replanSoon('a go.work, go.mod or vendor/modules.txt changed');
    for (const f of files) this.opts.onEvent({ kind: 'change', path: f, at: performance.now() });
  }

  /** The roots planned again, and the build's packages asked again (go list: embeds, packages under excluded dirs). */
  private replanSoon(why: string): void {
    if (this.closed) return;
    this.replanSince ??= Date.now();
    if (this.replanTimer) clearTimeout(this.replanTimer);
    this.replanTimer = setTimeout(() => {
      this.replanTimer = undefined;
      this.log.debug({ event: 'watch.roots-replan', why }, `${why}: asking the toolchain which local modules the build uses`);
      this.buildDirs = buildDirsOnce(this.opts.build, this.opts.signal); // the package list may have changed too
      void this.changes.serial(async () => {
        const p = await this.plan();
        if (p && !this.closed) await this.apply(p, true);
        if (!this.closed) this.embedded.goChanged();
      });
    }, REPLAN_QUIET_MS);
    this.replanTimer.unref();
  }

  /** The toolchain's answer, or undefined (no build, or go cannot tell). */
  private async plan(): Promise<RootsPlan | undefined> {
    return this.opts.build === undefined ? undefined : planRootsOrNone(this.settings.root, this.opts, this.log);
  }

  /** Unwatch the roots that left, arm those that joined (later: what changed there since the replan began is built). */
  private async apply(found: RootsPlan, later: boolean): Promise<void> {
    const { cwd } = this.opts;
    const plan = withLinked(found, this.linked, this.settings.root);
    const missing = plan.skipped.filter((m) => m.missing).map((m) => path.join(m.dir, 'go.mod'));
    const work = plan.workspace
      ? underAny([this.settings.root, ...plan.extra.map((r) => r.dir)], plan.workspace)
        ? []
        : [plan.workspace]
      : goWorkCandidates(this.settings.root, this.opts.goEnv);
    this.polled.follow([...work, ...missing, ...vendorManifests([this.settings.root, ...plan.extra.map((r) => r.dir)])], missing);
    for (const s of plan.skipped) saySkipped(this.log, this.said, s, cwd);
    const wanted = new Map(plan.extra.map((r) => [r.dir, r]));
    for (const [dir, e] of this.extras) {
      const now = wanted.get(dir);
      if (now && now.nested.join() === e.root.nested.join()) continue;
      this.extras.delete(dir);
      await closeExtra(e);
      if (!now) sayRootRemoved(this.log, e.root, cwd, !fs.existsSync(dir));
    }
    const since = later ? (this.replanSince ?? Date.now()) : undefined;
    if (later) this.replanSince = undefined;
    for (const root of plan.extra) {
      if (this.extras.has(root.dir) || this.closed) continue;
      await this.arm(root, since);
      this.embedded.goChanged(); // what it embeds is asked with it among the roots
    }
  }

  /** The root's rules: go.work and embedded files made relevant, git-ignored directories the build does not read left out. */
  private rootRules(s: WatchSettings): ReturnType<typeof withoutIgnored> {
    return withoutIgnored(withGoWork(this.embedded.applyTo(s), this.opts), this.buildDirs, this.opts.signal, this.log);
  }

  /** A local module's rules: its embedded files made relevant, git-ignored directories the build does not read left out. */
  private extraRules(root: WatchRoot): ReturnType<typeof withoutIgnored> {
    return withoutIgnored(this.embedded.applyTo(rulesFor(this.rules, root)), this.buildDirs, this.opts.signal, this.log);
  }

  /** `since`: armed after the start, what changed there since is built (changed-since.ts); undefined: the start-up's catch-up looks. */
  private async arm(root: WatchRoot, since: number | 'always' | undefined): Promise<void> {
    const { cwd } = this.opts;
    const { settings, excluded } = await this.extraRules(root);
    if (this.closed) return;
    const tidy = leaveAsFound(root.dir);
    const watcher = this.watchdogFor(settings);
    this.armedWith.set(root.dir, { settings, watcher });
    const extra: Extra = { root, watcher, ready: undefined, excluded, tidy };
    this.extras.set(root.dir, extra);
    try {
      extra.ready = await watcher.ready;
    } catch (e) {
      this.extras.delete(root.dir);
      await closeExtra(extra);
      return sayRootFailed(this.log, root, cwd, e);
    }
    sayRootAdded(this.log, root, cwd, extra.ready);
    if (since === undefined || this.closed) return;
    const tree = { settings, listing: watcher.takeArmingListing?.() };
    for (const ev of await changedInLateRoot(tree, since, describeRoot(root, cwd), this.opts.signal)) this.opts.onEvent(ev);
  }
}

export function createWatchSet(opts: WatchSetOptions): WatchSet {
  return new WatchSet(opts);
}

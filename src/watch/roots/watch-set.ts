/**
 * The watch set follows the build: the root, plus every local module the build compiles from outside it
 * (module-roots.ts), each behind its own watchdog (same rules: excludes, filters, budget, sentinels,
 * mount classification, recovery), their events merged into the one pipeline. Whenever a go.mod, go.sum
 * or go.work changes, the toolchain is asked again: a module that left the set is unwatched; one that
 * joined is armed, and one rebuild (a rescan) picks up what changed there while nobody watched.
 *
 * The extra roots are armed one after the other once the root is armed: each budget check then counts
 * the watches of the roots already held (the kernel's figures are per user), so the budget is judged for
 * all roots together.
 */
import path from 'node:path';
import type { WatchdogSettings, WatchSettings } from '../../config/settings.js';
import type { Logger } from '../../log/logger.js';
import type { WatchEvent } from '../../pipeline/events.js';
import type { CreateWatcherOptions } from '../backend.js';
import type { Watcher, WatcherReady, WatcherStats } from '../types.js';
import { createWatchdog } from '../watchdog/watchdog.js';
import type { HealthListener } from '../watchdog/health-log.js';
import { describeRoot, planRoots, rulesFor, withGoWork, type RootsPlan, type WatchRoot } from './module-roots.js';
import { saySkipped, sumReady } from './set-lines.js';
import { leaveAsFound } from './own-dir.js';
import { ModuleFilesPoll } from './module-files-poll.js';
import { buildDirsOnce, withoutIgnored, type BuildDirsOnce, type BuildInputs } from './ignored-excludes.js';
import { IgnoredRefresh, type RefreshHost } from './ignored-refresh.js';
import { HotwatchError } from '../../errors.js';

export interface WatchSetOptions {
  /** The root's settings (with run.envFiles and proxy files made relevant). */
  settings: WatchSettings;
  /** The config's own watch rules, applied to each extra root relative to it. */
  rules: WatchSettings;
  watchdog: WatchdogSettings;
  onEvent: (ev: WatchEvent) => void;
  log: Logger;
  signal: AbortSignal;
  onHealth?: HealthListener;
  /** The build's environment (GOWORK, GOFLAGS...): the toolchain is asked with it. */
  goEnv: NodeJS.ProcessEnv;
  /** Where hotwatch was started: roots are named relative to it. */
  cwd: string;
  native?: CreateWatcherOptions['native'];
  /** What the build compiles (its package list keeps git-ignored directories it reads watched). */
  build: BuildInputs;
}

/** Files whose edit may change which modules the build uses. */
const MODULE_FILES = new Set(['go.mod', 'go.sum', 'go.work']);
/** Saves of go.mod come in bursts (an editor, `go mod tidy`): asked once they settle. */
const REPLAN_QUIET_MS = 300;

interface Extra {
  root: WatchRoot;
  watcher: Watcher;
  ready: WatcherReady | undefined;
  /** Its git-ignored directories left out. */
  excluded: string[];
  /** After its watcher closed: remove the `.hotwatch/` this run created there. */
  tidy: () => void;
}

export class WatchSet implements Watcher, RefreshHost {
  readonly ready: Promise<WatcherReady>;
  private main: Watcher | undefined;
  private mainExcluded: string[] = [];
  private readonly refresh: IgnoredRefresh;
  private buildDirs: BuildDirsOnce;
  private readonly extras = new Map<string, Extra>();
  private readonly log: Logger;
  private readonly polled: ModuleFilesPoll;
  private replanTimer: NodeJS.Timeout | undefined;
  /** Changes of the set run one at a time. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Skipped modules already said (each once, not at every go.mod save). */
  private readonly said = new Set<string>();

  constructor(private readonly opts: WatchSetOptions) {
    this.log = opts.log;
    this.polled = new ModuleFilesPoll(opts.watchdog.intervalMs, () => this.replanSoon('a go.work or go.mod outside the roots changed'));
    this.buildDirs = buildDirsOnce(opts.build, opts.signal);
    this.refresh = new IgnoredRefresh(this, this.log, opts.signal);
    this.ready = this.start(this.plan());
    this.ready.catch(() => undefined); // surfaced through `ready`
  }

  /** The root first (git-ignored dirs left out), then the extra roots one by one (the budget sees each). */
  private async start(plan: Promise<RootsPlan | undefined>): Promise<WatcherReady> {
    const { settings, excluded } = await withoutIgnored(withGoWork(this.opts.settings), this.buildDirs, this.opts.signal, this.log);
    if (this.closed) throw new HotwatchError('INTERNAL', 'the watcher was closed before it was ready');
    this.main = this.watchdogFor(settings);
    this.mainExcluded = excluded;
    const ready = await this.main.ready;
    const p = await plan;
    if (p) await this.serial(() => this.apply(p, false));
    return sumReady(ready, [...this.extras.values()], this.opts.cwd);
  }

  stats(): WatcherStats | undefined {
    const main = this.main?.stats?.();
    if (!main) return undefined;
    let { dirs, watches } = main;
    for (const e of this.extras.values()) {
      const s = e.watcher.stats?.();
      dirs += s?.dirs ?? 0;
      watches = watches === undefined || s?.watches === undefined ? watches : watches + s.watches;
    }
    return { ...main, dirs, watches };
  }

  knownFiles(limit: number): string[] | undefined {
    const known = this.main?.knownFiles?.(limit);
    if (!known) return undefined;
    for (const e of this.extras.values()) {
      if (known.length >= limit) break;
      known.push(...(e.watcher.knownFiles?.(limit - known.length) ?? []));
    }
    return known;
  }

  async sync(timeoutMs: number): Promise<void> {
    await Promise.all([this.main, ...[...this.extras.values()].map((e) => e.watcher)].map((w) => w?.sync?.(timeoutMs)));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.replanTimer) clearTimeout(this.replanTimer);
    this.polled.close();
    this.refresh.close();
    await this.chain.catch(() => undefined);
    await Promise.all([this.main?.close(), ...[...this.extras.values()].map((e) => closeExtra(e))]);
    this.extras.clear();
  }

  // RefreshHost: a git-ignored directory the build starts reading is watched from then on.

  leftOut(): { root: string; excluded: string[] }[] {
    const main = { root: this.opts.settings.root, excluded: this.mainExcluded };
    return [main, ...[...this.extras.values()].map((e) => ({ root: e.root.dir, excluded: e.excluded }))].filter(
      (r) => r.excluded.length > 0,
    );
  }

  freshBuildDirs(): BuildDirsOnce {
    this.buildDirs = buildDirsOnce(this.opts.build, this.opts.signal);
    return this.buildDirs;
  }

  rearm(root: string, why: string): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      const extra = this.extras.get(root);
      if (extra) {
        this.extras.delete(root);
        await closeExtra(extra);
        return this.arm(extra.root, true);
      }
      const { settings, excluded } = await withoutIgnored(withGoWork(this.opts.settings), this.buildDirs, this.opts.signal, this.log);
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
    const { watchdog, log, signal, onHealth, native } = this.opts;
    return createWatchdog({
      settings,
      watchdog,
      onEvent: (ev) => this.event(ev),
      log,
      signal,
      ...(onHealth ? { onHealth } : {}),
      ...(native ? { native } : {}),
    });
  }

  private event(ev: WatchEvent): void {
    if (ev.kind === 'change' && MODULE_FILES.has(path.basename(ev.path))) this.replanSoon(`${path.basename(ev.path)} changed`);
    else if (ev.kind === 'change' && ev.path.endsWith('.go')) this.refresh.goChanged();
    this.opts.onEvent(ev);
  }

  private replanSoon(why: string): void {
    if (this.closed) return;
    if (this.replanTimer) clearTimeout(this.replanTimer);
    this.replanTimer = setTimeout(() => {
      this.replanTimer = undefined;
      this.log.debug({ event: 'watch.roots-replan', why }, `${why}: asking the toolchain which local modules the build uses`);
      this.buildDirs = buildDirsOnce(this.opts.build, this.opts.signal); // the package list may have changed too
      void this.serial(async () => {
        const p = await this.plan();
        if (p && !this.closed) await this.apply(p, true);
      });
    }, REPLAN_QUIET_MS);
    this.replanTimer.unref();
  }

  private serial(f: () => Promise<void>): Promise<void> {
    const next = this.chain.then(f, f);
    this.chain = next.catch((e) =>
      this.log.warn({ event: 'watch.roots-error', err: e }, `changing the watched roots failed: ${String(e)}`),
    );
    return this.chain;
  }

  /** The toolchain's answer, or undefined (said at debug: a broken go.mod is the build's to report). */
  private async plan(): Promise<RootsPlan | undefined> {
    try {
      return await planRoots(this.opts.settings.root, this.opts.signal, this.opts.goEnv);
    } catch (e) {
      if (!this.opts.signal.aborted)
        this.log.debug({ event: 'modules.unknown', err: e }, `could not list the local modules the build uses: ${String(e)}`);
      return undefined;
    }
  }

  /** Unwatch the roots that left, arm those that joined (later: with one rebuild for what changed there). */
  private async apply(plan: RootsPlan, later: boolean): Promise<void> {
    const { cwd } = this.opts;
    const missing = plan.skipped.filter((m) => m.missing).map((m) => path.join(m.dir, 'go.mod'));
    this.polled.follow([...(plan.workspace && !this.covers(plan.workspace, plan.extra) ? [plan.workspace] : []), ...missing]);
    for (const s of plan.skipped) saySkipped(this.log, this.said, s, cwd);
    const wanted = new Map(plan.extra.map((r) => [r.dir, r]));
    for (const [dir, e] of this.extras) {
      const now = wanted.get(dir);
      if (now && now.nested.join() === e.root.nested.join()) continue;
      this.extras.delete(dir);
      await closeExtra(e);
      if (!now)
        this.log.info(
          { event: 'watch.root-removed', dir, why: e.root.why },
          `no longer watching ${describeRoot(e.root, cwd)}: the build does not use it any more`,
        );
    }
    for (const root of plan.extra) {
      if (this.extras.has(root.dir) || this.closed) continue;
      await this.arm(root, later);
    }
  }

  /** Whether a root of the set (events) already sees `file`. */
  private covers(file: string, extra: WatchRoot[]): boolean {
    return [this.opts.settings.root, ...extra.map((r) => r.dir)].some((d) => !path.relative(d, file).startsWith('..'));
  }

  private async arm(root: WatchRoot, later: boolean): Promise<void> {
    const { cwd } = this.opts;
    const { settings, excluded } = await withoutIgnored(rulesFor(this.opts.rules, root), this.buildDirs, this.opts.signal, this.log);
    if (this.closed) return;
    const tidy = leaveAsFound(root.dir);
    const watcher = this.watchdogFor(settings);
    const extra: Extra = { root, watcher, ready: undefined, excluded, tidy };
    this.extras.set(root.dir, extra);
    try {
      extra.ready = await watcher.ready;
    } catch (e) {
      this.extras.delete(root.dir);
      await closeExtra(extra);
      this.log.error(
        { event: 'watch.root-failed', dir: root.dir, why: root.why, err: e },
        `${describeRoot(root, cwd)} is compiled into the app but is NOT watched: ${(e as Error).message}; its edits are not seen until a file under the root changes`,
      );
      return;
    }
    const { dirs, backend } = extra.ready;
    const fields = { event: 'watch.root-added', dir: root.dir, why: root.why, dirs, backend };
    this.log.info(fields, `watching ${describeRoot(root, cwd)}: ${dirs} director${dirs === 1 ? 'y' : 'ies'} (${backend})`);
    if (later && !this.closed) {
      const reason = `now watching ${describeRoot(root, cwd)}: building what changed there while it was not watched`;
      this.opts.onEvent({ kind: 'rescan', reason, at: performance.now() });
    }
  }
}

async function closeExtra(e: Extra): Promise<void> {
  await e.watcher.close();
  e.tidy();
}

export function createWatchSet(opts: WatchSetOptions): WatchSet {
  return new WatchSet(opts);
}

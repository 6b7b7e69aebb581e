/**
 * Live config reload (issue 17): the config file re-read with the flags hotwatch was started with,
 * validated by the same loader (an invalid file is rejected with file:line:column, the running config
 * untouched), compared with the running settings (config/diff.ts), and applied:
 *   - watch lists: the watcher reconciles its watches (no re-arm), the app keeps running (same pid);
 *   - build settings: one rebuild (and the restart it brings); run settings alone: one restart, no build;
 *   - keys read at their next use (run.gracePeriod, service.sighup): taken as they are;
 *   - keys that cannot change live (root, ports, proxy, debounce, log, watchdog...): said, with
 *     "needs a restart of hotwatch", and left as they are.
 * Reloads run one at a time, in order: a second request while one runs waits for it, then reads the file
 * as it is then. Triggers: an edit of the file (config-file-watch.ts), `hotwatch reload` over the control
 * socket, SIGHUP with `service.sighup: reload`. Service mode wraps each in RELOADING=1 / READY=1.
 * The file may come and go: one written while a zero-config run runs is applied like an edit ("appeared,
 * now applied"); one deleted (found in the root, not named by --config) leaves the defaults, said at warn.
 */
import { describeDiff, diffSettings, isEmptyDiff, pathsOf, type SettingsDiff } from './config/diff.js';
import type { Settings, WatchSettings } from './config/settings.js';
import { isHotwatchError } from './errors.js';
import type { Logger } from './log/logger.js';
import type { ReconcileReport } from './watch/types.js';
import type { ConfigFileWatch } from './config-file-watch.js';
import { watchedSettings } from './apps/watching.js';

export interface ReloadOutcome {
  ok: boolean;
  /** One line for a person (also the control socket's answer, and STATUS= when rejected). */
  message: string;
  changes?: SettingsDiff;
  watch?: ReconcileReport;
}

export interface ReloadTargets {
  /** The running settings: updated in place (the supervisor and the app environment read them at each use). */
  current: Settings;
  /** Reads and validates the config again, with the flags of this run; throws a HotwatchError when invalid. */
  load: () => Promise<Settings>;
  /** The watch settings the watcher is given for these settings (env files, proxy files, the config file added). */
  watchSettingsOf: (s: Settings) => WatchSettings;
  reconcile: (w: WatchSettings) => Promise<ReconcileReport>;
  supervisor: { rebuild(why: string): void; restart(reason: string): void };
  log: Logger;
}

export class ConfigReloader {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly t: ReloadTargets) {}

  /** One reload (after any already running); `trigger` says what asked for it, in the log. */
  reload(trigger: string): Promise<ReloadOutcome> {
    const next = this.queue.then(() => this.once(trigger));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async once(trigger: string): Promise<ReloadOutcome> {
    const { log } = this.t;
    let next: Settings;
    try {
      next = await this.t.load();
    } catch (e) {
      const text = isHotwatchError(e) ? e.format() : String((e as Error)?.message ?? e);
      log.error(
        { event: 'config.reload-rejected', trigger, error: text },
        // Several problems: one indented line each (an unindented line break would read as a record of its own).
        `config reload (${trigger}) rejected, the running config is kept:${text.includes('\n') ? `\n${text.replace(/^/gm, '  ')}` : ` ${text}`}`,
      );
      return { ok: false, message: text };
    }
    const changes = diffSettings(this.t.current, next);
    if (changes.restart.includes('root')) return this.rootChanged(trigger, changes);
    // The config file appeared (zero-config until now) or is gone (the defaults from now on): said, at warn when gone.
    const file = fileChange(this.t.current.configFile, next.configFile);
    this.t.current.configFile = next.configFile;
    if (isEmptyDiff(changes)) {
      const message = `${file ? `${file.text}: ` : ''}no setting changed`;
      log[file?.kind === 'gone' ? 'warn' : 'info'](
        { event: 'config.reloaded', trigger, changes, ...file?.fields },
        `config reloaded (${trigger}): ${message}`,
      );
      return { ok: true, message, changes };
    }
    return this.apply(trigger, next, changes, file);
  }

  private async apply(trigger: string, next: Settings, changes: SettingsDiff, file: FileChange | undefined): Promise<ReloadOutcome> {
    const { current, log, supervisor } = this.t;
    // The running settings take the keys that change live; the others stay as they are.
    for (const p of [...pathsOf('watch'), ...pathsOf('build'), ...pathsOf('run'), ...pathsOf('live')]) copyPath(current, next, p);
    let watch: ReconcileReport | undefined;
    if (changes.watch.length > 0) {
      try {
        watch = await this.t.reconcile(this.t.watchSettingsOf(current));
      } catch (e) {
        // The lists are in place for events; the watches may not match them: said, with the way out.
        log.error(
          { event: 'config.reconcile-failed', err: e },
          `config reload: the watches could not be reconciled with the new lists (${String(e)}): restart hotwatch to be sure every directory is watched`,
        );
      }
    }
    const line = `config reloaded (${trigger}): ${file ? `${file.text}: ` : ''}${describeDiff(changes)}${watch ? ` (${describeWatch(watch)})` : ''}`;
    const level = changes.restart.length > 0 || file?.kind === 'gone' ? 'warn' : 'info';
    log[level]({ event: 'config.reloaded', trigger, changes, ...(watch ? { watch } : {}), ...file?.fields }, line);
    const why = `config reload: ${[...changes.build, ...changes.run].join(', ')} changed`;
    if (changes.build.length > 0) supervisor.rebuild(why);
    else if (changes.run.length > 0) supervisor.restart(why);
    return { ok: true, message: line, changes, ...(watch ? { watch } : {}) };
  }

  /** Every other setting is relative to the root: nothing is applied. */
  private rootChanged(trigger: string, changes: SettingsDiff): ReloadOutcome {
    const message = `root changed: needs a restart of hotwatch; nothing was applied (every other setting is relative to the root)`;
    this.t.log.warn({ event: 'config.reloaded', trigger, changes }, `config reload (${trigger}): ${message}`);
    return { ok: true, message, changes };
  }
}

interface FileChange {
  kind: 'appeared' | 'gone';
  /** Said before the changes in the reload's line. */
  text: string;
  /** Logged with config.reloaded. */
  fields: { configFile: 'appeared' | 'gone'; file: string };
}

/** The config file came to be (a zero-config run from now on reads it) or went away (the defaults from now on). */
function fileChange(before: string | undefined, after: string | undefined): FileChange | undefined {
  if (before === undefined && after !== undefined)
    // "appeared": created, or there all along but refused until now (the run went on with the defaults).
    return { kind: 'appeared', text: `${after} is read from now on`, fields: { configFile: 'appeared', file: after } };
  if (before !== undefined && after === undefined)
    return {
      kind: 'gone',
      text: `${before} is gone: back to the defaults, as a run without a config file (write it again to apply it)`,
      fields: { configFile: 'gone', file: before },
    };
  return undefined;
}

function describeWatch(w: ReconcileReport): string {
  if (w.how === 'repolled') return `polling again with the new lists, ${w.dirs} directories`;
  return `${w.added} director${w.added === 1 ? 'y' : 'ies'} armed, ${w.removed} dropped, ${w.dirs} watched`;
}

/** current[a][b] = next[a][b] for a "section.field" path. */
function copyPath(current: Settings, next: Settings, p: string): void {
  const [section, field] = p.split('.') as [string, string];
  const into = (current as unknown as Record<string, Record<string, unknown> | undefined>)[section];
  const from = (next as unknown as Record<string, Record<string, unknown> | undefined>)[section];
  if (into && from) into[field] = from[field];
}

/** What startConfigReload needs of the runtime's stages. */
export interface ReloadWiring {
  settings: Settings;
  load: (() => Promise<Settings>) | undefined;
  watcher: { reconcile?(w: WatchSettings): Promise<ReconcileReport> };
  supervisor: ReloadTargets['supervisor'];
  configWatch: ConfigFileWatch;
  /** Service mode: RELOADING=1 / READY=1 around each reload, and POST /reload. */
  service: { bindReload(f: (trigger: string) => Promise<ReloadOutcome>): void; reload(trigger: string): Promise<ReloadOutcome> };
  /** Given the reload every trigger calls (the CLI routes SIGHUP to it). */
  onReload: ((reload: (trigger: string) => Promise<ReloadOutcome>) => void) | undefined;
  log: Logger;
}

/** The reloader over the runtime's stages, bound to service mode (POST /reload) and the config file's watch; nothing without a loader. */
export function startConfigReload(w: ReloadWiring): void {
  const { load, watcher, configWatch } = w;
  if (!load) return;
  const reloader = new ConfigReloader({
    current: w.settings,
    load,
    // As the runtime made them at start: run.envFiles, the proxy's files and the config file in the lists.
    watchSettingsOf: (x) => configWatch.including(watchedSettings(x).watch),
    reconcile: (ws) => {
      if (!watcher.reconcile) throw new Error('this watcher cannot reconcile its watches');
      return watcher.reconcile(ws);
    },
    supervisor: w.supervisor,
    log: w.log.child({ component: 'config' }),
  });
  w.service.bindReload((trigger) => reloader.reload(trigger));
  configWatch.start();
  w.onReload?.((trigger) => w.service.reload(trigger));
}

/**
 * The config file, watched for live reload (issue 17). Its edits must reach the reload, never the build:
 *   - inside the root, the watcher reports it (it is added to the watch lists, as run.envFiles are) and
 *     `takes()` keeps its events out of the batcher, whatever the lists say about *.yaml;
 *   - outside the root (--config ../shared/watcher.config.yaml), or excluded by the watch lists, it is
 *     checked on its own by a stat (config-file-poll.ts: each second while the tree is busy, up to every
 *     5 s on a quiet one, at once with the next event in the tree), and that is said. Not fs.watch: that
 *     takes an inotify instance and a watch from the budget the tree needs (a user at the instance
 *     limit then lost native watching for the sake of one config file), and a shared config directory
 *     may sit on a mount where inotify is deaf.
 * A burst of events (an editor's write, rename and chmod) is one reload after a quiet moment, and a save
 * that leaves the bytes as they were reloads nothing. A rescan (events were lost) looks at it again.
 * Zero-config (no config file at start, so no --config): the file a start-up would have read, the root's
 * watcher.config.yaml, is watched all the same, so one written while hotwatch runs (`hotwatch init` in
 * another terminal) is loaded by the same reload; a config file deleted while hotwatch runs is a change
 * too (the reload says what it then runs with: reload.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE_NAME, MISNAMED_CONFIG_FILE } from './config/load.js';
import type { Settings, WatchSettings } from './config/settings.js';
import type { Logger } from './log/logger.js';
import type { WatchEvent } from './pipeline/events.js';
import { CONFIG_CHECK_MS, CONFIG_QUIET_MAX_MS, ConfigFilePoll } from './config-file-poll.js';
import { createFilter } from './watch/tree/filter.js';
import { readRegularFileSync } from './os/regular-file.js';

/** Editors write a file in several steps: the reload waits for them to end. */
const QUIET_MS = 150;

export interface ConfigFileWatchOptions {
  /** Absolute path of the config file (in zero-config mode, where it would be: it may not exist); undefined: nothing is watched. */
  file: string | undefined;
  root: string;
  log: Logger;
  signal: AbortSignal;
  /** The file's bytes changed (after the quiet moment). */
  onChange: () => void;
}

export class ConfigFileWatch {
  private readonly inRoot: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private digest: string | undefined;
  private outside: ConfigFilePoll | undefined;
  /** The watcher reports the file (it is under the root, and the lists let it through). */
  private reported = false;
  private started = false;

  /** The config file's real path, resolved as the root is (a root reached through a symlink is its real directory). */
  private readonly real: string | undefined;
  /** Where the config file is the root's watcher.config.yaml: the root's watcher.config.yml, which it never reads. */
  private readonly misnamed: string | undefined;
  private misnamedSaid = false;

  constructor(private readonly o: ConfigFileWatchOptions) {
    this.real = o.file === undefined ? undefined : realPath(o.file);
    const rel = this.real === undefined ? undefined : path.relative(o.root, this.real);
    const under = rel !== undefined && rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel);
    this.inRoot = under ? rel.split(path.sep).join('/') : undefined;
    this.misnamed = this.inRoot === CONFIG_FILE_NAME ? path.join(path.dirname(this.real!), MISNAMED_CONFIG_FILE) : undefined;
    this.digest = this.read();
  }

  /**
   * The watch settings with the config file in the lists when it is under the root (its events are then
   * taken here). When those lists still leave it out (an exclude such as "*.yaml", or its directory in
   * excludeDirs), the watcher would never report it: it is then watched on its own, as one outside the root.
   */
  including(watch: WatchSettings): WatchSettings {
    if (this.inRoot === undefined || this.real === undefined) return watch;
    const glob = this.inRoot.replace(/[*?[\]{}()!+@\\]/g, '\\$&');
    const globs = this.misnamed ? [glob, MISNAMED_CONFIG_FILE] : [glob];
    const more = globs.filter((g) => !watch.include.includes(g));
    const next = more.length === 0 ? watch : { ...watch, include: [...watch.include, ...more] };
    this.reported = createFilter(next).isRelevantFile(this.real);
    if (!this.reported && this.started) this.watchOnItsOwn('the watch lists exclude it');
    return next;
  }

  /** Starts the config file's own watch where the watcher does not report it (outside the root, or excluded). */
  start(): void {
    this.started = true;
    if (this.inRoot === undefined) this.watchOnItsOwn('it is outside the root');
    else if (!this.reported) this.watchOnItsOwn('the watch lists exclude it');
  }

  private watchOnItsOwn(why: string): void {
    const file = this.o.file;
    if (file === undefined || this.outside) return;
    this.outside = new ConfigFilePoll(file, () => this.soon());
    this.o.signal.addEventListener('abort', () => this.close(), { once: true });
    this.o.log.info(
      { event: 'config.watch-outside', file, why },
      `config ${file}: ${why}, so it is checked on its own (every ${CONFIG_CHECK_MS / 1000} s while the tree is busy, up to every ${CONFIG_QUIET_MAX_MS / 1000} s when quiet, at once with the next change in the tree); an edit reloads it`,
    );
  }

  /** True when the event is the config file's (it reloads the config, it never builds); a rescan also looks at the file again. */
  takes(ev: WatchEvent): boolean {
    this.outside?.activity(); // the tree is busy: the file's own check at its base pace, at once if it had slowed
    if (ev.kind !== 'change') {
      if (this.o.file !== undefined) this.soon();
      return false;
    }
    if (ev.path === this.misnamed) return this.sayMisnamed();
    // The watcher reports paths under the real root: compared with the file's real path.
    if (this.real === undefined || ev.path !== this.real) return false;
    // Taken even when its own watch reports it too: the digest makes the two one reload.
    this.soon();
    return true;
  }

  /** watcher.config.yml written while running: said once (again after it is gone), never applied, never built. */
  private sayMisnamed(): true {
    const there = fs.existsSync(this.misnamed!);
    if (there && !this.misnamedSaid)
      this.o.log.warn(
        { event: 'config.misnamed', file: this.misnamed },
        fs.existsSync(this.real!)
          ? `${MISNAMED_CONFIG_FILE} was written, but hotwatch reads ${CONFIG_FILE_NAME} (this run's config), never .yml: it is NOT applied; move what it says into ${CONFIG_FILE_NAME} (applied at once) and remove it`
          : `${MISNAMED_CONFIG_FILE} was written, but hotwatch reads ${CONFIG_FILE_NAME}, not .yml: it is NOT applied; rename it (mv ${MISNAMED_CONFIG_FILE} ${CONFIG_FILE_NAME}) and it is applied at once`,
      );
    this.misnamedSaid = there;
    return true;
  }

  close(): void {
    clearTimeout(this.timer);
    this.outside?.close();
    this.outside = undefined;
  }

  private soon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), QUIET_MS);
    this.timer.unref();
  }

  private check(): void {
    if (this.o.signal.aborted) return;
    const now = this.read();
    if (now === this.digest) return; // the same bytes (a save without a change, or a rescan)
    this.digest = now;
    this.o.onChange();
  }

  /** The file's SHA-256, or a marker of why it cannot be read (a change too: the reload then says why). */
  private read(): string | undefined {
    if (this.o.file === undefined) return undefined;
    try {
      return crypto.createHash('sha256').update(readRegularFileSync(this.o.file)).digest('hex');
    } catch (e) {
      return `unreadable: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    }
  }
}

/**
 * `file` with its symlinks resolved, as config/load.ts resolves the root: `--root link` with the config in
 * it is the real directory's file (not "outside the root"). The file itself may be a link: to a file in
 * the root, the watcher reports the target; to one outside, it is checked on its own. A file not there
 * (yet) resolves through its directory, else stays as given (its own check then reports it missing).
 */
function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(file)), path.basename(file));
    } catch {
      return file;
    }
  }
}

/**
 * The watch of the config file of these settings; in zero-config mode, of the file a start-up would have
 * read (watcher.config.yaml in the root: the loader looks there when no --config is given), so that one
 * created while hotwatch runs is applied.
 */
export const watchConfigFile = (s: Settings, o: Pick<ConfigFileWatchOptions, 'log' | 'signal' | 'onChange'>): ConfigFileWatch =>
  new ConfigFileWatch({ file: s.configFile ?? path.join(s.root, CONFIG_FILE_NAME), root: s.root, ...o });

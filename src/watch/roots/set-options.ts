/** The watch set's options, what it keeps for each extra root, and how each root is watched. */
import type { WatchdogSettings, WatchSettings } from '../../config/settings.js';
import type { Logger } from '../../log/logger.js';
import type { WatchEvent } from '../../pipeline/events.js';
import type { CreateWatcherOptions } from '../backend.js';
import type { Watcher, WatcherReady } from '../types.js';
import type { HealthListener } from '../watchdog/health-log.js';
import type { BuildInputs } from './ignored-excludes.js';
import type { WatchRoot } from './module-roots.js';
import { createWatchdog } from '../watchdog/watchdog.js';

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
  /**
   * What the build compiles (its package list keeps git-ignored directories it reads watched). Undefined
   * in ad-hoc mode: no Go build, so no module outside the root to watch and no ignored directory to keep.
   */
  build: BuildInputs | undefined;
}

/** An extra root of the set: its watcher and what it needs on close. */
export interface Extra {
  root: WatchRoot;
  watcher: Watcher;
  ready: WatcherReady | undefined;
  /** Its git-ignored directories left out. */
  excluded: string[];
  /** After its watcher closed: remove the `.hotwatch/` this run created there. */
  tidy: () => void;
}

/** An extra root let go: its watcher closed, then the `.hotwatch/` this run created there removed. */
export async function closeExtra(e: Extra): Promise<void> {
  await e.watcher.close();
  e.tidy();
}

/** One root of the set watched behind its own watchdog, with the set's options; its events go to `onEvent`. */
export function rootWatchdog(opts: WatchSetOptions, settings: WatchSettings, onEvent: (ev: WatchEvent) => void): Watcher {
  const { watchdog, log, signal, onHealth, native } = opts;
  return createWatchdog({
    settings,
    watchdog,
    onEvent,
    log,
    signal,
    ...(onHealth ? { onHealth } : {}),
    ...(native ? { native } : {}),
  });
}

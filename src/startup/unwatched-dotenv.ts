/**
 * A `.env` at the root that nothing watches: an app that loads it itself (godotenv, the common pattern)
 * never saw an edit of it, and a zero-config run said nothing, ever. Said once at start, with the setting
 * that makes its edits restart the app (run.envFiles: no build).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Settings, WatchSettings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { allEnvFiles } from '../apps/watching.js';
import { createFilter } from '../watch/tree/filter.js';

const DOTENV_NAMES = ['.env', '.env.local', '.env.development'];

export function sayUnwatchedDotenv(s: Settings, watch: WatchSettings, log: Logger): void {
  if (s.exec) return;
  const envFiles = new Set(allEnvFiles(s).map((f) => path.resolve(f)));
  const filter = createFilter(watch);
  for (const name of DOTENV_NAMES) {
    const file = path.join(s.root, name);
    if (envFiles.has(file) || filter.isRelevantFile(file)) continue;
    if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) continue;
    log.info(
      { event: 'watch.dotenv-unwatched', file },
      `${name} is at the root and not watched: if the app reads it itself (godotenv), an edit reaches it only at a restart (press r). run.envFiles: [${name}] in watcher.config.yaml gives it to the app and restarts the app at each edit (no build)`,
    );
  }
}

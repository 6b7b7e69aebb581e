/**
 * A change event for a path that is no relevant file is a directory removed, replaced or renamed away
 * (its new files, if any, come as events of their own). It matters only through the relevant files that
 * were in it: removing a directory of uploads or of a database (an app deleting a record) must not
 * rebuild and restart the app. The snapshot knows which relevant files were there; when it cannot tell
 * (not seeded yet, too large to trust), the event goes on as it is: when in doubt, build.
 */
import type { Logger } from '../../log/logger.js';
import type { WatchEvent } from '../../pipeline/events.js';
import type { PathFilter } from '../tree/filter.js';
import type { Snapshot } from './snapshot.js';

/** The events `ev` stands for: itself, the relevant files a directory held, or none. */
export function relevantEvents(ev: WatchEvent, filter: PathFilter, snapshot: Snapshot, log: Logger): WatchEvent[] {
  if (ev.kind !== 'change' || filter.isRelevantFile(ev.path)) return [ev];
  const files = snapshot.knownUnder(ev.path);
  if (files === undefined) return [ev];
  if (files.length === 0) {
    log.debug({ event: 'watch.dir-irrelevant', path: ev.path }, `${ev.path} changed, but no relevant file was in it: nothing to rebuild`);
    return [];
  }
  return files.map((path) => ({ kind: 'change', path, at: ev.at }));
}

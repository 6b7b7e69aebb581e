/**
 * Whether the whole tree is polled from the start, whatever the inotify budget: the one decision of the
 * backend choice that `hotwatch doctor` shares with `hotwatch run` (its own module: doctor loads no
 * backend, and so no chokidar).
 */
import path from 'node:path';
import type { WatchSettings } from '../config/settings.js';
import { classifyFs, mountContaining, realPathOr, type MountEntry } from '../os/mounts.js';

/** Why the whole tree is polled whatever the budget (backend poll, root on 9p/NFS/fuse...), or undefined. */
export function plannedPolling(s: WatchSettings, mounts: MountEntry[]): string | undefined {
  if (s.backend === 'poll') return 'watch.backend is "poll"';
  const rootMount = mountContaining(realPathOr(path.resolve(s.root)), mounts);
  if (s.backend === 'auto' && rootMount && classifyFs(rootMount.fsType).events === 'poll') {
    return `root is on ${rootMount.fsType}: inotify never sees changes made on the other side of this mount`;
  }
  return undefined;
}

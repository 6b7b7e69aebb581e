/**
 * Small decisions and helpers of createWatcher: whether the whole tree is polled whatever happens
 * (backend poll, a root on 9p/NFS/fuse...).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../config/settings.js';
import { classifyFs, mountContaining, type MountEntry } from '../os/mounts.js';

export function realOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p; // the backend reports an unreadable root with its own message
  }
}

/** Why the whole tree is polled whatever the budget (backend poll, root on 9p/NFS/fuse...), or undefined. */
export function plannedPolling(s: WatchSettings, mounts: MountEntry[]): string | undefined {
  if (s.backend === 'poll') return 'watch.backend is "poll"';
  const rootMount = mountContaining(realOr(path.resolve(s.root)), mounts);
  if (s.backend === 'auto' && rootMount && classifyFs(rootMount.fsType).events === 'poll') {
    return `root is on ${rootMount.fsType}: inotify never sees changes made on the other side of this mount`;
  }
  return undefined;
}

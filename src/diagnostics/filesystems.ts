/**
 * Filesystem checks: the mount that holds the root and every mount under it, with its type and what
 * that means for inotify (native / poll / skip, from src/watch/mounts.ts classifyFs) given the
 * configured backend. Pure once the mount table is read.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../config/settings.js';
import { createFilter } from '../watch/tree/filter.js';
import { classifyFs, mountContaining, mountsUnder, realPathOr, type MountEntry } from '../os/mounts.js';
import { configFix } from './fixes.js';
import type { Check, MountFact } from './report-schema.js';

/** statfs f_type magic numbers (linux/magic.h) → mount type names classifyFs knows. */
const FS_MAGIC: Record<number, string> = {
  61267: 'ext4', // ext2/3/4
  1481003842: 'xfs',
  2435016766: 'btrfs',
  801189825: 'zfs',
  4076150800: 'f2fs',
  2035054128: 'overlay',
  16914836: 'tmpfs',
  2240043254: 'ramfs',
  26985: 'nfs',
  4283649346: 'cifs',
  4266872130: 'smb3',
  20859: 'smbfs',
  16914839: '9p',
  1702057286: 'fuse', // also virtiofs and fuseblk: the same magic
  2020557398: 'vboxsf',
  12805120: 'ceph',
  40864: 'proc',
  1650812274: 'sysfs',
};

/** The filesystem type named by a statfs f_type, or undefined when unknown. Pure. */
export function fsTypeOfMagic(type: number): string | undefined {
  return FS_MAGIC[type >>> 0];
}

/** f_type of the filesystem holding `p` (fs.statfsSync), or undefined. */
export function statfsType(p: string): number | undefined {
  try {
    return fs.statfsSync(p).type;
  } catch {
    return undefined;
  }
}

/**
 * The root's mount and every visible mount under it, classified. When the mount table is unreadable or
 * lacks the root, the root's type comes from statfs (`statfs` for tests). Pure given `mounts` and `statfs`.
 */
export function mountFacts(w: WatchSettings, mounts: MountEntry[], statfs: (p: string) => number | undefined = statfsType): MountFact[] {
  const root = path.resolve(w.root);
  const real = realPathOr(root);
  const filter = createFilter(w);
  const out: MountFact[] = [];
  const rootMount = mountContaining(real, mounts) ?? statfsMount(real, statfs);
  const fact = (m: MountEntry, isRootMount: boolean): MountFact => {
    const c = classifyFs(m.fsType);
    // The root itself is watched whatever its type: what the user asked for. tmpfs delivers events.
    const events = isRootMount && c.events === 'skip' ? 'native' : c.events;
    const shown = isRootMount ? root : path.join(root, path.relative(real, m.mountPoint));
    return {
      mountPoint: m.mountPoint === real || isRootMount ? m.mountPoint : shown,
      fsType: m.fsType,
      source: m.source,
      bindRoot: m.root,
      events,
      reason: isRootMount && c.events === 'skip' ? `${m.fsType}: the root itself is watched (inotify works on it)` : c.reason,
      excluded: !isRootMount && filter.isExcludedDir(shown),
      isRootMount,
    };
  };
  if (rootMount) out.push(fact(rootMount, true));
  for (const m of mountsUnder(real, mounts)) {
    if (m === rootMount) continue;
    out.push(fact(m, false));
  }
  return out;
}

const STATFS_SOURCE = 'statfs';

/** A stand-in mount entry for the root from statfs (mount point and source unknown). */
function statfsMount(real: string, statfs: (p: string) => number | undefined): MountEntry | undefined {
  const type = statfs(real);
  if (type === undefined) return undefined;
  const name = fsTypeOfMagic(type) ?? `unknown (statfs f_type 0x${(type >>> 0).toString(16)})`;
  return {
    mountId: -1,
    parentId: -1,
    majorMinor: '',
    root: '/',
    mountPoint: real,
    mountOptions: [],
    optionalFields: [],
    fsType: name,
    source: STATFS_SOURCE,
    superOptions: [],
  };
}

const bindNote = (m: MountFact) => (m.bindRoot !== '/' ? `; bind mount of ${m.source}:${m.bindRoot}` : '');

function rootCheck(m: MountFact, w: WatchSettings, configFile: string | undefined): Check {
  const title = 'Root filesystem';
  const base =
    m.source === STATFS_SOURCE
      ? `${w.root} is on ${m.fsType} (from statfs: /proc/self/mountinfo is unreadable or has no entry for it)`
      : `${w.root} is on ${m.fsType} (${m.source}, mounted at ${m.mountPoint}${bindNote(m)})`;
  if (w.backend === 'poll') {
    return {
      id: 'fs.root',
      title,
      status: 'warn',
      detail: `${base}; watch.backend is "poll": every directory is polled every ${w.pollIntervalMs} ms (CPU cost, changes seen late)`,
      fix: m.events === 'native' ? configFix('inotify works here: let hotwatch choose', 'watch:\n  backend: auto', configFile) : undefined,
    };
  }
  if (m.events === 'poll') {
    return w.backend === 'native'
      ? {
          id: 'fs.root',
          title,
          status: 'warn',
          detail: `${base}: ${m.reason}; watch.backend is "native", so such edits are missed`,
          fix: configFix('Poll this filesystem', 'watch:\n  backend: auto', configFile),
        }
      : {
          id: 'fs.root',
          title,
          status: 'warn',
          detail: `${base}: ${m.reason}; it is polled every ${w.pollIntervalMs} ms (degraded)`,
          fix: {
            text: 'Keep the repository on a local filesystem (ext4, xfs, btrfs, or a Docker volume / bind mount of a local directory) to get native events.',
          },
        };
  }
  return { id: 'fs.root', title, status: 'ok', detail: `${base}: native inotify (${m.reason})` };
}

function mountCheck(m: MountFact, w: WatchSettings, configFile: string | undefined): Check {
  const rel = path.relative(w.root, m.mountPoint) || '.';
  const id = `fs.mount:${m.mountPoint}`;
  const title = `Mount ./${rel}`;
  const base = `./${rel} is a ${m.fsType} mount (source ${m.source}${bindNote(m)})`;
  if (m.excluded) return { id, title, status: 'info', detail: `${base}: under an excluded directory, never watched` };
  if (m.events === 'skip') {
    const included = w.includeMounts.some((p) => m.mountPoint === p || m.mountPoint.startsWith(p + path.sep));
    if (included) return { id, title, status: 'ok', detail: `${base}: watched because it is listed in watch.includeMounts` };
    const pseudo = !/^(tmpfs|ramfs)$/.test(m.fsType);
    return {
      id,
      title,
      status: pseudo ? 'info' : 'warn',
      detail: `${base}: not watched (${m.reason})`,
      fix: pseudo ? undefined : configFix('To watch it anyway, list it', `watch:\n  includeMounts: ["${rel}"]`, configFile),
    };
  }
  if (m.events === 'poll') {
    if (w.backend === 'native') {
      return {
        id,
        title,
        status: 'warn',
        detail: `${base}: ${m.reason}; watch.backend is "native", so such edits are missed`,
        fix: configFix('Poll this mount', 'watch:\n  backend: auto', configFile),
      };
    }
    return { id, title, status: 'warn', detail: `${base}: ${m.reason}; polled every ${w.pollIntervalMs} ms (degraded)` };
  }
  return { id, title, status: 'ok', detail: `${base}: native inotify (${m.reason})` };
}

/** Checks for the root's filesystem and each mount under it. */
export function filesystemChecks(facts: MountFact[], w: WatchSettings, configFile: string | undefined): Check[] {
  const out: Check[] = [];
  const root = facts.find((m) => m.isRootMount);
  if (root) out.push(rootCheck(root, w, configFile));
  else
    out.push({
      id: 'fs.root',
      title: 'Root filesystem',
      status: 'info',
      detail: `mount table unavailable (no /proc/self/mountinfo): filesystem type of ${w.root} unknown`,
    });
  for (const m of facts) if (!m.isRootMount) out.push(mountCheck(m, w, configFile));
  return out;
}

/** Whether any watched part of the tree is polled. */
export function needsPolling(facts: MountFact[], w: WatchSettings): boolean {
  return w.backend === 'poll' || (w.backend === 'auto' && facts.some((m) => !m.excluded && m.events === 'poll'));
}

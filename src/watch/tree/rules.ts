/**
 * The per-directory decisions shared by every tree walk (scanTree for doctor and the content index, the
 * native worker's arm-then-read walk): excluded dirs, special mounts (skip / poll), symlinks, entry types.
 * Stateful only in what it reports: each notice is recorded once.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../../config/settings.js';
import { createFilter, type PathFilter } from './filter.js';
import { classifyFs, mountsUnder, readMounts, type MountEntry } from '../../os/mounts.js';
import type { WatchNotice } from '../types.js';

export interface SpecialMount {
  /** Absolute path under the watched root (as the root is spelled, not the realpath). */
  path: string;
  fsType: string;
  reason: string;
}

export type EntryKind = 'dir' | 'file' | 'symlink' | 'other';

export interface TreeRules {
  readonly filter: PathFilter;
  readonly notices: WatchNotice[];
  readonly skippedMounts: SpecialMount[];
  readonly pollMounts: SpecialMount[];
  /** Whether `dir` (absolute, under the root) is descended: false for excluded dirs and skip/poll mounts. */
  descend(dir: string): boolean;
  /** A symlink found in the tree: records SYMLINK_OUTSIDE_ROOT once when it points at a dir outside. */
  symlink(p: string): void;
  /** A readdir that failed with something other than "it vanished". */
  unreadable(dir: string, err: unknown): void;
  /** The mount table changed (a mount added or removed after start): decide again from `mounts`. */
  setMounts(mounts: MountEntry[]): void;
}

export interface TreeRulesOptions {
  /** Mount table (default: /proc/self/mountinfo; [] off Linux). */
  mounts?: MountEntry[];
  /**
   * Poll-type mounts (9p, NFS...): 'list' them for polling and do not descend (default); 'descend' them
   * quietly (the poll backend covers them anyway); 'warn' and descend (native forced by the user).
   */
  pollMounts?: 'list' | 'descend' | 'warn';
  /**
   * Subtrees polled beside the native watcher because the inotify budget does not fit them (absolute,
   * as the root is spelled): never descended, like a poll-type mount (the watchdog logs why).
   */
  pollDirs?: readonly string[];
}

/** Kind of a dirent, with one lstat when the filesystem does not report types (DT_UNKNOWN). */
export function entryKind(dir: string, e: fs.Dirent): EntryKind {
  if (e.isDirectory()) return 'dir';
  if (e.isFile()) return 'file';
  if (e.isSymbolicLink()) return 'symlink';
  if (e.isFIFO() || e.isSocket() || e.isBlockDevice() || e.isCharacterDevice()) return 'other';
  try {
    const st = fs.lstatSync(path.join(dir, e.name));
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
  } catch {
    return 'other';
  }
}

function realOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

export function createTreeRules(s: WatchSettings, opts: TreeRulesOptions = {}): TreeRules {
  const filter = createFilter(s);
  const root = path.resolve(s.root);
  const realRoot = realOr(root);
  const notices: WatchNotice[] = [];
  const skippedMounts: SpecialMount[] = [];
  const pollMounts: SpecialMount[] = [];
  const reported = new Set<string>();
  const once = (key: string, n: WatchNotice): void => {
    if (reported.has(key)) return;
    reported.add(key);
    notices.push(n);
  };

  // Mount points strictly below the root, keyed by the path as seen through `root`.
  const special = new Map<string, MountEntry>();
  const setMounts = (mounts: MountEntry[]): void => {
    special.clear();
    for (const m of mountsUnder(realRoot, mounts)) {
      if (m.mountPoint === realRoot) continue;
      special.set(path.join(root, path.relative(realRoot, m.mountPoint)), m);
    }
  };
  setMounts(opts.mounts ?? readMounts());
  const pollDirs = new Set((opts.pollDirs ?? []).map((d) => path.resolve(d)));
  const included = (dir: string): boolean =>
    s.includeMounts.some((p) => dir === p || dir.startsWith(p + path.sep) || p.startsWith(dir + path.sep));
  const rel = (p: string): string => filter.relative(p) || '.';

  return {
    filter,
    notices,
    skippedMounts,
    pollMounts,
    descend(dir) {
      if (filter.isExcludedDir(dir)) return false;
      if (pollDirs.has(dir)) return false;
      const m = special.get(dir);
      if (!m) return true;
      const c = classifyFs(m.fsType);
      if (c.events === 'native') return true;
      if (c.events === 'skip') {
        if (included(dir)) return true;
        if (!reported.has(`mount:${dir}`)) skippedMounts.push({ path: dir, fsType: m.fsType, reason: c.reason });
        once(`mount:${dir}`, {
          level: 'warn',
          code: 'SKIP_MOUNT',
          path: dir,
          message: `not watching ./${rel(dir)}: it is a ${m.fsType} mount (${c.reason})`,
          hint: `to watch it anyway, add "${rel(dir)}" to watch.includeMounts in watcher.config.yaml`,
        });
        return false;
      }
      if (opts.pollMounts === 'descend') return true;
      if (opts.pollMounts === 'warn') {
        once(`mount:${dir}`, {
          level: 'warn',
          code: 'POLL_MOUNT_NATIVE',
          path: dir,
          message: `./${rel(dir)} is a ${m.fsType} mount watched natively (backend: native): ${c.reason}`,
          hint: 'set watch.backend to "auto" to poll this mount',
        });
        return true;
      }
      if (!reported.has(`mount:${dir}`)) pollMounts.push({ path: dir, fsType: m.fsType, reason: c.reason });
      once(`mount:${dir}`, {
        level: 'info',
        code: 'POLL_MOUNT',
        path: dir,
        message: `./${rel(dir)} is a ${m.fsType} mount: ${c.reason}; it is polled instead`,
        health: { kind: 'fallback', scope: 'mount' },
      });
      return false;
    },
    symlink(p) {
      let target: string;
      try {
        if (!fs.statSync(p).isDirectory()) return;
        target = fs.realpathSync(p);
      } catch {
        return; // dangling or a loop (ELOOP): nothing to watch, nothing followed
      }
      if (target === realRoot || target.startsWith(realRoot + path.sep)) return; // covered already
      once(`symlink:${p}`, {
        level: 'warn',
        code: 'SYMLINK_OUTSIDE_ROOT',
        path: p,
        message: `./${rel(p)} is a symlink to ${target}, outside the watched root: not followed, edits there do not trigger builds`,
        hint: `run hotwatch with that directory as its own root, or replace the symlink with the directory (or a go.mod replace of a module inside the root)`,
      });
    },
    setMounts(mounts) {
      setMounts(mounts);
      // A new mount at a path reported before is reported again.
      for (const k of [...reported]) if (k.startsWith('mount:')) reported.delete(k);
      skippedMounts.length = 0;
      pollMounts.length = 0;
    },
    unreadable(dir, err) {
      const code = (err as { code?: string }).code ?? 'error';
      once(`unreadable:${dir}`, {
        level: 'warn',
        code: 'DIR_UNREADABLE',
        path: dir,
        message: `cannot read ./${rel(dir)} (${code}): it is not watched`,
        hint: `make it readable (chmod u+rx "${dir}") or add "${rel(dir)}" to watch.excludeDirs`,
      });
    },
  };
}

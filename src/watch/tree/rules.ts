/**
 * The per-directory decisions shared by every tree walk (scanTree for doctor and the content index, the
 * native worker's arm-then-read walk): excluded dirs, special mounts (skip / poll), symlinks, entry types.
 * Stateful only in what it reports: each notice is recorded once.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../../config/settings.js';
import { createFilter, type PathFilter } from './filter.js';
import { classifyFs, mountsUnder, readMounts, realPathOr, type FsClass, type MountEntry } from '../../os/mounts.js';
import type { WatchNotice } from '../types.js';

export interface SpecialMount {
  /** Absolute path under the watched root (as the root is spelled, not the realpath). */
  path: string;
  fsType: string;
  reason: string;
}

export type EntryKind = 'dir' | 'file' | 'symlink' | 'other';

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

/** Entries a special mount's peek reads at most: a scratch tmpfs with a million files is not walked for it. */
const PEEK_ENTRIES = 2000;

/** Whether `dir` holds a .go file or a go.mod within its first PEEK_ENTRIES entries, breadth first, symlinks not followed. */
export function holdsGoSources(dir: string): boolean {
  const queue = [dir];
  let read = 0;
  while (queue.length > 0 && read < PEEK_ENTRIES) {
    const at = queue.shift()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(at, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++read > PEEK_ENTRIES) break;
      if (e.isFile() && (e.name.endsWith('.go') || e.name === 'go.mod')) return true;
      if (e.isDirectory()) queue.push(path.join(at, e.name));
    }
  }
  return false;
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

export function createTreeRules(s: WatchSettings, opts: TreeRulesOptions = {}): TreeRules {
  return new TreeRules(s, opts);
}

export class TreeRules {
  /** Replaced by setSettings (a config reload): read it at each use, never keep it. */
  filter: PathFilter;
  /** Every notice so far, each once (the caller posts the new ones). */
  readonly notices: WatchNotice[] = [];
  readonly skippedMounts: SpecialMount[] = [];
  readonly pollMounts: SpecialMount[] = [];
  private readonly root: string;
  private readonly realRoot: string;
  private readonly reported = new Set<string>();
  /** Mount points strictly below the root, keyed by the path as seen through `root`. */
  private readonly special = new Map<string, MountEntry>();
  private readonly pollDirs: Set<string>;

  constructor(
    private settings: WatchSettings,
    private readonly opts: TreeRulesOptions = {},
  ) {
    this.filter = createFilter(settings);
    this.root = path.resolve(settings.root);
    this.realRoot = realPathOr(this.root);
    this.pollDirs = new Set((opts.pollDirs ?? []).map((d) => path.resolve(d)));
    this.readMountTable(opts.mounts ?? readMounts());
  }

  /** Whether `dir` (absolute, under the root) is descended: false for excluded dirs and skip/poll mounts. */
  descend(dir: string): boolean {
    if (this.filter.isExcludedDir(dir) || this.pollDirs.has(dir)) return false;
    const m = this.special.get(dir);
    if (!m) return true;
    const c = classifyFs(m.fsType);
    if (c.events === 'native') return true;
    return c.events === 'skip' ? this.skipMount(dir, m, c) : this.pollMount(dir, m, c);
  }

  /** A symlink found in the tree: records SYMLINK_OUTSIDE_ROOT once when it points at a dir outside. */
  symlink(p: string): void {
    let target: string;
    try {
      if (!fs.statSync(p).isDirectory()) return;
      target = fs.realpathSync(p);
    } catch {
      return; // dangling or a loop (ELOOP): nothing to watch, nothing followed
    }
    if (target === this.realRoot || target.startsWith(this.realRoot + path.sep)) return; // covered already
    this.once(`symlink:${p}`, {
      level: 'info',
      code: 'SYMLINK_OUTSIDE_ROOT',
      path: p,
      message: `./${this.rel(p)} is a symlink to ${target}, outside the watched root: not followed by the scan; if the build compiles a package there, ${target} is watched as a root of its own once go lists it (watch.root-added), else its edits do not trigger builds`,
      hint: 'add a package there to the build, or replace the symlink with the directory, to have its other files watched',
    });
  }

  /** A readdir that failed with something other than "it vanished". */
  unreadable(dir: string, err: unknown): void {
    const code = (err as { code?: string }).code ?? 'error';
    this.once(`unreadable:${dir}`, {
      level: 'warn',
      code: 'DIR_UNREADABLE',
      path: dir,
      message: `cannot read ./${this.rel(dir)} (${code}): it is not watched`,
      hint: `make it readable (chmod u+rx "${dir}") or add "${this.rel(dir)}" to watch.excludeDirs`,
    });
  }

  /** A config reload changed the lists (same root): later decisions use them; the caller reconciles the watches. */
  setSettings(s: WatchSettings): void {
    this.settings = s;
    this.filter = createFilter(s);
  }

  /** The mount table changed (a mount added or removed after start): decide again from `mounts`. */
  setMounts(mounts: MountEntry[]): void {
    this.readMountTable(mounts);
    // A new mount at a path reported before is reported again.
    for (const k of [...this.reported]) if (k.startsWith('mount:') || k.startsWith('mount-go:')) this.reported.delete(k);
    this.skippedMounts.length = 0;
    this.pollMounts.length = 0;
  }

  private readMountTable(mounts: MountEntry[]): void {
    this.special.clear();
    for (const m of mountsUnder(this.realRoot, mounts)) {
      if (m.mountPoint === this.realRoot) continue;
      this.special.set(path.join(this.root, path.relative(this.realRoot, m.mountPoint)), m);
    }
  }

  /**
   * A mount that never matters for a build (tmpfs, proc...): not descended unless watch.includeMounts names
   * it, or it holds Go sources (generated code on a tmpfs: the build compiles it, and skipped, its edits
   * were never seen while status said healthy).
   */
  private skipMount(dir: string, m: MountEntry, c: FsClass): boolean {
    if (this.included(dir)) return true;
    if (holdsGoSources(dir)) {
      // Its own key: a mount skipped while it held none (mounted empty, filled later) is said again here.
      const skipped = this.skippedMounts.findIndex((s) => s.path === dir);
      if (skipped >= 0) this.skippedMounts.splice(skipped, 1);
      this.once(`mount-go:${dir}`, {
        level: 'info',
        code: 'MOUNT_HOLDS_GO',
        path: dir,
        message: `watching ./${this.rel(dir)} although it is a ${m.fsType} mount: it holds Go sources, which the build may compile`,
        hint: `if it should not be watched, add "${this.rel(dir)}/**" to watch.exclude`,
      });
      return true;
    }
    if (!this.reported.has(`mount:${dir}`)) this.skippedMounts.push({ path: dir, fsType: m.fsType, reason: c.reason });
    this.once(`mount:${dir}`, {
      level: 'warn',
      code: 'SKIP_MOUNT',
      path: dir,
      message: `not watching ./${this.rel(dir)}: it is a ${m.fsType} mount (${c.reason})`,
      hint: `to watch it anyway, add "${this.rel(dir)}" to watch.includeMounts in watcher.config.yaml`,
    });
    return false;
  }

  /** A mount inotify cannot see through (9p, NFS...): listed for polling, or descended as `pollMounts` says. */
  private pollMount(dir: string, m: MountEntry, c: FsClass): boolean {
    if (this.opts.pollMounts === 'descend') return true;
    if (this.opts.pollMounts === 'warn') {
      this.once(`mount:${dir}`, {
        level: 'warn',
        code: 'POLL_MOUNT_NATIVE',
        path: dir,
        message: `./${this.rel(dir)} is a ${m.fsType} mount watched natively (backend: native): ${c.reason}`,
        hint: 'set watch.backend to "auto" to poll this mount',
      });
      return true;
    }
    if (!this.reported.has(`mount:${dir}`)) this.pollMounts.push({ path: dir, fsType: m.fsType, reason: c.reason });
    this.once(`mount:${dir}`, {
      level: 'info',
      code: 'POLL_MOUNT',
      path: dir,
      message: `./${this.rel(dir)} is a ${m.fsType} mount: ${c.reason}; it is polled instead`,
      health: { kind: 'fallback', scope: 'mount' },
    });
    return false;
  }

  /** Whether `dir` is a mount point of a special filesystem (tmpfs, proc, 9p...) under the root. */
  isSpecialMount(dir: string): boolean {
    return this.special.has(dir);
  }

  private included(dir: string): boolean {
    return this.settings.includeMounts.some((p) => dir === p || dir.startsWith(p + path.sep) || p.startsWith(dir + path.sep));
  }

  private rel(p: string): string {
    return this.filter.relative(p) || '.';
  }

  private once(key: string, n: WatchNotice): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.notices.push(n);
  }
}

/**
 * The mount table (/proc/self/mountinfo) and what each filesystem type means for inotify.
 * Shared by the watcher (scan: skip or poll special mounts) and `hotwatch doctor`.
 * Pure parser + a guarded reader: on systems without /proc (macOS) readMounts() returns [].
 */
import fs from 'node:fs';
import path from 'node:path';

export interface MountEntry {
  /** Unique mount id (field 1); a new id at or under a root means something was mounted there. */
  mountId: number;
  parentId: number;
  /** "major:minor" of the filesystem (st_dev). Same-fs bind mounts share it: use mountId instead. */
  majorMinor: string;
  /** Path inside the filesystem that is mounted here ("/" for a whole fs; a subdir for bind mounts). */
  root: string;
  /** Absolute mount point, octal escapes (\040 ...) decoded. */
  mountPoint: string;
  mountOptions: string[];
  /** Optional fields such as "shared:1", "master:2". */
  optionalFields: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

/** Decodes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses one mountinfo line; undefined for a line that does not have the documented shape. */
export function parseMountInfoLine(line: string): MountEntry | undefined {
  const fields = line.trim().split(' ');
  const sep = fields.indexOf('-', 6);
  if (fields.length < 10 || sep < 6 || fields.length < sep + 3) return undefined;
  const [id, parent, majorMinor, root, mountPoint, options] = fields;
  const mountId = Number(id);
  const parentId = Number(parent);
  if (!Number.isInteger(mountId) || !Number.isInteger(parentId) || !majorMinor || !root || !mountPoint) {
    return undefined;
  }
  return {
    mountId,
    parentId,
    majorMinor,
    root: unescapeMountField(root),
    mountPoint: unescapeMountField(mountPoint),
    mountOptions: (options ?? '').split(',').filter(Boolean),
    optionalFields: fields.slice(6, sep),
    fsType: unescapeMountField(fields[sep + 1] ?? ''),
    source: unescapeMountField(fields[sep + 2] ?? ''),
    superOptions: (fields[sep + 3] ?? '').split(',').filter(Boolean),
  };
}

/** Parses the whole of /proc/<pid>/mountinfo; malformed lines are skipped (never a crash). */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const e = parseMountInfoLine(line);
    if (e) out.push(e);
  }
  return out;
}

/** This process's mount table; [] where /proc is not there (macOS) or not readable. */
export function readMounts(file = '/proc/self/mountinfo'): MountEntry[] {
  try {
    return parseMountInfo(fs.readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

function isAtOrUnder(p: string, dir: string): boolean {
  if (dir === '/') return p.startsWith('/');
  return p === dir || p.startsWith(`${dir}/`);
}

/**
 * `p` with its symlinks resolved, as mount points are spelled in mountinfo; `p` (made absolute) when it
 * cannot be resolved (gone, unreadable: whoever uses it reports that with its own message).
 */
export function realPathOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * Mounts whose mount point is `root` or below it, in table order. Where several mounts stack on the
 * same point, only the last (the visible one) is kept.
 */
export function mountsUnder(root: string, mounts: MountEntry[]): MountEntry[] {
  const r = path.resolve(root);
  const byPoint = new Map<string, MountEntry>();
  for (const m of mounts) {
    if (!isAtOrUnder(m.mountPoint, r)) continue;
    byPoint.delete(m.mountPoint); // keep insertion order of the visible one
    byPoint.set(m.mountPoint, m);
  }
  return [...byPoint.values()];
}

/** The (visible) mount that holds path `p`: the longest mount point at or above it. */
export function mountContaining(p: string, mounts: MountEntry[]): MountEntry | undefined {
  const abs = path.resolve(p);
  let best: MountEntry | undefined;
  for (const m of mounts) {
    if (!isAtOrUnder(abs, m.mountPoint)) continue;
    if (!best || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  return best;
}

/**
 * The mount point of a noexec mount that holds `file` (or would, once made: its nearest existing
 * directory is looked at), where no binary may run; undefined when it may, or when mounts cannot be read.
 */
export function noexecMountOf(file: string, mounts: MountEntry[] = readMounts()): string | undefined {
  let dir = path.dirname(path.resolve(file));
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const m = mountContaining(realPathOr(dir), mounts);
  return m?.mountOptions.includes('noexec') ? m.mountPoint : undefined;
}

export type FsEvents = 'native' | 'poll' | 'skip';

export interface FsClass {
  events: FsEvents;
  reason: string;
}

const PSEUDO = new Set([
  'proc',
  'sysfs',
  'devpts',
  'devtmpfs',
  'cgroup',
  'cgroup2',
  'debugfs',
  'tracefs',
  'securityfs',
  'pstore',
  'bpf',
  'configfs',
  'fusectl',
  'mqueue',
  'hugetlbfs',
  'binfmt_misc',
  'autofs',
  'efivarfs',
  'selinuxfs',
  'rpc_pipefs',
  'nsfs',
  'nfsd',
]);

const REMOTE = new Set([
  '9p',
  'virtiofs',
  'fuse',
  'fakeowner',
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  'vboxsf',
  'drvfs',
  'prl_fs',
  'vmhgfs',
  'ceph',
  'glusterfs',
  'afs',
  'ncpfs',
  'lustre',
  'gpfs',
  'davfs',
]);

export const REMOTE_REASON = 'changes made on the other side of this mount do not produce inotify events';

/** What inotify can do on a filesystem type, and why. */
export function classifyFs(fsType: string): FsClass {
  const t = fsType.toLowerCase();
  if (t === 'tmpfs' || t === 'ramfs') {
    return {
      events: 'skip',
      reason: `${fsType} is in-memory: events work, but such a mount usually holds scratch or build output, not source; skipped unless it holds Go sources or is listed in watch.includeMounts (list it there if the build reads what it holds)`,
    };
  }
  if (PSEUDO.has(t)) {
    return { events: 'skip', reason: `${fsType} is a kernel pseudo-filesystem, not source code` };
  }
  // fuseblk is a local block device (ntfs-3g ...): every write goes through this kernel.
  if (t === 'fuseblk') return { events: 'native', reason: `${fsType}: local block device, inotify works` };
  if (REMOTE.has(t) || t.startsWith('fuse.') || t.startsWith('nfs')) {
    return { events: 'poll', reason: `${fsType}: ${REMOTE_REASON}` };
  }
  if (t === 'overlay' || t === 'aufs') {
    return {
      events: 'native',
      reason: `${fsType}: writes through this mount produce inotify events (edits to its lower layers made elsewhere do not)`,
    };
  }
  return { events: 'native', reason: `${fsType}: inotify works` };
}

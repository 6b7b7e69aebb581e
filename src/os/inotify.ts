/**
 * inotify limits and usage, read from /proc. Shared by `hotwatch doctor`, the quick check at
 * `hotwatch run` start and the watchdog (which counts its own watches after arming).
 *
 * Limits: fs.inotify.* is the initial user namespace's limit; /proc/sys/user/max_inotify_* is the
 * current user namespace's (a container or `unshare -U` may lower it). The kernel enforces both, so the
 * effective limit is the smaller one (see effectiveWatchLimit).
 *
 * Usage: an inotify instance is an fd whose link reads `anon_inode:inotify`; each watch is one
 * `inotify wd:` line in its /proc/<pid>/fdinfo/<fd>. Nothing here throws on an unreadable /proc (macOS,
 * hardened /proc, a process that exits mid-scan): fields become undefined or the process is skipped.
 */
import fs from 'node:fs';
import { readCmdline } from './procfs.js';
import { isWatchLine, watchesInFdinfo } from './fdinfo-watches.js';

export interface InotifyLimits {
  /** fs.inotify.max_user_instances (initial user namespace). */
  maxUserInstances?: number | undefined;
  /** fs.inotify.max_user_watches (initial user namespace). */
  maxUserWatches?: number | undefined;
  /** fs.inotify.max_queued_events (global, per instance queue length). */
  maxQueuedEvents?: number | undefined;
  /** user.max_inotify_* of the current user namespace. */
  userNs: { maxInotifyInstances?: number | undefined; maxInotifyWatches?: number | undefined };
}

export interface InotifyUsage {
  instances: number;
  watches: number;
}

export interface InotifyConsumer extends InotifyUsage {
  pid: number;
  /** Command line (NUL separators turned into spaces), or the comm name, or "unknown". */
  cmd: string;
}

export interface UserInotifyUsage extends InotifyUsage {
  /** Processes holding inotify instances, most watches first (at most `topN`). */
  top: InotifyConsumer[];
  /** Processes of this user that hold at least one instance. */
  processes: number;
  /** Processes whose fds could not be read (permission): their usage is not counted. */
  unreadable: number;
}

/** Parse the content of a /proc/sys integer file ("8192\n"). Pure. */
export function parseProcInt(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Read the inotify limits; a field is undefined where its file is unreadable. `procDir` for fixtures. */
export function readInotifyLimits(procDir = '/proc'): InotifyLimits {
  const int = (rel: string) => parseProcInt(readText(`${procDir}/${rel}`));
  return {
    maxUserInstances: int('sys/fs/inotify/max_user_instances'),
    maxUserWatches: int('sys/fs/inotify/max_user_watches'),
    maxQueuedEvents: int('sys/fs/inotify/max_queued_events'),
    userNs: {
      maxInotifyInstances: int('sys/user/max_inotify_instances'),
      maxInotifyWatches: int('sys/user/max_inotify_watches'),
    },
  };
}

const minDefined = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

/** The watch limit the kernel enforces for this user here: min(fs.inotify, user namespace). */
export function effectiveWatchLimit(l: InotifyLimits): number | undefined {
  return minDefined(l.maxUserWatches, l.userNs.maxInotifyWatches);
}

/** The instance limit the kernel enforces for this user here: min(fs.inotify, user namespace). */
export function effectiveInstanceLimit(l: InotifyLimits): number | undefined {
  return minDefined(l.maxUserInstances, l.userNs.maxInotifyInstances);
}

/**
 * Count the watches in the text of /proc/<pid>/fdinfo/<fd> of an inotify fd: one `inotify wd:` line
 * per watch, whatever follows on the line (kernels differ: with or without fhandle fields). Pure.
 */
export function parseFdinfoWatches(text: string): number {
  let n = 0;
  // wd is printed in hex (wd:fff): a decimal-only pattern undercounts.
  for (const line of text.split('\n')) if (isWatchLine(line)) n++;
  return n;
}

/**
 * The fds of `pid` that are inotify instances; undefined when its fd table is unreadable or gone, or
 * when any link in it is unreadable (another user's process, or ours seen from inside a user namespace).
 */
function inotifyFds(procDir: string, pid: number | 'self'): string[] | undefined {
  let fds: string[];
  try {
    fds = fs.readdirSync(`${procDir}/${pid}/fd`);
  } catch {
    return undefined;
  }
  const out: string[] = [];
  for (const fd of fds) {
    let link: string;
    try {
      link = fs.readlinkSync(`${procDir}/${pid}/fd/${fd}`);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EACCES' || code === 'EPERM') return undefined;
      continue; // closed between readdir and readlink
    }
    if (link === 'anon_inode:inotify' || link === 'inotify') out.push(fd);
  }
  return out;
}

function usageOfFds(procDir: string, pid: number | 'self', fds: string[]): InotifyUsage {
  let watches = 0;
  for (const fd of fds) {
    // Counted from a reused buffer, not read whole: another program's fdinfo can be ~1 MB (fdinfo-watches.ts).
    watches += watchesInFdinfo(`${procDir}/${pid}/fdinfo/${fd}`) ?? 0;
  }
  return { instances: fds.length, watches };
}

/**
 * Instances and watches held by one process ('self' = this one); undefined when its /proc entries are
 * unreadable (gone, no permission, not Linux).
 */
export function inotifyUsageOf(pid: number | 'self', procDir = '/proc'): InotifyUsage | undefined {
  const fds = inotifyFds(procDir, pid);
  if (fds === undefined) return undefined;
  return usageOfFds(procDir, pid, fds);
}

/** The effective uid from the text of /proc/<pid>/status (second field of `Uid:`). Pure. */
export function parseStatusEuid(text: string): number | undefined {
  const m = /^Uid:\s+\d+\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The command line of `pid` on one line (any whitespace run, newlines included, becomes one space), at most 200 chars. */
export function commandOf(pid: number): string {
  const cmd = readCmdline(pid).replace(/\s+/g, ' ').trim();
  return cmd.length > 200 ? `${cmd.slice(0, 197)}...` : cmd;
}

/**
 * Instances and watches held by all processes of `uid` (effective uid, which the kernel charges), with
 * the top consumers. Processes that vanish mid-scan are skipped. On a system without /proc the result
 * is all zeros with `unreadable` 0: callers check `readInotifyLimits()` to know whether /proc exists.
 */
export function inotifyUsageByUser(uid: number, opts: { topN?: number; procDir?: string; userNs?: string } = {}): UserInotifyUsage {
  const procDir = opts.procDir ?? '/proc';
  const topN = opts.topN ?? 5;
  let pids: string[];
  try {
    pids = fs.readdirSync(procDir).filter((n) => /^\d+$/.test(n));
  } catch {
    return { instances: 0, watches: 0, top: [], processes: 0, unreadable: 0 };
  }
  const consumers: InotifyConsumer[] = [];
  let instances = 0;
  let watches = 0;
  let unreadable = 0;
  for (const p of pids) {
    const pid = Number(p);
    // Only the processes of one user namespace (its own, lower limit counts only them); unreadable = another.
    if (opts.userNs !== undefined && userNsOf(procDir, pid) !== opts.userNs) continue;
    const fds = inotifyFds(procDir, pid);
    if (fds === undefined) {
      // Gone, or another user's process we may not read: only count the latter when it is ours.
      if (ownerOf(procDir, pid) === uid) unreadable++;
      continue;
    }
    if (fds.length === 0) continue;
    const status = readText(`${procDir}/${pid}/status`);
    if (status === undefined || parseStatusEuid(status) !== uid) continue;
    const u = usageOfFds(procDir, pid, fds);
    instances += u.instances;
    watches += u.watches;
    consumers.push({ pid, cmd: commandOf(pid), ...u });
  }
  consumers.sort((a, b) => b.watches - a.watches || b.instances - a.instances || a.pid - b.pid);
  return { instances, watches, top: consumers.slice(0, topN), processes: consumers.length, unreadable };
}

/**
 * This process's user namespace when it lowers a limit below the fs.inotify one (then its own processes
 * are what count against that lower limit); undefined otherwise.
 */
export function limitingUserNs(limits: InotifyLimits): string | undefined {
  const lowers =
    (limits.userNs.maxInotifyWatches ?? Infinity) < (limits.maxUserWatches ?? Infinity) ||
    (limits.userNs.maxInotifyInstances ?? Infinity) < (limits.maxUserInstances ?? Infinity);
  return lowers ? userNsOf('/proc', 'self') : undefined;
}

/** The user namespace of a process ("user:[4026531837]"), or undefined when unreadable. */
export function userNsOf(procDir: string, pid: number | 'self'): string | undefined {
  try {
    return fs.readlinkSync(`${procDir}/${pid}/ns/user`);
  } catch {
    return undefined;
  }
}

function ownerOf(procDir: string, pid: number): number | undefined {
  try {
    return fs.statSync(`${procDir}/${pid}`).uid;
  } catch {
    return undefined;
  }
}

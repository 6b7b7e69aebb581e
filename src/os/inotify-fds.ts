/**
 * Inotify watches of this process or of the inotify helper (a child). With fs.watch, libuv gives
 * each event loop (main thread, each worker) its own inotify fd, created at the first fs.watch: the
 * worker notes the fds before and after, and counts `inotify wd:` lines of its own fd only.
 * undefined everywhere /proc is not readable (macOS).
 */
import fs from 'node:fs';
import { childrenOf } from './procfs.js';

export function inotifyFdsOfSelf(): Set<number> | undefined {
  return inotifyFdsOf('self');
}

function inotifyFdsOf(pid: number | 'self'): Set<number> | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const out = new Set<number>();
  for (const n of names) {
    try {
      const link = fs.readlinkSync(`/proc/${pid}/fd/${n}`);
      if (link === 'anon_inode:inotify' || link === 'inotify') out.add(Number(n));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

// One `inotify wd:<hex>` line per watch. (wd is printed in HEX: a decimal-only pattern undercounts.)
const WD = Buffer.from('\ninotify wd:');
/**
 * One buffer for every read (fdinfo of 10,000 watches is ~900 KB): a fresh Buffer per audit was garbage
 * that stayed outside the heap until the next full GC, megabytes of RSS in an idle watcher thread.
 */
const CHUNK = Buffer.allocUnsafe(64 * 1024);

/** Watches held by inotify fd `fd` of a process (default this one); undefined when unreadable. No string is built. */
export function watchesOfFd(fd: number, pid: number | 'self' = 'self'): number | undefined {
  let file: number;
  try {
    file = fs.openSync(`/proc/${pid}/fdinfo/${fd}`, 'r');
  } catch {
    return undefined;
  }
  try {
    let n = 0;
    let keep = 0; // bytes carried over from the previous chunk (a pattern may straddle two chunks)
    for (;;) {
      const got = fs.readSync(file, CHUNK, keep, CHUNK.length - keep, null);
      const end = keep + got;
      for (let at = CHUNK.indexOf(WD); at !== -1 && at + WD.length <= end; at = CHUNK.indexOf(WD, at + WD.length)) n++;
      if (got === 0) return n;
      keep = Math.min(WD.length - 1, end);
      CHUNK.copy(CHUNK, 0, end - keep, end);
    }
  } catch {
    return undefined;
  } finally {
    fs.closeSync(file);
  }
}

/** All inotify watches held by a process (every thread); undefined when /proc is unreadable. */
export function watchesOfProcess(pid: number | 'self'): number | undefined {
  const fds = inotifyFdsOf(pid);
  if (!fds) return undefined;
  let n = 0;
  for (const fd of fds) n += watchesOfFd(fd, pid) ?? 0;
  return n;
}

/** All inotify watches held by this process (every thread). */
export function watchesOfSelf(): number | undefined {
  return watchesOfProcess('self');
}

/** pids of `pid`'s children that are inotify helpers (hotwatch-inotify); [] where /proc is unreadable. */
export function helperChildren(pid: number | 'self'): number[] {
  return childrenOf(pid === 'self' ? process.pid : pid).filter((c) => {
    try {
      return /\/hotwatch-inotify-[^/]*$/.test(fs.readlinkSync(`/proc/${c}/exe`));
    } catch {
      return false; // exited meanwhile
    }
  });
}

/** Watches held by a process and by its inotify helpers: everything a hotwatch process costs the kernel. */
export function watchesWithHelpers(pid: number | 'self'): number | undefined {
  const own = watchesOfProcess(pid);
  if (own === undefined) return undefined;
  return helperChildren(pid).reduce((n, c) => n + (watchesOfProcess(c) ?? 0), own);
}

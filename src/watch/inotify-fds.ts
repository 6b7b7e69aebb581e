/**
 * This process's own inotify instances, to count the watches one thread's event loop holds. libuv gives
 * each event loop (main thread, each worker) its own inotify fd, created at the first fs.watch: the
 * worker notes the fds before and after, and counts `inotify wd:` lines of its own fd only.
 * undefined everywhere /proc is not readable (macOS).
 */
import fs from 'node:fs';

export function inotifyFdsOfSelf(): Set<number> | undefined {
  let names: string[];
  try {
    names = fs.readdirSync('/proc/self/fd');
  } catch {
    return undefined;
  }
  const out = new Set<number>();
  for (const n of names) {
    try {
      const link = fs.readlinkSync(`/proc/self/fd/${n}`);
      if (link === 'anon_inode:inotify' || link === 'inotify') out.add(Number(n));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

// One `inotify wd:<hex>` line per watch. (wd is printed in HEX: a decimal-only pattern undercounts.)
const WD = Buffer.from('\ninotify wd:');

/** Watches held by inotify fd `fd` of this process; undefined when unreadable. No string is built. */
export function watchesOfFd(fd: number): number | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(`/proc/self/fdinfo/${fd}`);
  } catch {
    return undefined;
  }
  let n = 0;
  for (let at = buf.indexOf(WD); at !== -1; at = buf.indexOf(WD, at + WD.length)) n++;
  return n;
}

/** All inotify watches held by this process (every thread). */
export function watchesOfSelf(): number | undefined {
  const fds = inotifyFdsOfSelf();
  if (!fds) return undefined;
  let n = 0;
  for (const fd of fds) n += watchesOfFd(fd) ?? 0;
  return n;
}

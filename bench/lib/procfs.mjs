/**
 * Linux /proc readers for the figures the benchmark reports: inotify watches (fdinfo), RSS (status) and
 * process trees. Everything returns undefined (never throws) where /proc is missing or unreadable, so the
 * benchmark still runs on macOS and simply prints "n/a".
 */
import fs from 'node:fs';

export const HAVE_PROC = fs.existsSync('/proc/self/fdinfo');

/** inotify watches and instances held by one process: `inotify wd:` lines over its anon_inode:inotify fds. */
export function inotifyUsage(pid) {
  if (!HAVE_PROC) return undefined;
  let watches = 0;
  let instances = 0;
  let fds;
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  for (const fd of fds) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:inotify') continue;
      const info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      instances++;
      for (const line of info.split('\n')) if (line.startsWith('inotify wd:')) watches++;
    } catch {
      // the fd was closed while we read: it holds nothing any more
    }
  }
  return { watches, instances };
}

/** VmRSS and VmHWM (peak) of one process, in MB. */
export function memoryMb(pid) {
  if (!HAVE_PROC) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) : undefined;
    };
    const rss = kb('VmRSS');
    const hwm = kb('VmHWM');
    return { rssMb: rss === undefined ? undefined : rss / 1024, hwmMb: hwm === undefined ? undefined : hwm / 1024 };
  } catch {
    return undefined;
  }
}

/** {pid, ppid, comm} of every live process (one pass over /proc). */
function processTable() {
  const rows = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      if (fields[0] === 'Z') continue;
      rows.push({ pid: Number(d), ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // exited meanwhile
    }
  }
  return rows;
}

/** The pids of `pid`'s live descendants (children, grandchildren, ...). */
export function descendants(pid) {
  if (!HAVE_PROC) return [];
  const table = processTable();
  const out = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    for (const row of table) {
      if (row.ppid === p) {
        out.push(row.pid);
        queue.push(row.pid);
      }
    }
  }
  return out;
}

function exeOf(pid) {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/**
 * The watcher's own processes: `pid` plus its descendants running the same executable (node for hotwatch
 * and nodemon, the tool binary for air and reflex) and hotwatch's inotify helper (hotwatch-inotify-*,
 * which holds hotwatch's watches: its RSS and watches are hotwatch's). The app, the shell and the Go
 * toolchain are left out.
 */
export function watcherPids(pid) {
  const exe = exeOf(pid);
  if (exe === undefined) return [pid];
  const own = (p) => {
    const e = exeOf(p);
    return e === exe || (e !== undefined && /\/hotwatch-inotify-[^/]*$/.test(e));
  };
  return [pid, ...descendants(pid).filter(own)];
}

/** Watches, instances, RSS and peak RSS summed over the watcher's own processes. */
export function watcherFootprint(pid) {
  if (!HAVE_PROC) return { watches: undefined, instances: undefined, rssMb: undefined, hwmMb: undefined, pids: [pid] };
  const pids = watcherPids(pid);
  let watches = 0;
  let instances = 0;
  let rssMb = 0;
  let hwmMb = 0;
  for (const p of pids) {
    const u = inotifyUsage(p);
    const m = memoryMb(p);
    watches += u?.watches ?? 0;
    instances += u?.instances ?? 0;
    rssMb += m?.rssMb ?? 0;
    hwmMb += m?.hwmMb ?? 0;
  }
  return { watches, instances, rssMb, hwmMb, pids };
}

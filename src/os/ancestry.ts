/** A process's parents, read from /proc: whose child (or grandchild...) a process is. */
import { readStat } from './procfs.js';

/** Whether `ancestor` is `pid` or among its parents (at most 64 steps up; false without /proc). */
export function descendsFrom(pid: number, ancestor: number): boolean {
  let p: number | undefined = pid;
  for (let i = 0; i < 64 && p !== undefined && p > 1; i++) {
    if (p === ancestor) return true;
    p = readStat(p)?.ppid;
  }
  return false;
}

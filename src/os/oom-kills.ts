/**
 * Whether the kernel's OOM killer ran: /proc/vmstat's `oom_kill` counts every OOM kill on the machine, a
 * cgroup's memory limit included (memcg kills count there too). An app killed by SIGKILL that hotwatch
 * did not send, while that count rose, ran out of memory: "killed by SIGKILL" alone sent a Go developer
 * looking for a person or a script. Only a count that rose is said: another process's OOM kill at the same
 * moment is possible, so the wording says what was seen, not more.
 */
import fs from 'node:fs';

/** The machine's OOM kills so far; undefined where /proc/vmstat does not say (not Linux, an old kernel). */
export function oomKillCount(procDir = '/proc'): number | undefined {
  try {
    const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync(`${procDir}/vmstat`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

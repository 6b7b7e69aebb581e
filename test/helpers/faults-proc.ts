/** Pausing hotwatch the way a laptop suspend or a starved machine does: SIGSTOP, confirmed from /proc. */
import { waitFor } from './wait.js';
import { readStat } from '../../src/os/procfs.js';

/** The state letter of /proc/<pid>/stat (R, S, T, Z...). */
export function procState(pid: number): string {
  const stat = readStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return stat.state;
}

/** SIGSTOP `pid` and wait (bounded) until the kernel reports it stopped. The caller must SIGCONT it. */
export async function pause(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await waitFor(() => procState(pid) === 'T', { description: `process ${pid} is stopped`, timeoutMs: 5_000 });
}

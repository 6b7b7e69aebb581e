/**
 * Processes found holding an app's port after its stop (AppProcess.stop: portsStillHeld), kept so that
 * hotwatch's last word is true. Such a process left the app's tree unseen (its own session and a cleared
 * environment: no group, no marker) or was never the app's; either way "nothing left running" must not
 * be said while it runs. Each is checked again at exit: still running, with the command line it had (a
 * reused pid is someone else's).
 */
import { isRunning, readCmdline } from '../os/procfs.js';
import type { TreeProcess } from './kill-tree.js';
import type { StopResult } from './process.js';

/** A process still running at exit that hotwatch did not stop: marked as the app's, or holding its port. */
export interface LeftProcess extends TreeProcess {
  /** The app's port it held after the app stopped (no marker: not known to be the app's). */
  port?: number;
}

/** Why such a process is remembered: it holds the app's port, or it was the app's daemon and dropped the marker. */
type Held = { cmd: string; port: number } | { cmd: string; port?: undefined };

export class PortHolders {
  private readonly held = new Map<number, Held>();

  /** A stop's result: its port holders are remembered. */
  note(result: StopResult): void {
    for (const p of result.portsStillHeld) this.noteHolders(p.port, p.holders);
  }

  /** The app's daemons still running without its marker (AppExit.escaped). */
  noteEscaped(pids: readonly number[]): void {
    for (const pid of pids) if (!this.held.has(pid)) this.held.set(pid, { cmd: readCmdline(pid) });
  }

  /** Processes found holding the app's `port` when the app was no longer running. */
  noteHolders(port: number, holders: readonly TreeProcess[]): void {
    for (const h of holders) this.held.set(h.pid, { cmd: h.cmd, port });
  }

  /** Those still running now, as they were (not `except`: already named). */
  stillRunning(except: ReadonlySet<number>): LeftProcess[] {
    const out: LeftProcess[] = [];
    for (const [pid, h] of this.held) {
      if (except.has(pid) || !isRunning(pid) || readCmdline(pid) !== h.cmd) continue;
      out.push({ pid, cmd: h.cmd, ...(h.port !== undefined ? { port: h.port } : {}) });
    }
    return out;
  }
}

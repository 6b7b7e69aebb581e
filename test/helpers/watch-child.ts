/** Starts test/helpers/watch-child.mjs (optionally wrapped, e.g. in `unshare`) and reads its JSON lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './wait.js';

export const CHILD_SCRIPT = path.join(import.meta.dirname, 'watch-child.mjs');

export interface ChildWatcher {
  proc: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr: () => string;
  /** Waits for a line matching `pred`. */
  waitLine(pred: (l: Record<string, unknown>) => boolean, description: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Ends stdin, waits for a clean exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The shell command line that runs the child with these arguments (for `sh -c` wrappers). With
 * `watchdog` (watchdog settings), the watcher runs behind the watchdog and the child prints its log lines.
 */
export function childCommand(root: string, over: object = {}, native: object = {}, watchdog?: object): string {
  const args = [root, JSON.stringify(over), JSON.stringify(native), ...(watchdog ? [JSON.stringify(watchdog)] : [])];
  return ['exec', process.execPath, CHILD_SCRIPT, ...args].map((a, i) => (i === 0 ? a : q(a))).join(' ');
}

export function startChild(argv: string[]): ChildWatcher {
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let err = '';
  let buf = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        err += `unparsed stdout: ${line}\n`;
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    lines,
    stderr: () => err,
    waitLine: (pred, description, timeoutMs = 20_000) =>
      waitFor(() => lines.find(pred), { timeoutMs, description: `${description} (stderr: ${err.slice(-500)})` }),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.stdin!.end();
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

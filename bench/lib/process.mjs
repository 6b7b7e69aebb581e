/**
 * Starts a measured program as a real process in its own process group, timestamps every output line
 * (performance.now(), the same clock as the edits), parses JSON log lines, and stops it with a bound:
 * signal → grace → SIGKILL to the group and to every descendant seen while it ran.
 */
import { spawn, execFileSync } from 'node:child_process';
import { onCleanup } from './cleanup.mjs';
import { descendants } from './procfs.mjs';
import { waitFor } from './wait.mjs';

const MAX_KEPT = 200_000;

export function startProcess(cmd, args, { cwd, env, name = cmd } = {}) {
  const proc = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const startedAt = performance.now();
  /** {t, stream, text, json?} */
  const lines = [];
  const seen = new Set();
  const remember = () => {
    for (const p of descendants(proc.pid)) seen.add(p);
  };
  const killNow = () => {
    remember();
    for (const target of [-proc.pid, proc.pid, ...seen]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const unregister = onCleanup(killNow);
  for (const stream of ['stdout', 'stderr']) {
    let partial = '';
    proc[stream].on('data', (d) => {
      const t = performance.now();
      partial += d.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) {
        if (lines.length >= MAX_KEPT) lines.shift();
        const line = { t, stream, text };
        if (text.startsWith('{')) {
          try {
            line.json = JSON.parse(text);
          } catch {
            // app output that happens to start with "{": keep it as text
          }
        }
        lines.push(line);
      }
    });
  }
  let exit;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exit = { code, signal, t: performance.now() };
      resolve(exit);
    });
    proc.on('error', (err) => {
      exit = { code: null, signal: null, error: err, t: performance.now() };
      resolve(exit);
    });
  });

  const handle = {
    name,
    proc,
    pid: proc.pid,
    startedAt,
    lines,
    exited,
    get exit() {
      return exit;
    },
    alive: () => exit === undefined,
    tail: (n = 30) =>
      lines
        .slice(-n)
        .map((l) => l.text)
        .join('\n'),
    /** First line (from index `from`) matching `pred`; throws with the output tail after `timeoutMs`. */
    async waitForLine(pred, { from = 0, timeoutMs = 60_000, description = 'a log line' } = {}) {
      let i = from;
      return waitFor(
        () => {
          for (; i < lines.length; i++) if (pred(lines[i])) return lines[i];
          if (exit) throw new Error(`${name} exited (${exit.code ?? exit.signal ?? exit.error}) before ${description}\n${handle.tail()}`);
          return undefined;
        },
        { timeoutMs, intervalMs: 2, description: `${name}: ${description}\n--- ${name} output (tail) ---\n${handle.tail()}` },
      );
    },
    /** The JSON log lines with `event` === name, from index `from`. */
    events: (event, from = 0) => lines.slice(from).filter((l) => l.json?.event === event),
    /** Record the current descendants so they are killed too, even if they leave the group (setsid). */
    remember,
    /** `sig` to the main process only (it stops its own children), SIGKILL to everything after `graceMs`. */
    async stop({ sig = 'SIGTERM', graceMs = 10_000 } = {}) {
      remember();
      if (exit === undefined) {
        try {
          process.kill(proc.pid, sig);
        } catch {
          // already gone
        }
      }
      const timer = setTimeout(killNow, graceMs);
      const r = await exited;
      clearTimeout(timer);
      killNow(); // whatever is left of the group or its descendants
      unregister();
      return r;
    },
  };
  return handle;
}

/** `cmd args` → trimmed stdout, or undefined when it fails (for version strings). */
export function tryOutput(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000, ...opts }).trim();
  } catch {
    return undefined;
  }
}

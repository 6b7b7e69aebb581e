/**
 * Runs the built `hotwatch` (bin/hotwatch.js → dist/) as a real process against a temp Go module, and
 * reads its JSON log lines. The e2e tests use only this, real HTTP and real files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchesWithHelpers } from '../../src/os/inotify-fds.js';
import { afterEach, beforeEach, expect } from 'vitest';
import { makeTmpDir } from './tmp.js';
import { waitFor } from './wait.js';
import { readStat } from '../../src/os/procfs.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(REPO, 'bin/hotwatch.js');

export interface LogLine {
  level: number;
  msg: string;
  event?: string;
  [k: string]: unknown;
}

export interface Hotwatch {
  proc: ChildProcess;
  pid: number;
  logs: LogLine[];
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first log line (from index `from`) matching `pred`. */
  waitForLog: (pred: (l: LogLine) => boolean, description: string, opts?: { from?: number; timeoutMs?: number }) => Promise<LogLine>;
  events: (name: string, from?: number) => LogLine[];
  /**
   * Resolves once the last build started after index `from` has its app listening: the version serving
   * is that build's, and a build started later would show as one more build.start.
   */
  lastBuildListens: (from: number, description: string) => Promise<true>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (or `sig`) and wait for exit; SIGKILL after a bound so a test never leaks it. */
  stop: (sig?: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? REPO,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`hotwatch ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 30_000} ms\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface StartHotwatchOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** A command put in front of `node bin/hotwatch.js run ...` (e.g. `unshare -Urm sh -c ...`). */
  wrap?: string[];
  /** Default timeout of waitForLog (ms). */
  waitTimeoutMs?: number;
  /** The hotwatch command (default: this node and the repo's bin/hotwatch.js), e.g. an installed package's bin. */
  command?: string[];
}

export function startHotwatch(args: string[], opts: StartHotwatchOptions): Hotwatch {
  const cmd = [...(opts.wrap ?? []), ...(opts.command ?? [process.execPath, BIN]), 'run', '--log-format', 'json', ...args];
  const proc = spawn(cmd[0]!, cmd.slice(1), {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let out = '';
  let err = '';
  let partial = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // app output interleaved on stderr: not ours
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const hw: Hotwatch = {
    proc,
    pid: proc.pid!,
    logs,
    stdout: () => out,
    stderr: () => err,
    waitForLog: (pred, description, o = {}) =>
      waitFor(
        () => {
          const hit = logs.slice(o.from ?? 0).find(pred);
          if (hit) return hit;
          if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`hotwatch exited (${proc.exitCode ?? proc.signalCode})`);
          return undefined;
        },
        {
          description: `${description}\n--- hotwatch stderr (tail) ---\n${err.slice(-4000)}`,
          timeoutMs: o.timeoutMs ?? opts.waitTimeoutMs ?? 60_000,
        },
      ),
    events: (name, from = 0) => logs.slice(from).filter((l) => l.event === name),
    lastBuildListens: (from, description) =>
      waitFor(
        () => {
          const since = logs.slice(from);
          const last = since.findLastIndex((l) => l.event === 'build.start');
          return last >= 0 && since.slice(last).some((l) => l.event === 'app.listening');
        },
        { description, timeoutMs: opts.waitTimeoutMs ?? 60_000 },
      ),
    exited,
    stop: async (sig = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGCONT'); // a test may have stopped it
        proc.kill(sig);
      }
      const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
  return hw;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** GET http://127.0.0.1:port/ → body, or undefined when nothing answers. */
export async function httpGet(port: number, urlPath = '/'): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(2000) });
    return await res.text();
  } catch {
    return undefined;
  }
}

/** A tiny Go HTTP server module answering "v=<version>"; `extra` is Go code appended to main.go. */
export function writeGoApp(dir: string, version: string, opts: { extraMain?: string; imports?: string[] } = {}): void {
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
  fs.writeFileSync(path.join(dir, 'main.go'), goMain(version, opts));
}

export function goMain(version: string, opts: { extraMain?: string; imports?: string[] } = {}): string {
  const imports = ['fmt', 'net/http', 'os', ...(opts.imports ?? [])];
  return `package main

import (
${imports.map((i) => `\t"${i}"`).join('\n')}
)

const version = "${version}"

func main() {
\t${opts.extraMain ?? ''}
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v=%s", version) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;
}

/**
 * inotify watches held by a hotwatch process: `inotify wd:` lines over its inotify fds and those of its
 * inotify helper (hotwatch-inotify, a child that holds the native watcher's watches on Linux).
 */
export function inotifyWatches(pid: number): number {
  return watchesWithHelpers(pid) ?? 0;
}

/** Every pid whose environment contains KEY=VALUE (the marker our test apps carry). */
export function pidsWithEnvMarker(key: string, value: string): number[] {
  const needle = `${key}=${value}`;
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const env = fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0');
      if (env.includes(needle)) {
        if (readStat(Number(d))?.state !== 'Z') out.push(Number(d));
      }
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

/**
 * The usual end-to-end frame: per test a temp dir holding a Go app serving "v=v1" (or what `setup`
 * writes), a free port, and the hotwatch under test (`session.hw`), which must exit 0 when stopped after it.
 */
export function hotwatchSession(setup: (dir: string) => void = (dir) => writeGoApp(dir, 'v1')) {
  let tmp: ReturnType<typeof makeTmpDir> | undefined;
  const session = {
    hw: undefined as Hotwatch | undefined,
    port: 0,
    get dir(): string {
      if (!tmp) throw new Error('hotwatchSession: used outside a test');
      return tmp.dir;
    },
    /** Resolves once the app answers `v=<v>` (60 s at most). */
    serves: (v: string) =>
      waitFor(async () => (await httpGet(session.port)) === `v=${v}`, { description: `the app serves v=${v}`, timeoutMs: 60_000 }),
  };
  beforeEach(async () => {
    tmp = makeTmpDir();
    session.port = await freePort();
    setup(tmp.dir);
  });
  afterEach(async () => {
    const hw = session.hw;
    session.hw = undefined;
    try {
      if (hw) {
        const r = await hw.stop();
        expect(r.code, `hotwatch exit\n${hw.stderr().slice(-2000)}`).toBe(0);
      }
    } finally {
      tmp?.cleanup();
      tmp = undefined;
    }
  });
  return session;
}

/**
 * The build's process itself: spawned in a process group of its own (`detached`, so build.ts can stop its
 * whole tree), stdin closed, stdout and stderr handed over as text as they arrive. `result` never
 * rejects and settles once the process has exited AND its output has closed (a grandchild that keeps the
 * pipe keeps it pending: build.ts deals with that). Canceled through `stop`: `killSignal` to the
 * process, then SIGKILL if it is still there after `forceKillAfterMs` (the rest of the group is
 * build.ts's business).
 *
 * node:child_process, not execa: these are all the features of execa the build used, and loading execa
 * cost every run about 4 MB of RSS (README, Benchmark, "Memory").
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface BuildExit {
  /** The process ended in a way the caller did not ask for: a non-zero code, a signal, no start, a cancel. */
  failed: boolean;
  /** Its exit code; undefined when a signal ended it or it never started. */
  exitCode: number | undefined;
  signal: NodeJS.Signals | undefined;
  /** `stop` aborted before the output closed (whether or not the process was still running then). */
  isCanceled: boolean;
  /** The process could not be started (ENOENT, EACCES...). */
  startError: NodeJS.ErrnoException | undefined;
}

export interface BuildProcessOptions {
  cwd: string;
  /** The whole environment (nothing of process.env is added). */
  env: NodeJS.ProcessEnv;
  stop: AbortSignal;
  killSignal: NodeJS.Signals;
  forceKillAfterMs: number;
  /** A piece of output (stdout and stderr interleaved as they arrive), decoded as UTF-8 per stream. */
  onOutput: (text: string) => void;
  /** Reading the output failed (rare: the pipe broke). */
  onOutputError: (err: Error) => void;
}

export interface BuildProcess {
  child: ChildProcess;
  result: Promise<BuildExit>;
}

export function spawnBuildProcess(file: string, args: string[], opts: BuildProcessOptions): BuildProcess {
  const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let startError: NodeJS.ErrnoException | undefined;
  let isCanceled = false;
  let forceKill: NodeJS.Timeout | undefined;
  const running = (): boolean => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  for (const out of [child.stdout, child.stderr]) {
    out?.setEncoding('utf8');
    out?.on('data', opts.onOutput);
    out?.on('error', opts.onOutputError);
  }
  const cancel = (): void => {
    isCanceled = true;
    if (!running()) return;
    child.kill(opts.killSignal);
    forceKill = setTimeout(() => {
      if (running()) child.kill('SIGKILL');
    }, opts.forceKillAfterMs);
    forceKill.unref();
  };
  const result = new Promise<BuildExit>((resolve) => {
    // A start failure ('error', then 'close'); also a kill that failed, which changes nothing here.
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined) startError ??= e;
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      opts.stop.removeEventListener('abort', cancel);
      clearTimeout(forceKill);
      const exitCode = startError || code === null ? undefined : code;
      const sig = signal ?? undefined;
      const failed = isCanceled || startError !== undefined || sig !== undefined || exitCode !== 0;
      resolve({ failed, exitCode, signal: sig, isCanceled, startError });
    });
  });
  if (opts.stop.aborted) cancel();
  else opts.stop.addEventListener('abort', cancel, { once: true });
  return { child, result };
}

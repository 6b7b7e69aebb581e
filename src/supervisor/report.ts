/** How the supervisor tells a person what happened: exits, build failures, when the app listens. */
import type { Logger } from '../log/logger.js';
import type { BuildResult } from './build.js';
import type { AppExit } from './process.js';
import { listeningPortsOf } from '../os/ports.js';
import { descendantsOf } from '../os/procfs.js';
import { formatDuration } from '../config/duration.js';

export function formatExit(exit: AppExit): string {
  const up = formatDuration(exit.uptimeMs);
  if (exit.signal) return `was killed by ${exit.signal} after ${up}`;
  return `exited with code ${exit.code ?? '?'} after ${up}`;
}

/** Compiler errors, prominently: the log line says what still serves. */
export function reportBuildFailure(log: Logger, res: BuildResult, appRunning: boolean, policy: 'keep-running' | 'stop'): void {
  const serving =
    policy === 'stop' && appRunning
      ? 'stopping the app (build.onFailure: stop)'
      : appRunning
        ? 'the previous version keeps serving'
        : 'no app is running until a build succeeds';
  const why = res.timedOut ? `timed out after ${res.durationMs}ms` : `exit ${res.exitCode ?? '?'}, ${res.durationMs}ms`;
  const body = res.output.trim();
  // The whole output was streamed above ("build │"); repeat the compiler errors (file:line:col) so the
  // failure line itself says what to fix.
  const errors = body.split('\n').filter((l) => /^\S+:\d+:\d+: /.test(l.trim()));
  const shown = errors.slice(0, 5).map((l) => l.trim());
  const more = errors.length > shown.length ? `\n    … and ${errors.length - shown.length} more` : '';
  const detail = shown.length > 0 ? `\n${indent(shown.join('\n'))}${more}` : body ? '' : '\n    (the build printed nothing)';
  log.error(
    { event: 'build.failed', exitCode: res.exitCode, timedOut: res.timedOut, buildMs: res.durationMs, output: body, errors: shown },
    `BUILD FAILED (${why}): ${serving}${detail}`,
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/**
 * Logs the TCP ports the app's process tree listens on, once it does (bounded: gives up quietly after
 * 10 s, since not every app listens). A probe that finds a socket reads the listeners of /proc/net/tcp{,6} (~5 ms), so the interval backs
 * off from 10 ms to 500 ms: an app that never listens costs a few dozen probes, not half a core.
 */
export function watchListening(
  pid: number,
  log: Logger,
  signal: AbortSignal,
  stillCurrent: () => boolean,
  onPorts: (ports: number[]) => void,
): void {
  const t0 = performance.now();
  const deadline = t0 + 10_000;
  let interval = 10;
  const tick = (): void => {
    if (signal.aborted || !stillCurrent() || performance.now() > deadline) return;
    let ports: number[] = [];
    try {
      ports = listeningPortsOf([pid, ...descendantsOf(pid)]);
    } catch (e) {
      log.debug({ err: e }, 'could not read listening ports from /proc');
      return;
    }
    if (ports.length > 0) {
      onPorts(ports);
      const ms = Math.round(performance.now() - t0);
      log.info({ event: 'app.listening', pid, ports, readyMs: ms }, `app listening on ${ports.map((p) => `:${p}`).join(', ')} (${ms}ms after start)`);
      return;
    }
    interval = Math.min(500, interval * 1.5);
    setTimeout(tick, interval).unref();
  };
  setTimeout(tick, 5).unref();
}

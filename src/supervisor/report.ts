/**
 * How the supervisor tells a person what happened: the job decides what to report (job.ts, Report),
 * this file words it; and when the app listens.
 */
import { MAX_PAUSE_MS } from './loop-pause.js';
import type { Logger } from '../log/logger.js';
import type { StopResult } from './process.js';
import type { Report } from './job.js';
import type { SelfTriggerVerdict } from './self-trigger.js';
import { relative } from 'node:path';
import { isHotwatchError } from '../errors.js';
import { listeningAddressesOf, listeningPortsOf } from '../os/ports.js';
import { descendantsOf } from '../os/procfs.js';
import { reportBuildFailure, reportBuildTurn } from './report-build.js';
import { formatExit, formatSeconds, ordinal } from './wording.js';

export { formatExit, formatSeconds, ordinal };

/** The settings a report's wording depends on. */
export interface ReportContext {
  onFailure: 'keep-running' | 'stop';
  stopSignal: NodeJS.Signals;
  gracePeriodMs: number;
  /** Where the build runs (its file names are relative to it) and where hotwatch was started. */
  buildDir: string;
  cwd: string;
  /** Ad-hoc mode: the command, as typed (its runs end with "ok" or "exit N"). */
  exec?: string;
  /** For a build whose package is gone: see BuildReportContext. */
  buildPackage?: () => string;
  mainPackages?: () => readonly string[];
  buildEnv?: () => NodeJS.ProcessEnv;
}

/** One report of the job, as log lines. */
export function reportJob(log: Logger, r: Report, ctx: ReportContext): void {
  if (ctx.exec !== undefined && reportCommandTurn(log, r, ctx.exec)) return;
  switch (r.kind) {
    case 'build.start':
      return log.info({ event: r.kind, trigger: r.trigger, files: r.files, rescan: r.rescan }, `${r.trigger} → building`);
    case 'build.superseded':
      return log.info({ event: r.kind, trigger: r.trigger }, 'newer change: canceling the running build');
    case 'build.failed':
      return reportBuildFailure(log, r.result, r.appRunning, ctx, r.restartInMs);
    case 'build.kept':
    case 'build.canceled':
    case 'build.failed-superseded':
    case 'build.same-binary':
    case 'build.reverted':
      return reportBuildTurn(log, r);
    case 'build.error':
      // A missing toolchain mid-session (PATH changed, go uninstalled): loud, and wait for the next change.
      return log.error({ event: r.kind, err: r.error }, `build could not run: ${describeError(r.error, true)}`);
    case 'build.done':
      return log.info({ event: r.kind, buildMs: r.buildMs }, `build ok in ${r.buildMs}ms`);
    case 'build.stale':
      return log.info(
        { event: r.kind, during: r.during },
        r.during === 'build'
          ? 'a newer change arrived during the build: building again before restarting'
          : 'a newer change arrived while the old app was stopping: building it before starting anything (the binary just built is already stale)',
      );
    case 'app.restart':
      return log.info(
        { event: r.kind, pid: r.pid, reason: r.reason },
        `${r.reason}: restarting the app (pid ${r.pid}) with the binary it runs, no build${r.beside ? '; the new process starts beside it, which serves until the new one is ready' : ''}`,
      );
    case 'app.start': {
      const stop = r.stopMs !== undefined ? `stop ${r.stopMs}ms, ` : '';
      return log.info(
        { event: r.kind, pid: r.pid, reason: r.reason, stopMs: r.stopMs, startMs: r.startMs },
        `app started (pid ${r.pid}, ${stop}start ${r.startMs}ms)`,
      );
    }
    case 'app.start-failed':
      return log.error(
        { event: r.kind, err: r.error, oldServing: r.oldServing },
        r.oldServing
          ? `the new version did not start: ${describeError(r.error, false)}; the previous version keeps serving`
          : startFailure(describeError(r.error, false)),
      );
    case 'app.stop':
      return reportStop(log, r.pid, r.why, r.result, ctx);
    case 'app.exit':
      return reportExit(log, r);
    case 'app.force-kill':
      return log.warn({ event: r.kind, pid: r.pid }, `forced: SIGKILL to the app's process group (pid ${r.pid}), no more grace`);
  }
}

/** A build loop found (once, loud, with the fix), or a batch of its files held back (debug). */
/** `pauseMs`: a loop after the app's starts, whose change is built after this pause (0: it joined one waiting), never dropped. */
export function reportSelfTrigger(
  log: Logger,
  v: Exclude<SelfTriggerVerdict, { kind: 'build' }>,
  root: string,
  pauseMs: number | undefined,
): void {
  const files = v.files.map((f) => relative(root, f));
  const named = files.length > 3 ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more` : files.join(', ');
  if (v.kind === 'suspect') {
    const when = v.delayMs < 50 ? 'right' : formatSeconds(Math.round(v.delayMs / 100) * 100);
    const steps = v.after === 'app' ? 'app starts' : v.after === 'build' ? 'builds started' : 'runs of build.steps (after)';
    log.info(
      { event: 'build.loop-suspected', files, cycles: v.cycles, after: v.after, delayMs: Math.round(v.delayMs), pauseMs },
      `${named} changed ${when} after each of the last ${v.cycles} ${steps}: building it in ${formatSeconds(pauseMs ?? 0)}, to tell a build loop (its writer follows hotwatch's steps) from something that saves it at its own pace`,
    );
    return;
  }
  if (v.kind === 'cleared') {
    log.info(
      { event: 'build.loop-cleared', files, after: v.after },
      `${named} changed again on its own time, not after a step of hotwatch's: no build loop (something saves ${files.length === 1 ? 'it' : 'them'} at its own pace); building at once again`,
    );
    return;
  }
  if (v.kind === 'held') {
    const fields = { event: 'build.loop-held', files, ...(pauseMs !== undefined ? { pauseMs } : {}) };
    if (pauseMs === undefined) log.debug(fields, `${named} changed again (the build loop reported above): not building`);
    else if (pauseMs > 0)
      log.info(fields, `${named} changed again, as in the build loop reported above: building it in ${formatSeconds(pauseMs)}`);
    return;
  }
  const it = files.length === 1 ? 'it' : 'them';
  const hint =
    v.after === 'step'
      ? `make the step write ${it} outside the root, or exclude ${it} in watch.exclude`
      : `exclude ${it} in watch.exclude, or write ${it} outside the root`;
  const next =
    pauseMs === undefined
      ? `No more builds for ${it}: ${hint}. An edit of any other file builds as usual`
      : `From now on each change of ${it} at that time is built after a pause (${formatSeconds(pauseMs)}, doubling up to ${formatSeconds(MAX_PAUSE_MS)}), never dropped: a script that saves a fixed time after each new version serves looks the same. If the app writes ${it}: ${hint}. An edit of any other file builds at once`;
  log.error(
    {
      event: 'build.loop',
      files,
      cycles: v.cycles,
      after: v.after,
      delayMs: Math.round(v.delayMs),
      builds: v.builds,
      appStarts: v.appStarts,
      hint,
    },
    `build loop: ${named} changed ${loopStory(v)}. ${next}`,
  );
}

/** What happened, as it happened: after the app's starts (the app writes it) or during builds (the build does). */
function loopStory(v: Extract<SelfTriggerVerdict, { kind: 'loop' }>): string {
  const when = v.delayMs < 50 ? 'right' : formatSeconds(Math.round(v.delayMs / 100) * 100);
  const times = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const meanwhile = `${times(v.builds, 'build')} and ${times(v.appStarts, 'app start')} since the first of those changes`;
  if (v.after === 'step') {
    return (
      `${when} after each of the last ${v.cycles} runs of build.steps (after)${v.step ? ` (${v.step})` : ''}, with no other change in between, and each change rebuilt and restarted the app, which ran the step again ` +
      `(${meanwhile}): the step writes ${v.files.length === 1 ? 'it' : 'them'} each time it runs`
    );
  }
  if (v.after === 'app') {
    return (
      `${when} after each of the last ${v.cycles} app starts, with no other change in between, and each change rebuilt and restarted the app ` +
      `(${meanwhile}): the app, or a process it starts, writes ${v.files.length === 1 ? 'it' : 'them'} each time it starts`
    );
  }
  return (
    `${when} after each of the last ${v.cycles} builds started, with no other change in between, and each change started another build ` +
    `(${meanwhile}): the build (build.cmd, or a tool it runs) writes ${v.files.length === 1 ? 'it' : 'them'}, or the app as it stops`
  );
}

/** "could not start the app: …", unless the error says that already ("cannot start the app: …"). */
const startFailure = (what: string): string => (/cannot start the app/.test(what) ? what : `could not start the app: ${what}`);

function describeError(e: unknown, stack: boolean): string {
  if (isHotwatchError(e)) return e.format();
  return stack ? String((e as Error)?.stack ?? e) : String(e);
}

/** How the app ended, what was swept, and any port still held: the new app may fail to listen. */
function reportStop(log: Logger, pid: number, why: string, res: StopResult, ctx: ReportContext): void {
  const how =
    res.how === 'graceful'
      ? `stopped by ${ctx.stopSignal}`
      : res.how === 'killed' && res.durationMs < ctx.gracePeriodMs
        ? 'killed when forced, before its grace period ended'
        : res.how === 'killed'
          ? `did not stop within ${ctx.gracePeriodMs}ms of ${ctx.stopSignal}: killed`
          : `had already ${formatExit(res.exit)}`;
  const daemons = res.daemons?.length
    ? `; it had daemonized: ${res.daemons.map((d) => `pid ${d.pid} (${d.cmd})`).join(', ')} got ${ctx.stopSignal}`
    : '';
  const escaped = res.escaped?.length
    ? `; ${res.escaped.map((d) => `pid ${d.pid} (${d.cmd})`).join(', ')}, outside its process group (setsid or setpgid), got ${ctx.stopSignal} too`
    : '';
  // An app that had exited took no time to stop: "had already exited … after 220ms in 40ms" read as nonsense.
  const took = res.how === 'already-exited' && !res.daemons?.length ? '' : ` in ${res.durationMs}ms`;
  log.info(
    {
      event: 'app.stop',
      pid,
      why,
      how: res.how,
      stopMs: res.durationMs,
      exit: res.exit,
      ...(res.daemons ? { daemons: res.daemons } : {}),
      ...(res.escaped ? { escaped: res.escaped } : {}),
    },
    `app (pid ${pid}) ${how}${took} (${why})${daemons}${escaped}`,
  );
  for (const s of res.swept) {
    log.warn(
      { event: 'app.swept', pid: s.pid, cmd: s.cmd },
      `killed leftover process ${s.pid} (${s.cmd}) that escaped the app's process group`,
    );
  }
  for (const p of res.portsStillHeld) {
    const who = p.holders.map((h) => `pid ${h.pid} (${h.cmd})`).join(', ') || 'an unknown process';
    log.error(
      { event: 'port.held', port: p.port, holders: p.holders, hint: 'stop that process, or change the port' },
      `port ${p.port} is still held after the app stopped, by ${who}: the new app may fail to listen`,
    );
  }
}

/** Ad-hoc mode: no build to speak of, a command that runs and ends. True when `r` was said here. */
function reportCommandTurn(log: Logger, r: Report, command: string): boolean {
  if (r.kind === 'build.start')
    log.debug({ event: r.kind, trigger: r.trigger, files: r.files, rescan: r.rescan }, `${r.trigger} → running`);
  else if (r.kind === 'build.done') log.debug({ event: r.kind, buildMs: r.buildMs }, `build steps ok in ${r.buildMs}ms`);
  else if (r.kind === 'app.start')
    log.info(
      { event: r.kind, pid: r.pid, reason: r.reason, stopMs: r.stopMs, startMs: r.startMs },
      `${r.reason} → running ${command} (pid ${r.pid})`,
    );
  else if (r.kind === 'app.exit') reportCommandExit(log, r, command);
  else return false;
  return true;
}

/** Ad-hoc mode: a command that ran to its end: ok (info) or how it failed (error), then what comes next. */
function reportCommandExit(log: Logger, r: Extract<Report, { kind: 'app.exit' }>, command: string): void {
  const ok = r.exit.code === 0 && r.exit.signal === null;
  const how = ok ? 'ok' : r.exit.signal ? `killed by ${r.exit.signal}` : `exit ${r.exit.code}`;
  const next =
    r.next === 'restart' ? `; running it again in ${formatSeconds(r.restartInMs ?? 0)} (run.onCrash: restart)` : '; waiting for a change';
  const fields = { event: r.kind, pid: r.pid, ...r.exit, ok, exec: true };
  log[ok ? 'info' : 'error'](fields, `${command}: ${how} (${formatSeconds(r.exit.uptimeMs)})${next}`);
}

function reportExit(log: Logger, r: Extract<Report, { kind: 'app.exit' }>): void {
  const how = `app ${formatExit(r.exit)}`;
  if (r.next === 'restart') {
    // A clean exit (code 0) is no crash, though run.onCrash: restart starts it again all the same.
    const what = r.exit.code === 0 && r.exit.signal === null ? 'exit' : 'crash';
    const nth = r.crashes === 1 ? `first ${what}` : `${ordinal(r.crashes)} ${what} in a row`;
    log.warn(
      { event: r.kind, pid: r.pid, ...r.exit, restartInMs: r.restartInMs, crashes: r.crashes },
      `${how}; restarting in ${formatSeconds(r.restartInMs)} (${nth}; run.onCrash: restart)`,
    );
  } else if (r.next === 'wait-for-change') {
    // A clean exit is how a CLI or a one-shot job ends, not a crash: said at info, run.onCrash not named.
    if (r.exit.code === 0 && r.exit.signal === null)
      log.info({ event: r.kind, pid: r.pid, ...r.exit }, `${how}; waiting for a change to rebuild and run it again`);
    else log.warn({ event: r.kind, pid: r.pid, ...r.exit }, `${how}; waiting for a change to rebuild (run.onCrash: wait-for-change)`);
  } else if (r.restartInMs !== undefined) {
    log.warn(
      { event: r.kind, pid: r.pid, ...r.exit, restartInMs: r.restartInMs, crashes: r.crashes },
      `${how}; a build is running: the new version starts if it succeeds, else this one restarts in ${formatSeconds(r.restartInMs)} (run.onCrash: restart)`,
    );
  } else {
    log.warn({ event: r.kind, pid: r.pid, ...r.exit }, `${how}; a build is running: the new version starts if it succeeds`);
  }
}

/**
 * Logs the TCP ports the app's process tree listens on, once it does, for as long as it is the current
 * app. A probe that finds a socket reads the listeners of /proc/net/tcp{,6} (~5 ms), so the interval backs
 * off from 10 ms to 500 ms over the first 10 s, then to 5 s, and to 30 s after two minutes: an app that
 * never listens (a worker, a CLI) costs a probe of its open files every 30 s, and one that binds late (a
 * cache warm-up, a database it waits for) is still seen serving, within 5 s in its first two minutes.
 * It gave up after 10 s, and such an app was "not listening yet" for good.
 */
export function watchListening(
  pid: number,
  log: Logger,
  signal: AbortSignal,
  stillCurrent: () => boolean,
  onPorts: (ports: number[]) => void,
  /** The cycle's one-line summary (cycle-summary.ts), when this app is its result. */
  summary?: (where: string, readyMs: number) => string | undefined,
): void {
  const t0 = performance.now();
  let interval = 10;
  const tick = (): void => {
    if (signal.aborted || !stillCurrent()) return;
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
      const addresses = listeningAddressesOf([pid, ...descendantsOf(pid)]);
      const where = addresses.length > 0 ? addresses.join(', ') : ports.map((p) => `:${p}`).join(', ');
      log.info(
        { event: 'app.listening', pid, ports, addresses, readyMs: ms },
        summary?.(where, ms) ?? `serving on ${where} (${ms}ms after start)`,
      );
      return;
    }
    const up = performance.now() - t0;
    interval = Math.min(up < 10_000 ? 500 : up < 120_000 ? 5_000 : 30_000, interval * 1.5);
    setTimeout(tick, interval).unref();
  };
  setTimeout(tick, 5).unref();
}

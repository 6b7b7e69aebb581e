/**
 * How air stops and restarts the app (send_interrupt, kill_delay, rerun), and what it shows on the
 * terminal ([log], [color], [screen], [misc]) → run.* and log.*, or reported.
 */
import { ms, type Conv } from './conv.js';

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** air's kill_delay in ms: a number below 1 ms of nanoseconds is milliseconds (air's rule), larger ones nanoseconds; or a Go duration string. Pure. */
export function killDelayMs(v: number | string): number | undefined {
  if (typeof v === 'number') return v < 1_000_000 ? v : Math.floor(v / 1_000_000);
  const parts = [...v.trim().matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== v.trim()) return undefined;
  return Math.floor(parts.reduce((sum, p) => sum + Number(p[1]) * GO_UNITS[p[2]!]!, 0));
}

function mapStop(c: Conv): void {
  const raw = c.get<number | string>('build.kill_delay');
  const delay = raw === undefined ? undefined : killDelayMs(raw);
  if (raw !== undefined && delay === undefined)
    c.drop('build.kill_delay', `${JSON.stringify(raw)} is not a duration air reads (milliseconds as a number, or e.g. "500ms")`);
  if (c.get<boolean>('build.send_interrupt')) {
    c.set('run.stopSignal', 'SIGINT');
    if (delay !== undefined) c.set('run.gracePeriod', ms(delay));
    else
      c.note(
        'run.gracePeriod',
        "air's kill_delay was unset (0: SIGKILL right after the interrupt); hotwatch waits up to gracePeriod and moves on as soon as the app exits, so the default costs a well-behaved app nothing.",
      );
    c.map('build.send_interrupt', 'run.stopSignal: SIGINT');
    if (delay !== undefined) c.map('build.kill_delay', 'run.gracePeriod');
  } else {
    c.note(
      'run.stopSignal',
      'air killed the app with SIGKILL at once (send_interrupt = false, its default): it could not close connections or flush anything. hotwatch sends SIGTERM and gives it gracePeriod to exit before SIGKILL; an app that ignores SIGTERM only costs that wait.',
    );
    c.map('build.send_interrupt', 'run.stopSignal (hotwatch stops gracefully: SIGTERM, then SIGKILL after gracePeriod)');
    if (delay !== undefined) c.map('build.kill_delay', '(no effect in air without send_interrupt)');
  }
}

function mapRerun(c: Conv): void {
  const delay = c.get<number>('build.rerun_delay') ?? 500;
  if (c.get<boolean>('build.rerun')) {
    c.set('run.onCrash', 'restart');
    if (delay > 0) {
      // Equal bounds: air waits the same delay before every rerun; hotwatch's backoff would grow it.
      c.set('run.backoffInitial', ms(delay));
      c.set('run.backoffMax', ms(delay));
    } else
      c.note(
        'run.backoffInitial',
        'air reran at once (rerun_delay = 0); hotwatch never restarts in a tight loop, so the default first delay stays.',
      );
    c.map('build.rerun', 'run.onCrash: restart');
    c.map('build.rerun_delay', 'run.backoffInitial and run.backoffMax (a fixed delay, as air)');
  } else {
    c.map('build.rerun', 'run.onCrash: wait-for-change (the default)');
    c.map('build.rerun_delay', '(no effect in air without rerun = true)');
  }
}

export function convertRun(c: Conv): void {
  mapStop(c);
  mapRerun(c);
}

export function convertTerminal(c: Conv): void {
  if (c.get<boolean>('log.silent')) c.set('log.level', 'error');
  else if (c.get<boolean>('log.main_only')) c.set('log.level', 'warn');
  if (c.get<boolean>('log.silent') || c.get<boolean>('log.main_only')) {
    c.note(
      'log.level',
      `air's log.${c.get<boolean>('log.silent') ? 'silent' : 'main_only'} hid its own lines: at this level hotwatch shows only ${c.get<boolean>('log.silent') ? 'errors' : 'warnings and errors'} (the app's output always shows).`,
    );
  }
  c.map('log.silent', 'log.level');
  c.map('log.main_only', 'log.level');
  if (c.get<boolean>('log.time') === false) c.drop('log.time', "hotwatch's log always shows the time of each line");
  else c.map('log.time', "hotwatch's log always shows the time");
  for (const k of ['main', 'watcher', 'build', 'runner', 'mode', 'app']) {
    c.drop(`color.${k}`, "hotwatch's colours are fixed (NO_COLOR=1 or --log-format json turns them off)");
  }
  if (c.get<boolean>('misc.clean_on_exit'))
    c.drop(
      'misc.clean_on_exit',
      "hotwatch keeps .hotwatch/ (its state and the last binary, git-ignored) when it exits, so the next start finds a crashed run's app",
    );
  else c.map('misc.clean_on_exit', 'hotwatch keeps .hotwatch/ too');
  const banner = c.get<string>('misc.startup_banner');
  if (banner) c.drop('misc.startup_banner', 'hotwatch prints no banner');
  else c.map('misc.startup_banner', 'hotwatch prints no banner either');
}

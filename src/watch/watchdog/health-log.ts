/**
 * THE place that writes issue 3's contract lines (one structured line each, JSON and pretty alike):
 *   watch.deaf {scope, path, cause, sinceMs?, detail, hint?}       error; warn for overflow-suspected and a kernel limit
 *   watch.rearmed {scope, path, cause, recoveryMs, changedWhileDeaf} info; warn when changes were found
 *   watch.fallback {scope, path, backend: 'poll', reason, hint?}   warn (planned, or after a kernel limit) or error (after a loss)
 *   watch.restored {scope, path, backend: 'native'}                 info
 *   watch.stopped {scope, path, cause, why}                        error: re-arming and polling failed
 *   watch.overflow (not logged: the QUEUE_OVERFLOW notice is)       service mode's dropped events
 *   watch.budget {dirs, limit, used, available, instancesUsed, instancesLimit, fits, hint?}
 *   watchdog.tick (debug only), watchdog.fault (test-only faults)
 * Each msg says what was lost, what hotwatch does, and the fix where there is one.
 */
import type { NoticeCode } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { logNotice } from '../../log/notice.js';
import type { WatchBudget } from '../budget/gate.js';
import type { DeafCause, DeafScope, WatchNotice } from '../types.js';

const withFix = (msg: string, hint: string | undefined) => (hint ? `${msg} — fix: ${hint}` : msg);

/** The watcher stopped at a kernel limit (watches or instances): polling takes over at once, nothing is left unseen. */
export const isKernelLimit = (scope: DeafScope, cause: DeafCause | undefined): boolean =>
  scope === 'watcher' && (cause === 'watch-limit' || cause === 'instance-limit');

export interface DeafLine {
  scope: DeafScope;
  path: string;
  cause: DeafCause;
  /** What happened and what is done about it (one sentence). */
  detail: string;
  hint?: string | undefined;
  /** How long it may have been deaf before this was noticed (ms), where known. */
  sinceMs?: number | undefined;
}

/** A watch-health contract line as it is logged (watch.deaf, watch.rearmed, watch.fallback, watch.restored): service mode keeps its view from these. */
export type HealthListener = (line: { event: string; scope: DeafScope; path: string; [field: string]: unknown }) => void;

export class HealthLog {
  constructor(
    private readonly log: Logger,
    private readonly onHealth: HealthListener = () => {},
  ) {}

  deaf(d: DeafLine): void {
    // A kernel limit hit at run time is served by polling at once: loud (warn, with the fix), not an outage.
    const level = d.cause === 'overflow-suspected' || isKernelLimit(d.scope, d.cause) ? 'warn' : 'error';
    const fields = {
      event: 'watch.deaf',
      scope: d.scope,
      path: d.path,
      cause: d.cause,
      detail: d.detail,
      ...(d.sinceMs !== undefined ? { sinceMs: Math.round(d.sinceMs) } : {}),
      ...(d.hint ? { hint: d.hint } : {}),
    };
    this.log[level](fields, withFix(d.detail, d.hint));
    this.onHealth(fields);
  }

  rearmed(r: { scope: DeafScope; path: string; cause: DeafCause; recoveryMs: number; changedWhileDeaf: number; detail?: string }): void {
    const changed =
      r.changedWhileDeaf > 0
        ? `${r.changedWhileDeaf} file${r.changedWhileDeaf === 1 ? '' : 's'} changed while deaf: checking them for a rebuild`
        : 'nothing relevant changed while deaf';
    const msg = `${r.detail ?? `re-armed ${r.scope} ${r.path} after ${r.cause}`} in ${Math.round(r.recoveryMs)}ms; ${changed}`;
    const fields = {
      event: 'watch.rearmed',
      scope: r.scope,
      path: r.path,
      cause: r.cause,
      recoveryMs: Math.round(r.recoveryMs),
      changedWhileDeaf: r.changedWhileDeaf,
    };
    this.log[r.changedWhileDeaf > 0 ? 'warn' : 'info'](fields, msg);
    this.onHealth(fields);
  }

  /** Extra fields (`paths`, `polledDirs`, `nativeDirs`: the budget's polled subtrees) go into the line too. */
  fallback(f: {
    scope: DeafScope;
    path: string;
    reason: string;
    hint?: string | undefined;
    loss: boolean;
    msg: string;
    /** The line's level (default: error after a loss, warn when planned). */
    level?: 'warn' | 'error';
    [extra: string]: unknown;
  }): void {
    const { scope, path, reason, hint, loss, msg, level, ...extra } = f;
    const fields = { event: 'watch.fallback', ...extra, scope, path, backend: 'poll', reason, ...(hint ? { hint } : {}) };
    this.log[level ?? (loss ? 'error' : 'warn')](fields, withFix(msg, hint));
    this.onHealth({ ...fields, loss });
  }

  /** A loss no recovery could repair (re-arming and polling both failed): edits are not seen. */
  stopped(r: { scope: DeafScope; path: string; cause: DeafCause; why: string; probeEverySec: number }): void {
    const fields = { event: 'watch.stopped', scope: r.scope, path: r.path, cause: r.cause, why: r.why };
    const msg = `watching ${r.path} is lost (${r.cause}) and no recovery works: re-arming failed, then polling failed (${r.why}); edits are NOT seen — native watching is retried every ${r.probeEverySec}s`;
    this.log.error(fields, withFix(msg, 'run `hotwatch doctor`, then restart hotwatch (under systemd, its watchdog does)'));
    this.onHealth(fields);
  }

  restored(r: { scope: DeafScope; path: string; msg: string }): void {
    const fields = { event: 'watch.restored', scope: r.scope, path: r.path, backend: 'native' };
    this.log.info(fields, r.msg);
    this.onHealth(fields);
  }

  budget(b: WatchBudget, outcome: string | undefined): void {
    const fields = {
      event: 'watch.budget',
      dirs: b.dirs,
      limit: b.limit,
      used: b.used,
      available: b.available,
      instancesUsed: b.instancesUsed,
      instancesLimit: b.instancesLimit,
      fits: b.fits,
      ...(b.hint ? { hint: b.hint } : {}),
    };
    const msg = outcome ? `${b.message}; ${outcome}` : b.message;
    // Fitting is the normal case: said at debug (the start-up's watching line has the count); not fitting is loud.
    this.log[b.fits ? 'debug' : 'error'](fields, withFix(msg, b.hint));
  }

  /** A watcher notice that is not about watch health: logged as before (watch.notice). */
  notice(n: WatchNotice): void {
    logNotice(this.log, n);
    // The kernel dropped events: service mode counts them (the loss, if new, has its own watch.deaf line).
    if (n.code === 'QUEUE_OVERFLOW') this.onHealth({ event: 'watch.overflow', scope: 'root', path: n.path ?? '' });
  }

  /** One of the watchdog's own watch.notice lines (a sentinel that cannot be written, a retry that failed). */
  say(level: 'info' | 'warn', code: NoticeCode, path: string | undefined, msg: string, err?: unknown): void {
    this.log[level]({ event: 'watch.notice', code, ...(path ? { path } : {}), ...(err === undefined ? {} : { err }) }, msg);
  }

  /** A notice that needs no line at info (a loss already reported, a re-arm the watchdog logs itself). */
  quiet(n: WatchNotice): void {
    this.log.debug({ event: 'watch.notice', code: n.code, path: n.path }, n.message);
  }

  warn(fields: Record<string, unknown>, msg: string): void {
    this.log.warn(fields, msg);
  }

  fault(name: string, detail: string): void {
    this.log.warn({ event: 'watchdog.fault', fault: name }, `test-only fault injected (HOTWATCH_TEST_FAULTS): ${detail}`);
  }

  tick(fields: Record<string, unknown>): void {
    if (this.log.isLevelEnabled('debug')) this.log.debug({ event: 'watchdog.tick', ...fields }, 'watchdog tick');
  }
}

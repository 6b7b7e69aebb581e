/**
 * How a failed build reads: the compiler's output once, under the BUILD FAILED line (it is streamed only
 * at debug level), with each `file:line:col` made to resolve from where hotwatch was started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import type { BuildResult } from './build.js';
import type { Report } from './job-state.js';
import { compilerErrors } from './compiler-output.js';
import { formatSeconds, indent } from './wording.js';

/** Lines of output shown under BUILD FAILED; the rest are counted (debug shows them as they came). */
const SHOWN_LINES = 100;

export interface BuildReportContext {
  onFailure: 'keep-running' | 'stop';
  buildDir: string;
  cwd: string;
  /** build.package as it is now (a config reload changes it). */
  buildPackage?: () => string;
  /** The main packages under the root now (preflight.ts findMainPackages), for a package that is gone. */
  mainPackages?: () => readonly string[];
  /** The environment builds run in (hotwatch's, then build.env). */
  buildEnv?: () => NodeJS.ProcessEnv;
}

/** Compiler errors, prominently: the log line says how many, what still serves, then the output once. */
export function reportBuildFailure(
  log: Logger,
  res: BuildResult,
  appRunning: boolean,
  ctx: BuildReportContext,
  restartInMs?: number,
): void {
  const serving =
    ctx.onFailure === 'stop' && appRunning
      ? 'stopping the app (build.onFailure: stop)'
      : appRunning
        ? 'the previous version keeps serving'
        : restartInMs !== undefined
          ? `the previous version, which crashed, restarts in ${formatSeconds(restartInMs)} (run.onCrash: restart)`
          : 'no app is running until a build succeeds';
  const body = res.output.trim();
  const { lines, count, errors } = compilerErrors(body ? body.split('\n') : [], ctx.buildDir, ctx.cwd);
  const why = [
    ...(res.step !== undefined ? [`build.steps: ${res.step}`] : []),
    res.timedOut ? `timed out after ${res.durationMs}ms` : `exit ${res.exitCode ?? '?'}, ${res.durationMs}ms`,
    ...(count > 0 ? [plural(count, 'error')] : []),
  ].join(', ');
  const shown = lines.slice(0, SHOWN_LINES);
  const more =
    lines.length > shown.length
      ? `\n    … and ${plural(lines.length - shown.length, 'more line')} (--log-level debug streams them all)`
      : '';
  const fix = timeoutFix(res) ?? toolchainFix(body) ?? cacheFix(body, ctx) ?? packageGoneFix(body, ctx) ?? cgoOffFix(body, ctx);
  const detail = `${shown.length > 0 ? `\n${indent(shown.join('\n'))}${more}` : '\n    (the build printed nothing)'}${fix ? `\n  fix: ${fix}` : ''}`;
  log.error(
    {
      event: 'build.failed',
      exitCode: res.exitCode,
      timedOut: res.timedOut,
      buildMs: res.durationMs,
      errorCount: count,
      output: lines.join('\n'),
      errors,
      ...(res.step !== undefined ? { step: res.step } : {}),
    },
    `${res.step !== undefined ? 'BUILD STEP FAILED' : 'BUILD FAILED'} (${why}): ${serving}${detail}`,
  );
}

/**
 * build.package is a directory that is gone (`git mv cmd/app cmd/server`): go says only "stat …: directory
 * not found". The fix names where the package comes from and the main packages there are now.
 */
function packageGoneFix(output: string, ctx: BuildReportContext): string | undefined {
  const pkg = ctx.buildPackage?.();
  // The directory gone (git mv cmd/app cmd/server), or still there without its Go files (mv main.go cmd/server/).
  const gone = /^stat (.+): directory not found$/m.exec(output)?.[1] ?? /^no Go files in (\/.+)$/m.exec(output)?.[1];
  if (pkg === undefined || gone === undefined || path.resolve(ctx.buildDir, pkg) !== gone) return undefined;
  const mains = ctx.mainPackages?.() ?? [];
  const now = mains.length > 0 ? `: main packages under the root now: ${mains.join(', ')}` : '';
  const to = mains.length === 1 ? mains[0]! : '<dir>';
  return `the main package ${pkg} (build.package, or --package) is gone (moved or renamed?)${now}. Run hotwatch again with --package ${to}, or, without --package, set build.package: ${to} in the config (applied at once)`;
}

/**
 * go's build cache it cannot write (a cache pre-warmed in a container image, owned by root, used by uid
 * 1000; a read-only mount): each build fails on a file under it, and no save can help.
 */
function cacheFix(output: string, ctx: BuildReportContext): string | undefined {
  const env = ctx.buildEnv?.() ?? process.env;
  const cache = env.GOCACHE || path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'go-build');
  const m = /^(?:go: )?(?:open|mkdir|rename|write|chmod) (\/\S+): (permission denied|read-only file system)$/m.exec(output);
  if (!m || !(m[1]!.startsWith(cache + path.sep) || m[1] === cache)) return undefined;
  return `go's build cache ${cache} cannot be written (${m[2]}), and no save can fix it: set GOCACHE to a directory you can write (e.g. build.env: { GOCACHE: /tmp/go-build }; a config edit applies at once), or make ${cache} yours (chown)`;
}

/** A build killed by build.timeout: no save can fix code that is fine; the timeout, or a warm cache, can. */
function timeoutFix(res: BuildResult): string | undefined {
  if (!res.timedOut) return undefined;
  return `the build ran longer than build.timeout (${Math.round(res.durationMs / 1000)} s) and was stopped: the code may be fine (a cold first build of a large module takes minutes). Raise build.timeout in the config (e.g. 15m; applied at once), or warm go's cache once (go build ./...), then save or press r: what go finished is cached`;
}

/**
 * "build constraints exclude all Go files in DIR" where DIR's Go files import "C" and CGO_ENABLED=0 is in
 * force (the shell's, or build.env): go says nothing of cgo, and the developer looks for a //go:build line.
 */
function cgoOffFix(output: string, ctx: BuildReportContext): string | undefined {
  const dir = /build constraints exclude all Go files in (\/.+)$/m.exec(output)?.[1];
  if (dir === undefined || ctx.buildEnv?.().CGO_ENABLED !== '0') return undefined;
  let cgo = false;
  try {
    cgo = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
      .some((f) => /^\s*import\s+(?:\(\s*)?"C"/m.test(fs.readFileSync(path.join(dir, f), 'utf8').slice(0, 64 << 10)));
  } catch {
    return undefined;
  }
  return cgo
    ? `its files import "C", and CGO_ENABLED=0 is set (in your environment, or build.env): go leaves cgo files out. Unset it, or set build.env: { CGO_ENABLED: "1" } (a C compiler is needed)`
    : undefined;
}

/** A fix for failures of the machine, not of the code, which go states without one. */
function toolchainFix(output: string): string | undefined {
  const cc = /cgo: C compiler "([^"]+)" not found/.exec(output);
  if (cc)
    return `install a C compiler (${cc[1]}: e.g. apt install gcc, apk add build-base), or build without cgo if no package needs it: build.env: { CGO_ENABLED: "0" }`;
  const full = /(\/\S+): no space left on device/.exec(output) ?? /no space left on device/.exec(output);
  if (full) {
    const where = full[1] !== undefined ? ` (${full[1]})` : '';
    return `the disk go writes to is full${where}: free space there (df -h shows where); the running app's binary keeps its space until the app stops, even once go has removed it`;
  }
  const variable = ENVIRONMENT_FAILURES.find(([pattern]) => pattern.test(output))?.[1];
  if (variable)
    return `this comes from the environment go runs in (${variable}), and no save can fix it: set ${variable} in build.env (a config edit applies at once), or correct it in your shell and start hotwatch again`;
  return undefined;
}

/** go's words for an environment it cannot work in, and the variables behind them. */
const ENVIRONMENT_FAILURES: ReadonlyArray<[RegExp, string]> = [
  [/^go: parsing \$GOFLAGS: /m, 'GOFLAGS'],
  [/^go: invalid GOTOOLCHAIN /m, 'GOTOOLCHAIN'],
  [/build cache is required, but could not be located/, 'GOCACHE, or HOME'],
  // HOME not writable (`docker run --user 1000` with HOME=/): a GOCACHE in a writable place is the way out.
  [/failed to initialize build cache at /, 'GOCACHE (a writable directory), or HOME'],
  [/^go: creating work dir: /m, 'TMPDIR, or GOTMPDIR'],
  [/^go: GOPATH entry is relative|^go: GOPATH entry cannot start with shell metacharacter/m, 'GOPATH'],
];

/** After BUILD FAILED, the news that the fix was seen, though nothing restarts. */
/** Up to three names, then how many more. */
const listShort = (names: readonly string[]): string =>
  names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;

const FAILURE_CLEARED = '; the failed build no longer applies, and the running app is that version';

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

type BuildTurn = Extract<
  Report,
  { kind: 'build.kept' | 'build.canceled' | 'build.failed-superseded' | 'build.same-binary' | 'build.reverted' }
>;

/** A build that does not end the usual way: let finish, canceled, superseded, the same binary, moot. */
export function reportBuildTurn(log: Logger, r: BuildTurn): void {
  switch (r.kind) {
    case 'build.kept':
      return log.info(
        { event: r.kind, trigger: r.trigger, waitingMs: r.waitingMs },
        `newer change (${r.trigger}), but this build goes on: changes have waited ${formatSeconds(r.waitingMs)} through canceled builds; its version starts, then the newer change builds`,
      );
    case 'build.canceled':
      return log.info(
        { event: r.kind, buildMs: r.buildMs, ...(r.reverted ? { reverted: true } : {}) },
        `build canceled after ${r.buildMs}ms${r.shuttingDown ? ' (shutting down)' : r.reverted ? ': the app keeps running' : ': a newer change is next'}`,
      );
    case 'build.failed-superseded':
      if (r.next === 'reported')
        return log.warn(
          { event: r.kind, buildMs: r.buildMs, next: r.next, times: r.times },
          `the build failed after ${r.buildMs}ms, and files changed while it ran, as during the ${(r.times ?? 1) - 1} builds before it: reported as a failure (below) rather than set aside again; a tool that keeps rewriting a watched file can be left out with watch.exclude`,
        );
      if (r.next === 'writer')
        return log.info(
          { event: r.kind, buildMs: r.buildMs, next: r.next },
          `the build failed after ${r.buildMs}ms, but a file it read is still being written (open for writing): not a failure (its output is at debug level); building it again once it is closed`,
        );
      return log.info(
        { event: r.kind, buildMs: r.buildMs, next: r.next },
        `the build failed after ${r.buildMs}ms, but files changed while it ran: not a failure (its output is at debug level)${
          r.next === 'shutdown' ? '' : r.next === 'newer-change' ? '; building the newer change' : '; building the files as they are now'
        }`,
      );
    case 'build.same-binary':
      // At info: the save was announced ("→ building"), and a person must not read its silence as "served"
      // (a comment, a module the build reads from vendor/ instead). Files go does not compile restart it.
      if (r.restarting)
        return log.info(
          { event: r.kind, pid: r.pid, buildMs: r.buildMs, restarting: r.restarting, ...(r.afterFailure ? { afterFailure: true } : {}) },
          `build ok in ${r.buildMs}ms: the same binary as the running app's (pid ${r.pid}), but ${listShort(r.restarting)} ${r.restarting.length === 1 ? 'is' : 'are'} not compiled into it (the app may read ${r.restarting.length === 1 ? 'it' : 'them'} at run time): restarting it${r.afterFailure ? FAILURE_CLEARED : ''}`,
        );
      return log.info(
        { event: r.kind, pid: r.pid, buildMs: r.buildMs, ...(r.afterFailure ? { afterFailure: true } : {}) },
        `build ok in ${r.buildMs}ms: the same binary as the running app's (pid ${r.pid}), so the change does not reach what go compiles: nothing to restart${r.afterFailure ? FAILURE_CLEARED : ''}`,
      );
    case 'build.reverted':
      // A build was announced at info: its end is said there too. Nothing in flight: debug, as the batch.
      return r.canceled
        ? log.info(
            { event: r.kind, pid: r.pid, canceled: true },
            `the files are back to what the app (pid ${r.pid}) runs: canceling the build, nothing restarts`,
          )
        : (r.afterFailure ? log.info : log.debug).call(
            log,
            { event: r.kind, pid: r.pid, canceled: false, ...(r.afterFailure ? { afterFailure: true } : {}) },
            `the files are back to what the app (pid ${r.pid}) runs: no build${r.afterFailure ? FAILURE_CLEARED : ''}`,
          );
  }
}

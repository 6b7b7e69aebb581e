/**
 * One abortable build. Default: `go build -o <output> <flags...> <package>` in the module root (args
 * array, no shell); with build.cmd: `/bin/sh -c <cmd>`. The build runs in its own process group and its
 * environment carries a marker, so cancel and timeout end the WHOLE tree (go forks compile and link; a
 * shell forks go) and runBuild resolves only after every process of the build is gone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { ChildProcess } from 'node:child_process';
import { HotwatchError } from '../errors.js';
import type { BuildSettings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { groupAlive, pollUntil, terminateTree, type EnvMarker } from './kill-tree.js';
import { pidsInGroup, pidsWithEnv, readCmdline, wrapSafeMs } from '../os/procfs.js';
import { checkBuiltOutput, prepareOutput } from './output-path.js';
import { spawnBuildProcess, type BuildProcess } from './build-process.js';
import type { AdoptedBuild, BuildAdopter, BuildSpawn } from './adopted-build.js';

export interface BuildResult {
  ok: boolean;
  canceled: boolean;
  timedOut: boolean;
  exitCode: number | undefined;
  durationMs: number;
  /** Combined stdout+stderr, trimmed to the last ~64 KiB. */
  output: string;
  command: string;
  /** Set when a build step (steps.ts) ran, not the build: its command. */
  step?: string;
  /**
   * Whether the build's output (`output`) is another file, or was changed, since just before the spawn (its
   * inode, ctime, size): what "this build wrote it" means. Undefined for a build adopted from the start-up
   * (spawned before it could be looked at: its spawn time decides), a combined build of apps and a step.
   */
  outputChanged?: { output: string; changed: boolean };
}

export interface BuildOptions {
  signal: AbortSignal;
  log: Logger;
  /** Each output line (stdout and stderr interleaved), as it arrives. */
  onLine?: (line: string) => void;
  /** Base environment (default process.env); build.env is applied on top. */
  env?: NodeJS.ProcessEnv;
  /**
   * Run this command (argv, no shell) instead of the build, with the same process-tree handling, timeout
   * and output: a build step (steps.ts). The binary is neither prepared nor checked then.
   */
  command?: { file: string; args: string[]; display: string };
  /**
   * Several main packages in one `go build -o DIR/` (apps/combined-builds.ts): go names each binary and
   * writes it into `dir`; the caller prepares, moves and checks each app's binary.
   */
  packages?: { dir: string; list: readonly string[] };
  /** A build spawned before (the first one, startup/early-build.ts): continued when it is this very build. */
  early?: BuildAdopter | undefined;
}

/** Runs one build: runBuild itself, or one that combines several apps' builds (apps/combined-builds.ts). */
export type BuildRunner = (s: BuildSettings, opts: BuildOptions) => Promise<BuildResult>;

export const BUILD_MARKER_KEY = 'HOTWATCH_BUILD_ID';
/** Grace between SIGTERM and SIGKILL of a canceled build's group. */
export const BUILD_KILL_GRACE_MS = 1_000;
const OUTPUT_LIMIT = 64 * 1024;
const HALF = OUTPUT_LIMIT / 2;
/** After the leader exits, how long its output may stay open before leftovers are stopped. */
const LEFTOVER_WAIT_MS = 500;
/** After the tree is stopped, how long to wait for the output pipe to close before closing it. */
const PIPE_WAIT_MS = 2_000;

export const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

export function buildCommand(s: BuildSettings, packages?: BuildOptions['packages']): { file: string; args: string[]; display: string } {
  if (s.cmd !== undefined && !packages) return { file: '/bin/sh', args: ['-c', s.cmd], display: s.cmd };
  const args = packages
    ? ['build', '-o', `${packages.dir}/`, ...s.flags, ...packages.list]
    : ['build', '-o', s.output, ...s.flags, s.package];
  return { file: 'go', args, display: ['go', ...args].map(quote).join(' ') };
}

function prepareDirs(s: BuildSettings): void {
  try {
    if (!fs.statSync(s.root).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new HotwatchError('ROOT_UNREADABLE', `cannot build in ${s.root}: ${(e as Error).message}`, {
      hint: 'check that the module root exists and is a readable directory (root in watcher.config.yaml or --root)',
      cause: e,
    });
  }
  const dir = path.dirname(s.output);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new HotwatchError('ROOT_UNREADABLE', `cannot create the build output directory ${dir}: ${(e as Error).message}`, {
      hint: 'make the directory writable or point build.output somewhere writable',
      cause: e,
    });
  }
}

/**
 * Splits streamed chunks into lines and keeps the output's first and last OUTPUT_LIMIT / 2 characters,
 * each cut at a line boundary: the first errors are the cause (the rest often follow from them), the last
 * say how it ended; what lies between is said as left out, never cut mid-line.
 */
class OutputCollector {
  private decoder = new StringDecoder('utf8');
  private pending = '';
  private head = '';
  private tail = '';
  private total = 0;
  constructor(
    private readonly onLine: ((line: string) => void) | undefined,
    private readonly log: Logger,
  ) {}

  push(chunk: Buffer | string): void {
    this.accept(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  end(): string {
    this.accept(this.decoder.end());
    if (this.pending) this.emit(this.pending);
    this.pending = '';
    const kept = this.head.length + this.tail.length;
    if (this.total === kept) return this.head + this.tail;
    const head = this.head.slice(0, this.head.lastIndexOf('\n') + 1);
    const cut = this.tail.length > HALF ? this.tail.indexOf('\n', this.tail.length - HALF) : -1;
    const tail = this.tail.length <= HALF ? this.tail : cut < 0 ? this.tail.slice(-HALF) : this.tail.slice(cut + 1);
    return `${head}... (${this.total - head.length - tail.length} characters of output left out) ...\n${tail}`;
  }

  private accept(text: string): void {
    if (!text) return;
    this.total += text.length;
    const room = HALF - this.head.length;
    if (room > 0) this.head += text.slice(0, room);
    this.tail += text.slice(Math.max(0, room));
    if (this.tail.length > 2 * OUTPUT_LIMIT) this.tail = this.tail.slice(-OUTPUT_LIMIT);
    const parts = (this.pending + text).split('\n');
    this.pending = parts.pop() ?? '';
    for (const line of parts) this.emit(line.replace(/\r$/, ''));
  }

  private emit(line: string): void {
    if (!this.onLine) return;
    try {
      this.onLine(line);
    } catch (e) {
      this.log.error({ event: 'build.online_failed', err: e }, `build output callback threw: ${String(e)}`);
    }
  }
}

export async function runBuild(s: BuildSettings, opts: BuildOptions): Promise<BuildResult> {
  let started = performance.now();
  const { file, args, display } = opts.command ?? buildCommand(s, opts.packages);
  const ownsOutput = !opts.command && !opts.packages;
  const done = (r: Partial<BuildResult>): BuildResult => ({
    ok: false,
    canceled: false,
    timedOut: false,
    exitCode: undefined,
    output: '',
    command: display,
    durationMs: Math.round(performance.now() - started),
    ...r,
  });
  if (opts.signal.aborted) return done({ canceled: true });
  const out = new OutputCollector(opts.onLine, opts.log);
  const baseEnv: NodeJS.ProcessEnv = { ...(opts.env ?? process.env), ...s.env };
  const early = await adoptOrPrepare(s, opts, { file, args, cwd: s.root, env: baseEnv }, out, ownsOutput);
  const outputBefore = early || opts.command || opts.packages ? undefined : outputStamp(s.output);
  const marker = early?.marker ?? { key: BUILD_MARKER_KEY, value: randomUUID() };
  const env: NodeJS.ProcessEnv = early?.env ?? { ...baseEnv, [marker.key]: marker.value };
  if (early) started = early.startedAt; // spawned at start-up: its time, and build.timeout, count from its spawn
  const timeout = new AbortController();
  const left = Math.max(0, s.timeoutMs - (performance.now() - started));
  const timer = setTimeout(() => timeout.abort(new Error(`build timed out after ${s.timeoutMs} ms`)), left);
  const stop = AbortSignal.any([opts.signal, timeout.signal]);
  logStart(opts.log, display, s.root, early);
  const sub = early ? adopted(early, stop) : spawnBuild(file, args, s.root, env, stop, out, opts.log);
  // The first way the run ends wins: exit, cancel, timeout. Cancel and timeout tear down the whole tree;
  // so does a leader that exited while others of its tree still hold the output pipe.
  const what = opts.command ? `the build step \`${display}\`` : `the build command \`${display}\``;
  const tree = new BuildTree(sub.child, marker, opts.log, what);
  const onStop = (): void => tree.tearDown('stop');
  stop.addEventListener('abort', onStop, { once: true });
  const result = await sub.result;
  tree.leaderSettled();
  stop.removeEventListener('abort', onStop);
  clearTimeout(timer);
  const stopReason = result.isCanceled ? (opts.signal.aborted && stop.reason === opts.signal.reason ? 'cancel' : 'timeout') : undefined;
  await tree.gone(started);
  const output = out.end();

  if (result.startError && !result.isCanceled) {
    const e = result.startError;
    throw spawnError(e.code, e.message, opts.command ? { ...s, cmd: display } : s, env, display);
  }
  const exitCode = result.exitCode;
  const r = done({
    ok: !result.failed && exitCode === 0,
    canceled: stopReason === 'cancel',
    timedOut: stopReason === 'timeout',
    exitCode,
    output,
    ...outputChange(s.output, outputBefore),
  });
  if (r.ok && ownsOutput) checkBuiltOutput(s.output);
  logResult(opts.log, r, opts.command ? { ...s, cmd: undefined } : s, result.signal); // a step: not build.cmd
  return r;
}

/**
 * BuildResult.outputChanged, when the output was looked at before the spawn: not for a build adopted from
 * the start-up, a step, or a combined build of apps (it writes a directory; each binary is moved onto its
 * output after).
 */
function outputChange(output: string, before: string | undefined): Pick<BuildResult, 'outputChanged'> {
  return before === undefined ? {} : { outputChanged: { output, changed: outputStamp(output) !== before } };
}

/** The file at `p` as a build's write would change it (inode, ctime, size), or 'none'. */
function outputStamp(p: string): string {
  const st = fs.statSync(p, { throwIfNoEntry: false, bigint: true });
  return st === undefined ? 'none' : `${st.ino}:${st.ctimeNs}:${st.size}`;
}

/** The build spawned early (startup/early-build.ts) when it is this very build; else the output made safe to write. */
async function adoptOrPrepare(
  s: BuildSettings,
  opts: BuildOptions,
  want: BuildSpawn,
  out: OutputCollector,
  ownsOutput: boolean,
): Promise<AdoptedBuild | undefined> {
  const early = await opts.early?.adopt(want, (text) => out.push(text), opts.log);
  if (early) return early; // prepared before its spawn
  if (ownsOutput) prepareOutput(s.root, s.output, opts.log); // never written through: see output-path.ts
  prepareDirs(s);
  return undefined;
}

/** Debug: the command, and whether it was spawned early (startup/early-build.ts). */
function logStart(log: Logger, display: string, cwd: string, early: AdoptedBuild | undefined): void {
  const at = early ? { early: true } : {};
  log.debug(
    { event: 'build.start', command: display, cwd, ...at },
    `building: ${display}${early ? ' (started early, while hotwatch was loading)' : ''}`,
  );
}

/** An adopted build, canceled through `stop` as a spawned one is. */
function adopted(early: AdoptedBuild, stop: AbortSignal): BuildProcess {
  const cancel = (): void => early.stop(stop.reason);
  if (stop.aborted) cancel();
  else stop.addEventListener('abort', cancel, { once: true });
  void early.sub.result.then(() => stop.removeEventListener('abort', cancel));
  return early.sub;
}

/**
 * The build in its own process group (so its whole tree can be stopped), output combined and
 * streamed line by line to `out`, never rejecting (the result says how it ended), SIGTERM then SIGKILL
 * when canceled.
 */
function spawnBuild(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  stop: AbortSignal,
  out: OutputCollector,
  log: Logger,
): BuildProcess {
  return spawnBuildProcess(file, args, {
    cwd,
    env,
    stop,
    killSignal: 'SIGTERM',
    forceKillAfterMs: BUILD_KILL_GRACE_MS,
    onOutput: (text) => out.push(text),
    onOutputError: (e) => log.warn({ event: 'build.output_error', err: e }, `reading build output failed: ${String(e)}`),
  });
}

/**
 * The build's process tree, torn down at most once: on cancel or timeout, or when the leader exited but
 * left processes behind (they hold the output pipe, or carry the build's marker).
 */
class BuildTree {
  private teardown: Promise<unknown> | undefined;
  /** The build's promise has settled: its output pipe closed. */
  private settled = false;
  private exitTimer: NodeJS.Timeout | undefined;
  private readonly leaderExit: Promise<void>;

  constructor(
    private readonly sub: ChildProcess,
    private readonly marker: EnvMarker,
    private readonly log: Logger,
    /** The build command or the step, as the warning names it. */
    private readonly what: string,
  ) {
    // An adopted build (adopted-build.ts) may have exited already: its 'exit' was before this.
    const exited = sub.exitCode !== null || sub.signalCode !== null;
    const leftoverTimer = (): void => {
      this.exitTimer = setTimeout(() => this.tearDown('leftover'), LEFTOVER_WAIT_MS);
    };
    this.leaderExit = exited ? Promise.resolve() : new Promise<void>((resolve) => sub.once('exit', () => resolve()));
    // The leader exited but the output is still open after a while: something of its tree holds it.
    if (exited) leftoverTimer();
    else sub.once('exit', leftoverTimer);
  }

  tearDown(why: 'stop' | 'leftover'): void {
    const pgid = this.sub.pid;
    if (pgid === undefined || this.teardown !== undefined) return;
    if (why === 'leftover') {
      const left = [...new Set([...pidsInGroup(pgid), ...pidsWithEnv(this.marker.key, this.marker.value)])].filter((p) => p !== pgid);
      const who = left
        .slice(0, 5)
        .map((p) => `pid ${p} (${readCmdline(p)})`)
        .join(', ');
      this.log.warn(
        {
          event: 'build.leftover',
          pgid,
          left,
          hint: 'a build command or step should not leave processes running (a watcher started with & belongs beside hotwatch)',
        },
        `${this.what} exited but left processes behind${who ? `: ${who}${left.length > 5 ? ', ...' : ''}` : ''}: stopping them (a watcher it starts with & belongs beside hotwatch, not in the build)`,
      );
    }
    const leaderExited = (): boolean => this.sub.exitCode !== null || this.sub.signalCode !== null;
    const { marker, leaderExit, log } = this;
    this.teardown = terminateTree({ pgid, leaderExited, leaderExit, marker, signal: 'SIGTERM', graceMs: BUILD_KILL_GRACE_MS, log }).then(
      () => this.closePipeIfHeld(pgid),
    );
  }

  /** The build's promise settled: no leftover timer is needed any more. */
  leaderSettled(): void {
    this.settled = true;
    clearTimeout(this.exitTimer);
  }

  /** Resolves once nothing of the build is left: a leftover found now is torn down first. */
  async gone(started: number): Promise<void> {
    const pgid = this.sub.pid;
    // Marked leftovers were born after the leader: a build too short to have turned the pid counter all
    // the way round needs to read only higher pids (this check is on the path of every build).
    const bornAfter = performance.now() - started < wrapSafeMs() ? pgid : undefined;
    if (
      this.teardown === undefined &&
      pgid !== undefined &&
      (groupAlive(pgid) || pidsWithEnv(this.marker.key, this.marker.value, bornAfter).length > 0)
    ) {
      this.tearDown('leftover');
    }
    await this.teardown;
  }

  /** A process that escaped both the group and the marker may still hold the pipe: never wait on it forever. */
  private async closePipeIfHeld(pgid: number): Promise<void> {
    if (await pollUntil(() => this.settled, PIPE_WAIT_MS)) return;
    this.log.error(
      {
        event: 'build.pipe_held',
        pgid,
        hint: 'a process outside the build tree keeps its output open; find it with `lsof -p` or `ls -l /proc/*/fd`',
      },
      'the build output pipe is still open after the build tree was stopped: closing it',
    );
    this.sub.stdout?.destroy();
    this.sub.stderr?.destroy();
  }
}

function spawnError(code: string | undefined, msg: string, s: BuildSettings, env: NodeJS.ProcessEnv, display: string): HotwatchError {
  if (code === 'ENOENT' && s.cmd === undefined) {
    return new HotwatchError('GO_MISSING', 'the Go toolchain was not found: `go` is not on PATH', {
      where: s.root,
      hint: `install Go (https://go.dev/dl/) or add its bin directory to PATH; searched PATH=${env.PATH ?? '(unset)'}`,
    });
  }
  return new HotwatchError('INTERNAL', `could not start the build command \`${display}\`: ${msg}`, {
    where: s.root,
    hint: code === 'ENOENT' ? 'is /bin/sh present? build.cmd runs through /bin/sh -c' : 'check the command and its permissions',
    exitCode: 1,
  });
}

/** Debug only: the caller (the supervisor) reports every build outcome to the user. */
function logResult(log: Logger, r: BuildResult, s: BuildSettings, signal: string | undefined): void {
  const how = r.ok
    ? 'ok'
    : r.canceled
      ? 'canceled'
      : r.timedOut
        ? `timed out (build.timeout ${s.timeoutMs} ms)`
        : r.exitCode !== undefined
          ? `failed (exit ${r.exitCode})`
          : `failed (signal ${signal ?? '?'})`;
  log.debug(
    {
      event: 'build.result',
      ok: r.ok,
      canceled: r.canceled,
      timedOut: r.timedOut,
      exitCode: r.exitCode,
      durationMs: r.durationMs,
      command: r.command,
    },
    `build ${how} in ${r.durationMs} ms`,
  );
  if (!r.ok && r.exitCode === 127 && s.cmd !== undefined) {
    log.warn(
      { event: 'build.not_found', hint: 'install the missing command or fix build.cmd' },
      'build.cmd exited 127: a command it runs was not found on PATH',
    );
  }
}

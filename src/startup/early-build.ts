/**
 * The first build, spawned as soon as the config is valid and the root is ours (src/cli/run.ts), before
 * the rest of hotwatch is even loaded: the logger, the runtime, the supervisor, the proxy and the service
 * take ~30-60 ms of module compiling and wiring that the build need not wait for (issue 19: launch →
 * first build start). The supervisor's first build adopts it (runBuild's `early`); it never runs on its
 * own account:
 * - its output (the compiler's lines) is held until it is adopted, then handed over as if it had just
 *   arrived, so the build's report is the same as for a build spawned by runBuild;
 * - adopted only when it is exactly the build runBuild would spawn: the same program, arguments,
 *   directory and environment (the environment is compared whole: service mode, for one, takes
 *   NOTIFY_SOCKET out of it before the first build). Anything else: it is stopped, whole tree, and the
 *   build runs as always;
 * - abandoned (its whole process tree stopped, and waited for) when the start-up fails after it was
 *   spawned (a check, the logger, the runtime before its first build) or hotwatch is told to stop: its
 *   output is never used then. The output path is prepared as runBuild prepares it (output-path.ts,
 *   never written through a link) before the spawn; a path that cannot be made safe gets no early build
 *   (runBuild then says why, at its place in the start-up).
 * Only when the first build runs while the watches are armed anyway (first-build.ts), for one app.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { errnoCode } from '../errors.js';
import { myUid } from '../os/safe-fs.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { spawnBuildProcess, type BuildProcess } from '../supervisor/build-process.js';
import { prepareOutput } from '../supervisor/output-path.js';
import { terminateTree, type EnvMarker } from '../supervisor/kill-tree.js';
import { firstBuildOrder } from './first-build.js';
import { processCpuMs } from './timings.js';
import { BUILD_KILL_GRACE_MS, BUILD_MARKER_KEY, buildCommand } from '../supervisor/build.js';
import type { AdoptedBuild, BuildAdopter, BuildSpawn } from '../supervisor/adopted-build.js';

type Warn = { obj: Record<string, unknown>; msg: string };

export class EarlyBuild implements BuildAdopter {
  /** performance.now() and Date.now() at the spawn. */
  readonly startedAt = performance.now();
  readonly startedWall = Date.now();
  /** The process's CPU time (user + system, ms) at the spawn, for the start-up's timings. */
  readonly startedCpuMs = processCpuMs();
  private held: string[] = [];
  private sink: ((text: string) => void) | undefined;
  private readonly stopper = new AbortController();
  private readonly sub: BuildProcess;
  private settled: 'adopted' | 'abandoned' | undefined;
  private abandoning: Promise<void> | undefined;

  private constructor(
    private readonly spawnAs: BuildSpawn,
    private readonly marker: EnvMarker,
    private readonly warnings: Warn[],
    /** The output path, when nothing was there before the spawn: removed again if the build is abandoned. */
    private readonly newOutput: string | undefined,
  ) {
    this.sub = spawnBuildProcess(spawnAs.file, [...spawnAs.args], {
      cwd: spawnAs.cwd,
      env: { ...spawnAs.env, [marker.key]: marker.value },
      stop: this.stopper.signal,
      killSignal: 'SIGTERM',
      forceKillAfterMs: BUILD_KILL_GRACE_MS,
      onOutput: (text) => (this.sink ? this.sink(text) : this.held.push(text)),
      // Said by runBuild's own handler once adopted; before that, the output is not used.
      onOutputError: () => undefined,
    });
  }

  /**
   * Spawns the first build now, when it may run before the watches are armed (first-build.ts) and the
   * output path can be made safe; undefined otherwise (the supervisor builds as always).
   */
  static start(s: Settings, env: NodeJS.ProcessEnv = process.env): EarlyBuild | undefined {
    const spawnAs = earlySpawn(s, env);
    return spawnAs && EarlyBuild.spawn(s.root, s.build.output, spawnAs);
  }

  /**
   * Spawns `spawnAs` now, its output path prepared as runBuild prepares it; undefined when that path
   * cannot be made safe (runBuild then says why, where the start-up reports a build's errors). Also the
   * remembered first build's spawn (remembered-build.ts), before the settings exist.
   */
  static spawn(root: string, output: string, spawnAs: BuildSpawn): EarlyBuild | undefined {
    const warnings: Warn[] = [];
    try {
      prepareOutput(root, output, { warn: (obj: Record<string, unknown>, msg: string) => warnings.push({ obj, msg }) });
    } catch {
      return undefined;
    }
    // After the preparing: what it removed (a planted link, another user's file) is not "there before".
    const existed = fs.existsSync(output);
    return new EarlyBuild(spawnAs, { key: BUILD_MARKER_KEY, value: randomUUID() }, warnings, existed ? undefined : output);
  }

  /** Exactly the build EarlyBuild.start would spawn for `s` (a build spawned before the settings existed). */
  isFor(s: Settings, env: NodeJS.ProcessEnv = process.env): boolean {
    const want = earlySpawn(s, env);
    return want !== undefined && sameSpawn(this.spawnAs, want);
  }

  /** Still running unadopted (neither adopted nor abandoned). */
  get pending(): boolean {
    return this.settled === undefined;
  }

  /**
   * The build, when `want` is exactly it (at most once), its held output handed to `onOutput` now; else
   * undefined, after it was stopped (the caller spawns its own).
   */
  async adopt(want: BuildSpawn, onOutput: (text: string) => void, log: Logger): Promise<AdoptedBuild | undefined> {
    if (this.settled !== undefined) return undefined;
    if (!sameSpawn(this.spawnAs, want)) {
      log.debug({ event: 'build.early-discarded' }, 'the build started early is not the one to run now: stopped, building again');
      await this.abandon(log);
      return undefined;
    }
    this.settled = 'adopted';
    for (const w of this.warnings) log.warn(w.obj, w.msg);
    for (const text of this.held.splice(0)) onOutput(text);
    this.sink = onOutput;
    return {
      sub: this.sub,
      marker: this.marker,
      env: { ...this.spawnAs.env, [this.marker.key]: this.marker.value },
      startedAt: this.startedAt,
      stop: (reason) => this.stopper.abort(reason),
    };
  }

  /**
   * Stops it, whole tree, and resolves once nothing of it is left (a no-op once adopted: the supervisor
   * owns it then). Its output is never used.
   */
  abandon(log?: Logger): Promise<void> {
    if (this.settled === 'adopted') return Promise.resolve();
    this.settled = 'abandoned';
    this.abandoning ??= this.stopTree(log);
    return this.abandoning;
  }

  private async stopTree(log: Logger | undefined): Promise<void> {
    log?.debug(
      { event: 'build.early-abandoned' },
      'the start-up ended before the first build: the build started early is stopped, its output unused',
    );
    const child = this.sub.child;
    const pgid = child.pid;
    const leaderExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
    if (pgid !== undefined) {
      const leaderExit = leaderExited() ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));
      await terminateTree({
        pgid,
        leaderExited,
        leaderExit,
        marker: this.marker,
        signal: 'SIGTERM',
        graceMs: BUILD_KILL_GRACE_MS,
        log: log ?? stderrOnly,
      });
    }
    this.stopper.abort(new Error('the start-up did not complete'));
    await this.sub.result;
    this.removeNewOutput(log);
    // What preparing its output path found (a link removed): said even though the build was not used.
    for (const w of this.warnings.splice(0)) (log ?? stderrOnly).warn(w.obj, w.msg);
  }

  /**
   * A build that finished before it was abandoned wrote its output: when nothing was there before its
   * spawn, that file is removed again (a start-up that ends in an error leaves no binary behind). A file
   * that was there before is left: the build replaced it (rename) with a build of the same sources.
   */
  private removeNewOutput(log: Logger | undefined): void {
    const file = this.newOutput;
    if (file === undefined) return;
    try {
      const st = fs.lstatSync(file);
      if (!st.isFile() || st.uid !== (myUid() ?? st.uid)) return;
      fs.unlinkSync(file);
      log?.debug({ event: 'build.early-output-removed', file }, `removed ${file}, written by the build started early and not used`);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT')
        (log ?? stderrOnly).warn({ err: e }, `could not remove ${file}, written by a build that was not used: ${String(e)}`);
    }
  }
}

/**
 * Before the logger exists: what goes wrong while stopping that build (a signal refused, a process that
 * survived) still reaches the person, on stderr; the progress lines do not.
 */
const toStderr = (_obj: unknown, msg: string): void => void process.stderr.write(`hotwatch: ${msg}\n`);
const stderrOnly = { warn: toStderr, error: toStderr, info: () => undefined, debug: () => undefined } as unknown as Logger;

/** The build to spawn early for `s`, when it may run before the watches are armed (first-build.ts). */
function earlySpawn(s: Settings, env: NodeJS.ProcessEnv): BuildSpawn | undefined {
  if (s.apps?.length || !firstBuildOrder(s).whileArming) return undefined;
  // Service mode takes these out of the environment before the first build: this one would not match.
  if (env.NOTIFY_SOCKET !== undefined || env.WATCHDOG_USEC !== undefined) return undefined;
  const { file, args } = buildCommand(s.build);
  return { file, args, cwd: s.root, env: { ...env, ...s.build.env } };
}

function sameSpawn(a: BuildSpawn, b: BuildSpawn): boolean {
  if (a.file !== b.file || a.cwd !== b.cwd || a.args.length !== b.args.length || a.args.some((x, i) => x !== b.args[i])) return false;
  const keys = Object.keys(a.env).filter((k) => a.env[k] !== undefined);
  const other = Object.keys(b.env).filter((k) => b.env[k] !== undefined && k !== BUILD_MARKER_KEY);
  return keys.length === other.length && keys.every((k) => a.env[k] === b.env[k]);
}

/**
 * The app process: started in its own process group with a unique environment marker, stopped with
 * signal → grace → SIGKILL of the group, plus a sweep of descendants that escaped the group (setsid)
 * found by the marker and by a /proc snapshot taken before signalling. Records the app tree's sockets
 * before the stop and reports any of them still listening afterwards, with port and holders.
 * stdin is /dev/null: the app runs in a background process group, where reading the terminal would
 * stop it (SIGTTIN) without a word.
 */
import { oomKillCount } from '../os/oom-kills.js';
import { mountContaining, readMounts, realPathOr } from '../os/mounts.js';
import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { HotwatchError, errnoCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { bindProbe, portHolders } from '../os/ports.js';
import { lastPid, readListeningSockets, socketInodesOf, wrapSafeMs } from '../os/procfs.js';
import { missingCwd } from '../os/missing-cwd.js';
import { signalGroup, snapshotTree, stillRunning, terminateTree, type EnvMarker, type KnownProcess } from './kill-tree.js';
import { stopDaemons } from './daemon.js';

export interface AppExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  uptimeMs: number;
  /**
   * The app had daemonized: its leader exited (code, signal) and these processes served, then ended too.
   * How they ended is not known: they were not hotwatch's children.
   */
  daemons?: number[];
  /** Of `daemons`, those still running without the marker (they replaced their environment): not stoppable by hotwatch. */
  escaped?: number[];
  /** Killed by SIGKILL while the machine's OOM kill count rose (os/oom-kills.ts): it ran out of memory. */
  outOfMemory?: true;
}

export interface StopResult {
  how: 'already-exited' | 'graceful' | 'killed';
  durationMs: number;
  exit: AppExit;
  /** descendants that survived the group signal (e.g. setsid escapees) and were SIGKILLed by the sweep */
  swept: { pid: number; cmd: string }[];
  /** ports the app tree listened on that are still held after stop, with the holders */
  portsStillHeld: { port: number; holders: { pid: number; cmd: string }[] }[];
  /** the leader had exited, leaving these marked processes (a daemon): they got the stop signal */
  daemons?: { pid: number; cmd: string }[];
  /** processes outside the app's group (setsid workers) that got the stop signal once the group was gone */
  escaped?: { pid: number; cmd: string }[];
}

export interface AppStartOptions {
  binary: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  log: Logger;
  /** When given, stdout and stderr are piped and forwarded here; otherwise they are inherited. */
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /** With onOutput: pipe only stderr (stdout stays the terminal's); default both. */
  piped?: 'stderr' | 'both';
}

/** The environment variable that tags every process of one app instance. */
export const APP_MARKER_KEY = 'HOTWATCH_APP_ID';
/** How long stop() waits for piped output to drain before closing pipes an escapee still holds. */
const DRAIN_MS = 200;
/** A stop still waiting this long is said (a long grace period is otherwise a silent wait). */
const STILL_STOPPING_MS = 3000;

function startError(e: unknown, o: AppStartOptions): HotwatchError {
  const code = errnoCode(e);
  const gone = missingCwd(code, o.cwd);
  const [what, hint] = gone
    ? [`${o.binary} cannot run: ${gone}`, 'restart hotwatch where the project is now (cd there; hotwatch run)']
    : code === 'ENOENT' && !o.binary.includes('/')
      ? [`\`${o.binary}\` is not on PATH`, 'install it, or give its path (hotwatch exec -- /path/to/cmd)']
      : code === 'ENOENT'
        ? [
            `${o.binary} does not exist`,
            'a failed build removes what it could not replace (a full disk), and git clean removes it too: the next good build writes it again (save a file, or press r); if builds succeed and it stays missing, check build.output, and that build.cmd writes to it',
          ]
        : code === 'EACCES'
          ? notExecutable(o.binary)
          : [`${o.binary}: ${String((e as Error)?.message ?? e)}`, 'check that the binary was built for this machine'];
  return new HotwatchError('APP_START_FAILED', `cannot start the app: ${what}`, { hint, cause: e });
}

/**
 * Why the kernel refused to run `binary` (EACCES), as far as can be told: a noexec mount (a dev container's
 * volume, a /tmp mounted so) refuses every binary whatever its mode, so chmod +x is no fix there; a mode
 * without x is; else a directory on the way, or a security module.
 */
function notExecutable(binary: string): [string, string] {
  const mount = binary.includes('/') ? mountContaining(realPathOr(binary), readMounts()) : undefined;
  if (mount?.mountOptions.includes('noexec')) {
    return [
      `${binary} cannot run: ${mount.mountPoint} is mounted noexec, where no binary may run (EACCES)`,
      `set build.output to a path on a filesystem mounted without noexec (\`findmnt -T DIR\` shows a directory's mount options), or remount ${mount.mountPoint} without noexec`,
    ];
  }
  let mode: number | undefined;
  try {
    mode = fs.statSync(binary).mode;
  } catch {
    mode = undefined;
  }
  if (mode !== undefined && (mode & 0o111) === 0)
    return [`${binary} is not executable (mode ${(mode & 0o777).toString(8)})`, `chmod +x ${binary}`];
  return [
    `${binary} could not be run (EACCES)`,
    'check that every directory on its path can be entered by you (ls -ld), and the logs of a security module (SELinux, AppArmor)',
  ];
}

async function drainOrDestroy(stream: Readable | null): Promise<void> {
  if (!stream || stream.closed || stream.destroyed) return;
  await Promise.race([once(stream, 'close').catch(() => undefined), sleep(DRAIN_MS)]);
  if (!stream.destroyed) stream.destroy();
}

export class AppProcess {
  readonly pid: number;
  readonly startedAt: number;
  /** performance.now() at the start: uptimes are measured on the monotonic clock (a wall clock stepped back a day said "after -86399692ms"). */
  private readonly startedMono: number;
  /** Resolves when the leader exits; never rejects. */
  readonly exited: Promise<AppExit>;
  private exit: AppExit | undefined;
  private stopping: Promise<StopResult> | undefined;
  /** How long it has run (monotonic). */
  uptimeMs(): number {
    return Math.round(performance.now() - this.startedMono);
  }

  /** A stop was asked for: an exit from now on is part of it. */
  get stopRequested(): boolean {
    return this.stopping !== undefined;
  }
  /** Aborted by forceKill(): the grace period of a stop (running or to come) ends at once. */
  private readonly graceCut = new AbortController();
  /** Aborted by forceKill(): what waits before the stop (its requests in flight) ends at once too. */
  get forced(): AbortSignal {
    return this.graceCut.signal;
  }
  /** The environment marker every process of this app instance carries. */
  readonly marker: EnvMarker;

  static start(opts: AppStartOptions): Promise<AppProcess> {
    try {
      if (!fs.statSync(opts.cwd).isDirectory()) throw new Error('not a directory');
    } catch (e) {
      return Promise.reject(
        new HotwatchError('APP_START_FAILED', `cannot start the app: working directory ${opts.cwd} is unusable (${(e as Error).message})`, {
          hint: 'set run.cwd to an existing directory',
          cause: e,
        }),
      );
    }
    const marker = { key: APP_MARKER_KEY, value: randomUUID() };
    const err = opts.onOutput ? 'pipe' : 'inherit';
    const out = opts.onOutput && opts.piped !== 'stderr' ? 'pipe' : 'inherit';
    let child: ChildProcess;
    try {
      child = spawn(opts.binary, opts.args, {
        cwd: opts.cwd,
        env: { ...opts.env, [marker.key]: marker.value },
        detached: true,
        stdio: ['ignore', out, err],
      });
    } catch (e) {
      return Promise.reject(startError(e, opts));
    }
    return new Promise((resolve, reject) => {
      const onError = (e: unknown): void => reject(startError(e, opts));
      child.once('error', onError);
      child.once('spawn', () => {
        child.off('error', onError);
        resolve(new AppProcess(child, marker, opts));
      });
    });
  }

  private constructor(
    private readonly child: ChildProcess,
    marker: EnvMarker,
    private readonly opts: AppStartOptions,
  ) {
    this.pid = child.pid as number;
    this.startedAt = Date.now();
    this.startedMono = performance.now();
    this.marker = marker;
    const log = opts.log;
    const oomKills = oomKillCount();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const oom = signal === 'SIGKILL' && oomKills !== undefined && (oomKillCount() ?? oomKills) > oomKills;
        this.exit = { code, signal, uptimeMs: this.uptimeMs(), ...(oom ? { outOfMemory: true as const } : {}) };
        log.debug({ event: 'app.exited', pid: this.pid, ...this.exit }, `app pid ${this.pid} exited`);
        resolve(this.exit);
      });
    });
    child.on('error', (e) => log.warn({ event: 'app.error', pid: this.pid, err: e }, `app process ${this.pid}: ${String(e)}`));
    const forward = (stream: Readable | null, name: 'stdout' | 'stderr'): void => {
      stream?.on('data', (c: Buffer) => {
        try {
          opts.onOutput?.(c, name);
        } catch (e) {
          log.error({ event: 'app.output_failed', err: e }, `app output callback threw: ${String(e)}`);
        }
      });
      stream?.on('error', (e) => log.warn({ event: 'app.output_error', stream: name, err: e }, `reading app ${name} failed: ${String(e)}`));
    };
    forward(child.stdout, 'stdout');
    forward(child.stderr, 'stderr');
  }

  private knownPorts: number[] | undefined;
  private prescanned: { at: number; known: KnownProcess[]; lastPid: number } | undefined;

  /**
   * The full /proc scan for this app's marked processes (setsid escapees), taken ahead of a stop, off its
   * critical path: the supervisor calls it while a build runs. The stop then reads only the processes
   * born since (a few pids) instead of every process's environment (measured: 1 ms for 70 processes
   * here; a desktop has hundreds).
   */
  prescan(): void {
    const last = lastPid();
    if (last === undefined || this.exit !== undefined || this.stopping !== undefined) return;
    // The group's members carry the marker: the environment scan finds them, no second pass over /proc.
    this.prescanned = { at: performance.now(), known: snapshotTree(this.pid, { marker: this.marker, group: false }), lastPid: last };
  }

  /** The ports the app tree was seen listening on: lets stop() probe them instead of reading /proc. */
  noteListening(ports: number[]): void {
    this.knownPorts = ports;
  }

  /**
   * Ports of the stopped tree still listening. With known ports, a ~1 ms bind probe each; the TCP tables'
   * listeners (~5 ms to read here) only when a probe fails or the ports are unknown.
   */
  private async stillHeld(sockets: Set<number>): Promise<number[]> {
    if (sockets.size === 0) return [];
    if (this.knownPorts) {
      const probes = await Promise.all(this.knownPorts.map((p) => bindProbe(p).catch(() => false)));
      if (probes.every(Boolean)) return [];
    }
    return readListeningSockets()
      .filter((t) => sockets.has(t.inode))
      .map((t) => t.localPort);
  }

  /**
   * Second Ctrl-C: no more grace. SIGKILL to the group now, and a stop in progress (or the next one)
   * skips the rest of its grace period and goes on to its sweep at once.
   */
  forceKill(): void {
    this.graceCut.abort();
    signalGroup(this.pid, 'SIGKILL', this.opts.log);
  }

  /** Idempotent: every call returns the first call's result. */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<StopResult> {
    this.stopping ??= this.doStop(signal, graceMs);
    return this.stopping;
  }

  private async doStop(signal: NodeJS.Signals, graceMs: number): Promise<StopResult> {
    const t0 = performance.now();
    const log = this.opts.log;
    const alreadyExited = this.exit !== undefined;
    // Before signalling: the leader's descendants, and those of the processes a prescan listed (still the
    // same process by start time: an exited one may have lent its pid to an unrelated one). With a
    // prescan, the group's members are known (marked) or the leader's descendants: no pass over /proc.
    // terminateTree adds the marked escapees born since once the group is gone.
    const pre = this.prescanned && performance.now() - this.prescanned.at < wrapSafeMs() ? this.prescanned : undefined;
    // A leader that exited may have left a daemon (marked, outside the group): it gets the stop signal
    // and the grace period first; the sweep below kills whatever is left of it.
    const daemons = alreadyExited ? await stopDaemons(this.marker, this.pid, signal, graceMs, this.graceCut.signal) : [];
    const roots = [...(pre?.known ?? []).filter(stillRunning).map((k) => k.pid), ...daemons.map((d) => d.pid)];
    const known = snapshotTree(this.pid, { group: !pre, moreRoots: roots });
    // The app tree's sockets, by identity (cheap readlinks). After the stop, any of them still in the
    // LISTEN table is held by a process we could not find (it inherited the fd): report it and its holder.
    const sockets = new Set([this.pid, ...known.map((k) => k.pid)].flatMap((p) => socketInodesOf(p)));
    const still = setTimeout(() => {
      log.info(
        { event: 'app.still-stopping', pid: this.pid, signal, graceMs },
        `app (pid ${this.pid}) ${this.exit === undefined ? 'still running' : 'exited, its processes still running'} ${(STILL_STOPPING_MS / 1000).toFixed(1)} s after ${signal}: ${
          graceMs < STILL_STOPPING_MS
            ? `SIGKILL was sent after run.gracePeriod (${(graceMs / 1000).toFixed(1)} s); a process SIGKILL does not end is stuck in the kernel (ps state D: a hung disk or network filesystem)`
            : `SIGKILL once run.gracePeriod (${(graceMs / 1000).toFixed(1)} s) is over`
        }`,
      );
    }, STILL_STOPPING_MS);
    still.unref();
    const term = await terminateTree({
      pgid: this.pid,
      leaderExited: () => this.exit !== undefined,
      leaderExit: this.exited,
      marker: this.marker,
      known,
      ...(pre ? { markerBornAfter: pre.lastPid } : {}),
      signal,
      graceMs,
      cut: this.graceCut.signal,
      log,
    }).finally(() => clearTimeout(still));
    await Promise.all([drainOrDestroy(this.child.stdout), drainOrDestroy(this.child.stderr)]);
    // terminateTree waited (bounded) for the leader; an exit still missing is a leader stuck in state D.
    const exit = this.exit ?? { code: null, signal: null, uptimeMs: this.uptimeMs() };
    const held = await this.stillHeld(sockets);
    const portsStillHeld = [...new Set(held)].sort((a, b) => a - b).map((port) => ({ port, holders: portHolders(port) }));
    const res: StopResult = {
      how: alreadyExited ? 'already-exited' : term.graceful ? 'graceful' : 'killed',
      durationMs: Math.round(performance.now() - t0),
      exit,
      swept: term.swept,
      portsStillHeld,
      ...(daemons.length > 0 ? { daemons } : {}),
      ...(term.escaped.length > 0 ? { escaped: term.escaped } : {}),
    };
    log.debug({ event: 'app.stopped', pid: this.pid, ...res }, `app pid ${this.pid} stopped (${res.how})`);
    return res;
  }
}

/**
 * The app as the job's effect loop starts and follows it: the binary's identity read before the spawn,
 * the app's stderr passed through (and read for a port already in use, which Go reports only as
 * `bind: address already in use`), and its end: the leader's exit, or, when it daemonized, the moment no
 * process with its marker is left.
 */
import type { RunSettings } from '../config/settings.js';
import type { Logger } from '../log/logger.js';
import { portHolders } from '../os/ports.js';
import { isRunning } from '../os/procfs.js';
import { binaryIdentity } from './binary-identity.js';
import { daemonGone, markedProcesses, reportDaemonized } from './daemon.js';
import { AppProcess, type AppExit } from './process.js';
import type { AppProxy } from './supervisor-options.js';
import { WrongPortWatch } from './wrong-port.js';
import { foreignBinary } from './foreign-binary.js';
import { HotwatchError } from '../errors.js';

export interface JobAppOptions {
  run: RunSettings;
  log: Logger;
  signal: AbortSignal;
  /** The app's environment, computed at each start (env files are re-read). */
  appEnv: () => NodeJS.ProcessEnv;
  /** Where the app's stderr goes once read (default: hotwatch's stderr). */
  stderr?: NodeJS.WritableStream | undefined;
  /** Added to the app's environment at this start (the proxy's port variable). */
  extraEnv?: Record<string, string> | undefined;
  /** Whether a process is one of this run's apps (it carries one of their markers): a version serving beside this one. */
  ownApp?: (pid: number) => boolean;
}

/** Lines kept of an app's stderr: what the browser overlay shows when it crashes or never gets ready. */
const TAIL_LINES = 20;

/** The last lines an app wrote to stderr (a panic, a log.Fatal). */
export class OutputTail {
  private readonly kept: string[] = [];
  private partial = '';

  add(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = (parts.pop() ?? '').slice(-MAX_PARTIAL);
    for (const line of parts) this.kept.push(line.slice(0, 500));
    if (this.kept.length > TAIL_LINES) this.kept.splice(0, this.kept.length - TAIL_LINES);
  }

  get lines(): string[] {
    return this.partial ? [...this.kept, this.partial].slice(-TAIL_LINES) : [...this.kept];
  }
}

/**
 * Starts the app; `identity`: of the binary it runs. Read while the app is spawned, not before (off the
 * save's critical path): no build runs while the job is starting, so nothing replaces the binary meanwhile.
 */
export async function startAppForJob(o: JobAppOptions): Promise<{ app: AppProcess; identity: string | undefined; tail: OutputTail }> {
  const { binary, args, cwd } = o.run;
  const foreign = foreignBinary(binary);
  if (foreign) {
    const set = ['GOOS', 'GOARCH'].filter((k) => o.appEnv()[k] !== undefined || process.env[k] !== undefined);
    throw new HotwatchError(
      'APP_START_FAILED',
      `cannot start the app: ${binary} is ${foreign}, built for another system${set.length ? ` (${set.map((k) => `${k}=${process.env[k] ?? o.appEnv()[k]}`).join(', ')} is set)` : ''}`,
      {
        hint: 'unset GOOS and GOARCH in the shell hotwatch runs in (then start it again), or set build.env: { GOOS: linux } in the config (applied at once)',
      },
    );
  }
  const identifying = binaryIdentity(binary);
  const bind = new BindErrorWatch(o.log, o.ownApp ?? (() => false));
  const tail = new OutputTail();
  const stderr = o.stderr ?? process.stderr;
  const onOutput = (chunk: Buffer): void => {
    try {
      stderr.write(chunk);
    } catch {
      // hotwatch's own stderr is gone: its logger shuts hotwatch down
    }
    bind.scan(chunk);
    tail.add(chunk);
  };
  const env = { ...o.appEnv(), ...o.extraEnv };
  const [app, identity] = await Promise.all([
    AppProcess.start({ binary, args, env, cwd, log: o.log, piped: 'stderr', onOutput }),
    identifying,
  ]);
  return { app, identity, tail };
}

/**
 * Resolves with the app's exit once it has ended on its own: its leader exited and no process with its
 * marker is left (a daemon it left running is said once, then waited for). Undefined when the end is a
 * stop's (or hotwatch's shutdown): the stop reports it.
 */
export async function appEnded(app: AppProcess, log: Logger, signal: AbortSignal): Promise<AppExit | undefined> {
  const exit = await app.exited;
  const left = app.stopRequested ? [] : markedProcesses(app.marker, app.pid);
  if (left.length === 0) return exit;
  void reportDaemonized(log, app.pid, left, app.marker, signal);
  await daemonGone(app.marker, app.pid, signal);
  if (app.stopRequested || signal.aborted) return undefined;
  const escaped = left.filter(isRunning);
  return { ...exit, uptimeMs: app.uptimeMs(), daemons: left, ...(escaped.length > 0 ? { escaped } : {}) };
}

/**
 * Behind the proxy: the app just started must prove it serves (waitReady) before the proxy switches to
 * it. Undefined when it is ready; otherwise why not (it exited, or the deadline passed), the app then stopped.
 */
export async function proveReady(
  app: AppProcess,
  port: number,
  proxy: AppProxy,
  o: { signal: AbortSignal; stopSignal: NodeJS.Signals; gracePeriodMs: number; log: Logger },
): Promise<string | undefined> {
  const ctrl = new AbortController();
  let exited: AppExit | undefined;
  void app.exited.then((exit) => {
    exited = exit;
    ctrl.abort(new Error('exited'));
  });
  const onAbort = (): void => ctrl.abort(new Error('shutdown'));
  o.signal.addEventListener('abort', onAbort, { once: true });
  const wrongPort = new WrongPortWatch(app.pid, port, proxy.portEnv, o.log, (title, lines) => proxy.failed({ title, lines }));
  try {
    const res = await proxy.waitReady(port, ctrl.signal);
    if (res.ready) return undefined;
    const elsewhere = wrongPort.note();
    await app.stop(o.stopSignal, o.gracePeriodMs);
    return `it was not ready after ${formatMs(res.afterMs)} (proxy.readyTimeout ${formatMs(proxy.readyTimeoutMs)}; port ${port} in $${proxy.portEnv}: ${res.why}${elsewhere})`;
  } catch {
    if (exited === undefined) {
      await app.stop(o.stopSignal, o.gracePeriodMs);
      return 'hotwatch is shutting down';
    }
    const how = exited.signal ? `killed by ${exited.signal}` : `exit code ${exited.code}`;
    return `it exited (${how}) after ${formatMs(exited.uptimeMs)}, before it was ready`;
  } finally {
    wrongPort.stop();
    o.signal.removeEventListener('abort', onAbort);
  }
}

const formatMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms)}ms`);

/** `listen tcp 127.0.0.1:8080: bind: address already in use` (also tcp4/tcp6, [::]:8080, :8080). */
const BIND_IN_USE = /listen tcp[46]? \S*:(\d+): bind: address already in use/;
/** Longest partial line kept between chunks. */
const MAX_PARTIAL = 4096;

/** Reads the app's output for a port already in use, and names who holds it (once per app). */
class BindErrorWatch {
  private partial = '';
  private said = false;

  constructor(
    private readonly log: Logger,
    private readonly ownApp: (pid: number) => boolean,
  ) {}

  scan(chunk: Buffer): void {
    if (this.said) return;
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = (lines.pop() ?? '').slice(-MAX_PARTIAL);
    for (const line of lines) {
      const port = Number(BIND_IN_USE.exec(line)?.[1]);
      if (port > 0) return this.report(port);
    }
  }

  private report(port: number): void {
    this.said = true;
    const holders = portHolders(port);
    // One of this run's apps: the version serving beside this one. Its kill was the advice, and nothing would have served.
    const own = holders.find((h) => this.ownApp(h.pid));
    if (own) {
      const hint =
        'a second fixed port (pprof, metrics, admin) cannot be shared by two versions: set proxy.proveNewVersion: false (each version then starts once the previous one has stopped), or give that port through the environment';
      this.log.error(
        { event: 'app.port-in-use', port, holders, own: own.pid, hint },
        `the app cannot listen on :${port}: the version hotwatch serves now (pid ${own.pid}) holds it, and this one starts beside it (behind the proxy, proxy.proveNewVersion); ${hint}`,
      );
      return;
    }
    const who =
      holders.length > 0 ? holders.map((h) => `pid ${h.pid} (${h.cmd})`).join(', ') : "a process hotwatch cannot see (another user's?)";
    const hint =
      holders.length > 0
        ? `stop it (kill ${holders[0]!.pid}), or change the port the app listens on`
        : `find it with \`ss -ltnp 'sport = :${port}'\`, or change the port`;
    this.log.error(
      { event: 'app.port-in-use', port, holders, hint },
      `the app cannot listen on :${port}: the port is already in use by ${who}; ${hint}`,
    );
  }
}

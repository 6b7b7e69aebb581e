/**
 * Service mode in one object, so the runtime's wiring is a few lines: it implements StatusSource, calls
 * the MetricsRecorder as things happen (and `changed()` on each job state change), and closes this at
 * the end. From those alone this sends READY=1 (first app serving, or the first outcome that leaves
 * hotwatch waiting for an edit: a failed build, an app that exited), STATUS= on every change of the line,
 * STOPPING=1 when `signal` aborts, WATCHDOG=1 while watching is healthy; and serves `.hotwatch/control.sock`.
 */
import { LazyMetrics, type Live } from './metrics.js';
import { ServiceFacts } from './facts.js';
import { ServiceRecorder, type MetricsRecorder } from './recorder.js';
import { createNotifier, type Notifier } from './notify.js';
import { startControlServer, type ControlServer, type ReloadResult } from './control-server.js';
import { healthOf, snapshot, statusLine, watchdogVerdict, type StatusSnapshot, type StatusSource } from './status.js';

/** The slice of a pino logger this uses. */
export interface ServiceLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ServiceModeOptions {
  root: string;
  /** The status socket was gone (git clean -fdx of .hotwatch/) and is placed again: so is what else lived there. */
  onControlPlacedAgain?: () => void;
  version: string;
  source: StatusSource;
  /** The runtime's root signal: its abort is the shutdown (STOPPING=1). */
  signal: AbortSignal;
  log: ServiceLog;
  /** Where NOTIFY_SOCKET and WATCHDOG_* are read (default process.env, which they are then removed from). */
  env?: NodeJS.ProcessEnv;
  /** Config reload for POST /reload (RELOADING=1 around it). */
  reload?: () => Promise<ReloadResult>;
  /** Also serve status and metrics on this loopback port. */
  tcp?: { port: number; host?: string };
  /** A scope deaf for longer stops the systemd pings (default 30 s). */
  deafGraceMs?: number;
  clock?: () => number;
  /** Replaces the notifier (tests). */
  notifier?: Notifier;
  /** The proxy's address (status names it: the app's own port behind it changes at every start). */
  proxy?: string;
}

export interface ServiceMode {
  readonly recorder: MetricsRecorder;
  readonly notifier: Notifier;
  /** Undefined when the endpoint could not start (said in the log; hotwatch runs on without it). */
  readonly control: ControlServer | undefined;
  /** Call on every job state change the recorder does not already report (cheap, coalesced). */
  changed(): void;
  /** Config reload from now on (POST /reload answers 501 until then). */
  bindReload(reload: (trigger: string) => Promise<ReloadResult>): void;
  /** A config reload, with RELOADING=1 (and MONOTONIC_USEC) before and READY=1 after; a rejected one in STATUS=. */
  reload(trigger: string): Promise<ReloadResult>;
  snapshot(): StatusSnapshot;
  close(): Promise<void>;
}

export async function startServiceMode(o: ServiceModeOptions): Promise<ServiceMode> {
  const clock = o.clock ?? Date.now;
  const facts = new ServiceFacts();
  const meta = { root: o.root, version: o.version, pid: process.pid, startedAt: clock(), ...(o.proxy ? { proxy: o.proxy } : {}) };
  const live = (): Live => {
    const job = o.source.job();
    const watch = o.source.watch();
    return { job, watch, health: healthOf(job, watch, facts, clock(), o.source.apps?.()) };
  };
  const metrics = new LazyMetrics(o.version, meta.startedAt, live, (e) =>
    o.log.warn({ event: 'service.metrics-failed', err: e }, `metrics could not be loaded: ${String(e)}`),
  );
  const snap = () => snapshot(o.source, facts, meta, clock());

  let pinging = true;
  const notifier =
    o.notifier ??
    createNotifier({
      env: o.env ?? process.env,
      healthy: () => watchdogVerdict(o.source.watch(), clock(), o.deafGraceMs),
      onWatchdog: (t) => {
        if (t.pinged === pinging) return;
        pinging = t.pinged;
        if (t.pinged) o.log.info({ event: 'service.watchdog', pinging: true }, 'systemd watchdog: pinging again');
        else
          o.log.warn(
            { event: 'service.watchdog', pinging: false, why: t.why },
            `systemd watchdog: pings stopped (${t.why}); systemd restarts hotwatch unless it recovers`,
          );
      },
    });
  const notify = notifyOnChange(notifier, snap, () => o.source.armed?.() ?? true, o.log);
  const recorder = new ServiceRecorder(facts, metrics, notify.changed, clock);

  const onAbort = () => void notifier.stopping(`stopping: ${String((o.signal.reason as Error)?.message ?? o.signal.reason ?? 'shutdown')}`);
  o.signal.addEventListener('abort', onAbort, { once: true });

  const reloads = new ReloadBinding(notifier, () => statusLine(snap()), notify.changed, o.reload);
  const control = await controlWithRetry(o, (quiet) =>
    startControl(o, snap, metrics, () => (reloads.bound ? reloads.run('POST /reload') : undefined), quiet),
  );
  return {
    recorder,
    notifier,
    get control() {
      return control.get();
    },
    changed: notify.changed,
    bindReload: (f) => reloads.bind(f),
    reload: (trigger) => reloads.run(trigger),
    snapshot: snap,
    close: async () => {
      o.signal.removeEventListener('abort', onAbort);
      notify.cancel();
      await control.close();
      await notifier.close();
    },
  };
}

/** STATUS= when the line changes, READY=1 once; coalesced to one look per turn of the event loop, after the supervisor's own updates. */
function notifyOnChange(notifier: Notifier, snap: () => StatusSnapshot, armed: () => boolean, log: ServiceLog) {
  let scheduled: NodeJS.Immediate | undefined;
  let ready = false;
  let lastError: string | undefined; // said once, not on every change
  const look = () => {
    scheduled = undefined;
    const s = snap();
    const line = statusLine(s);
    // Ready means watched too: an app that serves before its watches are armed is not yet what READY=1 promises.
    const settled = armed() && (s.health.serving || ['build-failed', 'exited', 'backoff'].includes(s.state.name));
    const first = !ready && settled;
    if (first) ready = true;
    const sent = first ? notifier.ready(line) : notifier.status(line);
    void sent.then((r) => {
      if (!r.ok && r.error !== lastError)
        log.warn({ event: 'service.notify-failed', error: r.error }, `systemd notification not sent: ${r.error}`);
      lastError = r.ok ? undefined : r.error;
    });
  };
  return {
    changed: () => {
      if (notifier.enabled) scheduled ??= setImmediate(look);
    },
    cancel: () => clearImmediate(scheduled),
  };
}

/** The config reload, bound once the runtime can run it; each run between RELOADING=1 and READY=1. */
class ReloadBinding {
  private reload: ((trigger: string) => Promise<ReloadResult>) | undefined;

  constructor(
    private readonly notifier: Notifier,
    private readonly line: () => string,
    private readonly changed: () => void,
    initial: (() => Promise<ReloadResult>) | undefined,
  ) {
    this.reload = initial && (() => initial());
  }

  get bound(): boolean {
    return this.reload !== undefined;
  }

  bind(f: (trigger: string) => Promise<ReloadResult>): void {
    this.reload = f;
  }

  /** RELOADING=1 (with MONOTONIC_USEC) before, READY=1 after, with the reload's error as STATUS= when it was rejected. */
  async run(trigger: string): Promise<ReloadResult> {
    const reload = this.reload;
    if (!reload) return { ok: false, message: 'config reload is not available in this hotwatch' };
    await this.notifier.reloading('reloading the config');
    let result: ReloadResult | undefined;
    try {
      result = await reload(trigger);
      return result;
    } finally {
      const rejected = result && !result.ok ? `config reload rejected (the old config keeps running): ${result.message}` : undefined;
      await this.notifier.ready(rejected ?? this.line());
      if (!rejected) this.changed();
    }
  }
}

/**
 * The status endpoint; refused at start (something else stands at control.sock), tried again every 15 s
 * until it is gone, said when placed.
 */
async function controlWithRetry(o: ServiceModeOptions, start: (quiet: boolean) => ReturnType<typeof startControl>) {
  let control = await start(false);
  if (control?.fallback)
    o.log.info(
      { event: 'service.control-fallback', socket: control.socketPath },
      `status socket at ${control.socketPath}: ${control.fallback} (hotwatch status finds it there)`,
    );
  const again = async (): Promise<void> => {
    if (control !== undefined || o.signal.aborted) return;
    control = await start(true);
    if (control === undefined) return;
    clearInterval(retry);
    o.log.info(
      { event: 'service.control-placed', socket: control.socketPath },
      `status socket placed at ${control.socketPath} (what stood there is gone)`,
    );
  };
  const retry = control === undefined ? setInterval(() => void again(), CONTROL_RETRY_MS).unref() : undefined;
  return {
    get: () => control,
    close: async () => {
      clearInterval(retry);
      await control?.close();
    },
  };
}

/** How often a status socket refused at start (something else at control.sock) is tried again. */
const CONTROL_RETRY_MS = 15_000;

/** `quiet`: a retry, whose failure was said at start already. */
async function startControl(
  o: ServiceModeOptions,
  snap: () => StatusSnapshot,
  metrics: LazyMetrics,
  reload: () => Promise<ReloadResult> | undefined,
  quiet = false,
) {
  try {
    return await startControlServer({
      root: o.root,
      // At a request, what the app listens on is read from the system (verify), not remembered.
      status: () => {
        o.source.verify?.();
        return snap();
      },
      metrics: () => metrics.exposition(),
      ...(o.tcp ? { tcp: o.tcp } : {}),
      reload,
      onError: (e) => o.log.warn({ event: 'service.control-error', err: e }, `status endpoint: ${String(e)}`),
      onPlacedAgain: (socket, err) => {
        if (err !== undefined) {
          o.log.warn(
            { event: 'service.control-replaced', socket, err },
            `the status socket ${socket} was removed and cannot be placed again (${(err as Error)?.message ?? String(err)}): hotwatch status will not find this hotwatch; tried again in a while`,
          );
          return;
        }
        o.onControlPlacedAgain?.();
        o.log.info(
          { event: 'service.control-replaced', socket },
          `the status socket was gone (git clean, or the root replaced?): placed again at ${socket}`,
        );
      },
    });
  } catch (e) {
    if (!quiet)
      o.log.warn(
        { event: 'service.control-unavailable', err: e },
        `no status endpoint (hotwatch status will not find this hotwatch): ${(e as Error).message}; tried again every ${CONTROL_RETRY_MS / 1000} s`,
      );
    return undefined;
  }
}

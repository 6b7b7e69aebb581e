/**
 * systemd's notify protocol for `hotwatch run` under a Type=notify unit: READY=1 once something is worth
 * waiting for (the first app serving, or the first build failed: both are a working hotwatch), STATUS= on
 * every change a person would want in `systemctl status`, RELOADING=1 around a config reload,
 * STOPPING=1 at shutdown, and WATCHDOG=1 every half WATCHDOG_USEC while `healthy()` says the watcher and
 * the supervisor work. When watching is lost and could not be recovered, the pings stop and systemd
 * restarts the unit: a deaf hotwatch is never left looking alive.
 *
 * Without NOTIFY_SOCKET every call is a no-op that costs nothing (no helper is built or started).
 */
import { HelperTransport, type NotifyTransport, type SendResult } from './notify-transport.js';
import { serviceHelper } from './helper-binary.js';

export type { SendResult } from './notify-transport.js';

/** Whether the pings may go on; `why` is said when they stop. */
export type HealthVerdict = { ok: true } | { ok: false; why: string };

export interface NotifierOptions {
  /** Where NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Removes those three from `env` once read, so the app and the builds do not inherit them (with
   * NotifyAccess=all, an app that speaks the protocol itself would be believed). Default: true when
   * `env` is process.env.
   */
  unsetEnvironment?: boolean;
  /** Asked before each WATCHDOG=1 (default: always healthy). */
  healthy?: () => HealthVerdict | boolean;
  /** Each watchdog tick: pinged, or skipped and why (the runtime logs a change of state). */
  onWatchdog?: (tick: { pinged: true } | { pinged: false; why: string }) => void;
  /** Replaces the helper (tests, measurements). */
  transport?: NotifyTransport;
  /** The pid sent as MAINPID and compared with WATCHDOG_PID (default process.pid). */
  pid?: number;
}

export interface Notifier {
  /** False without NOTIFY_SOCKET: every method then resolves { ok: true } at once. */
  readonly enabled: boolean;
  /** The ping period (half WATCHDOG_USEC), or undefined when systemd asked for no watchdog. */
  readonly watchdogIntervalMs: number | undefined;
  ready(status?: string): Promise<SendResult>;
  /** A one-line STATUS=; the same text twice in a row is sent once. */
  status(text: string): Promise<SendResult>;
  /** RELOADING=1 with MONOTONIC_USEC (systemd needs the timestamp to tell this reload from an older one); ready() ends it. */
  reloading(status?: string): Promise<SendResult>;
  watchdogPing(): Promise<SendResult>;
  /** Asks systemd for `ms` more before it gives up on the start (a first build downloading modules). */
  extendTimeout(ms: number): Promise<SendResult>;
  stopping(status?: string): Promise<SendResult>;
  /** Stops the pings and the helper; idempotent. */
  close(): Promise<void>;
}

const SERVICE_VARS = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;
const OK: SendResult = { ok: true };

/** STATUS= is one assignment: a newline in it would start another one (READY=1 from an error message). */
export function oneLine(text: string, max = 400): string {
  const flat = text.replace(/[\r\n]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** CLOCK_MONOTONIC in µs, the clock systemd reads MONOTONIC_USEC on (libuv's hrtime is that clock on Linux). */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/** The watchdog period systemd asked of this process: half WATCHDOG_USEC, as sd_watchdog_enabled advises. */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined; // meant for another process
  return Math.max(1, Math.floor(usec / 2000));
}

export function createNotifier(opts: NotifierOptions = {}): Notifier {
  const env = opts.env ?? process.env;
  const pid = opts.pid ?? process.pid;
  const socket = env.NOTIFY_SOCKET;
  const interval = socket ? watchdogInterval(env, pid) : undefined;
  if (opts.unsetEnvironment ?? env === process.env) for (const k of SERVICE_VARS) delete env[k];
  if (!socket) return disabledNotifier();
  const transport = opts.transport ?? new HelperTransport(socket, () => serviceHelper());
  return new SocketNotifier(transport, pid, interval, opts);
}

function disabledNotifier(): Notifier {
  const ok = () => Promise.resolve(OK);
  return {
    enabled: false,
    watchdogIntervalMs: undefined,
    ready: ok,
    status: ok,
    reloading: ok,
    watchdogPing: ok,
    extendTimeout: ok,
    stopping: ok,
    close: () => Promise.resolve(),
  };
}

class SocketNotifier implements Notifier {
  readonly enabled = true;
  #lastStatus: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly transport: NotifyTransport,
    private readonly pid: number,
    readonly watchdogIntervalMs: number | undefined,
    private readonly opts: NotifierOptions,
  ) {
    if (watchdogIntervalMs !== undefined) {
      this.#timer = setInterval(() => void this.#tick(), watchdogIntervalMs);
      this.#timer.unref(); // the pings never keep hotwatch from exiting
    }
  }

  #send(lines: Array<string | undefined>): Promise<SendResult> {
    if (this.#closed) return Promise.resolve({ ok: false, error: 'the notifier is closed' });
    return this.transport.send(lines.filter((l): l is string => l !== undefined).join('\n'));
  }

  #statusLine(text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    this.#lastStatus = oneLine(text);
    return `STATUS=${this.#lastStatus}`;
  }

  // MAINPID: systemd then signals this process (KillMode=mixed's SIGTERM) even when ExecStart went through a wrapper.
  ready = (status?: string) => this.#send(['READY=1', this.#statusLine(status), `MAINPID=${this.pid}`]);

  status = (text: string) => (oneLine(text) === this.#lastStatus ? Promise.resolve(OK) : this.#send([this.#statusLine(text)]));

  reloading = (status?: string) => this.#send(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`, this.#statusLine(status)]);

  watchdogPing = () => this.#send(['WATCHDOG=1']);

  extendTimeout = (ms: number) => this.#send([`EXTEND_TIMEOUT_USEC=${Math.max(0, Math.round(ms * 1000))}`]);

  stopping = (status?: string) => this.#send(['STOPPING=1', this.#statusLine(status)]);

  async #tick(): Promise<void> {
    const v = this.opts.healthy?.() ?? true;
    const verdict: HealthVerdict = typeof v === 'boolean' ? (v ? { ok: true } : { ok: false, why: 'unhealthy' }) : v;
    if (!verdict.ok) {
      this.opts.onWatchdog?.({ pinged: false, why: verdict.why });
      return;
    }
    const r = await this.watchdogPing();
    if (r.ok) this.opts.onWatchdog?.({ pinged: true });
    else this.opts.onWatchdog?.({ pinged: false, why: `the ping was not sent: ${r.error}` });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.transport.close();
  }
}

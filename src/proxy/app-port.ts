/**
 * The app's side of a blue-green start: a fresh port for the new version (freePort), and the proof
 * that it serves before the proxy switches to it (waitReady: it accepts a TCP connection, or its health
 * path answers 2xx).
 */
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A port that was free on `host` a moment ago (bound on :0, read, closed). Another process could take
 * it before the app binds it; the app then fails to start, which the supervisor reports like any
 * failed start.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface WaitReadyOptions {
  host: string;
  port: number;
  /** When set, ready means GET healthPath answered 2xx; otherwise that a TCP connection was accepted. */
  healthPath?: string | undefined;
  /** Give up after this long. */
  deadlineMs: number;
  /** Aborted when waiting is pointless (the new app exited, hotwatch stops): waitReady rejects with its reason. */
  signal: AbortSignal;
}

export type ReadyResult =
  | { ready: true; afterMs: number; attempts: number }
  | { ready: false; afterMs: number; attempts: number; lastError: string };

/** Probes until ready or past the deadline; the pause between probes grows from 5 to 100 ms. */
export async function waitReady(opts: WaitReadyOptions): Promise<ReadyResult> {
  const t0 = performance.now();
  const deadline = t0 + opts.deadlineMs;
  let pause = 5;
  let attempts = 0;
  let lastError = 'not probed';
  for (;;) {
    opts.signal.throwIfAborted();
    attempts++;
    // At least 50 ms per probe (the deadline may be passed by that much): a probe cut to a millisecond
    // would only report its own timeout instead of what the app answered.
    const error = await probe(opts, Math.min(1_000, Math.max(50, deadline - performance.now())));
    opts.signal.throwIfAborted();
    if (error === undefined) return { ready: true, afterMs: performance.now() - t0, attempts };
    lastError = error;
    const rest = deadline - performance.now();
    if (rest <= 0) return { ready: false, afterMs: performance.now() - t0, attempts, lastError };
    await sleep(Math.min(pause, rest), undefined, { signal: opts.signal });
    pause = Math.min(100, pause * 1.5);
  }
}

/** undefined when ready, else what went wrong. */
function probe(opts: WaitReadyOptions, timeoutMs: number): Promise<string | undefined> {
  return opts.healthPath ? probeHealth(opts.host, opts.port, opts.healthPath, timeoutMs) : probeTcp(opts.host, opts.port, timeoutMs);
}

function probeTcp(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (why: string | undefined): void => {
      s.destroy();
      resolve(why);
    };
    s.setTimeout(timeoutMs, () => done(`no TCP answer within ${Math.round(timeoutMs)} ms`));
    s.once('connect', () => done(undefined));
    s.once('error', (e) => done(e.message));
  });
}

function probeHealth(host: string, port: number, path: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 300 ? undefined : `GET ${path} answered ${status}`);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${Math.round(timeoutMs)} ms`)));
    req.on('error', (e) => resolve(e.message));
  });
}

/**
 * The control endpoint: HTTP over `.hotwatch/control.sock` (always) and over a loopback TCP port (only
 * when configured, for a Prometheus scraper that cannot read a unix socket).
 *   GET  /status   the StatusSnapshot as JSON
 *   GET  /metrics  Prometheus text
 *   POST /reload   reload the config (the unix socket only: any local user can reach a TCP port)
 * Bounded: small request limits, short timeouts, a cap on connections. A request never changes state
 * except /reload.
 */
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { HotwatchError, errnoCode, isHotwatchError } from '../errors.js';
import { CONTROL_SOCKET, bindPrivate, openFallbackDir, openStateDir, unlinkIfOurs, type StateDir } from './control-socket.js';
import type { StatusSnapshot } from './status.js';

export interface ReloadResult {
  ok: boolean;
  message: string;
}

export interface ControlServerOptions {
  root: string;
  status: () => StatusSnapshot;
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** POST /reload; absent until config reload is wired (the endpoint then answers 501). */
  reload?: () => Promise<ReloadResult>;
  /** A loopback TCP listener as well (127.0.0.1, ::1 or localhost only). */
  tcp?: { port: number; host?: string };
  /** A request failed inside (logged by the caller; the client got a 500). */
  onError?: (e: unknown) => void;
}

export interface ControlServer {
  /** `<root>/.hotwatch/control.sock`, or the fallback's path when .hotwatch/ could not hold a socket. */
  readonly socketPath: string;
  /** Why the socket is not in .hotwatch/ (undefined when it is). */
  readonly fallback: string | undefined;
  /** "127.0.0.1:9100" when a TCP listener runs. */
  readonly tcpAddress: string | undefined;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function send(res: http.ServerResponse, status: number, body: string, type = 'application/json; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const json = (res: http.ServerResponse, status: number, v: unknown): void => send(res, status, `${JSON.stringify(v, null, 2)}\n`);

function handler(opts: ControlServerOptions, viaTcp: boolean): http.RequestListener {
  let reloading = false;
  return (req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    req.resume(); // no route reads a body
    const route = async (): Promise<void> => {
      if (url === '/status' && req.method === 'GET') return json(res, 200, opts.status());
      if (url === '/metrics' && req.method === 'GET') {
        const m = await opts.metrics();
        return send(res, 200, m.body, m.contentType);
      }
      if (url === '/reload' && req.method === 'POST') {
        if (viaTcp) return json(res, 403, { ok: false, message: 'reload only over the unix socket (.hotwatch/control.sock)' });
        if (!opts.reload) return json(res, 501, { ok: false, message: 'config reload is not available in this hotwatch' });
        if (reloading) return json(res, 409, { ok: false, message: 'a reload is already running' });
        reloading = true;
        try {
          const r = await opts.reload();
          return json(res, r.ok ? 200 : 422, r);
        } finally {
          reloading = false;
        }
      }
      if (['/status', '/metrics', '/reload'].includes(url ?? '')) return json(res, 405, { ok: false, message: `${req.method} not allowed on ${url}` });
      return json(res, 404, { ok: false, message: `no ${url}: GET /status, GET /metrics, POST /reload` });
    };
    route().catch((e: unknown) => {
      opts.onError?.(e);
      if (!res.headersSent) json(res, 500, { ok: false, message: String((e as Error)?.message ?? e) });
      else res.destroy();
    });
  };
}

function newServer(opts: ControlServerOptions, viaTcp: boolean): http.Server {
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000, maxHeaderSize: 8 * 1024 }, handler(opts, viaTcp));
  server.maxConnections = 32;
  server.keepAliveTimeout = 1_000;
  return server;
}

async function listenTcp(server: http.Server, tcp: { port: number; host?: string }): Promise<string> {
  const host = tcp.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    throw new HotwatchError('CONFIG_INVALID', `status port host ${host} is not a loopback address: the status and metrics would be open to the network`, { hint: 'use 127.0.0.1 or ::1' });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(tcp.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as net.AddressInfo;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

const closeServer = (s: http.Server): Promise<void> =>
  new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });

/**
 * Binds the unix socket in .hotwatch/, or in the fallback directory when the filesystem there cannot hold
 * one. A refusal (something planted there, a live socket) is not a reason to go elsewhere: it is thrown.
 */
async function placeSocket(opts: ControlServerOptions): Promise<{ server: http.Server; sd: StateDir; ino: number; fallback?: string }> {
  let sd: StateDir | undefined;
  try {
    sd = openStateDir(opts.root, { create: true });
    const server = newServer(opts, false);
    return { server, sd, ...(await bindPrivate(server, sd)) };
  } catch (e) {
    sd?.close();
    if (isHotwatchError(e) || errnoCode(e) === undefined) throw e;
    const fallback = `${path.join(opts.root, '.hotwatch', CONTROL_SOCKET)} cannot be created (${errnoCode(e)}: ${(e as Error).message})`;
    const fb = openFallbackDir(opts.root, { create: true });
    try {
      const server = newServer(opts, false);
      return { server, sd: fb, ...(await bindPrivate(server, fb)), fallback };
    } catch (e2) {
      fb.close();
      throw e2;
    }
  }
}

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const { server: unix, sd, ino, fallback } = await placeSocket(opts);
  unix.unref(); // the endpoint never keeps hotwatch alive
  let tcp: http.Server | undefined;
  let tcpAddress: string | undefined;
  try {
    if (opts.tcp) {
      tcp = newServer(opts, true);
      tcpAddress = await listenTcp(tcp, opts.tcp);
      tcp.unref();
    }
  } catch (e) {
    await closeServer(unix);
    unlinkIfOurs(sd, ino);
    sd.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    socketPath: path.join(sd.dir, sd.name),
    fallback,
    tcpAddress,
    close: () =>
      (closing ??= (async () => {
        await Promise.all([closeServer(unix), tcp ? closeServer(tcp) : undefined]);
        unlinkIfOurs(sd, ino);
        sd.close();
      })()),
  };
}

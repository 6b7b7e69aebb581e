/**
 * The control endpoint's HTTP: the routes, served by a node:http server that is imported only when the
 * first connection arrives. The listening sockets are plain net servers (node:http and prom-client loaded
 * at start cost service mode ~6 MB of RSS, see metrics.ts, for an endpoint most runs never hear from);
 * each connection is handed to the HTTP server paused, so no byte is lost. Node's HTTP server sets up its
 * own request and header timeouts only when it listens itself, so each connection here has its own: 10 s
 * idle, 30 s in all.
 */
import type http from 'node:http';
import net from 'node:net';
import type { StatusSnapshot } from './status.js';

export interface ReloadResult {
  ok: boolean;
  message: string;
}

export interface ControlServerOptions {
  root: string;
  status: () => StatusSnapshot;
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** POST /reload; absent, or returning undefined, while config reload is not wired (the endpoint then answers 501). */
  reload?: () => Promise<ReloadResult> | undefined;
  /** A loopback TCP listener as well (127.0.0.1, ::1 or localhost only). */
  tcp?: { port: number; host?: string };
  /** A request failed inside (logged by the caller; the client got a 500). */
  onError?: (e: unknown) => void;
  /** The socket's file was removed (`git clean -fdx`) and the socket placed again, at `socket`; or it could not be (`err`). */
  onPlacedAgain?: (socket: string, err?: unknown) => void;
  /** How often the socket's file is looked for (default 15 s; tests shorten it). */
  keepMs?: number;
}

const IDLE_MS = 10_000;
const LIFETIME_MS = 30_000;
const MAX_CONNECTIONS = 32;

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
        if (reloading) return json(res, 409, { ok: false, message: 'a reload is already running' });
        reloading = true;
        try {
          const r = await opts.reload?.();
          if (!r) return json(res, 501, { ok: false, message: 'config reload is not available in this hotwatch' });
          return json(res, r.ok ? 200 : 422, r);
        } finally {
          reloading = false;
        }
      }
      if (['/status', '/metrics', '/reload'].includes(url ?? ''))
        return json(res, 405, { ok: false, message: `${req.method} not allowed on ${url}` });
      return json(res, 404, { ok: false, message: `no ${url}: GET /status, GET /metrics, POST /reload` });
    };
    route().catch((e: unknown) => {
      opts.onError?.(e);
      if (!res.headersSent) json(res, 500, { ok: false, message: String((e as Error)?.message ?? e) });
      else res.destroy();
    });
  };
}

export interface LazyHttp {
  /** Listen on it like any net server. */
  server: net.Server;
  /** Stops listening and ends every connection. */
  close(): Promise<void>;
}

export function lazyHttp(opts: ControlServerOptions, viaTcp: boolean): LazyHttp {
  let httpServer: Promise<http.Server> | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    const lifetime = setTimeout(() => socket.destroy(), LIFETIME_MS);
    lifetime.unref();
    socket.once('close', () => clearTimeout(lifetime));
    httpServer ??= import('node:http').then((h) => h.createServer({ maxHeaderSize: 8 * 1024 }, handler(opts, viaTcp)));
    httpServer.then(
      (s) => {
        s.emit('connection', socket);
        socket.resume();
      },
      (e: unknown) => {
        opts.onError?.(e);
        socket.destroy();
      },
    );
  });
  server.maxConnections = MAX_CONNECTIONS;
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

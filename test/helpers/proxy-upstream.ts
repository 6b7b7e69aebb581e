/**
 * A real HTTP server on 127.0.0.1 standing in for the app behind the proxy: every kind of response the
 * proxy must carry (keep-alive, streamed bodies both ways, chunked, server-sent events, WebSocket, HTML
 * plain/compressed/CSP/without </body>, binary). `name` shows in every answer, so a test sees which
 * version answered. stop() ends like a graceful app (event streams and WebSockets closed cleanly).
 */
import http from 'node:http';
import type net from 'node:net';
import zlib from 'node:zlib';
import { acceptKey, encodeFrame, FrameReader } from './websocket.js';

export interface TestUpstream {
  name: string;
  port: number;
  /** Connections the server accepted (keep-alive: fewer than requests). */
  connections: number;
  requests: number;
  /** Sends `data: <name>:<msg>` to every open /sse stream. */
  push(msg: string): void;
  /** Lets every waiting /chunked and /page-stream response finish. */
  release(): void;
  /** Graceful: closes event streams and WebSockets cleanly, then the server. */
  stop(): Promise<void>;
  /** Abrupt, as a killed process: every connection reset. */
  kill(): Promise<void>;
}

export const APP_NONCE = 'app-nonce-1234';

export function pageHtml(name: string): string {
  return `<!doctype html>\n<html><head><title>${name}</title></head>\n<body><h1 id="v">${name}</h1>\n</body></html>\n`;
}

/** A page under a strict policy; its own inline script (with the app's nonce) must still run. */
export function cspPage(name: string): string {
  return `<!doctype html>\n<html><head><title>csp</title></head><body><h1 id="v">${name}</h1>
<p id="s">the page's own script did not run</p>
<p>Content-Security-Policy: ${CSP_POLICY}</p>
<script nonce="${APP_NONCE}">document.body.dataset.app = 'ran'; document.getElementById('s').textContent = "the page's own script ran";</script>
</body></html>\n`;
}

export const CSP_POLICY = `default-src 'none'; script-src 'nonce-${APP_NONCE}'; style-src 'self'`;

export function binary(size = 64 * 1024): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, u: { name: string; released: () => Promise<void> }) => void;

function send(res: http.ServerResponse, type: string, body: Buffer | string, extra: Record<string, string> = {}): void {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': bytes.length, ...extra });
  res.end(bytes);
}

const HTML = 'text/html; charset=utf-8';
const ROUTES: Record<string, Handler> = {
  // A handler's panic as Go's net/http ends it: the connection closed without an answer.
  '/hangup': (req) => req.socket.destroy(),
  // A big session cookie: a response head over Node's 16 KB default.
  '/big-header': (_q, res) => send(res, 'text/plain', 'big', { 'Set-Cookie': `session=${'x'.repeat(20_000)}` }),
  '/request-headers': (req, res) => send(res, 'text/plain', String(JSON.stringify(req.headers).length)),
  // An app building absolute URLs from its own $PORT (a login's BASE_URL).
  '/redirect-own': (req, res) => {
    const own = `http://127.0.0.1:${req.socket.localPort}`;
    res.writeHead(302, {
      Location: `${own}/home?x=1`,
      'Content-Location': `${own}/login`,
      Refresh: `0; url=${own}/r`,
      'X-Other': `${own}/kept`,
    });
    res.end();
  },
  '/page-bad-gzip': (_q, res, u) => send(res, HTML, pageHtml(u.name), { 'Content-Encoding': 'gzip' }),
  '/redirect-away': (_q, res) => {
    res.writeHead(302, { Location: 'http://127.0.0.1:1/elsewhere' });
    res.end();
  },
  '/': (req, res, u) => send(res, 'text/plain', `v=${u.name}`, { 'X-Conn': String(req.socket.remotePort) }),
  '/page': (_q, res, u) => send(res, HTML, pageHtml(u.name), { ETag: '"abc"' }),
  '/page-gzip': (_q, res, u) => send(res, HTML, zlib.gzipSync(pageHtml(u.name)), { 'Content-Encoding': 'gzip' }),
  '/page-br': (_q, res, u) => send(res, HTML, zlib.brotliCompressSync(pageHtml(u.name)), { 'Content-Encoding': 'br' }),
  '/page-deflate-raw': (_q, res, u) => send(res, HTML, zlib.deflateRawSync(pageHtml(u.name)), { 'Content-Encoding': 'deflate' }),
  '/page-deflate': (_q, res, u) => send(res, HTML, zlib.deflateSync(pageHtml(u.name)), { 'Content-Encoding': 'deflate' }),
  '/page-csp': (_q, res, u) => send(res, HTML, cspPage(u.name), { 'Content-Security-Policy': CSP_POLICY }),
  '/page-nobody': (_q, res, u) => send(res, HTML, `<p id="v">${u.name}</p>`),
  '/page-meta-csp': (_q, res, u) =>
    send(
      res,
      HTML,
      `<html><head><meta http-equiv="Content-Security-Policy" content="script-src 'none'"></head><body>${u.name}</body></html>`,
    ),
  '/page-stream': (_q, res, u) => {
    res.writeHead(200, { 'Content-Type': HTML });
    res.write(`<!doctype html><html><head><title>stream</title></head><body><p>first</p>`);
    void u.released().then(() => res.end(`<p>${u.name}</p></body></html>`));
  },
  '/bin': (_q, res) => send(res, 'application/octet-stream', binary()),
  '/json-gzip': (_q, res, u) => send(res, 'application/json', zlib.gzipSync(JSON.stringify({ v: u.name })), { 'Content-Encoding': 'gzip' }),
  '/form': (req, res, u) => {
    req.resume();
    const h1 = req.method === 'POST' ? `posted ${u.name}` : `form ${u.name}`;
    send(
      res,
      HTML,
      `<html><body><h1 id="v">${h1}</h1><form method="post" action="/form"><button id="go">post</button></form></body></html>`,
    );
  },
  '/echo': (req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    req.pipe(res);
  },
  '/chunked': (_q, res, u) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('part1\n');
    void u.released().then(() => res.end(`part2 ${u.name}\n`));
  },
};

export async function startUpstream(name: string, port = 0): Promise<TestUpstream> {
  const sockets = new Set<net.Socket>();
  const streams = new Set<http.ServerResponse>();
  const wss = new Set<net.Socket>();
  let release!: () => void;
  let releasedP = new Promise<void>((r) => (release = r));
  const state = { connections: 0, requests: 0 };
  // Heads as large as a Go server takes (http.DefaultMaxHeaderBytes), not Node's 16 KB.
  const server = http.createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    state.requests++;
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/sse') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
      res.write(`data: ${name}:open\n\n`);
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    const route = ROUTES[path];
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return void res.end('no such route');
    }
    route(req, res, { name, released: () => releasedP });
  });
  server.on('connection', (s: net.Socket) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket: net.Socket) => {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(String(req.headers['sec-websocket-key']))}\r\n\r\n`,
    );
    wss.add(socket);
    socket.on('close', () => wss.delete(socket));
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.opcode === 1) socket.write(encodeFrame(Buffer.from(`${name}:${f.payload.toString('utf8')}`), { mask: false }));
        if (f.opcode === 8) socket.end(encodeFrame(f.payload, { opcode: 8, mask: false }));
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const closed = (): Promise<void> => new Promise((r) => server.close(() => r()));
  return {
    name,
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return state.connections;
    },
    get requests() {
      return state.requests;
    },
    push: (msg) => {
      for (const s of streams) s.write(`data: ${name}:${msg}\n\n`);
    },
    release: () => {
      release();
      releasedP = new Promise<void>((r) => (release = r));
    },
    stop: async () => {
      for (const s of streams) s.end();
      for (const w of wss) w.end(encodeFrame(Buffer.from([0x03, 0xe9]), { opcode: 8, mask: false }));
      const done = closed();
      server.closeIdleConnections();
      await done;
    },
    kill: async () => {
      const done = closed();
      for (const s of [...sockets, ...wss]) s.resetAndDestroy();
      await done;
    },
  };
}

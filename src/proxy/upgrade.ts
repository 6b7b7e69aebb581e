/**
 * Connection upgrades (WebSocket): held like any request while the app restarts, then the handshake is
 * sent to the app and, once it answers 101, the two raw sockets are piped to each other. The proxy
 * never reads the frames. When either side ends, the other is ended; when either breaks, both are.
 * An app that refuses the upgrade (any other status) has its answer relayed, then the connection closes.
 */
import { MAX_HEADER_BYTES } from './forward.js';
import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Generation } from './generation.js';
import type { HoldLog } from './hold-log.js';
import { clientResponseHeaders, upstreamRequestHeaders, type RawHeaders } from './headers.js';
import type { UpstreamGate } from './upstream-gate.js';

export interface UpgradeContext {
  gate: UpstreamGate<Generation>;
  holdTimeoutMs: number;
  holds: HoldLog;
  /** Every upgraded socket is handed here, so close() can end it (the HTTP server no longer sees it). */
  track: (socket: Duplex) => void;
}

type Attempt = { kind: 'done' } | { kind: 'retry'; error: string };

export async function forwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: UpgradeContext): Promise<void> {
  const started = performance.now();
  const gone = new AbortController();
  socket.on('error', () => socket.destroy());
  socket.on('close', () => gone.abort(new Error('the client went away')));
  let stale: number | undefined;
  let lastError = '';
  let endHold: ReturnType<HoldLog['begin']> | undefined;
  const waited = (): number => performance.now() - started;
  try {
    for (;;) {
      if (!endHold && (stale !== undefined || ctx.gate.state.kind === 'starting' || ctx.gate.state.kind === 'restarting')) {
        endHold = ctx.holds.begin(req.url ?? '/', () => ctx.gate.describe());
      }
      const got = await ctx.gate.acquire({ deadline: started + ctx.holdTimeoutMs, signal: gone.signal, stale, retryMs: 50 });
      if (got.kind === 'timeout') {
        endHold?.('timeout', waited());
        ctx.holds.timedOut(req.url ?? '/', got.reason, waited());
        return refuse(socket, 'timeout', `${got.reason}${lastError ? `; last attempt: ${lastError}` : ''}`);
      }
      if (got.kind === 'failed') {
        endHold?.('answered', waited());
        return refuse(socket, 'failed', `${got.report.title}\n${got.report.lines.join('\n')}`);
      }
      const sentAfter = waited();
      const attempt = await handshake(req, socket, head, got.target, ctx);
      if (attempt.kind === 'done') return endHold?.('sent', sentAfter);
      stale = got.version;
      lastError = attempt.error;
    }
  } catch (e) {
    endHold?.('gone', waited());
    if (!gone.signal.aborted) throw e;
  }
}

function handshake(req: IncomingMessage, socket: Duplex, head: Buffer, gen: Generation, ctx: UpgradeContext): Promise<Attempt> {
  return new Promise<Attempt>((resolve) => {
    const up = http.request({
      host: gen.upstream.host,
      port: gen.upstream.port,
      method: req.method,
      path: req.url,
      headers: upstreamRequestHeaders(req, { upgrade: true }),
      // An upgraded connection is never returned to a pool.
      agent: false,
      maxHeaderSize: MAX_HEADER_BYTES,
    });
    let connected = false;
    up.on('socket', (s) => s.once('connect', () => (connected = true)));
    const onClientGone = (): void => void up.destroy();
    socket.once('close', onClientGone);
    up.on('upgrade', (upRes, upSocket, upHead) => {
      socket.write(formatHead(`HTTP/1.1 101 ${upRes.statusMessage || 'Switching Protocols'}`, upRes.rawHeaders));
      if (upHead.length > 0) socket.write(upHead);
      if (head.length > 0) upSocket.write(head);
      socket.off('close', onClientGone);
      splice(socket, upSocket, ctx);
      resolve({ kind: 'done' });
    });
    up.on('response', (upRes) => {
      socket.off('close', onClientGone);
      const headers = [...clientResponseHeaders(upRes), 'Connection', 'close'];
      socket.write(formatHead(`HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage ?? ''}`, headers));
      upRes.pipe(socket);
      resolve({ kind: 'done' });
    });
    up.on('error', (err) => {
      socket.off('close', onClientGone);
      // Never connected: the app never saw the handshake, so it can be sent again.
      if (!connected && !socket.destroyed) return resolve({ kind: 'retry', error: `${gen.label}: ${err.message}` });
      if (!socket.destroyed) refuse(socket, 'upstream-error', `the app broke the upgrade (${err.message})`, 502);
      resolve({ kind: 'done' });
    });
    up.end();
  });
}

function splice(client: Duplex, app: Duplex, ctx: UpgradeContext): void {
  for (const [s, other] of [
    [client, app],
    [app, client],
  ] as const) {
    (s as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    ctx.track(s);
    // A break is passed on as a break; a clean end as a clean end (what was written still arrives, and
    // a side that ended its sending may still receive: half-close is kept).
    s.on('error', () => other.destroy());
    s.on('close', () => {
      if (!other.destroyed && !other.writableEnded) other.end();
    });
    // Done both ways: released at once (the client's socket allows half-open and would otherwise linger).
    let received = false;
    let sent = false;
    s.on('end', () => {
      received = true;
      if (sent) s.destroy();
    });
    s.on('finish', () => {
      sent = true;
      if (received) s.destroy();
    });
  }
  app.pipe(client);
  client.pipe(app);
}

function formatHead(statusLine: string, raw: RawHeaders): string {
  let head = `${statusLine}\r\n`;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return `${head}\r\n`;
}

function refuse(socket: Duplex, kind: string, text: string, status = 503): void {
  const body = Buffer.from(`hotwatch: ${text}\n`, 'utf8');
  const reason = status === 503 ? 'Service Unavailable' : 'Bad Gateway';
  const headers = [
    'Content-Type',
    'text/plain; charset=utf-8',
    'Content-Length',
    String(body.length),
    'Connection',
    'close',
    'X-Hotwatch-Proxy',
    kind,
  ];
  socket.end(Buffer.concat([Buffer.from(formatHead(`HTTP/1.1 ${status} ${reason}`, headers)), body]));
}

/**
 * One HTTP request through the proxy: wait for a target (held while the app restarts), send, and on a
 * failure that left the app no chance to answer, wait and send again, within the hold deadline. A live
 * app that took the request and closed the connection without answering (a handler's panic: Go's
 * net/http recovers it and hangs up) has answered: a 502 at once. Sent again, the handler ran hundreds of
 * times for one page load, each panic printed, then a 503 blamed the app for not listening.
 * Once the app's response has started, it is relayed as it comes (streamed both ways); a failure
 * after that point cuts the client's response short, as the app's own failure would, and is said
 * (response-cut.ts).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { pipeline } from 'node:stream';
import type { ClientConfig } from './client-script.js';
import { sendErrorAnswer } from './error-page.js';
import type { Generation } from './generation.js';
import { upstreamRequestHeaders } from './headers.js';
import type { HoldLog } from './hold-log.js';
import type { ReloadState } from './live-reload.js';
import { planResponse, type PageOptions } from './page.js';
import { RequestBody } from './request-body.js';
import type { CutResponse } from './response-cut.js';
import type { UpstreamGate } from './upstream-gate.js';

export interface ForwardContext {
  gate: UpstreamGate<Generation>;
  holdTimeoutMs: number;
  holds: HoldLog;
  page: PageOptions;
  /** The live-reload state now, or undefined when live reload is off. */
  live: () => ReloadState | undefined;
  /** A response the app had started ended early, not because the client left. */
  cut: (cut: CutResponse) => void;
}

/** 'retry': to a version that was going away (or never had it), after the gate's pause; 'fresh': at once, on a new connection. */
type Attempt = { kind: 'done' } | { kind: 'retry'; error: string } | { kind: 'fresh'; error: string };

/** Methods safe to send again even when the app may have seen them (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const RETRY_PAUSE_MS = 50;
/**
 * The largest response head taken from the app, and request head taken from a client: Go's own server
 * default (http.DefaultMaxHeaderBytes, 1 MB). Node's 16 KB refused a big session cookie or a long CSP the
 * app sends without the proxy.
 */
export const MAX_HEADER_BYTES = 1 << 20;

export async function forward(req: IncomingMessage, res: ServerResponse, ctx: ForwardContext): Promise<void> {
  const started = performance.now();
  const client = new AbortController();
  res.on('close', () => client.abort(new Error('the client went away')));
  const body = new RequestBody(req);
  const url = req.url ?? '/';
  let stale: number | undefined;
  let lastError: string | undefined;
  let endHold: ReturnType<HoldLog['begin']> | undefined;
  let fresh = false;
  try {
    for (;;) {
      if (!endHold && (stale !== undefined || !servable(ctx.gate))) endHold = ctx.holds.begin(url, () => ctx.gate.describe());
      const got = await ctx.gate.acquire({ deadline: started + ctx.holdTimeoutMs, signal: client.signal, stale, retryMs: RETRY_PAUSE_MS });
      if (got.kind !== 'target') {
        endHold?.(got.kind === 'timeout' ? 'timeout' : 'answered', performance.now() - started);
        answerUnavailable(req, res, ctx, got.kind === 'timeout' ? { reason: got.reason, lastError } : { report: got.report }, started);
        return;
      }
      const sentAfter = performance.now() - started;
      const attempt = await send(req, res, body, got.target, ctx, fresh);
      if (attempt.kind === 'done') return endHold?.('sent', sentAfter);
      fresh = attempt.kind === 'fresh';
      stale = fresh ? undefined : got.version;
      lastError = attempt.error;
    }
  } catch (e) {
    endHold?.('gone', performance.now() - started);
    if (!client.signal.aborted) throw e;
  }
}

function servable(gate: UpstreamGate<Generation>): boolean {
  return gate.state.kind === 'ready' || gate.state.kind === 'failed';
}

function answerUnavailable(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ForwardContext,
  why: { reason: string; lastError: string | undefined } | { report: { title: string; lines: readonly string[] } },
  started: number,
): void {
  if ('report' in why) {
    sendErrorAnswer(req, res, { status: 503, kind: 'failed', title: why.report.title, lines: why.report.lines }, ctx.live());
    return;
  }
  const waited = performance.now() - started;
  ctx.holds.timedOut(req.url ?? '/', why.reason, waited);
  const lines = [`waited ${(waited / 1000).toFixed(1)} s for the app (hold timeout)`];
  if (why.lastError) lines.push(`last attempt: ${why.lastError}`);
  sendErrorAnswer(req, res, { status: 503, kind: 'timeout', title: why.reason, lines }, ctx.live());
}

/**
 * One attempt at `gen`; resolves when the response started or was answered ('done') or the request may be
 * sent again. `fresh`: on a connection of its own (the kept-alive one it was sent on closed under it).
 */
function send(
  req: IncomingMessage,
  res: ServerResponse,
  body: RequestBody,
  gen: Generation,
  ctx: ForwardContext,
  fresh: boolean,
): Promise<Attempt> {
  const live = ctx.live();
  const page: ClientConfig = { boot: live?.boot ?? '', seq: live?.seq ?? 0, failure: live?.failure ?? null };
  if (req.method !== 'GET' && req.method !== 'HEAD') page.postResult = true;
  return new Promise<Attempt>((resolve) => {
    const up = http.request({
      host: gen.upstream.host,
      port: gen.upstream.port,
      method: req.method,
      path: req.url,
      headers: upstreamRequestHeaders(req, { upgrade: false }),
      agent: IDEMPOTENT.has((req.method ?? 'GET').toUpperCase()) && !fresh ? gen.agent : gen.once,
      maxHeaderSize: MAX_HEADER_BYTES,
    });
    let connected = false;
    let reused = false;
    let responded = false;
    const onClientGone = (): void => {
      if (!res.writableFinished) up.destroy();
    };
    res.on('close', onClientGone);
    up.on('socket', (s) => {
      reused = up.reusedSocket;
      if (up.reusedSocket || !s.connecting) connected = true;
      else s.once('connect', () => (connected = true));
    });
    up.on('response', (upRes) => {
      responded = true;
      body.release();
      relay(req, res, upRes, page, ctx, gen);
      resolve({ kind: 'done' });
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (responded) return;
      body.detach();
      res.off('close', onClientGone);
      const how =
        !res.destroyed && body.replayable ? retryOf(err, { connected, reused, retired: gen.retired, method: req.method ?? 'GET' }) : false;
      const answer502 = (): void => {
        const [title, lines] = brokenAnswer(err, connected, req, gen);
        sendErrorAnswer(req, res, { status: 502, kind: 'upstream-error', title, lines }, ctx.live());
        resolve({ kind: 'done' });
      };
      if (how === 'if-gone')
        return void stillListening(gen).then((alive) =>
          alive ? answer502() : resolve({ kind: 'retry', error: `${gen.label}: ${err.message}` }),
        );
      if (how) return resolve({ kind: how, error: `${gen.label}: ${err.message}` });
      answer502();
    });
    body.attach(up);
  });
}

/**
 * Whether, and how, a request that failed before any answer is sent again:
 *   - the app never got it (the connection was refused or failed before it opened): after the gate's
 *     pause, to whatever version serves then;
 *   - an answer that could not be read (a head over MAX_HEADER_BYTES, a malformed one): never, the app
 *     answered;
 *   - an idempotent request to a version going away (retired: a newer one serves, or a restart began):
 *     the next version answers it;
 *   - an idempotent request on a kept-alive connection the app closed as it crossed (its idle timeout):
 *     once more at once, on a connection of its own (Node's own advice for reusedSocket);
 *   - else the app took it on a fresh connection and hung up: sent again only if the app is gone (it
 *     crashed: the next version answers); one still accepting connections answered so (a 502).
 * A request that must not be sent twice (a POST: an order placed) goes on a connection of its own
 * (Generation.once), so a failure after it opened means the app had it: a 502, never a second POST. (A
 * retired version is stopped only once its requests have ended: proxy.drained.)
 */
function retryOf(
  err: NodeJS.ErrnoException,
  o: { connected: boolean; reused: boolean; retired: boolean; method: string },
): 'retry' | 'fresh' | 'if-gone' | false {
  if (!o.connected) return 'retry';
  if (err.code?.startsWith('HPE_') || !IDEMPOTENT.has(o.method.toUpperCase())) return false;
  if (o.retired) return 'retry';
  return o.reused ? 'fresh' : 'if-gone';
}

/** How long the look at a version that hung up may take; no answer counts as gone (the hold deadline bounds the rest). */
const LISTENING_LOOK_MS = 1000;

/**
 * Whether `gen` still accepts connections: an app that crashed closed its listener with the connection
 * (a refusal), one whose handler panicked (net/http recovers it) still accepts.
 */
function stillListening(gen: Generation): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: gen.upstream.host, port: gen.upstream.port });
    const done = (alive: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(false), LISTENING_LOOK_MS);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** The 502's title and lines for a request the app broke: what it did, said so a developer knows where to look. */
function brokenAnswer(err: NodeJS.ErrnoException, connected: boolean, req: IncomingMessage, gen: Generation): [string, string[]] {
  const what = `${req.method} ${req.url} → ${gen.label}`;
  if (err.code === 'HPE_HEADER_OVERFLOW')
    return [
      `the app's response headers are over ${MAX_HEADER_BYTES / 1024} KB (${err.message})`,
      [what, 'a browser refuses them too (Chrome: 256 KB): look for a header that grows (a cookie, a CSP or Link list)'],
    ];
  if (err.code?.startsWith('HPE_')) return [`the app's response could not be read as HTTP (${err.message})`, [what]];
  if (connected && (err.code === 'ECONNRESET' || err.message === 'socket hang up'))
    return [
      'the app closed the connection without answering (a panic in the handler, or the app exiting: its output above says)',
      [what, 'not sent again: the handler would run again for one request'],
    ];
  return [`the app broke the request (${err.message})`, [what]];
}

function relay(
  req: IncomingMessage,
  res: ServerResponse,
  upRes: IncomingMessage,
  page: ClientConfig,
  ctx: ForwardContext,
  generation: Generation,
): void {
  const plan = planResponse(req, upRes, page, ctx.page);
  const startedAt = performance.now();
  // Which side ended first: the client leaving destroys the app's response after it (the pipeline),
  // and the app's connection breaking destroys the client's; only the first is the cause.
  let endedFirst: 'client' | 'app' | undefined;
  res.once('close', () => {
    if (!res.writableFinished) endedFirst ??= 'client';
  });
  upRes.once('error', () => {
    endedFirst ??= 'app';
  });
  res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, plan.headers);
  if (req.method === 'HEAD') {
    upRes.resume();
    res.end();
    return;
  }
  upRes.on('end', () => {
    const t = upRes.rawTrailers;
    if (t.length > 0) res.addTrailers(Array.from({ length: t.length / 2 }, (_, i): [string, string] => [t[2 * i]!, t[2 * i + 1]!]));
  });
  const done = (err: Error | null): void => {
    if (!err) return;
    res.destroy();
    const cut = { method: req.method ?? 'GET', url: req.url ?? '/', generation, upstream: upRes, startedAt };
    if (endedFirst === 'app') ctx.cut(cut);
    // Neither side: a transform failed (the page's decoder: a body that is not what its Content-Encoding says).
    else if (endedFirst === undefined && plan.transforms.length > 0) ctx.cut({ ...cut, undecodable: err.message });
  };
  if (plan.transforms.length === 0) pipeline(upRes, res, done);
  else pipeline([upRes, ...plan.transforms, res], done);
}

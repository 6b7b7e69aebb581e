/**
 * One HTTP request through the proxy: wait for a target (held while the app restarts), send, and on a
 * failure that left the app no chance to answer, wait and send again, within the hold deadline.
 * Once the app's response has started, it is relayed as it comes (streamed both ways); a failure
 * after that point cuts the client's response short, as the app's own failure would, and is said
 * (response-cut.ts).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
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

type Attempt = { kind: 'done' } | { kind: 'retry'; error: string };

/** Methods safe to send again even when the app may have seen them (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const RETRY_PAUSE_MS = 50;

export async function forward(req: IncomingMessage, res: ServerResponse, ctx: ForwardContext): Promise<void> {
  const started = performance.now();
  const client = new AbortController();
  res.on('close', () => client.abort(new Error('the client went away')));
  const body = new RequestBody(req);
  const url = req.url ?? '/';
  let stale: number | undefined;
  let lastError: string | undefined;
  let endHold: ReturnType<HoldLog['begin']> | undefined;
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
      const attempt = await send(req, res, body, got.target, ctx);
      if (attempt.kind === 'done') return endHold?.('sent', sentAfter);
      stale = got.version;
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

/** One attempt at `gen`; resolves when the response started ('done') or the request may be sent again. */
function send(req: IncomingMessage, res: ServerResponse, body: RequestBody, gen: Generation, ctx: ForwardContext): Promise<Attempt> {
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
      agent: IDEMPOTENT.has((req.method ?? 'GET').toUpperCase()) ? gen.agent : gen.once,
    });
    let connected = false;
    let responded = false;
    const onClientGone = (): void => {
      if (!res.writableFinished) up.destroy();
    };
    res.on('close', onClientGone);
    up.on('socket', (s) => {
      if (up.reusedSocket || !s.connecting) connected = true;
      else s.once('connect', () => (connected = true));
    });
    up.on('response', (upRes) => {
      responded = true;
      body.release();
      relay(req, res, upRes, page, ctx, gen);
      resolve({ kind: 'done' });
    });
    up.on('error', (err) => {
      if (responded) return;
      body.detach();
      res.off('close', onClientGone);
      const again = !res.destroyed && body.replayable && mayRetry(connected, req.method ?? 'GET');
      if (again) return resolve({ kind: 'retry', error: `${gen.label}: ${err.message}` });
      sendErrorAnswer(
        req,
        res,
        {
          status: 502,
          kind: 'upstream-error',
          title: `the app broke the request (${err.message})`,
          lines: [`${req.method} ${req.url} → ${gen.label}`],
        },
        ctx.live(),
      );
      resolve({ kind: 'done' });
    });
    body.attach(up);
  });
}

/**
 * Sending again is safe when the app never got the request (the connection was refused or failed
 * before it opened), or when the method is idempotent. A request that must not be sent twice (a POST:
 * an order placed) goes on a connection of its own (Generation.once), so a failure after it opened
 * means the app had it: a 502, never a second POST. (A retired version is stopped only once its
 * requests have ended: proxy.drained.)
 */
function mayRetry(connected: boolean, method: string): boolean {
  return !connected || IDEMPOTENT.has(method.toUpperCase());
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
    if (endedFirst === 'app') ctx.cut({ method: req.method ?? 'GET', url: req.url ?? '/', generation, upstream: upRes, startedAt });
  };
  if (plan.transforms.length === 0) pipeline(upRes, res, done);
  else pipeline([upRes, ...plan.transforms, res], done);
}

/**
 * A response the app had started that ended before its last byte, and not because the client left:
 * the app was stopped mid-response (a restart that outlived the drain) or it broke the connection. The
 * browser gets a truncated body that, for a download without Content-Length, it cannot tell from a whole
 * one: said at warn, naming the request. An event stream is said at info: EventSource reconnects by itself.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../log/logger.js';
import type { Generation } from './generation.js';

export interface CutResponse {
  method: string;
  url: string;
  generation: Generation;
  upstream: IncomingMessage;
  startedAt: number;
  /** The page could not be decoded to inject the reload script (its body is not what its Content-Encoding says). */
  undecodable?: string;
}

export function reportCut(log: Logger, cut: CutResponse): void {
  const { method, url, generation } = cut;
  if (cut.undecodable !== undefined) {
    const coding = String(cut.upstream.headers['content-encoding'] ?? '');
    log.warn(
      { event: 'proxy.undecodable-page', method, url, upstream: generation.label, coding },
      `${method} ${url}: the page says Content-Encoding: ${coding}, but its body is not (${cut.undecodable}): the client got it cut short (a browser says ERR_CONTENT_DECODING_FAILED without the proxy); the app, or a middleware compressing twice, sends the wrong header`,
    );
    return;
  }
  const seconds = ((performance.now() - cut.startedAt) / 1000).toFixed(1);
  const eventStream = String(cut.upstream.headers['content-type'] ?? '').startsWith('text/event-stream');
  const why = generation.retired
    ? `the version at ${generation.label} was stopped mid-response by a restart (a version replaced on another port is kept until its responses end, up to run.gracePeriod; one on the same port is stopped at once)`
    : `the app at ${generation.label} closed the connection mid-response`;
  const fields = { event: 'proxy.response-cut', method, url, upstream: generation.label, restart: generation.retired, eventStream };
  if (eventStream) log.info(fields, `${method} ${url}: event stream ended after ${seconds} s: ${why}; the page's EventSource reconnects`);
  else log.warn(fields, `${method} ${url}: response cut after ${seconds} s: ${why}; the client got a truncated body`);
}

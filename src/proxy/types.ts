/**
 * The proxy's contract with the supervisor: where the app answers now (`ready`), that it is being
 * replaced (`restarting`), that the last build or start failed (`failed`), and that the browser should
 * reload (`reload`). Everything else in src/proxy/ is behind this interface.
 */
import type { Logger } from '../log/logger.js';

/** Where the app answers: always a loopback address in practice (the app's own port). */
export interface Upstream {
  host: string;
  port: number;
}

/** What the browser overlay and the 503 page show: a title and the lines to read (compiler errors, last output). */
export interface FailureReport {
  title: string;
  lines: readonly string[];
}

export interface ProxyOptions {
  /** Where browsers connect. Loopback unless configured otherwise: the proxy serves the app unauthenticated. */
  listen: { host?: string; port: number };
  /** How long a request waits for an app that is restarting (or died) before a 503 says why. */
  holdTimeoutMs?: number;
  log: Logger;
  /** Aborting it closes the proxy, as close() does. */
  signal?: AbortSignal;
  /**
   * Pages whose Content-Security-Policy would block the reload script: 'nonce' adds a fresh nonce to the
   * policy and the script; 'skip' leaves such pages untouched (said once in the log).
   */
  csp?: 'nonce' | 'skip';
  /** Inject the reload script into HTML pages (default true). The proxy holds requests either way. */
  liveReload?: boolean;
}

/** Which requests in flight a stop waits for: see ProxyHandle.drained. */
export type DrainScope = 'unsafe' | 'all';

export interface ProxyHandle {
  /** The app answers at `upstream`: new requests go there at once, held ones are released. */
  ready(upstream: Upstream): void;
  /** The app is being replaced: new requests wait (bounded) until ready(); in-flight ones continue. */
  restarting(reason?: string): void;
  /**
   * The build or the start failed: pages show the report. The last ready upstream keeps serving while it
   * answers; when nothing answers, pages get a 503 carrying the report (and reload once fixed).
   */
  failed(report: FailureReport): void;
  /** Every open page reloads (after a successful restart, or a change that needs no restart). */
  reload(): void;
  /**
   * Resolves once the requests in `scope` are no longer in flight to the app at `port` (no longer
   * served: the proxy sends it no new ones), after `timeoutMs`, or once `signal` aborts, with the number
   * still in flight then. 'unsafe': those that must not be sent twice (POST, PATCH); a GET cut before its
   * answer began is sent again to the new version, one cut mid-answer is said (proxy.response-cut).
   * 'all': every request, downloads and the app's event streams included.
   */
  drained(port: number, timeoutMs: number, scope: DrainScope, signal?: AbortSignal): Promise<number>;
  /** Where the proxy listens (the port is the real one when 0 was asked). */
  readonly address: { host: string; port: number };
  /** Stops listening and ends every connection; idempotent. */
  close(): Promise<void>;
}

/**
 * One version of the app as the proxy sees it: its address and the keep-alive connections to it.
 * Each ready() makes a new generation, even on the same port (a stop-then-start): a connection kept
 * from the previous process would only be reset on first use.
 */
import http from 'node:http';
import type { Upstream } from './types.js';

export class Generation {
  readonly agent: http.Agent;
  /**
   * For requests that must not be sent twice (POST, PATCH): a connection of their own, never a kept-alive
   * one. On a reused connection a failure cannot say whether the app got the request (it may have closed
   * the idle connection as the request crossed, or died working on it); on a fresh one it can: refused
   * means not received (sent again), a failure after it opened means received (a 502, never a second POST).
   */
  readonly once = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

  constructor(readonly upstream: Upstream) {
    this.agent = new http.Agent({
      keepAlive: true,
      // No queueing in the proxy: each browser connection already limits itself; the app decides the rest.
      maxSockets: Number.POSITIVE_INFINITY,
      maxFreeSockets: 256,
      scheduling: 'lifo',
    });
  }

  /** Set once no new requests come to this version (a newer one serves, or a restart began). */
  retired = false;

  get label(): string {
    return `${this.upstream.host}:${this.upstream.port}`;
  }

  /** True while requests of this generation are still in flight. */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Requests of this generation in flight (each holds one of its sockets). */
  get inFlight(): number {
    return sockets(this.agent) + sockets(this.once);
  }

  /** Requests in flight that must not be sent twice (POST, PATCH): what every stop waits for (proxy.drained). */
  get unsafeInFlight(): number {
    return sockets(this.once);
  }

  /**
   * No new requests will come: idle connections close now, and busy ones when their request ends
   * (a free pool of size 0), so the old app's graceful stop never waits on connections of ours.
   */
  retire(): void {
    this.retired = true;
    this.agent.maxFreeSockets = 0;
    for (const list of Object.values(this.agent.freeSockets)) for (const s of list ?? []) s.destroy();
  }

  /** Ends everything at once, in-flight requests included (the proxy is closing). */
  destroy(): void {
    this.agent.destroy();
    this.once.destroy();
  }
}

/** The sockets `a` has in use (one per request in flight). */
function sockets(a: http.Agent): number {
  return Object.values(a.sockets).reduce((n, list) => n + (list?.length ?? 0), 0);
}

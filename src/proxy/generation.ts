/**
 * One version of the app as the proxy sees it: its address and the keep-alive connections to it.
 * Each ready() makes a new generation, even on the same port (a stop-then-start): a connection kept
 * from the previous process would only be reset on first use.
 */
import http from 'node:http';
import type { Upstream } from './types.js';

export class Generation {
  readonly agent: http.Agent;

  constructor(readonly upstream: Upstream) {
    this.agent = new http.Agent({
      keepAlive: true,
      // No queueing in the proxy: each browser connection already limits itself; the app decides the rest.
      maxSockets: Number.POSITIVE_INFINITY,
      maxFreeSockets: 256,
      scheduling: 'lifo',
    });
  }

  get label(): string {
    return `${this.upstream.host}:${this.upstream.port}`;
  }

  /** True while requests of this generation are still in flight. */
  get busy(): boolean {
    return Object.values(this.agent.sockets).some((list) => (list?.length ?? 0) > 0);
  }

  /**
   * No new requests will come: idle connections close now, and busy ones when their request ends
   * (a free pool of size 0), so the old app's graceful stop never waits on connections of ours.
   */
  retire(): void {
    this.agent.maxFreeSockets = 0;
    for (const list of Object.values(this.agent.freeSockets)) for (const s of list ?? []) s.destroy();
  }

  /** Ends everything at once, in-flight requests included (the proxy is closing). */
  destroy(): void {
    this.agent.destroy();
  }
}

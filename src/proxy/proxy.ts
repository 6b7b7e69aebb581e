/**
 * The reverse proxy in front of the app: browsers connect to it, it forwards to whichever version of
 * the app the supervisor last declared ready, holds requests while none is, and adds live reload to
 * HTML pages. `createProxy` wires the parts; the supervisor drives it through the ProxyHandle interface
 * (types.ts) and owns every decision about the app itself.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { HotwatchError, errnoCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { forward, MAX_HEADER_BYTES, type ForwardContext } from './forward.js';
import { Generation } from './generation.js';
import { HoldLog } from './hold-log.js';
import { LiveReloadHub } from './live-reload.js';
import { reportCut } from './response-cut.js';
import type { PageOptions } from './page.js';
import type { DrainScope, FailureReport, ProxyHandle, ProxyOptions, Upstream } from './types.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** How often a retired version is looked at for requests still in flight. */
const DRAIN_POLL_MS = 20;
import { UpstreamGate } from './upstream-gate.js';
import { forwardUpgrade } from './upgrade.js';

export const DEFAULT_HOLD_TIMEOUT_MS = 30_000;

export async function createProxy(opts: ProxyOptions): Promise<ProxyHandle> {
  const proxy = new ReverseProxy(opts);
  await proxy.listen();
  return proxy;
}

class ReverseProxy implements ProxyHandle {
  private readonly log: Logger;
  private readonly gate = new UpstreamGate<Generation>();
  private readonly hub: LiveReloadHub | undefined;
  private readonly server: http.Server;
  private readonly generations = new Set<Generation>();
  private readonly upgraded = new Set<Duplex>();
  private serving: Generation | undefined;
  private closing: Promise<void> | undefined;
  private bound = { host: '', port: 0 };

  constructor(private readonly opts: ProxyOptions) {
    this.log = opts.log.child({ component: 'proxy' });
    this.hub = opts.liveReload === false ? undefined : new LiveReloadHub();
    const holdTimeoutMs = opts.holdTimeoutMs ?? DEFAULT_HOLD_TIMEOUT_MS;
    const holds = new HoldLog(this.log);
    const ctx: ForwardContext = {
      gate: this.gate,
      holdTimeoutMs,
      holds,
      page: this.pageOptions(),
      live: () => this.hub?.state,
      cut: (cut) => reportCut(this.log, cut),
    };
    // requestTimeout 0: a held request, a long upload or an event stream is not a slow client.
    this.server = http.createServer({ requestTimeout: 0, noDelay: true, maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
      if (this.hub?.handle(req, res)) return;
      forward(req, res, ctx).catch((e: unknown) => this.internal(e, () => res.destroy()));
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const track = (s: Duplex): void => {
        this.upgraded.add(s);
        s.on('close', () => this.upgraded.delete(s));
      };
      // From now on the HTTP server no longer closes this socket: close() must, even while it is held.
      track(socket);
      forwardUpgrade(req, socket, head, { gate: this.gate, holdTimeoutMs, holds, track }).catch((e: unknown) =>
        this.internal(e, () => socket.destroy()),
      );
    });
    opts.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  get address(): { host: string; port: number } {
    return this.bound;
  }

  async listen(): Promise<void> {
    const host = this.opts.listen.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.listen.port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    }).catch((e: unknown) => {
      throw listenError(e, host, this.opts.listen.port);
    });
    const a = this.server.address() as { address: string; port: number };
    this.bound = { host, port: a.port };
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${a.port}/`;
    this.log.info({ event: 'proxy.listening', url, host, port: a.port }, `proxy listening on ${url}`);
    if (!isLoopback(host)) {
      this.log.warn({ event: 'proxy.exposed', host }, `the proxy listens on ${host}: anyone who can reach this address reaches the app`);
    }
  }

  ready(upstream: Upstream): void {
    const prev = this.serving;
    const next = new Generation(upstream);
    this.prune();
    this.generations.add(next);
    this.serving = next;
    prev?.retire();
    this.gate.set({ kind: 'ready', target: next });
    this.hub?.update({ up: true, failure: null });
    const from = !prev ? '' : prev.label === next.label ? ' (a new process on the same port)' : ` (was ${prev.label})`;
    this.log.info({ event: 'proxy.switch', to: next.label, from: prev?.label }, `proxy → ${next.label}${from}`);
  }

  async drained(port: number, timeoutMs: number, scope: DrainScope, signal?: AbortSignal): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    const busy = (): number =>
      [...this.generations]
        .filter((g) => g !== this.serving && g.upstream.port === port)
        .reduce((n, g) => n + (scope === 'all' ? g.inFlight : g.unsafeInFlight), 0);
    while (busy() > 0 && performance.now() < deadline && !signal?.aborted) await sleep(DRAIN_POLL_MS);
    return busy();
  }

  restarting(reason = 'a new version is starting'): void {
    this.serving?.retire();
    this.serving = undefined;
    this.gate.set({ kind: 'restarting', reason });
    this.hub?.update({ up: false, failure: null });
    this.log.debug({ event: 'proxy.restarting', reason }, `proxy holds new requests: ${reason}`);
  }

  failed(report: FailureReport): void {
    this.gate.set({ kind: 'failed', report, target: this.serving });
    this.hub?.update({ up: this.serving !== undefined, failure: report });
    const serving = this.serving ? `${this.serving.label} keeps serving` : 'nothing serves: pages get a 503 with the report';
    this.log.debug({ event: 'proxy.failed', title: report.title }, `proxy shows the failure (${serving})`);
  }

  reload(): void {
    this.hub?.reload();
    this.log.debug(
      { event: 'proxy.reload', pages: this.hub?.listeners ?? 0 },
      `reload sent to ${this.hub?.listeners ?? 0} event stream(s)`,
    );
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.hub?.close();
    this.server.closeAllConnections();
    for (const s of this.upgraded) s.destroy();
    for (const g of this.generations) g.destroy();
    await closed;
    this.log.debug({ event: 'proxy.closed' }, 'proxy closed');
  }

  /** Retired generations with nothing in flight are forgotten (their agent has no socket left). */
  private prune(): void {
    for (const g of this.generations) if (g !== this.serving && !g.busy) this.generations.delete(g);
  }

  private pageOptions(): PageOptions {
    const said = new Set<string>();
    return {
      liveReload: this.hub !== undefined,
      csp: this.opts.csp ?? 'nonce',
      skipped: (reason, detail, url) => {
        if (said.has(reason)) return;
        said.add(reason);
        this.log.warn({ event: 'proxy.inject-skipped', reason, url }, `no live reload in ${url}: ${detail} (said once)`);
      },
    };
  }

  private internal(e: unknown, cleanup: () => void): void {
    cleanup();
    this.log.error({ event: 'proxy.internal', err: e }, `proxy: internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function listenError(e: unknown, host: string, port: number): Error {
  const code = errnoCode(e);
  if (code === 'EADDRINUSE') {
    return new HotwatchError('PORT_IN_USE', `proxy: ${host}:${port} is already in use`, {
      hint: 'stop what holds it (`hotwatch doctor` names it), or choose another port with --proxy-port',
      cause: e,
    });
  }
  return new HotwatchError('INTERNAL', `proxy: cannot listen on ${host}:${port} (${code ?? String(e)})`, { cause: e, exitCode: 2 });
}

/**
 * The control endpoint: HTTP over `.hotwatch/control.sock` (always) and over a loopback TCP port (only
 * when configured, for a Prometheus scraper that cannot read a unix socket).
 *   GET  /status   the StatusSnapshot as JSON
 *   GET  /metrics  Prometheus text
 *   POST /reload   reload the config (the unix socket only: any local user can reach a TCP port)
 * Bounded: small request limits, short timeouts, a cap on connections (control-http.ts). A request never
 * changes state except /reload.
 */
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { HotwatchError, errnoCode, isHotwatchError } from '../errors.js';
import { CONTROL_SOCKET, bindPrivate, openFallbackDir, openStateDir, unlinkIfOurs, type StateDir } from './control-socket.js';
import { lazyHttp, type ControlServerOptions, type LazyHttp } from './control-http.js';

export type { ControlServerOptions, ReloadResult } from './control-http.js';

export interface ControlServer {
  /** `<root>/.hotwatch/control.sock`, or the fallback's path when .hotwatch/ could not hold a socket. */
  readonly socketPath: string;
  /** Why the socket is not in .hotwatch/ (undefined when it is). */
  readonly fallback: string | undefined;
  /** "127.0.0.1:9100" when a TCP listener runs. */
  readonly tcpAddress: string | undefined;
  /** Looks for the socket's file now (the root was replaced: its .hotwatch/ is another one), not at the next look. */
  keepNow(): void;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

async function listenTcp(server: net.Server, tcp: { port: number; host?: string }): Promise<string> {
  const host = tcp.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    throw new HotwatchError(
      'CONFIG_INVALID',
      `status port host ${host} is not a loopback address: the status and metrics would be open to the network`,
      { hint: 'use 127.0.0.1 or ::1' },
    );
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(tcp.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as net.AddressInfo;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/**
 * Binds the unix socket in .hotwatch/, or in the fallback directory when the filesystem there cannot hold
 * one. A refusal (something planted there, a live socket) is not a reason to go elsewhere: it is thrown.
 */
async function placeSocket(opts: ControlServerOptions): Promise<{ unix: LazyHttp; sd: StateDir; ino: number; fallback?: string }> {
  let sd: StateDir | undefined;
  try {
    sd = openStateDir(opts.root, { create: true });
    const unix = lazyHttp(opts, false);
    return { unix, sd, ...(await bindPrivate(unix.server, sd)) };
  } catch (e) {
    sd?.close();
    if (isHotwatchError(e) || errnoCode(e) === undefined) throw e;
    const fallback = `${path.join(opts.root, '.hotwatch', CONTROL_SOCKET)} cannot be created (${errnoCode(e)}: ${(e as Error).message})`;
    const fb = openFallbackDir(opts.root, { create: true });
    try {
      const unix = lazyHttp(opts, false);
      return { unix, sd: fb, ...(await bindPrivate(unix.server, fb)), fallback };
    } catch (e2) {
      fb.close();
      throw e2;
    }
  }
}

/** How often the socket's file is looked for: `git clean -fdx` removes .hotwatch/ under a running hotwatch. */
const KEEP_MS = 15_000;

/** The socket's file is gone, or is another file now (an inode of ours no longer there). */
function removed(p: { sd: StateDir; ino: number }): boolean {
  try {
    return fs.lstatSync(path.join(p.sd.dir, p.sd.name)).ino !== p.ino;
  } catch {
    return true;
  }
}

/**
 * The socket as placed now, placed again when its file is removed (`hotwatch status` and a HEALTHCHECK
 * would say "no hotwatch runs"): looked for every KEEP_MS, or at once (`keepNow`); one look at a time, or
 * two would both place a socket and one be closed again.
 */
class KeptSocket {
  private keeping: Promise<void> | undefined;
  private closing = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    public placed: { unix: LazyHttp; sd: StateDir; ino: number },
    private readonly opts: ControlServerOptions,
  ) {
    this.timer = setInterval(() => void this.keepNow(), opts.keepMs ?? KEEP_MS);
    this.timer.unref();
  }

  keepNow(): Promise<void> {
    this.keeping ??= this.keep().finally(() => {
      this.keeping = undefined;
    });
    return this.keeping;
  }

  /** No more looks; the caller closes what is placed. */
  stop(): void {
    this.closing = true;
    clearInterval(this.timer);
  }

  private async keep(): Promise<void> {
    if (this.closing || !removed(this.placed)) return;
    // The root itself gone: moved with a parent renamed, the socket still answers at the new name (`hotwatch
    // status` there finds it), and a fallback elsewhere would close it; deleted, there is no one to ask.
    if (!fs.existsSync(this.opts.root)) return;
    const old = this.placed;
    try {
      const fresh = await placeSocket(this.opts);
      fresh.unix.server.unref();
      if (this.closing) {
        await fresh.unix.close().catch(() => undefined);
        unlinkIfOurs(fresh.sd, fresh.ino);
        return fresh.sd.close();
      }
      this.placed = fresh;
      this.opts.onPlacedAgain?.(path.join(fresh.sd.dir, fresh.sd.name));
    } catch (e) {
      return this.opts.onPlacedAgain?.(path.join(old.sd.dir, old.sd.name), e); // tried again at the next look
    }
    await old.unix.close().catch(() => undefined);
    old.sd.close();
  }
}

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const { unix, sd, ino, fallback } = await placeSocket(opts);
  unix.server.unref(); // the endpoint never keeps hotwatch alive
  const kept = new KeptSocket({ unix, sd, ino }, opts);
  let closing: Promise<void> | undefined;
  let tcp: LazyHttp | undefined;
  let tcpAddress: string | undefined;
  try {
    if (opts.tcp) {
      tcp = lazyHttp(opts, true);
      tcpAddress = await listenTcp(tcp.server, opts.tcp);
      tcp.server.unref();
    }
  } catch (e) {
    kept.stop();
    await unix.close();
    unlinkIfOurs(sd, ino);
    sd.close();
    throw e;
  }
  return {
    get socketPath() {
      return path.join(kept.placed.sd.dir, kept.placed.sd.name);
    },
    fallback,
    tcpAddress,
    keepNow: () => void kept.keepNow(),
    close: () =>
      (closing ??= (async () => {
        kept.stop();
        const { placed } = kept;
        await Promise.all([placed.unix.close(), tcp?.close()]);
        unlinkIfOurs(placed.sd, placed.ino);
        placed.sd.close();
      })()),
  };
}

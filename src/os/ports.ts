/**
 * Which TCP ports a set of processes listens on, who holds a port, and whether a port is free.
 * Linux: socket inodes from /proc/PID/fd matched against LISTEN rows of /proc/net/tcp and tcp6 (our
 * network namespace). Elsewhere: no holders are known and isPortFree falls back to a bind probe.
 */
import net from 'node:net';
import { commandOf } from './inotify.js';
import { hasProcfs, listPids, readListeningSockets, socketInodesOf } from './procfs.js';

export interface PortHolder {
  pid: number;
  /** Command line on one line (whitespace-normalised, like the inotify consumers). */
  cmd: string;
}

/** Sorted, de-duplicated TCP ports on which any of `pids` holds a listening socket. */
export function listeningPortsOf(pids: readonly number[]): number[] {
  const inodes = new Set(pids.flatMap((p) => socketInodesOf(p)));
  if (inodes.size === 0) return [];
  const ports = new Set<number>();
  for (const s of readListeningSockets()) if (inodes.has(s.inode)) ports.add(s.localPort);
  return [...ports].sort((a, b) => a - b);
}

/**
 * Where `pids` listen, as a person would open it: `http://127.0.0.1:8080`, or for a wildcard bind
 * (0.0.0.0, ::) `http://localhost:8080 (all interfaces)`. One entry per port, the most open bind first.
 */
export function listeningAddressesOf(pids: readonly number[]): string[] {
  const inodes = new Set(pids.flatMap((p) => socketInodesOf(p)));
  if (inodes.size === 0) return [];
  const byPort = new Map<number, string>();
  for (const s of readListeningSockets()) {
    if (!inodes.has(s.inode)) continue;
    const wildcard = s.localAddress === '0.0.0.0' || s.localAddress === '::';
    const shown = wildcard
      ? `http://localhost:${s.localPort} (all interfaces)`
      : `http://${s.family === 6 ? `[${s.localAddress}]` : s.localAddress}:${s.localPort}`;
    if (wildcard || !byPort.has(s.localPort)) byPort.set(s.localPort, shown);
  }
  return [...byPort.entries()].sort((a, b) => a[0] - b[0]).map(([, shown]) => shown);
}

/**
 * Processes holding a LISTEN socket on `port` (any address, IPv4 or IPv6). Only processes whose
 * /proc/PID/fd we may read are found: without root, another user's listener is missing here although
 * isPortFree() reports the port as taken (the caller then says "an unknown process").
 */
export function portHolders(port: number): PortHolder[] {
  const wanted = new Set(
    readListeningSockets()
      .filter((s) => s.localPort === port)
      .map((s) => s.inode),
  );
  if (wanted.size === 0) return [];
  const holders: PortHolder[] = [];
  for (const pid of listPids()) {
    if (socketInodesOf(pid).some((i) => wanted.has(i))) holders.push({ pid, cmd: commandOf(pid) });
  }
  return holders.sort((a, b) => a.pid - b.pid);
}

/**
 * True when nothing listens on `port`. Linux: read from /proc (no side effect). Elsewhere: try to bind
 * the port on all addresses, bounded by `timeoutMs`.
 */
export async function isPortFree(port: number, opts: { timeoutMs?: number } = {}): Promise<boolean> {
  if (hasProcfs()) return !readListeningSockets().some((s) => s.localPort === port);
  return bindProbe(port, opts.timeoutMs ?? 2_000);
}

/**
 * True when `port` can be bound on all addresses right now (~1 ms, against ~5 ms for reading
 * the listeners of /proc/net/tcp{,6} on this kind of machine): the fast path for "is it still held?". It holds the port
 * for that millisecond, so never call it while the app may be binding.
 */
export function bindProbe(port: number, timeoutMs = 2_000, host = '::'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    const timer = setTimeout(() => {
      server.close();
      reject(new Error(`port ${port}: bind probe did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    server.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'EADDRINUSE') resolve(false);
      else if (e.code === 'EAFNOSUPPORT' && host === '::') bindProbe(port, timeoutMs, '0.0.0.0').then(resolve, reject);
      else reject(e);
    });
    server.listen({ port, host, ipv6Only: false, exclusive: true }, () => {
      clearTimeout(timer);
      server.close(() => resolve(true));
    });
  });
}

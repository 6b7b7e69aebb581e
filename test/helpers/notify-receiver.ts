/**
 * A real AF_UNIX datagram listener standing in for systemd (python3 as a child: Node has no unix datagram
 * socket). Each datagram is read with SO_PASSCRED, so the sender's pid is the kernel's word, and stamped
 * with CLOCK_MONOTONIC on receipt.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait.js';

export interface Datagram {
  /** CLOCK_MONOTONIC µs when read. */
  atUs: number;
  /** The sender's pid (SCM_CREDENTIALS). */
  pid: number;
  /** The assignments, in order. */
  lines: string[];
}

const RECEIVER = String.raw`
import socket, sys, struct, json, time
addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\0' + addr[1:] if addr.startswith('@') else addr)
print(json.dumps({"listening": addr}), flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
    at = time.monotonic_ns() // 1000
    pid = -1
    for lvl, typ, data in anc:
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', data[:12])[0]
    print(json.dumps({"atUs": at, "pid": pid, "lines": msg.decode().split("\n")}), flush=True)
`;

export interface NotifyReceiver {
  address: string;
  received: Datagram[];
  /** The index of the first datagram at or after `from` that has `line`. */
  waitForLine(line: string | RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<number>;
  close(): void;
}

export async function startNotifyReceiver(address: string): Promise<NotifyReceiver> {
  const proc: ChildProcess = spawn('python3', ['-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'pipe'] });
  const received: Datagram[] = [];
  let listening = false;
  let partial = '';
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      const v = JSON.parse(l) as Datagram & { listening?: string };
      if (v.listening) listening = true;
      else received.push(v);
    }
  });
  await waitFor(() => listening || (proc.exitCode !== null ? Promise.reject(new Error(`receiver exited: ${stderr}`)) : false), {
    description: `the notify receiver listening on ${address}`,
    timeoutMs: 10_000,
  });
  const has = (d: Datagram, line: string | RegExp) => d.lines.some((l) => (typeof line === 'string' ? l === line : line.test(l)));
  return {
    address,
    received,
    waitForLine: (line, o = {}) =>
      waitFor(
        () => {
          const i = received.findIndex((d, k) => k >= (o.from ?? 0) && has(d, line));
          return i >= 0 ? i + 1 : undefined; // +1: index 0 is falsy for waitFor
        },
        {
          description: `a datagram with ${String(line)} (got ${JSON.stringify(received.slice(o.from ?? 0).map((d) => d.lines))})`,
          timeoutMs: o.timeoutMs ?? 10_000,
          intervalMs: 10,
        },
      ).then((i) => i - 1),
    close: () => {
      proc.kill('SIGKILL');
    },
  };
}

/**
 * /proc parsers on captured samples (test/fixtures/procfs: Linux 6.18, x86_64, listeners on
 * 127.0.0.1:18123, [::1]:18124, [::]:18125 and one established connection), then ports.ts against real
 * sockets: our own listeners, a port held by an unrelated process, and a freed port.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAddress, leadingListeners, parseProcNetTcp, parseStat, readListeningSockets, type TcpSocket } from '../../src/os/procfs.js';
import { isPortFree, listeningPortsOf, portHolders } from '../../src/os/ports.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const SAMPLES = path.resolve(import.meta.dirname, '../fixtures/procfs');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(host: string): Promise<number> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

describe('procfs parsers (captured samples)', () => {
  it('parses /proc/net/tcp', () => {
    const rows = parseProcNetTcp(fs.readFileSync(path.join(SAMPLES, 'net-tcp.txt'), 'utf8'), true);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatchObject({ family: 4, localAddress: '0.0.0.0', localPort: 2024, listening: true, uid: 0, inode: 563 });
    expect(rows[1]).toMatchObject({ localAddress: '127.0.0.1', localPort: 18123, state: 0x0a, listening: true, inode: 15504 });
    expect(rows[2]).toMatchObject({
      localAddress: '127.0.0.1',
      localPort: 47048,
      remoteAddress: '127.0.0.1',
      remotePort: 18123,
      state: 0x01,
      listening: false,
      inode: 15507,
    });
  });

  it('parses /proc/net/tcp6', () => {
    const rows = parseProcNetTcp(fs.readFileSync(path.join(SAMPLES, 'net-tcp6.txt'), 'utf8'), true);
    expect(rows.map((r) => [r.family, r.localAddress, r.localPort, r.listening, r.inode])).toEqual([
      [6, '::1', 18124, true, 15505],
      [6, '::', 18125, true, 15506],
    ]);
  });

  it('reads LISTEN rows up to the first row in another state', () => {
    const lines = fs.readFileSync(path.join(SAMPLES, 'net-tcp.txt'), 'utf8').split('\n');
    const out: TcpSocket[] = [];
    expect(leadingListeners(lines, out, true)).toBe(true);
    expect(out.map((r) => r.localPort)).toEqual([2024, 18123]);
    // before Linux 4.4 a listener's half-open connections (SYN_RECV, 03) followed it: read on past them
    const synRecv =
      '   9: 0100007F:4A0B 0100007F:B7C8 03 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0';
    const old: TcpSocket[] = [];
    expect(leadingListeners([lines[0]!, lines[1]!, synRecv, lines[2]!], old, true)).toBe(false);
    expect(old.map((r) => r.localPort)).toEqual([2024, 18123]);
    const v6: TcpSocket[] = [];
    expect(leadingListeners(fs.readFileSync(path.join(SAMPLES, 'net-tcp6.txt'), 'utf8').split('\n'), v6, true)).toBe(false);
    expect(v6).toHaveLength(2);
  });

  it('decodes addresses in either byte order, including v4-mapped v6', () => {
    expect(decodeAddress('0100007F', true)).toBe('127.0.0.1');
    expect(decodeAddress('7F000001', false)).toBe('127.0.0.1');
    expect(decodeAddress('0000000000000000FFFF00000100007F', true)).toBe('::ffff:127.0.0.1');
    expect(decodeAddress('B80D0120000000000000000001000000', true)).toBe('2001:db8::1');
  });

  it('parses /proc/PID/stat with spaces and parentheses in comm', () => {
    const st = parseStat('4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 98765 0 0');
    expect(st).toEqual({ pid: 4242, comm: 'my (odd) app', state: 'S', ppid: 1, pgrp: 4242, session: 4242, tpgid: -1, startTime: 98765 });
    expect(parseStat('garbage')).toBeUndefined();
  });
});

describe('ports', () => {
  it('finds our own IPv4 and IPv6 listeners and holders', async () => {
    const v4 = await listen('127.0.0.1');
    const v6 = await listen('::1');
    const ports = listeningPortsOf([process.pid]);
    expect(ports).toContain(v4);
    expect(ports).toContain(v6);
    expect(portHolders(v4)).toEqual([{ pid: process.pid, cmd: expect.stringContaining('node') }]);
    expect(portHolders(v6).map((h) => h.pid)).toEqual([process.pid]);
    expect(await isPortFree(v4)).toBe(false);
  });

  it('reports a port held by an unrelated process with its pid, and a freed port as free', async () => {
    const child = spawn(
      process.execPath,
      ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));setInterval(()=>{},1e6)"],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(async () => {
      if (isAlive(child.pid!)) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const port = Number(await waitFor(() => /^\d+\n/.exec(out)?.[0], { timeoutMs: 10_000, description: 'the listener prints its port' }));
    expect(portHolders(port)).toEqual([{ pid: child.pid, cmd: expect.stringContaining('createServer') }]);
    expect(listeningPortsOf([process.pid])).not.toContain(port);
    expect(listeningPortsOf([child.pid!])).toEqual([port]);
    expect(await isPortFree(port)).toBe(false);

    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(portHolders(port)).toEqual([]);
    expect(await isPortFree(port)).toBe(true);
  });

  it('the kernel lists listeners first: one opened after 2,000 closed connections is still found', async () => {
    // readListeningSockets stops at the first non-LISTEN row; this checks that assumption on this kernel,
    // with the table full of TIME_WAIT rows (the client side closes first) ahead of the new listener.
    const first = await listen('127.0.0.1');
    for (let i = 0; i < 2000; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          const c = net.connect(first, '127.0.0.1');
          await once(c, 'connect');
          c.end();
          await once(c, 'close');
        }),
      );
    }
    const late = await listen('127.0.0.1');
    const late6 = await listen('::1');
    const text = fs.readFileSync('/proc/net/tcp', 'utf8');
    expect(parseProcNetTcp(text).filter((r) => !r.listening).length, 'closed connections in the table').toBeGreaterThan(1000);
    const ports = readListeningSockets().map((r) => r.localPort);
    expect(ports).toEqual(expect.arrayContaining([first, late, late6]));
    expect(listeningPortsOf([process.pid])).toEqual(expect.arrayContaining([first, late, late6]));
  });

  it('pids that hold no socket listen on nothing', () => {
    expect(listeningPortsOf([])).toEqual([]);
    expect(listeningPortsOf([2 ** 22 + 1])).toEqual([]); // beyond pid_max: no such process
  });
});

/**
 * The notifier against a real AF_UNIX datagram listener (python3, SO_PASSCRED) standing in for systemd:
 * what arrives, from which process, at which cadence, and nothing while unhealthy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotifier, monotonicUsec, type HealthVerdict, type Notifier } from '../../src/service/notify.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { startNotifyReceiver } from '../helpers/notify-receiver.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(address?: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const tmp = makeTmpDir('hotwatch-notify-');
  cleanups.push(tmp.cleanup);
  const addr = address ?? path.join(tmp.dir, 'notify.sock');
  const receiver = await startNotifyReceiver(addr);
  cleanups.push(() => receiver.close());
  return { receiver, env: { NOTIFY_SOCKET: addr, ...extraEnv } as NodeJS.ProcessEnv };
}

function track(n: Notifier): Notifier {
  cleanups.push(() => n.close());
  return n;
}

const ppidOf = (pid: number): number => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};

describe('sd_notify over a real datagram socket', () => {
  it('sends READY=1 with STATUS and MAINPID, from a long-lived child of hotwatch (hence NotifyAccess=all)', async () => {
    const { receiver, env } = await setup();
    const n = track(createNotifier({ env }));
    expect(n.enabled).toBe(true);
    expect(await n.ready('serving pid 42 on 127.0.0.1:8080')).toEqual({ ok: true });
    const i = await receiver.waitForLine('READY=1');
    const d = receiver.received[i]!;
    expect(d.lines).toEqual(['READY=1', 'STATUS=serving pid 42 on 127.0.0.1:8080', `MAINPID=${process.pid}`]);
    // The kernel's word on the sender: the helper, whose parent is this process.
    const helper = (n as unknown as { transport: { senderPid: number } }).transport.senderPid;
    expect(d.pid).toBe(helper);
    expect(ppidOf(helper)).toBe(process.pid);
    // A STATUS with a newline cannot smuggle in another assignment.
    await n.status('build failed\nREADY=1');
    await receiver.waitForLine('STATUS=build failed READY=1');
    expect(receiver.received.filter((x) => x.lines.includes('READY=1'))).toHaveLength(1);
  });

  it('sends RELOADING=1 with a CLOCK_MONOTONIC timestamp, then STOPPING=1; close() ends the helper', async () => {
    const { receiver, env } = await setup();
    const n = track(createNotifier({ env }));
    const before = monotonicUsec();
    await n.reloading('reloading watcher.config.yaml');
    const i = await receiver.waitForLine('RELOADING=1');
    const stamp = BigInt(receiver.received[i]!.lines.find((l) => l.startsWith('MONOTONIC_USEC='))!.split('=')[1]!);
    // On the receiver's clock: after we asked, before it read it.
    expect(stamp >= before && stamp <= BigInt(receiver.received[i]!.atUs)).toBe(true);
    await n.stopping('stopping: SIGTERM');
    await receiver.waitForLine('STOPPING=1');
    const helper = (n as unknown as { transport: { senderPid: number } }).transport.senderPid;
    await n.close();
    expect(isAlive(helper)).toBe(false);
    expect((await n.status('after close')).ok).toBe(false);
  });

  it('speaks to an abstract @name socket', async () => {
    const { receiver, env } = await setup(`@hotwatch-test-${process.pid}-${Date.now()}`);
    const n = track(createNotifier({ env }));
    await n.ready();
    await receiver.waitForLine('READY=1');
  });

  it('pings WATCHDOG=1 every half WATCHDOG_USEC, none while unhealthy, again once healthy', async () => {
    const { receiver, env } = await setup(undefined, { WATCHDOG_USEC: '400000' });
    let health: HealthVerdict = { ok: true };
    const skipped: string[] = [];
    const n = track(createNotifier({ env, healthy: () => health, onWatchdog: (t) => !t.pinged && skipped.push(t.why) }));
    expect(n.watchdogIntervalMs).toBe(200);
    const pings = () => receiver.received.filter((d) => d.lines.includes('WATCHDOG=1'));
    await waitFor(() => pings().length >= 6, { description: '6 pings', timeoutMs: 10_000 });
    const gaps = pings()
      .slice(1)
      .map((d, k) => (d.atUs - pings()[k]!.atUs) / 1000);
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
    // Half of 400 ms; a loaded machine delays timers, but a cadence near the full 400 ms would let systemd time out.
    expect(median).toBeGreaterThan(150);
    expect(median).toBeLessThan(350);

    // Markers sent on the same socket bracket the unhealthy spell: datagrams from one sender arrive in order.
    health = { ok: false, why: 'watch deaf: root (sentinel-timeout), recovery failed' };
    await n.status('marker-1');
    const m1 = await receiver.waitForLine('STATUS=marker-1');
    const from = skipped.length;
    await waitFor(() => skipped.length >= from + 3, { description: '3 skipped ticks', timeoutMs: 10_000 });
    await n.status('marker-2');
    const m2 = await receiver.waitForLine('STATUS=marker-2');
    expect(receiver.received.slice(m1, m2).filter((d) => d.lines.includes('WATCHDOG=1'))).toEqual([]);
    expect(skipped.at(-1)).toBe('watch deaf: root (sentinel-timeout), recovery failed');

    health = { ok: true };
    await receiver.waitForLine('WATCHDOG=1', { from: m2 });
  });

  it('pings nothing when WATCHDOG_PID names another process', () => {
    const n = track(
      createNotifier({ env: { NOTIFY_SOCKET: '/nonexistent', WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid + 1) } }),
    );
    expect(n.watchdogIntervalMs).toBeUndefined();
  });

  it('is a no-op without NOTIFY_SOCKET, and hides the service variables from children when asked', async () => {
    const env: NodeJS.ProcessEnv = { WATCHDOG_USEC: '1000000', KEEP: '1' };
    const off = track(createNotifier({ env, unsetEnvironment: true }));
    expect(off.enabled).toBe(false);
    expect(await off.ready()).toEqual({ ok: true });
    expect(env).toEqual({ KEEP: '1' });
  });

  it('reports a missing listener and an unsupported address; recovers when the listener appears and after the helper dies', async () => {
    const tmp = makeTmpDir('hotwatch-notify-');
    cleanups.push(tmp.cleanup);
    const addr = path.join(tmp.dir, 'late.sock');
    const n = track(createNotifier({ env: { NOTIFY_SOCKET: addr } }));
    const r = await n.status('nobody listens');
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/^ENOENT/) });
    const receiver = await startNotifyReceiver(addr);
    cleanups.push(() => receiver.close());
    expect(await n.status('now someone does')).toEqual({ ok: true });
    const helper = (n as unknown as { transport: { senderPid: number } }).transport.senderPid;
    process.kill(helper, 'SIGKILL');
    await waitFor(() => !isAlive(helper), { description: 'the helper gone' });
    await waitFor(async () => (await n.status(`after the helper died ${Date.now()}`)).ok, { description: 'a send through a new helper' });
    expect((n as unknown as { transport: { senderPid: number } }).transport.senderPid).not.toBe(helper);

    const vsock = track(createNotifier({ env: { NOTIFY_SOCKET: 'vsock:2:1234' } }));
    expect(await vsock.ready()).toMatchObject({ ok: false, error: expect.stringContaining('only a path or an @abstract name') });
  });
});

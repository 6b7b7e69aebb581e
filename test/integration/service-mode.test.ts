/**
 * startServiceMode, the object the runtime will wire, against a real datagram listener: from recorder
 * calls and the StatusSource alone it says READY=1 at the right moment, STATUS= as things change,
 * RELOADING=1 around POST /reload, stops the pings while watching is lost for good, and STOPPING=1 when
 * the root signal aborts.
 */
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServiceMode, type ServiceMode } from '../../src/service/service-mode.js';
import { FakeStatusSource } from '../helpers/fake-status-source.js';
import { startNotifyReceiver } from '../helpers/notify-receiver.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(env: NodeJS.ProcessEnv = {}) {
  const tmp = makeTmpDir('hotwatch-service-');
  cleanups.push(tmp.cleanup);
  const receiver = await startNotifyReceiver(path.join(tmp.dir, 'notify.sock'));
  cleanups.push(() => receiver.close());
  const source = new FakeStatusSource();
  const ac = new AbortController();
  const logs: Array<{ level: string; msg: string }> = [];
  const log = {
    info: (_o: object, msg: string) => logs.push({ level: 'info', msg }),
    warn: (_o: object, msg: string) => logs.push({ level: 'warn', msg }),
  };
  const svc: ServiceMode = await startServiceMode({
    root: tmp.dir,
    version: '0.1.0',
    source,
    signal: ac.signal,
    log,
    env: { NOTIFY_SOCKET: receiver.address, ...env },
    reload: async () => ({ ok: true, message: 'reloaded' }),
  });
  cleanups.push(() => svc.close());
  return { receiver, source, ac, svc, logs, lines: () => receiver.received.flatMap((d) => d.lines) };
}

describe('service mode', () => {
  it('says READY=1 only once the app serves, with STATUS= lines before and after, and STOPPING=1 on abort', async () => {
    const { receiver, source, ac, svc, lines } = await setup();
    const r = svc.recorder;
    r.buildStarted();
    source.set({ state: 'building' });
    await receiver.waitForLine(/^STATUS=not serving yet: building for \d+ s$/);
    r.buildFinished({ outcome: 'ok', durationMs: 640 });
    r.appStarted({ pid: 4242, reason: 'initial' });
    source.set({ state: 'running', app: { pid: 4242, startedAt: Date.now(), listening: [] } });
    await receiver.waitForLine(/^STATUS=not serving: the app \(pid 4242\) is not listening yet/);
    expect(lines()).not.toContain('READY=1');
    source.set({ app: { pid: 4242, startedAt: Date.now(), listening: ['127.0.0.1:8080'] } });
    r.appListening({ pid: 4242, address: '127.0.0.1:8080' });
    const i = await receiver.waitForLine('READY=1');
    expect(receiver.received[i]!.lines).toEqual([
      'READY=1',
      'STATUS=serving pid 4242 on 127.0.0.1:8080; last build ok in 0.6 s; watch ok (native, 12 watches)',
      `MAINPID=${process.pid}`,
    ]);

    // POST /reload: RELOADING=1 (with its timestamp), then READY=1 again.
    const sock = svc.control!.socketPath;
    const status = await new Promise<number>((resolve, reject) =>
      http
        .request({ socketPath: sock, method: 'POST', path: '/reload' }, (res) => resolve(res.statusCode!))
        .on('error', reject)
        .end(),
    );
    expect(status).toBe(200);
    const rl = await receiver.waitForLine('RELOADING=1', { from: i + 1 });
    expect(receiver.received[rl]!.lines[1]).toMatch(/^MONOTONIC_USEC=\d+$/);
    await receiver.waitForLine('READY=1', { from: rl + 1 });

    ac.abort(new Error('SIGTERM'));
    const s = await receiver.waitForLine('STOPPING=1');
    expect(receiver.received[s]!.lines).toEqual(['STOPPING=1', 'STATUS=stopping: SIGTERM']);
    expect(lines().filter((l) => l === 'READY=1')).toHaveLength(2);
  });

  it('says READY=1 after a failed first build: hotwatch works and waits for an edit', async () => {
    const { receiver, source, svc } = await setup();
    svc.recorder.buildFinished({ outcome: 'failed', durationMs: 300, errors: ['./main.go:3:1: syntax error'] });
    source.set({ state: 'build-failed' });
    const i = await receiver.waitForLine('READY=1');
    expect(receiver.received[i]!.lines[1]).toBe('STATUS=not serving: the last build failed (1 error line); fix the code and save');
  });

  it('stops the systemd pings while a watched root is lost for good, says so, and resumes when it is back', async () => {
    const { receiver, source, svc, logs } = await setup({ WATCHDOG_USEC: '200000' });
    source.set({ state: 'running', app: { pid: 1, startedAt: Date.now(), listening: ['127.0.0.1:1'] } });
    await receiver.waitForLine('WATCHDOG=1');
    svc.recorder.watchLost({ scope: 'root', cause: 'root-missing' });
    source.scope('failed', 'root-missing');
    await waitFor(() => logs.find((l) => l.level === 'warn' && l.msg.startsWith('systemd watchdog: pings stopped')), {
      description: 'the pings-stopped warning',
    });
    expect(logs.at(-1)!.msg).toMatch(
      /pings stopped \(root \/src deaf \(root-missing\) for \d+ s, recovery failed\); systemd restarts hotwatch unless it recovers$/,
    );
    await receiver.waitForLine(
      /^STATUS=serving pid 1 on 127\.0\.0\.1:1; watch unhealthy: root \/src deaf, recovery failed \(root-missing\)/,
    );
    const from = receiver.received.length;
    source.scope('ok');
    svc.changed();
    await receiver.waitForLine('WATCHDOG=1', { from });
    await waitFor(() => logs.some((l) => l.msg === 'systemd watchdog: pinging again'), { description: 'the pinging-again line' });
  });
});

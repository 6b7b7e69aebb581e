/**
 * Issue 17: the systemd watchdog pings stop once the watcher is deaf and no recovery works, so systemd can
 * act; a fallback to polling is a working (degraded) recovery and keeps them (service-run.test.ts).
 * Real `hotwatch run`, a real AF_UNIX datagram listener standing in for systemd, the test-only faults of
 * the built CLI: the watches are closed underneath (deafen-after), every re-arm fails (rearm-fails), and
 * so does the fallback to polling (fallback-fails).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { freePort, runCli, startHotwatch, writeGoApp } from '../helpers/hotwatch.js';
import { startNotifyReceiver } from '../helpers/notify-receiver.js';
import type { StatusSnapshot } from '../../src/service/status.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('systemd watchdog pings and a watcher that cannot recover (e2e)', () => {
  it('deaf, re-arming and polling both fail: watch.stopped, the pings stop, /status says recovery failed', async () => {
    const tmp = makeTmpDir('hotwatch-watchdog-');
    cleanups.push(tmp.cleanup);
    const dir = tmp.dir;
    writeGoApp(dir, 'v1');
    fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), 'watchdog:\n  interval: 1s\n  auditInterval: 2s\n');
    const r = await startNotifyReceiver(path.join(dir, 'notify.sock'));
    cleanups.push(() => r.close());
    const env = {
      PORT: String(await freePort()),
      NOTIFY_SOCKET: r.address,
      WATCHDOG_USEC: '400000', // a ping every 200 ms while healthy
      HOTWATCH_TEST_FAULTS: 'deafen-after=2s,rearm-fails=1000,fallback-fails=1000',
    };
    const hw = startHotwatch([], { cwd: dir, env, waitTimeoutMs: 60_000 });
    cleanups.push(() => hw.stop());
    const pings = (from: number) => r.received.slice(from).filter((d) => d.lines.includes('WATCHDOG=1')).length;
    await r.waitForLine('WATCHDOG=1', { timeoutMs: 30_000 });

    await hw.waitForLog((l) => l.event === 'watch.deaf', 'the loss is found');
    const stopped = await hw.waitForLog((l) => l.event === 'watch.stopped', 'no recovery works');
    expect(stopped.msg).toMatch(/no recovery works: re-arming failed, then polling failed .*edits are NOT seen/);
    const said = await hw.waitForLog((l) => l.event === 'service.watchdog' && l.pinging === false, 'the pings-stopped warning');
    expect(said.msg).toMatch(/pings stopped \(root .* deaf .*recovery failed\)/);
    // From one tick after that line: no ping at all for 3 s (15 periods).
    await sleep(400);
    const from = r.received.length;
    await sleep(3000);
    expect(
      pings(from),
      hw.logs
        .filter((l) => /^(watch\.|service\.|watchdog)/.test(String(l.event)))
        .map((l) => `${l.event} ${l.msg}`)
        .join('\n'),
    ).toBe(0);
    const status = await runCli(['status', '--json'], { cwd: dir, timeoutMs: 20_000 });
    const s = JSON.parse(status.stdout) as StatusSnapshot;
    expect(s.watch.healthy).toBe(false);
    expect(s.watch.scopes.map((x) => x.state)).toContain('failed');
    expect((await runCli(['status', '--check'], { cwd: dir, timeoutMs: 20_000 })).code).toBe(1);
    expect((await hw.stop()).code).toBe(0);
  }, 120_000);
});

/**
 * The watchdog on a quiet tree (issue 19: idle costs nothing measurable). While nothing changes, the
 * sentinel rounds back off (after 5 s without a change, each clean round doubles the wait, up to 30 s);
 * the first change after the quiet spell brings a round at once; and a watch lost on a quiet tree, where
 * no event arrives at all (the user's save included), is still found by the sentinels within the longest
 * wait plus two intervals. The sentinel writes are seen with the test's own fs.watch on their directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, pkgGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import type { LogLine } from '../helpers/hotwatch.js';
import { waitForLoud } from '../helpers/faults-loud.js';
import { waitFor } from '../helpers/wait.js';

const fc = faultCase();
/** The longest wait between two rounds on a quiet tree (sentinel-guard.ts QUIET_MAX_MS), and grace on a loaded CI machine. */
const QUIET_MAX_MS = 30_000;
const GRACE_MS = 3000;
const at = (l: LogLine) => Date.parse(String(l.time));

describe('the watchdog on a quiet tree (faults)', () => {
  it('rounds back off while nothing changes, and the first change after the quiet spell brings a round at once', async () => {
    const app = await fc.app({ watchdog: 'watchdog:\n  interval: 200ms' });
    fc.start();
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const sentinelDir = path.join(app.root, '.hotwatch', 'watchdog');
    await waitFor(() => fs.existsSync(sentinelDir), { description: sentinelDir, timeoutMs: 10_000 });
    const writes: number[] = [];
    const w = fs.watch(sentinelDir, (kind, name) => {
      if (kind === 'rename' && name && /^\.hotwatch-sentinel/.test(name) && fs.existsSync(path.join(sentinelDir, name))) {
        if (writes.length === 0 || performance.now() - writes[writes.length - 1]! > 50) writes.push(performance.now());
      }
    });
    try {
      // Base pace: a round every 100 ms; quiet for 5 s, then 200, 400, ... ms: a gap of 3 s comes after ~12 s.
      await waitFor(() => writes.length >= 2 && writes[writes.length - 1]! - writes[writes.length - 2]! >= 3000, {
        description: 'two sentinel rounds 3 s or more apart (the rounds backed off)',
        timeoutMs: 90_000,
      });
      const last = writes[writes.length - 1]!;
      // The next round is due at least 6 s after the last one (the wait doubles); a change comes now.
      app.write('src/version.go', pkgGo('src', 's2'));
      await waitFor(() => writes.some((t) => t > last), { description: 'a sentinel round after the change', timeoutMs: 20_000 });
      const next = writes.find((t) => t > last)!;
      expect(next - last, 'the change brought a round at once, not after the quiet wait (6 s or more)').toBeLessThan(4000);
      await app.serves(answer('m1', { src: 's2' }), 'the change served');
    } finally {
      w.close();
    }
  }, 180_000);

  it('deafened on a quiet tree (no event comes at all): watch.deaf within the longest wait + 2 intervals, as deafness (the helper still answers), not a hang; the edit made while deaf serves', async () => {
    // The default 2 s interval: a quiet round's echo is then first looked at 2–3 s after the round, on the
    // shared grid, later than the heartbeat's usual 2 s of silence; it must still read as deafness.
    const app = await fc.app({ watchdog: 'watchdog:\n  interval: 2s' });
    const hw = fc.start({ env: { HOTWATCH_TEST_FAULTS: 'deafen-after=40s' } });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const fault = await hw.waitForLog((l) => l.event === 'watchdog.fault' && l.fault === 'deafen-after', 'watchdog.fault deafen-after', {
      timeoutMs: 90_000,
    });
    const from = hw.logs.indexOf(fault);
    app.write('src/version.go', pkgGo('src', 's2')); // the save nobody hears
    const bound = QUIET_MAX_MS + 2 * 2000;
    const deaf = await waitForLoud(
      hw,
      { events: ['watch.deaf'], causes: ['sentinel-timeout', 'coverage-shortfall', 'heartbeat-timeout'], path: app.root },
      { from, timeoutMs: bound + GRACE_MS + 20_000 },
    );
    expect(at(deaf) - at(fault), `found within ${bound} ms (+${GRACE_MS} ms grace)`).toBeLessThanOrEqual(bound + GRACE_MS);
    expect(deaf.cause, `${String(deaf.msg)}: the helper answers its pings, so this is deafness`).not.toBe('heartbeat-timeout');
    await hw.waitForLog((l) => l.event === 'watch.rearmed', 'watch.rearmed', { from: hw.logs.indexOf(deaf), timeoutMs: 30_000 });
    await app.serves(answer('m1', { src: 's2' }), 'the edit made while deaf');
  }, 240_000);
});

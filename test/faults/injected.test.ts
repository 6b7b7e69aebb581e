/**
 * Issue 3, "what it must show" 6: faults injected through HOTWATCH_TEST_FAULTS (names and semantics in the
 * src/watch/watchdog/faults.ts). Each fault logs `watchdog.fault` when it fires;
 * detection is measured from that line's time.
 *   (a) deafen-after: every watch closed underneath the watcher → watch.deaf within 2 sentinel intervals,
 *       watch.rearmed, and the edit made while deaf serves;
 *   (b) hang-after: the watcher thread busy-loops; with the sentinel interval (10s) longer than the heartbeat
 *       deadline (~5s) → watch.deaf {watcher, heartbeat-timeout}; the app answers all along, then a fresh
 *       watcher (watch.rearmed) or a loud fallback, and the edit made while hung serves;
 *   (c) deafen-after + rearm-fails=3: re-arming keeps failing → watch.fallback to polling (level 50), edits
 *       serve through polling, then native watching comes back (watch.restored) and edits still serve.
 */
import { describe, expect, it } from 'vitest';
import { answer, mainGo, pkgGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { httpGet } from '../helpers/hotwatch.js';
import type { LogLine } from '../helpers/hotwatch.js';
import { expectNoSentinelBuilds, summarize, waitForLoud } from '../helpers/faults-loud.js';
import { waitFor } from '../helpers/wait.js';

const fc = faultCase();
const INTERVAL_MS = 1000;
/** Scheduling grace on a loaded 2-core CI machine, on top of the "within two sentinel intervals". */
const GRACE_MS = 1000;

const at = (l: LogLine) => Date.parse(String(l.time));
const watchdogLines = (lines: LogLine[]) => summarize(lines.filter((l) => /^(watch|watchdog)\./.test(String(l.event))));

describe('injected faults (faults, HOTWATCH_TEST_FAULTS)', () => {
  it('(a) deafened underneath the watcher: watch.deaf within 2 intervals, watch.rearmed, the edit made while deaf serves', async () => {
    const app = await fc.app({ watchdog: 'watchdog:\n  interval: 1s' });
    const hw = fc.start({ env: { HOTWATCH_TEST_FAULTS: 'deafen-after=2s' } });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');

    const fault = await hw.waitForLog((l) => l.event === 'watchdog.fault' && l.fault === 'deafen-after', 'watchdog.fault deafen-after', {
      timeoutMs: 20_000,
    });
    const from = hw.logs.indexOf(fault);
    app.write('src/version.go', pkgGo('src', 's2'));
    const editedAt = Date.now();

    const deaf = await waitForLoud(
      hw,
      { events: ['watch.deaf'], causes: ['sentinel-timeout', 'coverage-shortfall'], where: (l) => l.scope === 'root', path: app.root },
      { from, timeoutMs: 2 * INTERVAL_MS + GRACE_MS + 5_000 },
    );
    expect(at(deaf) - at(fault), `detected within 2 sentinel intervals (+${GRACE_MS}ms grace)`).toBeLessThanOrEqual(
      2 * INTERVAL_MS + GRACE_MS,
    );
    const rearmed = await hw.waitForLog((l) => l.event === 'watch.rearmed', 'watch.rearmed', {
      from: hw.logs.indexOf(deaf),
      timeoutMs: 15_000,
    });
    expect(typeof rearmed.recoveryMs, 'watch.rearmed carries recoveryMs').toBe('number');
    expect(typeof rearmed.changedWhileDeaf, 'watch.rearmed carries changedWhileDeaf').toBe('number');
    if (editedAt < at(rearmed)) expect(Number(rearmed.changedWhileDeaf), 'the edit made while deaf was counted').toBeGreaterThanOrEqual(1);

    await app.serves(answer('m1', { src: 's2' }), 'the edit made while deaf');
    app.write('main.go', mainGo('m2'));
    await app.serves(answer('m2', { src: 's2' }), 'an edit after the re-arm (watching really resumed)');
    console.info(
      `deafen: detected in ${at(deaf) - at(fault)}ms, recoveryMs ${String(rearmed.recoveryMs)}:\n${watchdogLines(hw.logs.slice(from))}`,
    );
    expectNoSentinelBuilds(hw);
  }, 90_000);

  it('(b) hung watcher thread: watch.deaf, the app serves all along, watching resumes or falls back loudly, the edit serves', async () => {
    // Sentinel deadline (= interval) 10s, longer than the heartbeat deadline (~5s): the heartbeat must notice.
    const app = await fc.app({ watchdog: 'watchdog:\n  interval: 10s' });
    const hw = fc.start({ env: { HOTWATCH_TEST_FAULTS: 'hang-after=2s' } });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');

    const fault = await hw.waitForLog((l) => l.event === 'watchdog.fault' && l.fault === 'hang-after', 'watchdog.fault hang-after', {
      timeoutMs: 20_000,
    });
    const from = hw.logs.indexOf(fault);
    app.write('src/version.go', pkgGo('src', 's2'));

    // Until watching is back (or a rebuild starts), every GET must be answered by the running app.
    const unanswered: number[] = [];
    let gets = 0;
    const outcome = await waitFor(
      async () => {
        const done = hw.logs
          .slice(from)
          .find((l) => l.event === 'watch.rearmed' || (l.event === 'watch.fallback' && l.level >= 40) || l.event === 'build.start');
        if (done) return done;
        gets++;
        if ((await httpGet(app.port)) === undefined) unanswered.push(Date.now());
        return undefined;
      },
      {
        description: `watch.rearmed or a loud watch.fallback after the hang\n${hw.stderr().slice(-3000)}`,
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
    expect(unanswered, `the app answered all ${gets} GETs while the watcher was hung`).toEqual([]);
    const deaf = hw.logs
      .slice(from)
      .find((l) => l.event === 'watch.deaf' && l.level >= 40 && l.scope === 'watcher' && l.cause === 'heartbeat-timeout');
    expect(
      deaf,
      `a loud watch.deaf {scope: watcher, cause: heartbeat-timeout} before ${outcome.event}:\n${watchdogLines(hw.logs.slice(from))}`,
    ).toBeDefined();
    expect(deaf!.msg, 'the diagnosis says the watcher thread stopped answering').toMatch(/heartbeat|answer|respond|hung|hang/i);
    expect(at(deaf!) - at(fault), 'the hang is noticed within ~6 s').toBeLessThanOrEqual(6_000 + GRACE_MS);

    await app.serves(answer('m1', { src: 's2' }), 'the edit made while the watcher was hung');
    app.write('main.go', mainGo('m2'));
    await app.serves(answer('m2', { src: 's2' }), 'an edit after recovery');
    console.info(
      `hang: deaf after ${at(deaf!) - at(fault)}ms, then ${outcome.event}; ${gets} GETs all answered:\n${watchdogLines(hw.logs.slice(from))}`,
    );
    expectNoSentinelBuilds(hw);
  }, 90_000);

  it('(c) re-arming fails 3 times: loud fallback to polling, edits serve, then native watching is restored', async () => {
    const app = await fc.app({ watchdog: 'watchdog:\n  interval: 1s\n  auditInterval: 2s' });
    const hw = fc.start({ env: { HOTWATCH_TEST_FAULTS: 'deafen-after=2s,rearm-fails=3' } });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const fault = await hw.waitForLog((l) => l.event === 'watchdog.fault', 'watchdog.fault', { timeoutMs: 20_000 });
    const from = hw.logs.indexOf(fault);

    const fallback = await waitForLoud(
      hw,
      { events: ['watch.fallback'], where: (l) => l.backend === 'poll' && l.scope === 'root', path: app.root, minLevel: 50 },
      { from, timeoutMs: 20_000 },
    );
    expect(String(fallback.reason ?? ''), 'the fallback says why').not.toBe('');
    app.write('src/version.go', pkgGo('src', 's2'));
    await app.serves(answer('m1', { src: 's2' }), 'an edit while polling');

    const restored = await hw.waitForLog(
      (l) => l.event === 'watch.restored' && l.backend === 'native',
      'watch.restored (native watching works again)',
      { from: hw.logs.indexOf(fallback), timeoutMs: 20_000 },
    );
    app.write('main.go', mainGo('m2'));
    await app.serves(answer('m2', { src: 's2' }), 'an edit after native watching was restored');
    app.write('src/version.go', pkgGo('src', 's3'));
    await app.serves(answer('m2', { src: 's3' }), 'another edit after the restore');
    const after = hw.logs.slice(hw.logs.indexOf(restored));
    expect(
      after.filter((l) => l.event === 'watch.deaf'),
      `the restored native watch stays healthy (the fault fired once; no new loss after watch.restored):\n${watchdogLines(after)}`,
    ).toEqual([]);
    console.info(
      `rearm-fails: fallback after ${at(fallback) - at(fault)}ms, restored after ${at(restored) - at(fallback)}ms:\n${watchdogLines(hw.logs.slice(from))}`,
    );
    expectNoSentinelBuilds(hw);
  }, 90_000);

  it('(d) a directory whose create event was lost: watch.deaf coverage-shortfall, then it is watched and its edits serve', async () => {
    const app = await fc.app({ watchdog: 'watchdog:\n  interval: 1s' });
    const hw = fc.start({ env: { HOTWATCH_TEST_FAULTS: 'drop-events=lost' } });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const from = hw.logs.length;
    app.write('lost/version.go', pkgGo('lost', 'l1')); // its create event is dropped: lost/ is not watched
    const deaf = await waitForLoud(
      hw,
      { events: ['watch.deaf'], causes: ['coverage-shortfall'], where: (l) => l.scope === 'dir' },
      { from, timeoutMs: 20_000 },
    );
    expect(String(deaf.msg)).toContain('lost');
    app.write('main.go', mainGo('m2', ['src', 'lost']));
    await app.serves(answer('m2', { src: 's1', lost: 'l1' }), 'main importing the package in the found directory');
    app.write('lost/version.go', pkgGo('lost', 'l2'));
    await app.serves(answer('m2', { src: 's1', lost: 'l2' }), 'an edit inside the directory whose create event was lost');
    expectNoSentinelBuilds(hw);
  }, 90_000);
});

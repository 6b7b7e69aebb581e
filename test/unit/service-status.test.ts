import { describe, expect, it } from 'vitest';
import { crashLoop } from '../../src/service/crash-loop.js';
import { ServiceFacts } from '../../src/service/facts.js';
import { healthOf, snapshot, statusLine, watchdogVerdict, type JobView, type WatchView } from '../../src/service/status.js';
import { envAssignment, execWord, longestGrace, unitName, unitTimings } from '../../src/service/systemd-unit.js';
import { oneLine, watchdogInterval } from '../../src/service/notify.js';
import { duration, renderStatus } from '../../src/service/render.js';
import { ServiceRecorder } from '../../src/service/recorder.js';

const NOW = 1_800_000_000_000;
const okWatch: WatchView = {
  backend: 'native',
  watches: 43,
  dirs: 42,
  scopes: [{ path: '/src', kind: 'root', state: 'ok', since: NOW - 60_000 }],
};
const running: JobView = {
  state: 'running',
  since: NOW - 5000,
  app: { pid: 7, startedAt: NOW - 5000, listening: ['127.0.0.1:8080'] },
  expectsListening: true,
};

describe('crashLoop', () => {
  it('says the exits, their span and the next try', () => {
    const exits = [NOW - 30_000, NOW - 22_000, NOW - 14_000, NOW - 8_000, NOW - 1_000];
    expect(crashLoop(exits, NOW, NOW + 8_000)).toEqual({
      exits: 5,
      spanMs: 29_000,
      nextTryInMs: 8_000,
      line: 'crash loop: 5 exits in 29 s, next try in 8 s',
    });
    expect(crashLoop(exits, NOW, 'change')?.line).toBe('crash loop: 5 exits in 29 s, waiting for a change');
    expect(crashLoop(exits, NOW, undefined)?.line).toBe('crash loop: 5 exits in 29 s');
  });

  it('is no loop below the threshold or outside the window, and never says "0 s"', () => {
    expect(crashLoop([NOW - 2000, NOW - 1000], NOW, undefined)).toBeUndefined();
    expect(crashLoop([NOW - 90_000, NOW - 80_000, NOW - 1000], NOW, undefined)).toBeUndefined();
    expect(crashLoop([NOW - 90_000, NOW - 80_000, NOW - 1000], NOW, undefined, { windowMs: 120_000 })?.exits).toBe(3);
    expect(crashLoop([NOW, NOW, NOW], NOW, NOW)?.line).toBe('crash loop: 3 exits in 1 s, next try in 1 s');
    expect(crashLoop([NOW + 5000, NOW, NOW, NOW], NOW, undefined)?.exits).toBe(3); // a future time is a clock step, not an exit
  });
});

describe('health and the STATUS= line', () => {
  it('serves when the app runs and listens; an app that never listens serves by running', () => {
    const f = new ServiceFacts();
    expect(healthOf(running, okWatch, f, NOW)).toEqual({ ok: true, serving: true, current: true, watchHealthy: true });
    const quiet = { ...running, app: { ...running.app!, listening: [] } };
    expect(healthOf(quiet, okWatch, f, NOW)).toMatchObject({
      ok: false,
      why: 'not serving: the app (pid 7) is not listening yet (up 5 s)',
    });
    expect(healthOf({ ...quiet, expectsListening: false }, okWatch, f, NOW).ok).toBe(true);
    // A build beside the old app: still serving.
    expect(healthOf({ ...running, state: 'building' }, okWatch, f, NOW).serving).toBe(true);
  });

  it('an app just restarted in a crash loop does not serve until it stays up 10 s', () => {
    const f = new ServiceFacts();
    for (const ago of [9000, 8000, 7000]) f.noteCrash(NOW - ago);
    const restarted = { ...running, app: { ...running.app!, startedAt: NOW - 2000 } };
    expect(healthOf(restarted, okWatch, f, NOW)).toMatchObject({
      ok: false,
      why: 'not serving: crash loop: 3 exits in 2 s; the app (pid 7) restarted 2 s ago',
    });
    expect(healthOf({ ...running, app: { ...running.app!, startedAt: NOW - 11_000 } }, okWatch, f, NOW).ok).toBe(true);
    // A good build after the last crash (the fix): its app serves at once.
    f.lastBuild = { outcome: 'ok', startedAt: NOW - 4000, finishedAt: NOW - 3000, durationMs: 1000, errors: [] };
    expect(healthOf(restarted, okWatch, f, NOW).ok).toBe(true);
  });

  it('counts polling as healthy watching, deaf and failed as not', () => {
    const f = new ServiceFacts();
    const scope = (state: 'polling' | 'deaf' | 'failed') => ({
      ...okWatch,
      scopes: [{ ...okWatch.scopes[0]!, state, since: NOW - 4000, cause: 'mount-changed' }],
    });
    expect(healthOf(running, scope('polling'), f, NOW).ok).toBe(true);
    expect(healthOf(running, scope('deaf'), f, NOW)).toMatchObject({
      ok: false,
      serving: true,
      watchHealthy: false,
      why: 'watch unhealthy: root /src deaf, recovering (mount-changed) for 4 s',
    });
    expect(healthOf(running, scope('failed'), f, NOW).why).toBe('watch unhealthy: root /src deaf, recovery failed (mount-changed) for 4 s');
  });

  it('stops the systemd pings on a failed recovery or a deafness past its grace, not on a short one', () => {
    const deaf = (state: 'deaf' | 'failed', ago: number) => ({
      ...okWatch,
      scopes: [{ ...okWatch.scopes[0]!, state, since: NOW - ago, cause: 'sentinel-timeout' }],
    });
    expect(watchdogVerdict(okWatch, NOW)).toEqual({ ok: true });
    expect(watchdogVerdict(deaf('deaf', 2000), NOW)).toEqual({ ok: true });
    expect(watchdogVerdict(deaf('deaf', 31_000), NOW)).toEqual({
      ok: false,
      why: 'root /src deaf (sentinel-timeout) for 31 s, not recovered',
    });
    expect(watchdogVerdict(deaf('failed', 1000), NOW)).toEqual({
      ok: false,
      why: 'root /src deaf (sentinel-timeout) for 1 s, recovery failed',
    });
  });

  it('puts the state a person needs on one line', () => {
    const f = new ServiceFacts();
    const src = (job: JobView, watch = okWatch) => ({ job: () => job, watch: () => watch });
    const meta = { root: '/src', version: '0.1.0', pid: 1, startedAt: NOW - 9000 };
    f.lastBuild = { outcome: 'ok', startedAt: NOW - 900, finishedAt: NOW - 100, durationMs: 812, errors: [] };
    expect(statusLine(snapshot(src(running), f, meta, NOW))).toBe(
      'serving pid 7 on 127.0.0.1:8080; last build ok in 0.8 s; watch ok (native, 43 watches)',
    );
    f.lastBuild = { ...f.lastBuild, outcome: 'failed', errors: ['a', 'b', 'c'] };
    expect(statusLine(snapshot(src({ ...running, state: 'build-failed', app: undefined }), f, meta, NOW))).toBe(
      'not serving: the last build failed (3 error lines); fix the code and save',
    );
    // With apps:, the app whose build failed is named (the others may serve).
    expect(statusLine(snapshot(src({ ...running, state: 'build-failed', app: undefined, name: 'worker' }), f, meta, NOW))).toBe(
      'not serving: the last build of the app worker failed (3 error lines); fix the code and save',
    );
    for (const t of [NOW - 9000, NOW - 5000, NOW - 1000]) f.noteCrash(t);
    expect(statusLine(snapshot(src({ ...running, state: 'backoff', app: undefined, nextTryAt: NOW + 4000 }), f, meta, NOW))).toBe(
      'not serving: crash loop: 3 exits in 8 s, next try in 4 s',
    );
    expect(statusLine(snapshot(src({ ...running, state: 'stopping' }), f, meta, NOW))).toBe('stopping');
    // At start, the watches still being armed: said so, not "unhealthy"; one watch is "1 watch".
    const arming: WatchView = {
      backend: 'native',
      watches: 1,
      dirs: 1,
      scopes: [{ path: '/src', kind: 'root', state: 'arming', since: NOW - 500 }],
    };
    const first = { ...running, state: 'building' as const, app: undefined };
    const fresh = new ServiceFacts();
    expect(statusLine(snapshot(src(first, arming), fresh, meta, NOW))).toMatch(/; watch arming$/);
    expect(statusLine(snapshot(src(running, { ...okWatch, watches: 1 }), fresh, meta, NOW))).toMatch(/watch ok \(native, 1 watch\)$/);
  });

  it('an app serving its previous version after its build failed is not ok (--check 1), till a good build or the files go back; with apps:, per app', () => {
    const f = new ServiceFacts();
    const rec = new ServiceRecorder(
      f,
      { inc() {}, observe() {} } as never,
      () => {},
      () => NOW,
    );
    rec.buildFinished({ outcome: 'failed', durationMs: 300, errors: ['main.go:15:1: syntax error'], at: NOW - 3000 });
    expect(healthOf(running, okWatch, f, NOW)).toEqual({
      ok: false,
      serving: true,
      current: false,
      watchHealthy: true,
      why: 'serving the previous version: the last build failed 3 s ago (1 error line); fix the code and save',
    });
    rec.buildFinished({ outcome: 'canceled', durationMs: 100, at: NOW - 1000 }); // decides nothing
    expect(healthOf(running, okWatch, f, NOW).current).toBe(false);
    rec.buildFailureCleared({ pid: 7 });
    expect(healthOf(running, okWatch, f, NOW).ok).toBe(true);

    // apps: api's good build after worker's failure hides nothing.
    const g = new ServiceFacts();
    const r2 = new ServiceRecorder(
      g,
      { inc() {}, observe() {} } as never,
      () => {},
      () => NOW,
    );
    r2.buildFinished({
      outcome: 'failed',
      durationMs: 300,
      errors: ['cmd/worker/main.go:13:45: syntax error'],
      at: NOW - 12_000,
      app: 'worker',
    });
    r2.buildFinished({ outcome: 'ok', durationMs: 300, at: NOW - 2000, app: 'api' });
    const apps = [
      { name: 'api', state: 'running' as const, since: NOW - 2000, pid: 10 },
      { name: 'worker', state: 'running' as const, since: NOW - 26_000, pid: 11 },
    ];
    const h = healthOf(running, okWatch, g, NOW, apps);
    expect(h).toMatchObject({ ok: false, current: false });
    expect(h.why).toBe(
      'serving the previous version: the last build of the app worker failed 12 s ago (1 error line); fix the code and save',
    );
    const src = { job: () => running, watch: () => okWatch, apps: () => apps };
    const snap = snapshot(src, g, { root: '/src', version: '0.1.0', pid: 1, startedAt: NOW - 30_000 }, NOW);
    expect(snap.apps?.find((a) => a.name === 'worker')?.lastBuild).toMatchObject({ outcome: 'failed' });
    expect(renderStatus(snap, NOW)).toContain('worker: running (pid 11) for 26s, last build FAILED 12s ago: serving its previous version');
    r2.buildFinished({ outcome: 'ok', durationMs: 300, at: NOW - 1000, app: 'worker' });
    expect(healthOf(running, okWatch, g, NOW, apps).ok).toBe(true);
  });

  it('a new version that did not start beside the serving one (blue-green): not current till a version starts', () => {
    const f = new ServiceFacts();
    const rec = new ServiceRecorder(
      f,
      { inc() {}, observe() {} } as never,
      () => {},
      () => NOW,
    );
    rec.buildFinished({ outcome: 'ok', durationMs: 300, at: NOW - 5000 });
    rec.newVersionFailed({ why: 'exit code 1: bind: address already in use', at: NOW - 4000 });
    expect(healthOf(running, okWatch, f, NOW)).toMatchObject({
      ok: false,
      serving: true,
      current: false,
      why: 'serving the previous version: the new version did not start 4 s ago (exit code 1: bind: address already in use); fix it and save',
    });
    rec.appStarted({ pid: 9, reason: 'build' });
    expect(healthOf(running, okWatch, f, NOW).ok).toBe(true);
  });

  it('restarting (the old app draining before the new version starts): not serving, said so', () => {
    const f = new ServiceFacts();
    expect(healthOf({ ...running, state: 'restarting', since: NOW - 2000 }, okWatch, f, NOW)).toMatchObject({
      ok: false,
      serving: false,
      why: 'restarting: the app (pid 7) is stopping (for 2 s); the new version starts after it',
    });
  });

  it("behind the proxy: the proxy is named as the address to open, the app's own port as behind it", () => {
    const f = new ServiceFacts();
    const src = { job: () => running, watch: () => okWatch };
    const meta = { root: '/src', version: '0.1.0', pid: 1, startedAt: NOW - 9000, proxy: 'http://127.0.0.1:3000' };
    const text = renderStatus(snapshot(src, f, meta, NOW), NOW);
    expect(text).toMatch(/^proxy +http:\/\/127\.0\.0\.1:3000: open this \(pages reload on each new version\)$/m);
    expect(text).toMatch(/^app +pid 7, serving on .* \(behind the proxy\)/m);
    expect(renderStatus(snapshot(src, f, { ...meta, proxy: undefined }, NOW), NOW)).not.toMatch(/^proxy/m);
  });

  it('drops a failed build from STATUS= and the status once the files are back to what the app runs', () => {
    const f = new ServiceFacts();
    const changes: string[] = [];
    const rec = new ServiceRecorder(
      f,
      { inc() {}, observe() {} } as never,
      (k) => changes.push(k),
      () => NOW,
    );
    const src = { job: () => running, watch: () => okWatch };
    const meta = { root: '/src', version: '0.1.0', pid: 1, startedAt: NOW - 9000 };
    rec.buildFailureCleared({ pid: 7 }); // no failure: nothing to clear
    expect(changes).toEqual([]);
    rec.buildFinished({ outcome: 'failed', durationMs: 300, errors: ['main.go:15:1: syntax error'], at: NOW - 2000 });
    expect(statusLine(snapshot(src, f, meta, NOW))).toContain('; last build failed in 0.3 s;');
    expect(renderStatus(snapshot(src, f, meta, NOW), NOW)).toContain('main.go:15:1: syntax error');
    rec.buildFailureCleared({ pid: 7 });
    expect(changes).toEqual(['build', 'build']); // STATUS= is recomputed
    expect(f.lastBuild).toMatchObject({ outcome: 'failed', clearedAt: NOW });
    expect(statusLine(snapshot(src, f, meta, NOW))).toBe(
      'serving pid 7 on 127.0.0.1:8080; sources back to what it runs (the failed build no longer applies); watch ok (native, 43 watches)',
    );
    const text = renderStatus(snapshot(src, f, meta, NOW), NOW);
    expect(text).toMatch(/^build {4}sources back to what the app runs 0 ms ago: the failed build \(2s ago\) no longer applies/m);
    expect(text).not.toMatch(/^ +main\.go/m);
    // The next build is news again.
    rec.buildFinished({ outcome: 'failed', durationMs: 300, errors: ['main.go:9:1: syntax error'] });
    expect(statusLine(snapshot(src, f, meta, NOW))).toContain('last build failed');
  });
});

describe('unit quoting and numbers', () => {
  it('quotes ExecStart words and Environment assignments the way systemd reads them', () => {
    expect(execWord('/usr/bin/node')).toBe('/usr/bin/node');
    expect(execWord('/src/my app')).toBe('"/src/my app"');
    expect(execWord('100%')).toBe('100%%');
    expect(execWord('$HOME')).toBe('"$$HOME"');
    expect(execWord('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
    expect(execWord('')).toBe('""');
    expect(envAssignment('PATH', '/a b:/c%')).toBe('"PATH=/a b:/c%%"');
  });

  it('names the unit after the root, within what systemd allows', () => {
    expect(unitName('/home/ann/src/my app')).toBe('hotwatch-my-app.service');
    expect(unitName('/srv/.hidden')).toBe('hotwatch-hidden.service');
    expect(unitName('/')).toBe('hotwatch-root.service');
  });

  it('keeps the stop timeout above the grace period and the watchdog above 10 sentinel intervals', () => {
    expect(unitTimings({ gracePeriodMs: 5000, buildTimeoutMs: 300_000, watchdogIntervalMs: 2000 })).toEqual({
      stopSec: 15,
      startSec: 360,
      watchdogSec: 30,
    });
    expect(unitTimings({ gracePeriodMs: 30_500, buildTimeoutMs: 60_000, watchdogIntervalMs: 5000 })).toEqual({
      stopSec: 41,
      startSec: 120,
      watchdogSec: 50,
    });
  });

  it('stops within the longest grace period of the apps that run, naming the key it comes from', () => {
    expect(longestGrace(2000, undefined)).toEqual({ ms: 2000, key: 'run.gracePeriod' });
    const api = { name: 'api', gracePeriodMs: 60_000, own: true };
    const worker = { name: 'worker', gracePeriodMs: 2000, own: false };
    expect(longestGrace(2000, [worker, api])).toEqual({ ms: 60_000, key: 'apps.api.gracePeriod' });
    expect(longestGrace(2000, [worker])).toEqual({ ms: 2000, key: 'run.gracePeriod' });
    // An app's own shorter grace: run.gracePeriod no longer counts when no app that runs inherits it.
    expect(longestGrace(30_000, [{ name: 'api', gracePeriodMs: 1000, own: true }])).toEqual({ ms: 1000, key: 'apps.api.gracePeriod' });
  });
});

describe('notify helpers', () => {
  it('pings at half WATCHDOG_USEC, for this pid only', () => {
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000' }, 5)).toBe(15_000);
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '5' }, 5)).toBe(15_000);
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '6' }, 5)).toBeUndefined();
    expect(watchdogInterval({ WATCHDOG_USEC: 'x' }, 5)).toBeUndefined();
    expect(watchdogInterval({}, 5)).toBeUndefined();
  });

  it('keeps STATUS= to one bounded line', () => {
    expect(oneLine('a\nREADY=1\r\nb')).toBe('a READY=1 b');
    expect(oneLine('x'.repeat(500))).toHaveLength(400);
  });

  it('formats durations for people', () => {
    expect([812, 5_000, 65_000, 3_900_000].map(duration)).toEqual(['812 ms', '5s', '1m05s', '1h05m']);
  });
});

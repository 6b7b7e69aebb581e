import { describe, expect, it } from 'vitest';
import { ServiceWiring, jobStateOf } from '../../src/service-wiring.js';
import type { MetricsRecorder } from '../../src/service/recorder.js';
import type { JobSnapshot } from '../../src/supervisor/job-state.js';
import { ServiceFacts } from '../../src/service/facts.js';
import { ServiceRecorder } from '../../src/service/recorder.js';
import { renderStatus } from '../../src/service/render.js';
import { snapshot } from '../../src/service/status.js';

const NOW = Date.now();

/** A recorder that writes down each call. */
function recording() {
  const calls: [string, unknown][] = [];
  const recorder = new Proxy({} as MetricsRecorder, {
    get: (_t, name: string) => (arg: unknown) => calls.push([name, arg]),
  });
  let changes = 0;
  return { calls, recorder, changed: () => changes++, changes: () => changes };
}

const opts = { root: '/src', port: undefined, buildDir: '/src', cwd: '/src' };

describe('service wiring', () => {
  it('names the job states as the status does', () => {
    const at = (s: Partial<JobSnapshot> & Pick<JobSnapshot, 'name'>) => jobStateOf({ since: 0, ...s });
    expect(at({ name: 'idle', why: 'not-started' })).toBe('starting');
    expect(at({ name: 'idle', why: 'build-failed' })).toBe('build-failed');
    expect(at({ name: 'idle', why: 'app-exited' })).toBe('exited');
    expect(at({ name: 'building' })).toBe('building');
    expect(at({ name: 'running', pid: 1 })).toBe('running');
    expect(at({ name: 'backoff', restartAt: 5 })).toBe('backoff');
    expect(at({ name: 'building', shuttingDown: true })).toBe('stopping');
    expect(at({ name: 'stopped' })).toBe('stopping');
    // The old app stopping before the new version starts (a graceful drain can take seconds): not "building".
    expect(at({ name: 'stopping', pid: 7, why: 'restart', trigger: 'main.go' })).toBe('restarting');
    expect(at({ name: 'stopping', pid: 7, why: 'build failed (build.onFailure: stop)' })).toBe('build-failed');
  });

  it("turns the job's reports into recorder calls: builds by outcome with the compiler's error lines, starts by reason, exits", () => {
    const w = new ServiceWiring(opts);
    const r = recording();
    w.attach(r);
    w.report({ kind: 'build.start', trigger: 'x', files: 1, rescan: [] });
    w.report({ kind: 'build.done', buildMs: 800 });
    w.report({ kind: 'app.start', pid: 10, reason: 'initial build', startMs: 3 });
    w.report({
      kind: 'build.failed',
      appRunning: true,
      result: {
        ok: false,
        canceled: false,
        timedOut: false,
        exitCode: 1,
        durationMs: 300,
        output: '# example.com/e2e\n./main.go:4:2: undefined: x\n',
        command: 'go build',
      },
    });
    w.report({ kind: 'build.canceled', buildMs: 50, shuttingDown: false });
    w.report({ kind: 'app.exit', pid: 10, exit: { code: 3, signal: null, uptimeMs: 20 }, next: 'restart', restartInMs: 100, crashes: 1 });
    w.report({ kind: 'app.start', pid: 11, reason: 'restart after exit', startMs: 3 });
    expect(r.calls).toEqual([
      ['buildStarted', undefined],
      ['buildFinished', { outcome: 'ok', durationMs: 800 }],
      ['appStarted', { pid: 10, reason: 'initial' }],
      ['buildFinished', { outcome: 'failed', durationMs: 300, errors: ['main.go:4:2: undefined: x'] }],
      ['buildFinished', { outcome: 'canceled', durationMs: 50 }],
      ['appExited', { pid: 10, code: 3, signal: null, uptimeMs: 20, expected: false }],
      ['appStarted', { pid: 11, reason: 'crash' }],
    ]);
  });

  it("keeps the watch view from the watchdog's health lines", () => {
    const w = new ServiceWiring(opts);
    const r = recording();
    w.attach(r);
    w.bind({ state: { name: 'running', since: 0, pid: 1 } }, { stats: () => ({ backend: 'native', dirs: 3, watches: 3 }) });
    // Arming until the runtime says every watch is armed (the first build runs meanwhile), ok after.
    expect(w.watch().scopes.map((s) => s.state)).toEqual(['arming']);
    w.watchReady();
    expect(w.watch().scopes.map((s) => s.state)).toEqual(['ok']);
    expect(Date.now() - w.watch().scopes[0]!.since).toBeLessThan(5_000); // ok since the start, not since 1970
    w.health({ event: 'watch.deaf', scope: 'root', path: '/src', cause: 'sentinel-timeout' });
    expect(w.watch().scopes).toMatchObject([{ path: '/src', state: 'deaf', cause: 'sentinel-timeout' }]);
    w.health({ event: 'watch.fallback', scope: 'root', path: '/src', reason: 're-arming failed', loss: true });
    expect(w.watch()).toMatchObject({ backend: 'native+poll', scopes: [{ state: 'polling' }] });
    w.health({ event: 'watch.restored', scope: 'root', path: '/src' });
    expect(w.watch().scopes.map((s) => s.state)).toEqual(['ok']);
    expect(r.calls.map(([name]) => name)).toEqual(['watchLost', 'watchRecovered']);
  });

  it("the watcher's own loss is the root's: the fallback after a watch limit replaces it (not 'deaf' forever); a directory re-armed as it is said is never a deaf scope", () => {
    const w = new ServiceWiring(opts);
    w.attach(recording());
    w.bind({ state: { name: 'running', since: 0, pid: 1 } }, { stats: () => ({ backend: 'poll', dirs: 54, watches: undefined }) });
    w.watchReady();
    w.health({ event: 'watch.deaf', scope: 'dir', path: '/src/new', cause: 'coverage-shortfall' });
    expect(w.watch().scopes.map((s) => s.state)).toEqual(['ok']);
    w.health({ event: 'watch.deaf', scope: 'watcher', path: '/src', cause: 'watch-limit' });
    expect(w.watch().scopes).toMatchObject([{ path: '/src', kind: 'root', state: 'deaf', cause: 'watch-limit' }]);
    w.health({ event: 'watch.fallback', scope: 'root', path: '/src', reason: 'the inotify watch limit was reached', loss: true });
    expect(w.watch().scopes).toMatchObject([{ path: '/src', kind: 'root', state: 'polling' }]);
    expect(w.watch().scopes).toHaveLength(1);
  });

  it('a watch no recovery repairs (watch.stopped) is failed at once, keeping when it went deaf; a kernel overflow counts as dropped', () => {
    const w = new ServiceWiring(opts);
    const r = recording();
    w.attach(r);
    w.health({ event: 'watch.deaf', scope: 'root', path: '/src', cause: 'sentinel-timeout' });
    const since = w.watch().scopes[0]!.since;
    w.health({ event: 'watch.stopped', scope: 'root', path: '/src', cause: 'sentinel-timeout', why: 'polling failed' });
    expect(w.watch().scopes).toMatchObject([{ path: '/src', state: 'failed', cause: 'sentinel-timeout', since }]);
    w.health({ event: 'watch.overflow', scope: 'root', path: '/src' });
    expect(r.calls.slice(1)).toEqual([['eventsDropped', { count: 1, reason: 'kernel-overflow' }]]);
    w.health({ event: 'watch.restored', scope: 'root', path: '/src' });
    expect(w.watch().scopes.map((x) => x.state)).toEqual(['ok']);
  });

  it('counts the events a batch merged and those the ring dropped', () => {
    const w = new ServiceWiring(opts);
    const r = recording();
    w.attach(r);
    const change = (path: string) => ({ kind: 'change' as const, path, at: 1 });
    w.taken({ paths: ['/src/a.go', '/src/b.go'], rescanReasons: ['overflow'], firstAt: 1, lastAt: 2 }, [
      change('/src/a.go'),
      change('/src/a.go'),
      change('/src/a.go'),
      change('/src/b.go'),
      { kind: 'rescan', reason: 'event buffer overflow', at: 2, dropped: 40 },
    ]);
    expect(r.calls).toEqual([
      ['eventsDropped', { count: 40, reason: 'ring-overflow' }],
      ['eventsCoalesced', 2],
    ]);
  });
});

describe('service wiring with apps: (several apps)', () => {
  /** Two apps whose states the test sets, a real recorder and facts, and the status as served. */
  function twoApps() {
    const w = new ServiceWiring(opts);
    const facts = new ServiceFacts();
    w.attach({ recorder: new ServiceRecorder(facts, { inc() {}, observe() {} } as never), changed: () => {} });
    const states: Record<string, JobSnapshot> = {
      api: { name: 'running', since: NOW - 9000, pid: 10 },
      worker: { name: 'running', since: NOW - 9000, pid: 20 },
    };
    w.bind({
      get state() {
        return states.api!;
      },
      states: () => Object.entries(states).map(([name, state]) => ({ name, state })),
    });
    w.watchReady();
    for (const pid of [10, 20]) w.appChanged({ pid } as never);
    w.listening(10, [8080]);
    w.listening(20, [8081]);
    const status = () => snapshot(w, facts, { root: '/src', version: '0', pid: 1, startedAt: NOW - 10_000 }, Date.now());
    return { w, states, status };
  }

  it('the summary is the least settled app, named: the worker killed while the api serves', () => {
    const { w, states, status } = twoApps();
    expect(status()).toMatchObject({ state: { name: 'running' }, health: { ok: true } });
    // The api restarted by hotwatch (an expected SIGTERM), then the worker killed from outside.
    w.report({
      kind: 'app.stop',
      pid: 10,
      why: 'a new build',
      result: { how: 'signal', durationMs: 5, exit: { code: null, signal: 'SIGTERM', uptimeMs: 9000 } },
    } as never);
    states.api = { name: 'running', since: NOW, pid: 11 };
    w.appChanged({ pid: 11 } as never);
    w.listening(11, [8080]);
    w.report({ kind: 'app.exit', pid: 20, exit: { code: null, signal: 'SIGKILL', uptimeMs: 9000 }, next: 'wait', crashes: 1 } as never);
    states.worker = { name: 'idle', since: NOW, why: 'app-exited' };
    const s = status();
    expect(s.state).toMatchObject({ name: 'exited', app: 'worker' });
    expect(s.health.why).toMatch(/^not serving: the app worker exited \(SIGKILL\) \d+ s ago; waiting for a change$/);
    const text = renderStatus(s);
    expect(text).toMatch(/^state {4}exited for .* \(app worker, the least settled of 2 apps\)$/m);
    expect(text).toMatch(/^app {6}worker: none \(last exit SIGKILL, .* ago\)/m);
    expect(text).toMatch(/^apps {5}api: running \(pid 11\)/m);

    // hotwatch stopped it (idle, why stopped): not "exited on its own", nor the last crash's signal.
    states.worker = { name: 'idle', since: NOW, why: 'stopped' };
    expect(status().health.why).toMatch(/^not serving: hotwatch stopped the app worker \d+ s ago/);
    // Back: the api and the worker serve; the summary is running, and names the app it describes.
    states.worker = { name: 'running', since: NOW, pid: 21 };
    w.appChanged({ pid: 21 } as never);
    w.listening(21, [8081]);
    expect(status()).toMatchObject({ state: { name: 'running' }, app: { pid: expect.any(Number), serving: true }, health: { ok: true } });
  });

  it('one app building while the other serves: the summary is the building one, and its serving process', () => {
    const { states, status } = twoApps();
    states.worker = { name: 'building', since: NOW, pid: 20 };
    expect(status()).toMatchObject({
      state: { name: 'building', app: 'worker' },
      app: { pid: 20, listening: [':8081'] },
      health: { ok: true },
    });
  });
});

/**
 * Which exits make a crash loop (src/service/crash-chain.ts), and what the status then says
 * (recorder.ts, status.ts): pure, times given.
 */
import { describe, expect, it } from 'vitest';
import { CrashChain } from '../../src/service/crash-chain.js';
import { ServiceFacts } from '../../src/service/facts.js';
import { ServiceRecorder } from '../../src/service/recorder.js';
import { healthOf, type JobView, type WatchView } from '../../src/service/status.js';

const NOW = 1_800_000_000_000;
const okWatch: WatchView = {
  backend: 'native',
  watches: 3,
  dirs: 3,
  scopes: [{ path: '/src', kind: 'root', state: 'ok', since: NOW - 60_000 }],
};

function recorder(): { facts: ServiceFacts; rec: ServiceRecorder; exits: string[] } {
  const facts = new ServiceFacts();
  const exits: string[] = [];
  const sink = { inc: (name: string, labels: { kind?: string }) => name === 'exits' && exits.push(String(labels.kind)), observe() {} };
  return {
    facts,
    exits,
    rec: new ServiceRecorder(
      facts,
      sink as never,
      () => {},
      () => NOW,
    ),
  };
}

/** Each version started by a build (an edit), then exiting on its own with `code`, 1 s apart. */
function runsAfterEdits(rec: ServiceRecorder, code: number, runs: number): void {
  for (let i = 0; i < runs; i++) {
    const at = NOW - (runs - i) * 1000;
    rec.appStarted({ pid: 100 + i, reason: i === 0 ? 'initial' : 'build', at: at - 50 });
    rec.appExited({ pid: 100 + i, code, signal: null, uptimeMs: 50, expected: false, at });
  }
}

const exited = (since: number): JobView => ({ state: 'exited', since, app: undefined, expectsListening: false, down: 'app-exited' });

describe('crash loop: which exits count', () => {
  it('an app that exits 0 after each edit (a CLI): no crash loop; the status says it exited and waits for a change', () => {
    const { facts, rec, exits } = recorder();
    runsAfterEdits(rec, 0, 3);
    expect(facts.crashTimes()).toEqual([]);
    expect(exits).toEqual(['clean', 'clean', 'clean']); // hotwatch_app_exits_total{kind="clean"}, not "crash"
    expect(healthOf(exited(NOW - 1000), okWatch, facts, NOW)).toEqual({
      ok: false,
      serving: false,
      current: true,
      watchHealthy: true,
      why: 'not serving: the app exited (code 0) 1 s ago; waiting for a change',
    });
    expect(facts.recentEvents().map((e) => e.event)).toEqual([
      'app.started',
      'app.exited',
      'app.started',
      'app.exited',
      'app.started',
      'app.exited',
    ]);
  });

  it('an app that fails after each edit, nothing restarting it (wait-for-change): each exit said, no loop of restarts', () => {
    const { facts, rec } = recorder();
    runsAfterEdits(rec, 1, 4);
    expect(facts.crashTimes()).toEqual([]);
    expect(healthOf(exited(NOW - 1000), okWatch, facts, NOW).why).toBe(
      'not serving: the app exited (code 1) 1 s ago; waiting for a change',
    );
  });

  it('crashes restarted by hotwatch (run.onCrash: restart): a loop, counting the crash that led to the first restart', () => {
    const { facts, rec } = recorder();
    rec.appStarted({ pid: 1, reason: 'build', at: NOW - 9000 });
    rec.appExited({ pid: 1, code: 2, signal: null, uptimeMs: 100, expected: false, at: NOW - 8900 });
    expect(facts.crashTimes()).toEqual([]); // not yet: nothing restarted it (yet)
    for (const [i, at] of [NOW - 6000, NOW - 3000].entries()) {
      rec.appStarted({ pid: 2 + i, reason: 'crash', at: at - 100 });
      rec.appExited({ pid: 2 + i, code: null, signal: 'SIGSEGV', uptimeMs: 100, expected: false, at });
    }
    expect(facts.crashTimes()).toEqual([NOW - 8900, NOW - 6000, NOW - 3000]);
    const backoff: JobView = { state: 'backoff', since: NOW - 3000, app: undefined, expectsListening: true, nextTryAt: NOW + 4000 };
    expect(healthOf(backoff, okWatch, facts, NOW).why).toBe('not serving: crash loop: 3 exits in 6 s, next try in 4 s');
  });

  it('a clean exit restarted (run.onCrash: restart) is said as an exit, not a crash', () => {
    const { facts, rec } = recorder();
    rec.appStarted({ pid: 1, reason: 'build', at: NOW - 2000 });
    rec.appExited({ pid: 1, code: 0, signal: null, uptimeMs: 100, expected: false, at: NOW - 1900 });
    const backoff: JobView = { state: 'backoff', since: NOW - 1900, app: undefined, expectsListening: false, nextTryAt: NOW + 1000 };
    expect(healthOf(backoff, okWatch, facts, NOW).why).toBe('not serving: the app exited (code 0); next try in 1 s');
  });
});

describe('CrashChain', () => {
  it('a build between crashes ends the chain; a stop by hotwatch forgets the process', () => {
    const c = new CrashChain();
    expect(c.exited({ pid: 1, code: 1, signal: null, at: 10 })).toEqual([]);
    expect(c.started(2, 'build')).toEqual([]); // an edit's build, not a restart: the crash before is not counted
    expect(c.exited({ pid: 2, code: 1, signal: null, at: 20 })).toEqual([]);
    expect(c.started(3, 'crash')).toEqual([20]);
    c.stopped(3); // stopped for a build: its later exit is not the restart's
    expect(c.exited({ pid: 3, code: 1, signal: null, at: 30 })).toEqual([]);
  });

  it('with apps:, each app’s chain is its own', () => {
    const c = new CrashChain();
    expect(c.exited({ pid: 1, code: 1, signal: null, app: 'api', at: 10 })).toEqual([]);
    expect(c.exited({ pid: 2, code: 1, signal: null, app: 'worker', at: 11 })).toEqual([]);
    expect(c.started(3, 'crash', 'worker')).toEqual([11]);
    expect(c.started(4, 'build', 'api')).toEqual([]);
    expect(c.exited({ pid: 3, code: 1, signal: null, app: 'worker', at: 20 })).toEqual([20]);
  });
});

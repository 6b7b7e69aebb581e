/** The one state that stands for several apps (status readers that know one), and each app's own in the status. */
import { describe, expect, it } from 'vitest';
import { aggregateState } from '../../src/apps/app-state.js';
import { ServiceWiring } from '../../src/service-wiring.js';
import { renderStatus } from '../../src/service/render.js';
import type { JobSnapshot } from '../../src/supervisor/job-state.js';

const at = (name: JobSnapshot['name'], since: number, extra: Partial<JobSnapshot> = {}): JobSnapshot => ({ name, since, ...extra });

describe('aggregateState', () => {
  it('the least settled app stands for all: a build over a backoff over a crash over running', () => {
    expect(aggregateState([at('running', 1), at('building', 2), at('idle', 3)]).name).toBe('building');
    expect(aggregateState([at('running', 1), at('backoff', 2), at('idle', 3)]).name).toBe('backoff');
    expect(aggregateState([at('running', 1), at('idle', 3, { why: 'app-exited' })]).name).toBe('idle');
    expect(aggregateState([at('running', 1), at('running', 5)]).since).toBe(5);
    expect(aggregateState([]).name).toBe('idle');
  });
});

describe('ServiceWiring with apps', () => {
  it("lists each app's state and pid, and hotwatch status shows them", () => {
    const wiring = new ServiceWiring({ root: '/m', port: undefined, buildDir: '/m', cwd: '/m' });
    expect(wiring.apps()).toBeUndefined();
    const states = [
      { name: 'api', state: at('running', 1000, { pid: 11 }) },
      { name: 'worker', state: at('idle', 2000, { why: 'build-failed' }) },
    ];
    wiring.bind({ state: states[0]!.state, states: () => states }, {});
    expect(wiring.apps()).toEqual([
      { name: 'api', state: 'running', since: 1000, pid: 11 },
      { name: 'worker', state: 'build-failed', since: 2000, pid: null },
    ]);
  });
});

describe('renderStatus', () => {
  it('an apps line per app', () => {
    const base = {
      schema: 1 as const,
      hotwatch: { root: '/m', version: '0', pid: 1, startedAt: 0, uptimeMs: 1000 },
      state: { name: 'running' as const, since: 0, forMs: 1000 },
      app: null,
      lastBuild: null,
      builds: { ok: 0, failed: 0, canceled: 0, runningSince: null },
      restarts: 0,
      lastExit: null,
      crashLoop: null,
      watch: { backend: 'native', watches: 1, dirs: 1, scopes: [], healthy: true },
      health: { ok: true, serving: true, watchHealthy: true },
      recentEvents: [],
      apps: [
        { name: 'api', state: 'running' as const, since: 0, pid: 11 },
        { name: 'worker', state: 'build-failed' as const, since: 0, pid: null },
      ],
    };
    const text = renderStatus(base, 3000);
    expect(text).toContain('apps     api: running (pid 11) for 3s');
    expect(text).toContain('         worker: build-failed for 3s');
  });
});

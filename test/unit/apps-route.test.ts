/** Routing a batch among apps (pure): by imported package directories, env files, include globs. */
import { describe, expect, it } from 'vitest';
import { routeBatch, routedApp, touchesImports } from '../../src/apps/route.js';
import { BuildSlots, defaultBuildBound } from '../../src/apps/build-slots.js';
import type { Batch } from '../../src/pipeline/events.js';

const R = '/m';
const batch = (...paths: string[]): Batch => ({ paths: paths.map((p) => `${R}/${p}`), rescanReasons: [], firstAt: 1, lastAt: 2 });
const apps = [routedApp('api', ['config/api/**'], ['/m/api.env']), routedApp('worker', [], []), routedApp('cron', [], [])];
const deps = new Map([
  ['api', new Set(['/m/cmd/api', '/m/internal/shared'])],
  ['worker', new Set(['/m/cmd/worker', '/m/cmd/worker/jobs', '/m/internal/shared'])],
  ['cron', new Set(['/m/cmd/cron'])],
]);
const routed = (b: Batch) => {
  const r = routeBatch(b, R, apps, deps);
  return {
    to: Object.fromEntries([...r.batches].map(([n, x]) => [n, x.paths.map((p) => p.slice(3))])),
    unrouted: r.unrouted.map((p) => p.slice(3)),
    all: r.all,
  };
};

describe('routeBatch', () => {
  it('a .go file goes to the apps that import its package', () => {
    expect(routed(batch('internal/shared/x.go')).to).toEqual({ api: ['internal/shared/x.go'], worker: ['internal/shared/x.go'] });
    expect(routed(batch('cmd/worker/jobs/j.go', 'cmd/cron/main.go')).to).toEqual({
      worker: ['cmd/worker/jobs/j.go'],
      cron: ['cmd/cron/main.go'],
    });
  });

  it('a .go file no app imports goes nowhere, and is named; another file no app claims (a top-level templates/ read at run time) goes to every app', () => {
    const r = routed(batch('internal/unused/u.go'));
    expect(r.to).toEqual({});
    expect(r.unrouted).toEqual(['internal/unused/u.go']);
    const t = routed(batch('templates/index.tmpl'));
    expect(t.to).toEqual({ api: ['templates/index.tmpl'], worker: ['templates/index.tmpl'], cron: ['templates/index.tmpl'] });
    expect(t.unrouted).toEqual([]);
  });

  it('module files go to every app; env files and include globs to their app; other files to the package above them', () => {
    expect(Object.keys(routed(batch('go.mod')).to)).toEqual(['api', 'worker', 'cron']);
    expect(routed(batch('api.env')).to).toEqual({ api: ['api.env'] });
    expect(routed(batch('config/api/a.yaml')).to).toEqual({ api: ['config/api/a.yaml'] });
    expect(routed(batch('cmd/worker/jobs/templates/t.html')).to).toEqual({ worker: ['cmd/worker/jobs/templates/t.html'] });
  });

  it('dependencies unknown, a rescan, or a build of everything: every app gets the whole batch', () => {
    expect(routeBatch(batch('x/y.go'), R, apps, undefined).all).toContain('not known');
    expect(routeBatch({ ...batch('x/y.go'), rescanReasons: ['overflow'] }, R, apps, deps).batches.size).toBe(3);
    expect(routeBatch(batch(), R, apps, deps).batches.size).toBe(3);
  });

  it('touchesImports: .go and module files only', () => {
    expect(touchesImports(batch('a/b.go'))).toBe(true);
    expect(touchesImports(batch('go.work'))).toBe(true);
    expect(touchesImports(batch('a/b.html', '.env'))).toBe(false);
  });
});

describe('BuildSlots', () => {
  it('runs at most `bound` at once, in order, and a waiter whose signal aborts leaves the queue', async () => {
    const slots = new BuildSlots(2);
    const ctrl = new AbortController();
    const a = await slots.acquire(ctrl.signal);
    const b = await slots.acquire(ctrl.signal);
    const order: string[] = [];
    const aborted = new AbortController();
    const c = slots.acquire(aborted.signal).then(
      () => order.push('c'),
      () => order.push('c aborted'),
    );
    const d = slots.acquire(ctrl.signal).then((release) => {
      order.push('d');
      return release;
    });
    aborted.abort(new Error('canceled'));
    await c;
    expect(order).toEqual(['c aborted']);
    a();
    a(); // a second release is a no-op
    const releaseD = await d;
    expect(order).toEqual(['c aborted', 'd']);
    b();
    releaseD();
    expect(defaultBuildBound(2)).toBe(4);
    expect(defaultBuildBound(1)).toBe(3);
    expect(defaultBuildBound(4)).toBe(6);
    expect(defaultBuildBound(64)).toBe(8);
  });
});

import { describe, expect, it } from 'vitest';
import { budgetChecks, largestSubtrees, type BudgetInput } from '../../src/diagnostics/budget.js';
import { niceLimit } from '../../src/diagnostics/fixes.js';

const limits = (watches: number, nsWatches?: number, instances = 128) => ({
  maxUserInstances: instances,
  maxUserWatches: watches,
  maxQueuedEvents: 16384,
  userNs: { maxInotifyInstances: instances, maxInotifyWatches: nsWatches ?? watches },
});
const usage = (watches = 0, instances = 0) => ({ instances, watches, processes: instances, unreadable: 0, top: [] });
const input = (over: Partial<BudgetInput>): BudgetInput => ({
  limits: limits(8192),
  usage: usage(),
  dirs: 100,
  backend: 'auto',
  root: '/repo',
  configFile: undefined,
  ...over,
});
const check = (b: BudgetInput, id: string) => budgetChecks(b).checks.find((c) => c.id === id)!;

describe('budgetChecks: watches', () => {
  it('ok with plenty of headroom, numbers in the detail', () => {
    const r = budgetChecks(input({ dirs: 1000, usage: usage(2000, 3) }));
    expect(r.facts).toEqual({ watchesAvailable: 6192, headroomAfterStart: 5192 });
    const c = r.checks.find((x) => x.id === 'inotify.watches')!;
    expect(c.status).toBe('ok');
    expect(c.detail).toContain('needs 1,000 watches');
    expect(c.detail).toContain('this user holds 2,000 watches');
  });

  it('fail when the tree needs more than is left, with the sysctl file and command', () => {
    const c = check(input({ dirs: 7000, usage: usage(2000, 3), largest: [{ dir: 'web', dirs: 5000 }] }), 'inotify.watches');
    expect(c.status).toBe('fail');
    expect(c.detail).toContain('808 directories unwatched');
    expect(c.fix!.files![0]!.path).toBe('/etc/sysctl.d/60-hotwatch.conf');
    expect(c.fix!.files![0]!.content).toContain('fs.inotify.max_user_watches = 524288');
    expect(c.fix!.commands).toContain('sudo sysctl --system');
    expect(c.fix!.text).toContain('watch.excludeDirs');
    expect(c.fix!.text).toContain('web/ 5,000 dirs');
  });

  it('warn when little headroom is left', () => {
    expect(check(input({ dirs: 7900 }), 'inotify.watches').status).toBe('warn');
  });

  it('a lowered user-namespace limit binds: the fix says so and raises it in the namespace', () => {
    const c = check(input({ limits: limits(192536, 100), dirs: 301 }), 'inotify.watches');
    expect(c.status).toBe('fail');
    expect(c.detail).toContain('limit 100');
    expect(c.detail).toContain('user.max_inotify_watches=100');
    expect(c.fix!.text).toContain('user namespace');
    expect(c.fix!.commands!.some((x) => x.startsWith('sudo sysctl -w user.max_inotify_watches=524288'))).toBe(true);
  });

  it('the suggested limit covers twice the need plus current usage', () => {
    const c = check(input({ limits: limits(8192), dirs: 400_000, usage: usage(10_000) }), 'inotify.watches');
    expect(c.fix!.files![0]!.content).toContain(`fs.inotify.max_user_watches = ${niceLimit(810_000, 524_288)}`);
    expect(niceLimit(810_000, 524_288)).toBe(1_048_576);
  });

  it('poll backend needs no watches; unknown limits and unscanned trees are said so', () => {
    expect(check(input({ backend: 'poll', dirs: 1e6 }), 'inotify.watches').status).toBe('info');
    expect(budgetChecks(input({ backend: 'poll' })).checks.find((c) => c.id === 'inotify.instances')).toBeUndefined();
    const noProc = input({ limits: { userNs: {} } });
    expect(check(noProc, 'inotify.watches').status).toBe('info');
    expect(budgetChecks(noProc).checks.map((c) => c.id)).toEqual(['inotify.watches']);
    expect(check(input({ dirs: undefined }), 'inotify.watches').status).toBe('warn');
  });
});

describe('budgetChecks: instances', () => {
  it('ok, warn, fail by instance headroom', () => {
    expect(check(input({ usage: usage(0, 10) }), 'inotify.instances').status).toBe('ok');
    expect(check(input({ usage: usage(0, 125) }), 'inotify.instances').status).toBe('warn');
    const c = check(input({ usage: usage(0, 128) }), 'inotify.instances');
    expect(c.status).toBe('fail');
    expect(c.detail).toContain('EMFILE');
    expect(c.fix!.files![0]!.content).toContain('fs.inotify.max_user_instances = 1024');
  });
});

describe('largestSubtrees', () => {
  it('groups by top-level directory', () => {
    const dirs = ['/r', '/r/a', '/r/a/x', '/r/a/y', '/r/b', '/r/c', '/r/c/z'];
    expect(largestSubtrees('/r', dirs, 2)).toEqual([
      { dir: 'a', dirs: 3 },
      { dir: 'c', dirs: 2 },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { budgetChecks, largestSubtrees, type BudgetInput } from '../../src/diagnostics/budget.js';
import { niceLimit, SYSCTL_FILE } from '../../src/diagnostics/fixes.js';
import { splitForBudget } from '../../src/watch/budget/split.js';

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
    expect(r.facts).toEqual({ watchesAvailable: 6192, headroomAfterStart: 5191, watchesNeeded: 1001 });
    const c = r.checks.find((x) => x.id === 'inotify.watches')!;
    expect(c.status).toBe('ok');
    expect(c.detail).toContain("needs 1,001 watches (1,000 directories after excludes, plus 1 for the watchdog's sentinel directory)");
    expect(c.detail).toContain('this user holds 2,000 watches');
  });

  it('overBudget refuse: fail when the tree needs more than is left, with the sysctl file and command', () => {
    const c = check(
      input({
        dirs: 7000,
        usage: usage(2000, 3),
        largest: [{ dir: 'web', dirs: 5000 }],
        watchdog: { enabled: true, overBudget: 'refuse' },
      }),
      'inotify.watches',
    );
    expect(c.status).toBe('fail');
    expect(c.detail).toContain('809 directories do not fit');
    expect(c.detail).toContain('refuses to start (watchdog.overBudget: refuse; exit 2)');
    expect(c.fix!.text).toContain('watchdog.overBudget: poll');
    expect(c.fix!.files![0]!.path).toBe('/etc/sysctl.d/60-hotwatch.conf');
    expect(c.fix!.files![0]!.content).toContain('fs.inotify.max_user_watches = 524288');
    expect(c.fix!.commands).toContain('sudo sysctl --system');
    expect(c.fix!.text).toContain('watch.excludeDirs');
    expect(c.fix!.text).toContain('web/ 5,000 dirs');
  });

  it('warn when little headroom is left', () => {
    expect(check(input({ dirs: 7900 }), 'inotify.watches').status).toBe('warn');
  });

  it('a lowered user-namespace limit binds: only the namespace fix, without sudo and without a sysctl.d file', () => {
    const c = check(input({ limits: limits(192536, 100), dirs: 301 }), 'inotify.watches');
    expect(c.status).toBe('warn');
    expect(c.detail).toContain('limit 100');
    expect(c.detail).toContain('user.max_inotify_watches=100');
    expect(c.fix!.text).toContain('user namespace');
    expect(c.fix!.text).toContain('echo 524288 > /proc/sys/user/max_inotify_watches');
    expect(c.fix!.commands).toEqual(['sysctl -w user.max_inotify_watches=524288']);
    expect(c.fix!.files).toBeUndefined();
  });

  it('both levels too low: the sysctl.d file for fs.inotify and the namespace command', () => {
    const c = check(input({ limits: limits(400, 100), dirs: 301 }), 'inotify.watches');
    expect(c.fix!.files![0]!.content).toContain('fs.inotify.max_user_watches = 524288');
    expect(c.fix!.commands).toEqual([
      expect.stringContaining(`sudo tee ${SYSCTL_FILE}`),
      'sudo sysctl --system',
      'sysctl -w user.max_inotify_watches=524288',
    ]);
  });

  it('the sysctl.d file shown is exactly what the tee command writes', () => {
    const fix = check(input({ dirs: 9000 }), 'inotify.watches').fix!;
    const heredoc = /^sudo tee (\S+) <<'EOF'\n([\s\S]*)EOF$/.exec(fix.commands![0]!)!;
    expect(heredoc[1]).toBe(fix.files![0]!.path);
    expect(heredoc[2]).toBe(fix.files![0]!.content);
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
    expect(c.status).toBe('warn'); // hotwatch run polls the whole tree (overBudget: poll)
    expect(c.detail).toContain('EMFILE');
    expect(c.detail).toContain('polls the whole tree every 1s');
    expect(c.fix!.files![0]!.content).toContain('fs.inotify.max_user_instances = 1024');
    expect(check(input({ usage: usage(0, 128), watchdog: { enabled: true, overBudget: 'refuse' } }), 'inotify.instances').status).toBe(
      'fail',
    );
  });
});

/** A tree like the integration test's: /repo, /repo/pkg0..9, 29 or 30 dirs in each. */
function tree(total: number): string[] {
  const dirs = ['/repo'];
  for (let i = 0; i < 10; i++) dirs.push(`/repo/pkg${i}`);
  for (let i = 0; i < total - 11; i++) dirs.push(`/repo/pkg${i % 10}/d${i}`);
  return dirs;
}

describe('budgetChecks: over the budget, as hotwatch run decides (watchdog.overBudget)', () => {
  const dirs = tree(300);
  const over = (o: Partial<BudgetInput> = {}) =>
    input({ limits: limits(192_530, 100), dirs: dirs.length, tree: { root: '/repo', dirs }, ...o });

  it('poll (default): ⚠ naming the polled subtrees, from the same split hotwatch run uses', () => {
    const r = budgetChecks(over());
    const c = r.checks.find((x) => x.id === 'inotify.watches')!;
    const split = splitForBudget('/repo', dirs, 1, 100)!; // +1: the sentinel directory
    expect(split.polled).toHaveLength(9);
    expect(c.status).toBe('warn');
    expect(c.detail).toContain('this repo needs 301 watches');
    expect(c.detail).toContain(
      `polls 9 subtrees (${split.polledDirs} directories) every 1s: ./pkg0 (30 dirs), ./pkg1 (30 dirs), ./pkg2 (30 dirs) and 6 more`,
    );
    expect(c.detail).toContain(`watches the other ${split.nativeDirs} natively`);
    expect(c.fix!.text).toContain('watchdog.overBudget: refuse');
    expect(c.fix!.commands).toEqual(['sysctl -w user.max_inotify_watches=524288']);
    expect(r.facts.overBudget).toEqual({
      action: 'poll-subtrees',
      subtrees: split.polled,
      polledDirs: split.polledDirs,
      nativeDirs: split.nativeDirs,
    });
  });

  it('poll, no split fits (too few watches left): ⚠, the whole tree is polled', () => {
    const r = budgetChecks(over({ limits: limits(192_530, 60) }));
    const c = r.checks.find((x) => x.id === 'inotify.watches')!;
    expect(c.status).toBe('warn');
    expect(c.detail).toContain('No split fits');
    expect(c.detail).toContain('polls the whole tree every 1s');
    expect(r.facts.overBudget).toMatchObject({ action: 'poll-tree', polledDirs: 300 });
  });

  it('refuse: ✗ with the sysctl fix', () => {
    const c = check(over({ watchdog: { enabled: true, overBudget: 'refuse' } }), 'inotify.watches');
    expect(c.status).toBe('fail');
    expect(c.fix!.commands).toEqual(['sysctl -w user.max_inotify_watches=524288']);
  });

  it('no watchdog: no sentinel watch, and ENOSPC makes hotwatch run poll the whole tree', () => {
    const r = budgetChecks(over({ watchdog: { enabled: false, overBudget: 'refuse' } }));
    expect(r.facts.watchesNeeded).toBe(300);
    expect(r.checks[0]).toMatchObject({ status: 'warn', detail: expect.stringContaining('ENOSPC') });
  });

  it('the sentinel watch decides at the edge: 100 directories fit 100 watches only without the watchdog', () => {
    const edge = tree(100);
    const at = (enabled: boolean) =>
      check(
        input({
          limits: limits(192_530, 100),
          dirs: 100,
          tree: { root: '/repo', dirs: edge },
          watchdog: { enabled, overBudget: 'refuse' },
        }),
        'inotify.watches',
      ).status;
    expect(at(true)).toBe('fail');
    expect(at(false)).toBe('warn'); // fits, little headroom
  });

  it("a namespace's own limit counts only its processes (as hotwatch run counts them)", () => {
    const r = budgetChecks(over({ usage: usage(5000, 4), nsUsage: usage(10, 1) }));
    expect(r.facts.watchesAvailable).toBe(90);
  });

  it('a root hotwatch run polls anyway (NFS, 9p...) needs no watches', () => {
    const r = budgetChecks(over({ planned: 'root is on nfs4: inotify never sees changes made on the other side of this mount' }));
    expect(r.checks.map((c) => [c.id, c.status])).toEqual([
      ['inotify.watches', 'info'],
      ['inotify.queue', 'info'],
    ]);
    expect(r.checks[0]!.detail).toContain('root is on nfs4');
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

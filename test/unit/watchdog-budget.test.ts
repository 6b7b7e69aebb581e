/** The inotify budget before arming (pure): both kernel levels, watches and instances. */
import { inotifyLimitHint } from '../../src/os/sysctl.js';
import { describe, expect, it } from 'vitest';
import { budgetOf } from '../../src/watch/budget/gate.js';
import type { InotifyLimits, UserInotifyUsage } from '../../src/os/inotify.js';

const usage = (watches: number, instances: number): UserInotifyUsage => ({ watches, instances, top: [], processes: 1, unreadable: 0 });
const init: InotifyLimits = {
  maxUserWatches: 8192,
  maxUserInstances: 128,
  maxQueuedEvents: 16384,
  userNs: { maxInotifyWatches: 8192, maxInotifyInstances: 128 },
};

describe('budgetOf', () => {
  it('fits: the numbers of the (only) level, level name-free message', () => {
    const b = budgetOf({ dirs: 100, limits: init, all: usage(1000, 3), ns: undefined });
    expect(b).toMatchObject({
      dirs: 100,
      limit: 8192,
      used: 1000,
      available: 7192,
      instancesUsed: 3,
      instancesLimit: 128,
      fits: true,
      short: undefined,
    });
    expect(b.message).toMatch(/^inotify budget: 100 watches needed/);
  });

  it('does not fit when the dirs exceed what is left of max_user_watches', () => {
    const b = budgetOf({ dirs: 8000, limits: init, all: usage(1000, 3), ns: undefined });
    expect(b).toMatchObject({ fits: false, short: 'watches', available: 7192 });
    expect(b.message).toMatch(/needs 8,000 .* only 7,192 of the limit 8,192 are left \(1,000 held/);
  });

  it('a user namespace with a lower limit counts only its own processes', () => {
    const ns: InotifyLimits = { ...init, userNs: { maxInotifyWatches: 4, maxInotifyInstances: 2147483647 } };
    // The host's processes hold 5,000 (they count against 8,192 only); the namespace's hold 1 of 4.
    expect(budgetOf({ dirs: 3, limits: ns, all: usage(5000, 10), ns: usage(1, 0) })).toMatchObject({
      limit: 4,
      used: 1,
      available: 3,
      fits: true,
    });
    expect(budgetOf({ dirs: 4, limits: ns, all: usage(5000, 10), ns: usage(1, 0) })).toMatchObject({
      limit: 4,
      fits: false,
      short: 'watches',
    });
    // The host level binds when it has less headroom.
    expect(budgetOf({ dirs: 3, limits: ns, all: usage(8191, 10), ns: usage(0, 0) })).toMatchObject({
      limit: 8192,
      available: 1,
      fits: false,
    });
  });

  it('no instance left: does not fit, and says it is the instance limit, not the open-files limit', () => {
    const ns: InotifyLimits = { ...init, userNs: { maxInotifyWatches: 8192, maxInotifyInstances: 3 } };
    const b = budgetOf({ dirs: 2, limits: ns, all: usage(0, 3), ns: usage(0, 3) });
    expect(b).toMatchObject({ fits: false, short: 'instances', instancesLimit: 3, instancesUsed: 3 });
    expect(b.message).toMatch(/limit \(user\.max_inotify_instances\).*not the open-files limit/); // the namespace's limit binds
  });

  it('unreadable limits (not Linux): fits, with nothing claimed', () => {
    const b = budgetOf({ dirs: 10, limits: { userNs: {} }, all: undefined, ns: undefined });
    expect(b).toMatchObject({ fits: true, limit: undefined, available: undefined });
    expect(b.message).toMatch(/unreadable/);
  });
});

describe('inotifyLimitHint: the fix names the limit that binds', () => {
  it("a user namespace's lower limit: raised where the namespace is made; the host's sysctl only when it is short too", () => {
    const nsOnly = inotifyLimitHint('watches', { fs: 192_540, ns: 30 }, 45, 524_288);
    expect(nsOnly.binds).toBe('user.max_inotify_watches');
    expect(nsOnly.hint).toMatch(
      /^this user namespace .* lowers user\.max_inotify_watches to 30: .*sysctl -w user\.max_inotify_watches=524288 \(a sysctl\.d file would not help/,
    );
    const both = inotifyLimitHint('instances', { fs: 1, ns: 0 }, 2, 1024);
    expect(both.hint).toMatch(
      /sysctl -w user\.max_inotify_instances=1024; on the host, also sudo sysctl fs\.inotify\.max_user_instances=1024/,
    );
    const host = inotifyLimitHint('watches', { fs: 8192, ns: undefined }, 10_000, 524_288);
    expect(host).toMatchObject({ binds: 'fs.inotify.max_user_watches' });
    expect(host.hint).toMatch(/^sudo sysctl fs\.inotify\.max_user_watches=524288 .*\/etc\/sysctl\.d\//);
  });
});

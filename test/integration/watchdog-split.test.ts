/**
 * "Poll the overflow part" (issue 3, budget before arming), against the real kernel: inside `unshare -Ur`
 * with user.max_inotify_watches lowered so that only part of the tree fits, hotwatch watches the rest
 * natively and polls the largest subtree (./lib), says so with the numbers and the fix, holds no more
 * inotify watches than the limit, and edits on both sides serve (real go build, real HTTP).
 * Needs `npx tsc -p .` first.
 */
import { describe, expect, it } from 'vitest';
import { answer, mainGo, pkgGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { expectNoSentinelBuilds, waitForLoud } from '../helpers/faults-loud.js';
import { nsWrap, requireNamespaces } from '../helpers/faults-ns.js';
import { inotifyWatches } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const fc = faultCase();
const LIMIT = 150;
const WATCH_FIX = /max_inotify_watches|sysctl[^\n]*fs\.inotify\.max_user_watches=\d+/;

describe('watch budget split (CLI, unshare -Ur)', () => {
  it('only part of the tree fits: the rest is watched natively, ./lib is polled, edits on both sides serve', async () => {
    requireNamespaces('-Ur');
    const app = await fc.app();
    // root, src, lib + 120 subdirs (lib/p0 is a Go package), assets + 40 subdirs, the sentinel dir = 165.
    // 150 watches allowed, minus a margin of 64 → the native part must stay ≤ 86: lib (121 dirs) is polled.
    app.write('lib/p0/v.go', pkgGo('lib/p0', 'l1'));
    for (let i = 1; i < 120; i++) app.write(`lib/d${i}/.keep`, '');
    for (let i = 0; i < 40; i++) app.write(`assets/a${i}/.keep`, '');
    app.write('main.go', mainGo('m1', ['src', 'lib/p0']));
    const hw = fc.start({ wrap: nsWrap('-Ur', [`echo ${LIMIT} > /proc/sys/user/max_inotify_watches`]) });

    const budget = await waitForLoud(
      hw,
      { events: ['watch.budget'], where: (l) => l.fits === false, fix: WATCH_FIX, minLevel: 50 },
      { timeoutMs: 30_000 },
    );
    expect(budget).toMatchObject({ dirs: 165, limit: LIMIT, available: LIMIT });
    expect(budget.msg).toMatch(/polling 1 subtree \(121 directories\).*\.\/lib \(121 dirs\).*the other 44 directories natively/);
    const fallback = await waitForLoud(hw, { events: ['watch.fallback'], where: (l) => l.backend === 'poll' }, { timeoutMs: 30_000 });
    expect(fallback).toMatchObject({ scope: 'dir', path: `${app.root}/lib`, paths: [`${app.root}/lib`], polledDirs: 121, nativeDirs: 44 });
    expect(fallback.msg).toMatch(/\.\/lib/);
    expect(
      hw.events('watch.fallback').filter((l) => l.scope === 'root'),
      'not the whole tree',
    ).toEqual([]);
    await app.serves(answer('m1', { src: 's1', p0: 'l1' }), 'initial build');

    // Native watches for the rest, none for ./lib: more than zero, within the limit, fewer than the tree needs.
    let held = 0;
    await waitFor(() => (held = inotifyWatches(hw.pid)) > 0, { description: 'hotwatch holds inotify watches', timeoutMs: 10_000 });
    expect(held, `inotify watches held by hotwatch (pid ${hw.pid})`).toBeLessThanOrEqual(86 + 2);
    expect(held).toBeGreaterThanOrEqual(40);

    app.write('src/version.go', pkgGo('src', 's2'));
    await app.serves(answer('m1', { src: 's2', p0: 'l1' }), 'an edit in src/ (watched natively)');
    app.write('lib/p0/v.go', pkgGo('lib/p0', 'l2'));
    await app.serves(answer('m1', { src: 's2', p0: 'l2' }), 'an edit in lib/p0 (polled)');
    app.write('main.go', mainGo('m2', ['src', 'lib/p0']));
    await app.serves(answer('m2', { src: 's2', p0: 'l2' }), 'an edit in the root (watched natively)');
    expect(inotifyWatches(hw.pid), 'still within the limit').toBeLessThanOrEqual(LIMIT);
    expect(hw.events('watch.deaf'), 'no loss reported').toEqual([]);
    expectNoSentinelBuilds(hw);
  }, 120_000);
});

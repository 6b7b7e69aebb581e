/**
 * Issue 3, "what it must show" 3: the inotify watch limit, lowered inside `unshare -Ur` by writing
 * /proc/sys/user/max_inotify_watches before hotwatch starts (the limit of that user namespace only).
 *   (a) below what the tree needs at start → watch.budget fits:false with the sysctl fix, watch.fallback to
 *       polling, and edits still serve;
 *   (b) enough at start (dirs + 2) but reached when 10 package dirs are created after ready → a loud
 *       diagnosis (watch-limit / coverage-shortfall, or the fallback), and edits inside the new dirs serve.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, mainGo, pkgGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { expectNoSentinelBuilds, summarize, waitForLoud } from '../helpers/faults-loud.js';
import { nsWrap, requireNamespaces } from '../helpers/faults-ns.js';

const fc = faultCase();
const limitTo = (n: number) => [`echo ${n} > /proc/sys/user/max_inotify_watches`];
const WATCH_FIX = /sysctl[^\n]*fs\.inotify\.max_user_watches=\d+|max_inotify_watches/;

describe('inotify watch limit (faults, unshare -Ur)', () => {
  it('(a) the limit is below what the tree needs at start: budget says so with the fix, polls, edits serve', async () => {
    requireNamespaces('-Ur');
    const app = await fc.app();
    for (const d of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) fs.mkdirSync(path.join(app.root, 'assets', d), { recursive: true });
    // root, src, assets and 8 subdirs = 11 directories; 4 watches allowed.
    const hw = fc.start({ wrap: nsWrap('-Ur', limitTo(4)) });

    const budget = await waitForLoud(
      hw,
      { events: ['watch.budget'], where: (l) => l.fits === false, fix: WATCH_FIX, minLevel: 50 },
      { timeoutMs: 30_000 },
    );
    expect(Number(budget.dirs), 'the budget counts the tree').toBeGreaterThanOrEqual(11);
    expect(Number(budget.limit)).toBe(4);
    await waitForLoud(hw, { events: ['watch.fallback'], where: (l) => l.backend === 'poll' }, { timeoutMs: 30_000 });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');

    app.write('main.go', mainGo('m2'));
    await app.serves(answer('m2', { src: 's1' }), 'an edit in the root while polling');
    app.write('src/version.go', pkgGo('src', 's2'));
    await app.serves(answer('m2', { src: 's2' }), 'an edit in src/ while polling');
    expectNoSentinelBuilds(hw);
  }, 120_000);

  it('(b) the limit is reached later by 10 new package dirs: loud diagnosis, and edits in the new dirs serve', async () => {
    requireNamespaces('-Ur');
    const app = await fc.app();
    // root + src = 2 directories to watch at start; the limit leaves 2 spare watches.
    // --log-level debug: the budget line of a tree that fits is a debug line.
    const hw = fc.start({ wrap: nsWrap('-Ur', limitTo(2 + 2)), args: ['--log-level', 'debug'] });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const budget = await hw.waitForLog((l) => l.event === 'watch.budget', 'watch.budget at start', { timeoutMs: 10_000 });
    expect(budget.fits, `the tree fits at start (the case is about the limit reached LATER): ${JSON.stringify(budget)}`).toBe(true);
    const from = hw.logs.length;

    const pkgs = Array.from({ length: 10 }, (_, i) => `p${i}`);
    for (const p of pkgs) app.write(`${p}/v.go`, pkgGo(p, 'a'));
    const loud = await waitForLoud(
      hw,
      {
        events: ['watch.deaf', 'watch.fallback'],
        where: (l) => l.event === 'watch.fallback' || ['watch-limit', 'coverage-shortfall'].includes(String(l.cause)),
      },
      { from, timeoutMs: 20_000 },
    );
    if (loud.event === 'watch.deaf')
      expect(`${loud.msg} ${String(loud.hint ?? '')}`, 'the watch-limit diagnosis carries the fix').toMatch(WATCH_FIX);

    // main imports two of the new packages (its own edit is seen: the root was watched from the start)...
    app.write('main.go', mainGo('m2', ['src', 'p5', 'p9']));
    await app.serves(answer('m2', { src: 's1', p5: 'a', p9: 'a' }), 'main importing p5 and p9');
    // ...then edits INSIDE the new dirs, where native watches could not all be placed.
    app.write('p9/v.go', pkgGo('p9', 'b'));
    await app.serves(answer('m2', { src: 's1', p5: 'a', p9: 'b' }), 'an edit inside the new dir p9');
    app.write('p5/v.go', pkgGo('p5', 'b'));
    await app.serves(answer('m2', { src: 's1', p5: 'b', p9: 'b' }), 'an edit inside the new dir p5');
    console.info(`watch limit reached later:\n${summarize(hw.logs.slice(from).filter((l) => String(l.event).startsWith('watch')))}`);
    expectNoSentinelBuilds(hw);
  }, 120_000);
});

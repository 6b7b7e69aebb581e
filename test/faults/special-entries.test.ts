/**
 * Issue 3, "what it must show" 5: things in the tree a watcher must not trip on.
 *   - a tmpfs mounted inside the tree (inside `unshare -Urm`, before start) → reported (a watch.notice
 *     naming tmpfs and the mount point), and hotwatch otherwise works;
 *   - symlink loops (a dir linking to its parent, two links to each other) → ready and serving;
 *   - a symlink to a directory outside the root → reported, not followed: an edit outside builds nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, mainGo, pkgGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { expectNoSentinelBuilds } from '../helpers/faults-loud.js';
import { inNamespaceOf, nsWrap, requireNamespaces, requireNsenter, shq, writeInNamespaceOf } from '../helpers/faults-ns.js';

const fc = faultCase();

describe('special entries in the tree (faults)', () => {
  it('a tmpfs mounted inside the tree: reported, and edits elsewhere serve', async () => {
    requireNamespaces('-Urm');
    const app = await fc.app();
    const cache = path.join(app.root, 'cache');
    fs.mkdirSync(cache);
    const hw = fc.start({ wrap: nsWrap('-Urm', [`mount -t tmpfs none ${shq(cache)}`, `mkdir ${shq(path.join(cache, 'sub'))}`]) });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const notice = await hw.waitForLog(
      (l) => String(l.event).startsWith('watch.') && /tmpfs/.test(l.msg) && `${String(l.path ?? '')} ${l.msg}`.includes(cache),
      `a watch.* line naming tmpfs and ${cache}`,
      { timeoutMs: 10_000 },
    );
    console.info(`tmpfs: ${notice.event} ${String(notice.code ?? '')}: ${notice.msg}`);

    app.write('main.go', mainGo('m2'));
    await app.serves(answer('m2', { src: 's1' }), 'an edit in the root');
    app.write('src/version.go', pkgGo('src', 's2'));
    await app.serves(answer('m2', { src: 's2' }), 'an edit in src/');
    expectNoSentinelBuilds(hw);
  }, 120_000);

  it('the tree on a noexec mount (a dev container volume): refused at start naming the mount and build.output; remounted noexec while it runs, the start failure says the same, not chmod +x; the fix applied serves', async () => {
    requireNamespaces('-Urm');
    requireNsenter();
    const app = await fc.app();
    const bind = `mount --bind ${shq(app.root)} ${shq(app.root)}`;
    const remount = `mount -o remount,bind,noexec ${shq(app.root)}`;
    const refused = fc.start({ wrap: nsWrap('-Urm', [bind, remount]) });
    expect((await refused.exited).code).toBe(2);
    expect(refused.stderr()).toContain(`${app.root} is mounted noexec, where the built app cannot run`);
    expect(refused.stderr()).toContain('set build.output to a path on a filesystem mounted without noexec');
    expect(refused.stderr()).not.toContain('build.start');
    // Made noexec while it runs: the next start fails, and says why.
    const hw = fc.start({ wrap: nsWrap('-Urm', [bind]) });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    inNamespaceOf(hw.pid, remount);
    const from = hw.logs.length;
    app.write('main.go', mainGo('m2'));
    const failed = await hw.waitForLog((l) => l.event === 'app.start-failed', 'the start fails', { from, timeoutMs: 60_000 });
    expect(String(failed.msg)).toContain(`${app.root} is mounted noexec`);
    expect(String(failed.msg)).not.toContain('chmod +x');
    expect((await hw.stop()).code).toBe(0);
    // The fix as written: build.output outside the noexec mount.
    fs.appendFileSync(app.config, `build:\n  output: ${path.join(app.parent, 'bin', 'app')}\n`);
    fc.start({ wrap: nsWrap('-Urm', [bind, remount]) });
    await app.serves(answer('m2', { src: 's1' }), 'the app built outside the noexec mount');
  }, 150_000);

  it('a tmpfs mounted EMPTY over a watched package at run time, filled seconds later: watched once it holds Go sources, and its edits serve', async () => {
    requireNamespaces('-Urm');
    requireNsenter();
    const app = await fc.app();
    const src = path.join(app.root, 'src');
    const hw = fc.start({ wrap: nsWrap('-Urm') });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watch.ready');
    inNamespaceOf(hw.pid, `mount -t tmpfs none ${shq(src)}`);
    await hw.waitForLog((l) => l.code === 'SKIP_MOUNT' && l.path === src, 'the empty tmpfs skipped', { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 3_000)); // no longer the mount's own re-arm: a generator filling it later
    const from = hw.logs.length;
    writeInNamespaceOf(hw.pid, path.join(src, 'version.go'), pkgGo('src', 's2'));
    await app.serves(answer('m1', { src: 's2' }), 'the package written into the tmpfs', 60_000);
    writeInNamespaceOf(hw.pid, path.join(src, 'version.go'), pkgGo('src', 's3'));
    await app.serves(answer('m1', { src: 's3' }), 'a later edit inside the tmpfs');
    const later = hw.logs.slice(from);
    expect(later.find((l) => l.code === 'MOUNT_HOLDS_GO')?.path).toBe(src);
    expect(
      later.filter((l) => l.code === 'WATCH_COVERAGE_LOST'),
      'no create event was lost: the mount was skipped',
    ).toEqual([]);
  }, 150_000);

  it('a read-only bind mount inside the tree: one warning naming it (not one per sentinel round), and its edits serve', async () => {
    requireNamespaces('-Urm');
    const app = await fc.app();
    const src = path.join(app.root, 'src');
    const hw = fc.start({ wrap: nsWrap('-Urm', [`mount --bind ${shq(src)} ${shq(src)}`, `mount -o remount,ro,bind ${shq(src)}`]) });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    app.write('src/version.go', pkgGo('src', 's2')); // written outside the namespace: seen through the read-only view
    await app.serves(answer('m1', { src: 's2' }), 'an edit in the read-only mount');
    // Several sentinel rounds: busy after the edit, then quiet ones.
    await new Promise((r) => setTimeout(r, 8_000));
    const off = hw.logs.filter((l) => l.code === 'SENTINEL_OFF');
    expect(off.map((l) => l.path)).toEqual([src]);
    expect(String(off[0]!.msg)).toContain(`no sentinel in ${src}`);
    expect(hw.logs.filter((l) => l.code === 'SENTINEL_ON')).toEqual([]);
  }, 120_000);

  it('symlink loops in the tree: ready and serving', async () => {
    const app = await fc.app();
    fs.symlinkSync('..', path.join(app.root, 'src', 'up')); // src/up/src/up/... forever when followed
    fs.symlinkSync('.', path.join(app.root, 'src', 'self'));
    fs.symlinkSync('loop-b', path.join(app.root, 'loop-a')); // ELOOP when resolved
    fs.symlinkSync('loop-a', path.join(app.root, 'loop-b'));
    const hw = fc.start();
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watch.ready despite the loops', { timeoutMs: 30_000 });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');

    app.write('src/version.go', pkgGo('src', 's2'));
    await app.serves(answer('m1', { src: 's2' }), 'an edit in src/ (which holds the loops)');
    app.write('main.go', mainGo('m2'));
    await app.serves(answer('m2', { src: 's2' }), 'an edit in the root');
    expect(hw.proc.exitCode, 'hotwatch still running').toBeNull();
    expectNoSentinelBuilds(hw);
  }, 120_000);

  it('a symlink to a directory outside the root: reported, not followed (an edit outside builds nothing)', async () => {
    const app = await fc.app();
    const outside = path.join(app.parent, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'x.go'), 'package outside\n\nconst X = 1\n');
    const link = path.join(app.root, 'ext');
    fs.symlinkSync(outside, link);
    const hw = fc.start();
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const notice = await hw.waitForLog(
      (l) => l.event === 'watch.notice' && `${String(l.path ?? '')} ${l.msg}`.includes(link),
      `a watch.notice naming the symlink ${link}`,
      { timeoutMs: 10_000 },
    );
    expect(String(notice.code)).toMatch(/SYMLINK/);
    const from = hw.logs.length;

    fs.writeFileSync(path.join(outside, 'x.go'), 'package outside\n\nconst X = 2\n');
    fs.writeFileSync(path.join(outside, 'new.go'), 'package outside\n');
    // Barriers: two edits in the root, each served; an event from outside would have come before them.
    app.write('main.go', mainGo('m2'));
    await app.serves(answer('m2', { src: 's1' }), 'first barrier edit');
    app.write('main.go', mainGo('m3'));
    await app.serves(answer('m3', { src: 's1' }), 'second barrier edit');
    const builds = hw.events('build.start', from);
    for (const b of builds) expect(String(b.trigger), 'a build triggered from outside the root').toBe('main.go');
    expect(builds.length, 'one build per barrier edit, none from outside').toBe(2);
    expectNoSentinelBuilds(hw);
  }, 120_000);
});

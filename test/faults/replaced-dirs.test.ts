/**
 * Issue 3, "what it must show" 1 and 3 (renamed dir): directories replaced underneath the watcher.
 *   - the watched package dir src/ is rm -rf'd and recreated with edited files → the edit serves, and the
 *     new src/ is watched (a later edit serves too); once as fast as a script does it, once while hotwatch
 *     is paused (all of the replacement's events in one batch);
 *   - the watched ROOT is moved away and recreated at the same path → the edit serves (and later edits
 *     too), or a loud watch.deaf cause root-replaced naming the root;
 *   - src/ renamed out of the tree and a new src/ created under the old name → the edit serves, a later
 *     edit in the new src/ serves, and edits in the moved-away copy do not decide what is served.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, mainGo, pkgGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { pause } from '../helpers/faults-proc.js';
import { runCli } from '../helpers/hotwatch.js';
import { claimsRecovery, expectLossWasLoud, expectNoSentinelBuilds, servesOrLoud, summarize } from '../helpers/faults-loud.js';

const fc = faultCase();

describe('directories replaced underneath the watcher (faults)', () => {
  /**
   * rm -rf src/ + mkdir src/ + a file with s2, then a later edit (s3) in the new src/. ext4 hands the new
   * src/ the inode number of the old one, so a (dev, ino) comparison alone sees "the same directory" while
   * the kernel has dropped the old watch. `paused`: done while hotwatch is SIGSTOPped (a stall: every event
   * of the replacement then arrives in one batch, which makes that race deterministic).
   */
  async function replaceSrc(paused: boolean): Promise<void> {
    const app = await fc.app();
    const hw = fc.start();
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const src = path.join(app.root, 'src');
    const from = hw.logs.length;

    if (paused) await pause(hw.pid);
    try {
      fs.rmSync(src, { recursive: true, force: true });
      fs.mkdirSync(src);
      fs.writeFileSync(path.join(src, 'version.go'), pkgGo('src', 's2'));
    } finally {
      if (paused) process.kill(hw.pid, 'SIGCONT');
    }
    await app.serves(answer('m1', { src: 's2' }), 'the edit in the recreated src/');

    const edit = hw.logs.length;
    const t0 = Date.now();
    fs.writeFileSync(path.join(src, 'version.go'), pkgGo('src', 's3'));
    await app.serves(answer('m1', { src: 's3' }), 'a later edit in the recreated src/ (it is watched)');
    console.info(`src/ recreated${paused ? ' while paused' : ''}: a later edit in it served after ${Date.now() - t0}ms`);
    expectLossWasLoud(hw, from, edit, 'the later edit in the recreated src/');
    expectNoSentinelBuilds(hw);
  }

  it('src/ rm -rf and recreated with edited files: the edit serves, and the new src/ is watched', () => replaceSrc(false), 120_000);

  it(
    'src/ rm -rf and recreated while hotwatch is paused (SIGSTOP): the edit serves, and the new src/ is watched',
    () => replaceSrc(true),
    120_000,
  );

  it('the root moved away and recreated at the same path: the edit serves, or a loud watch.deaf root-replaced', async () => {
    const app = await fc.app();
    const hw = fc.start();
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const from = hw.logs.length;

    fs.renameSync(app.root, path.join(app.parent, 'mod.old'));
    app.writeModule(app.root, 'm2', 's2');
    const r = await servesOrLoud(
      hw,
      app.port,
      answer('m2', { src: 's2' }),
      { events: ['watch.deaf'], causes: ['root-replaced'], path: app.root },
      { from, timeoutMs: 30_000, description: 'after the root was replaced' },
    );
    if (r.served || claimsRecovery(r.line)) {
      if (!r.served) await app.serves(answer('m2', { src: 's2' }), `the diagnosis says it recovers ("${r.line.msg}"): the edit`);
      // Recovered: the new root is really watched, not served by luck of one event.
      app.write('main.go', mainGo('m3'));
      await app.serves(answer('m3', { src: 's2' }), 'a later edit in the new root');
      app.write('src/version.go', pkgGo('src', 's3'));
      await app.serves(answer('m3', { src: 's3' }), "a later edit in the new root's src/");
      // The new root is this hotwatch's: a second `hotwatch run` there is refused (its lock is named after
      // the directory, so it is taken again), and this one's app is not stopped as a leftover.
      await hw.waitForLog((l) => l.event === 'state.reclaimed', 'the lock and state taken again for the new root');
      const second = await runCli(['run'], { cwd: app.root, timeoutMs: 30_000 });
      expect(second.code, second.stderr).toBe(2);
      expect(second.stderr).toContain(`another hotwatch (pid ${hw.pid}`);
      await app.serves(answer('m3', { src: 's3' }), 'still served by the first hotwatch');
    } else {
      expect(r.line.msg, 'the diagnosis says what to do').toMatch(/restart|watch/i);
    }
    console.info(
      `root replaced → ${r.served ? 'served' : 'diagnosed'}; watchdog lines:\n${summarize(hw.logs.slice(from).filter((l) => String(l.event).startsWith('watch.')))}`,
    );
    expectNoSentinelBuilds(hw);
  }, 120_000);

  it('src/ renamed out of the tree and a new src/ created with edited files: the edit serves', async () => {
    const app = await fc.app();
    const hw = fc.start();
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const src = path.join(app.root, 'src');
    const moved = path.join(app.parent, 'src.moved');
    const from = hw.logs.length;

    fs.renameSync(src, moved);
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'version.go'), pkgGo('src', 's2'));
    await app.serves(answer('m1', { src: 's2' }), 'the edit in the new src/');

    // The moved-away copy is outside the root now: edit it, then the new src/; the new one decides.
    const edit = hw.logs.length;
    fs.writeFileSync(path.join(moved, 'version.go'), pkgGo('src', 'phantom'));
    fs.writeFileSync(path.join(src, 'version.go'), pkgGo('src', 's3'));
    await app.serves(answer('m1', { src: 's3' }), 'a later edit in the new src/ (it is watched)');
    expectLossWasLoud(hw, from, edit, 'the later edit in the new src/');
    app.write('main.go', mainGo('m2'));
    await app.serves(answer('m2', { src: 's3' }), 'an edit in the root after the rename');
    expectNoSentinelBuilds(hw);
  }, 120_000);
});

/**
 * The inotify watch limit reached AFTER start (new directories), inside `unshare -Ur` with
 * /proc/sys/user/max_inotify_watches lowered: the watcher falls back to polling, which serves every edit.
 * The status must say what is: the root watched by polling, healthy (`status --check` exits 0), as when
 * the same polling is chosen at start because the budget is too small; not "deaf, recovering" for as long
 * as the limit stays low (a container's HEALTHCHECK would stay unhealthy forever). The limit is said once,
 * loudly (warn) with the sysctl fix, and the fallback line after it is a warn too (nothing is unseen).
 */
import { describe, expect, it } from 'vitest';
import { answer, mainGo, pkgGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { runCli } from '../helpers/hotwatch.js';
import { nsWrap, requireNamespaces } from '../helpers/faults-ns.js';

const fc = faultCase();
const WATCH_FIX = /sysctl[^\n]*fs\.inotify\.max_user_watches=\d+|max_inotify_watches/;

describe('watch limit reached at run time: status (faults, unshare -Ur)', () => {
  it('polling after the limit is reported as polling and healthy, the limit said once at warn with the fix', async () => {
    requireNamespaces('-Ur');
    const app = await fc.app();
    // root + src = 2 directories at start; 2 spare watches, then 10 new package dirs need more.
    const hw = fc.start({ wrap: nsWrap('-Ur', ['echo 4 > /proc/sys/user/max_inotify_watches']) });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');
    const from = hw.logs.length;
    for (let i = 0; i < 10; i++) app.write(`p${i}/v.go`, pkgGo(`p${i}`, 'a'));
    const fallback = await hw.waitForLog((l) => l.event === 'watch.fallback' && l.backend === 'poll', 'the fallback to polling', {
      from,
      timeoutMs: 30_000,
    });

    const limitLines = hw.logs.slice(from).filter((l) => l.event === 'watch.deaf' && l.cause === 'watch-limit');
    expect(limitLines, 'the limit is said once').toHaveLength(1);
    const said = limitLines[0]!;
    expect(said.level, `the limit is loud, at warn: ${JSON.stringify(said)}`).toBe(40);
    expect(`${said.msg} ${String(said.hint ?? '')}`, 'with the sysctl fix').toMatch(WATCH_FIX);
    expect(fallback.level, `polling serves: the fallback line is a warn, not an error: ${JSON.stringify(fallback)}`).toBe(40);

    // An edit inside a new dir (where no native watch could be placed) serves: polling works.
    app.write('main.go', mainGo('m2', ['src', 'p3']));
    await app.serves(answer('m2', { src: 's1', p3: 'a' }), 'main importing p3');
    app.write('p3/v.go', pkgGo('p3', 'b'));
    await app.serves(answer('m2', { src: 's1', p3: 'b' }), 'an edit inside the new dir p3');

    const check = await runCli(['status', '--check', '--root', app.root], { timeoutMs: 20_000 });
    expect(check.code, `status --check while polling serves every edit: ${check.stdout}${check.stderr}`).toBe(0);
    expect(check.stdout).toMatch(/watch healthy/);
    const json = await runCli(['status', '--json', '--root', app.root], { timeoutMs: 20_000 });
    const watch = (JSON.parse(json.stdout) as { watch: { backend: string; scopes: Array<{ kind: string; state: string }> } }).watch;
    expect(watch.backend).toBe('poll');
    expect(
      watch.scopes.map((s) => `${s.kind}:${s.state}`),
      'one entry for the root, polling (no stale "deaf" beside it)',
    ).toEqual(['root:polling']);
  }, 120_000);
});

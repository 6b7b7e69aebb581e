/**
 * Issue 3, "what it must show" 3: max_user_instances exhausted by another process before hotwatch starts.
 * Inside `unshare -Ur`: max_inotify_instances = 3 and a helper holds all 3, then hotwatch starts. Expected:
 * a loud diagnosis naming fs.inotify.max_user_instances (never "too many open files" alone), a fallback to
 * polling, and edits that still serve (no deadlock, no silent zero-watch start).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, mainGo, pkgGo } from '../helpers/faults-app.js';
import { faultCase } from '../helpers/faults-case.js';
import { buildHolder, holderSetup } from '../helpers/faults-holder.js';
import { expectNoSentinelBuilds, summarize, waitForLoud } from '../helpers/faults-loud.js';
import { nsWrap, requireNamespaces } from '../helpers/faults-ns.js';

const fc = faultCase();
const INSTANCES = 3;

describe('inotify instance limit (faults, unshare -Ur)', () => {
  it('every instance held by a helper before start: loud max_user_instances diagnosis, polling, edits serve', async () => {
    requireNamespaces('-Ur');
    const app = await fc.app();
    const holder = buildHolder(path.join(app.parent, 'holder'));
    const hw = fc.start({
      wrap: nsWrap('-Ur', [
        `echo ${INSTANCES} > /proc/sys/user/max_inotify_instances`,
        ...holderSetup(holder, INSTANCES, path.join(app.parent, 'holder.ready')),
      ]),
    });

    const loud = await waitForLoud(hw, { fix: /max_user_instances|max_inotify_instances/ }, { timeoutMs: 30_000 });
    expect(['watch.deaf', 'watch.budget', 'watch.fallback']).toContain(loud.event);
    if (loud.event === 'watch.deaf') expect(loud.cause).toBe('instance-limit');
    await waitForLoud(hw, { events: ['watch.fallback'], where: (l) => l.backend === 'poll' }, { timeoutMs: 30_000 });
    await app.serves(answer('m1', { src: 's1' }), 'initial build');

    app.write('main.go', mainGo('m2'));
    await app.serves(answer('m2', { src: 's1' }), 'an edit in the root while polling');
    app.write('src/version.go', pkgGo('src', 's2'));
    await app.serves(answer('m2', { src: 's2' }), 'an edit in src/ while polling');

    for (const l of hw.logs) {
      if (/too many open files/i.test(`${l.msg} ${String(l.hint ?? '')}`)) {
        expect(`${l.msg} ${String(l.hint ?? '')}`, 'EMFILE is explained as the inotify instance limit').toMatch(/max_user_instances/);
      }
    }
    console.info(`instance limit:\n${summarize(hw.logs.filter((l) => l.level >= 40))}`);
    expectNoSentinelBuilds(hw);
  }, 120_000);
});

/**
 * The stat-poll of module files no watcher sees (watch/roots/module-files-poll.ts), on real files and the
 * real clock: a quiet tree's poll slows to 30 s, but not while a module the build names is missing (its
 * build fails until it is back: a directory restored is built within an interval).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModuleFilesPoll } from '../../src/watch/roots/module-files-poll.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function pollOf(root: string, files: string[], awaited: string[]): { seen: string[] } {
  const seen: string[] = [];
  const poll = new ModuleFilesPoll({ watchdog: { intervalMs: 200 }, settings: { root }, goEnv: { GOWORK: 'off' } }, (f) => seen.push(...f));
  poll.follow(files, awaited);
  cleanups.push(() => poll.close());
  return { seen };
}

describe('ModuleFilesPoll', () => {
  it('a missing module awaited keeps the base pace through a quiet spell; one only followed waits the quiet pace', {
    timeout: 30_000,
  }, async () => {
    const tmp = makeTmpDir('hotwatch-modpoll-');
    cleanups.push(() => tmp.cleanup());
    const lib = path.join(tmp.dir, 'lib', 'go.mod');
    const other = path.join(tmp.dir, 'other', 'go.mod');
    const awaited = pollOf(path.join(tmp.dir, 'app'), [lib], [lib]);
    const followed = pollOf(path.join(tmp.dir, 'app'), [other], []);
    // Past QUIET_AFTER_MS (5 s) without a change: the followed one's next check is up to 30 s away.
    await new Promise((r) => setTimeout(r, 6_500));
    for (const f of [lib, other]) {
      fs.mkdirSync(path.dirname(f));
      fs.writeFileSync(f, 'module example.com/x\n');
    }
    await waitFor(() => awaited.seen.length > 0, { timeoutMs: 2_000, description: 'the awaited module seen within a few intervals' });
    expect(awaited.seen).toEqual([lib]);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(followed.seen).toEqual([]);
  });
});

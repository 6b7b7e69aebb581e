/**
 * Watcher.sync, the delivery barrier the debouncer asks before it calls a batch quiet: with the inotify
 * helper stopped (a starved machine, made certain with SIGSTOP) while files are written, sync waits for
 * it, and when it resolves every file written before it was called has been delivered: the helper drains
 * the kernel's queue before it answers, and the watcher thread flushes what came without waiting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NativeWatcher } from '../../src/watch/native/host.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { watchSettings } from '../helpers/watch-tree.js';
import { closer, collector } from '../helpers/watch-collect.js';

let tmp: { dir: string; cleanup: () => void };
const watchers = closer();
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-sync-');
  fs.mkdirSync(path.join(tmp.dir, 'pkg'));
});
afterEach(async () => {
  await watchers.closeAll();
  tmp.cleanup();
});

/** This process's hotwatch-inotify children (the helper of the watcher under test). */
function helperPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && comm.startsWith('hotwatch-inotif');
      } catch {
        return false;
      }
    })
    .map(Number);
}

function stateOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

describe('Watcher.sync', () => {
  it('resolves only once every file written before it is delivered, even while the helper lags', async () => {
    const c = collector();
    const w = watchers.add(
      new NativeWatcher({
        settings: watchSettings(tmp.dir),
        onEvent: c.onEvent,
        onNotice: c.onNotice,
        signal: new AbortController().signal,
      }),
    );
    const ready = await w.ready;
    expect(ready.reason, 'the helper holds the watches').toMatch(/hotwatch-inotify/);
    const [helper] = helperPids();
    expect(helper, 'the helper process').toBeDefined();

    // Three rounds: without the drain, whether the answer or the events come first after SIGCONT is a
    // race between the helper's two goroutines (it lost 1 round in 3).
    for (let round = 0; round < 3; round++) {
      c.clear();
      process.kill(helper!, 'SIGSTOP');
      // The signal is delivered asynchronously: on a busy machine the helper read a few more events first.
      await waitFor(() => stateOf(helper!) === 'T', { description: 'the helper stopped' });
      const files = Array.from({ length: 300 }, (_, i) => path.join(tmp.dir, 'pkg', `r${round}-${i}.go`));
      let synced = false;
      try {
        for (const f of files) fs.writeFileSync(f, 'package pkg\n');
        const sync = w.sync(10_000).then(() => (synced = true));
        await new Promise((r) => setTimeout(r, 300));
        expect(synced, 'sync waits while the helper cannot read').toBe(false);
        expect(c.paths().size, 'nothing delivered yet').toBe(0);
        process.kill(helper!, 'SIGCONT');
        await sync;
      } finally {
        process.kill(helper!, 'SIGCONT');
      }
      const missing = files.filter((f) => !c.paths().has(f));
      expect(missing, `round ${round}: delivered before sync resolved`).toEqual([]);
    }
  });
});

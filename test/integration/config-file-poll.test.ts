/**
 * The config file's own check (src/config-file-poll.ts) on a real file and real timers: it slows down
 * while nothing changes (a stat each second was two wake-ups a second forever), still sees an edit made
 * after a long quiet spell within its longest wait, and checks at once when the tree wakes up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_CHECK_MS, CONFIG_QUIET_MAX_MS, ConfigFilePoll } from '../../src/config-file-poll.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(): { file: string; changes: () => number; poll: ConfigFilePoll } {
  const tmp = makeTmpDir('hotwatch-config-poll-');
  cleanups.push(tmp.cleanup);
  const file = path.join(tmp.dir, 'watcher.config.yaml');
  fs.writeFileSync(file, 'run:\n  args: ["one"]\n');
  let n = 0;
  const poll = new ConfigFilePoll(file, () => n++);
  cleanups.push(() => poll.close());
  return { file, changes: () => n, poll };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ConfigFilePoll (a real file, real timers)', () => {
  it('slows down on a quiet file, still sees an edit after the quiet spell, and the base pace comes back', async () => {
    const { file, changes, poll } = setup();
    expect(poll.everyMs).toBe(CONFIG_CHECK_MS);
    // 5 s at the base pace, then 2, 4, 5 s: at its longest wait after ~11 s.
    await waitFor(() => poll.everyMs === CONFIG_QUIET_MAX_MS, { description: 'the check slowed to its longest wait', timeoutMs: 40_000 });
    expect(changes()).toBe(0);
    fs.writeFileSync(file, 'run:\n  args: ["two, a longer edit"]\n');
    await waitFor(() => changes() === 1, { description: 'the edit seen after the quiet spell', timeoutMs: 20_000 });
    expect(poll.everyMs, 'a change brings the base pace back').toBe(CONFIG_CHECK_MS);
  }, 90_000);

  it('an event in the tree after a quiet spell checks the file at once', async () => {
    const { file, changes, poll } = setup();
    await waitFor(() => poll.everyMs > CONFIG_CHECK_MS, { description: 'the check slowed down', timeoutMs: 40_000 });
    fs.rmSync(file); // a change too (the reload then says the file is gone)
    poll.activity();
    expect(changes(), 'checked synchronously, not at the next slow round').toBe(1);
    expect(poll.everyMs).toBe(CONFIG_CHECK_MS);
    await sleep(2500);
    expect(changes(), 'one change, one call').toBe(1);
  }, 90_000);

  it('close() stops the checks', async () => {
    const { file, changes, poll } = setup();
    poll.close();
    fs.writeFileSync(file, 'changed\n');
    await sleep(2500);
    expect(changes()).toBe(0);
  });
});

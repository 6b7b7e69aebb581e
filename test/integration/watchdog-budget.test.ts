/**
 * The budget before arming, against the real kernel: the built CLI inside `unshare -Ur` with
 * user.max_inotify_watches lowered below what the tree needs. overBudget: refuse → exit 2 before
 * anything starts (no build), with the numbers and the sysctl fix. (overBudget: poll is the fault
 * suite's watch-limit case.) Needs `npx tsc -p .` first.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, writeGoApp } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-wd-budget-');
});
afterEach(() => tmp.cleanup());

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function runInNs(limit: number, root: string, config: string) {
  const cmd = `echo ${limit} > /proc/sys/user/max_inotify_watches && exec ${q(process.execPath)} ${q(BIN)} run --log-format json --config ${q(config)}`;
  const r = spawnSync('unshare', ['-Ur', 'sh', '-c', cmd], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, PORT: '0' },
  });
  if (r.error || (r.status !== 0 && r.status !== 2 && /unshare/.test(r.stderr))) {
    throw new Error(`this test needs \`unshare -Ur\` with a writable /proc/sys/user/max_inotify_watches: ${r.error?.message ?? r.stderr}`);
  }
  return r;
}

describe('watch budget before arming (CLI, unshare -Ur)', () => {
  it('overBudget: refuse → exit 2 before any build, saying the numbers and the sysctl fix', () => {
    const root = path.join(tmp.dir, 'mod');
    fs.mkdirSync(root);
    writeGoApp(root, 'v1');
    for (const d of ['a', 'b', 'c', 'd', 'e']) fs.mkdirSync(path.join(root, 'assets', d), { recursive: true });
    const config = path.join(tmp.dir, 'hw.yaml');
    fs.writeFileSync(config, 'root: mod\nwatchdog:\n  overBudget: refuse\n');
    const r = runInNs(3, root, config);
    const lines = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(r.status, r.stderr).toBe(2);
    const budget = lines.find((l) => l.event === 'watch.budget');
    // root, assets, 5 subdirs and the sentinel dir = 8 directories; 3 watches allowed.
    expect(budget).toMatchObject({ level: 50, fits: false, dirs: 8, limit: 3, available: 3 });
    expect(String(budget?.msg)).toMatch(/needs 8 .*only 3 of the limit 3 are left.*refusing to start/);
    expect(String(budget?.hint)).toMatch(/lowers user\.max_inotify_watches to 3: .*sysctl -w user\.max_inotify_watches=\d+/);
    const fatal = lines.find((l) => l.event === 'fatal');
    expect(fatal).toMatchObject({ code: 'WATCH_LIMIT' });
    expect(String(fatal?.hint)).toMatch(/overBudget: poll/);
    expect(
      lines.filter((l) => l.event === 'build.start'),
      'nothing was started',
    ).toEqual([]);
    expect(fs.existsSync(path.join(root, '.hotwatch', 'bin', 'app'))).toBe(false);
  });
});

/**
 * Nothing rebuilds or restarts for sources the app already runs (issue 13, e2e: real git, real go build,
 * real HTTP). A checkout undone while its build runs (`git stash`, then `git stash pop`), or a file
 * written and then its original back during a build: the build is canceled, the running app is never
 * stopped (same pid, no app start). `git stash && git stash pop` back to back: no restart either.
 *
 * The build sleeps 2 s before `go build`, so the undoing lands while it runs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, httpGet, startHotwatch, writeGoApp, type Hotwatch } from '../helpers/hotwatch.js';
import { isAlive } from '../helpers/wait.js';

const CONFIG = "build:\n  cmd: 'sleep 2 && go build -o .hotwatch/bin/app .'\n";

const git = (dir: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

const session = hotwatchSession((dir) => {
  writeGoApp(dir, 'v1');
  fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), CONFIG);
  fs.writeFileSync(path.join(dir, '.gitignore'), '.hotwatch/\n');
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'v1');
  fs.writeFileSync(path.join(dir, 'main.go'), goMain('v2')); // uncommitted: what runs
});

async function serving(): Promise<{ hw: Hotwatch; pid: number }> {
  const hw = (session.hw = startHotwatch(['--log-level', 'debug'], { cwd: session.dir, env: { PORT: String(session.port) } }));
  await session.serves('v2');
  const start = await hw.waitForLog((l) => l.event === 'app.start', 'the app starts');
  await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens');
  return { hw, pid: start.pid as number };
}

/** The app that served before `mark` still serves, and nothing was stopped or started since. */
async function sameApp(hw: Hotwatch, pid: number, mark: number): Promise<void> {
  expect(await httpGet(session.port)).toBe('v=v2');
  expect(hw.events('app.stop', mark)).toEqual([]);
  expect(hw.events('app.start', mark)).toEqual([]);
  expect(isAlive(pid)).toBe(true);
}

describe('sources the app already runs (e2e)', () => {
  it('git stash, then git stash pop while the build for the stash runs: the build is canceled, the app never restarts', async () => {
    const { hw, pid } = await serving();
    const mark = hw.logs.length;
    git(session.dir, 'stash', '-q');
    await hw.waitForLog((l) => l.event === 'build.start', 'the build for the stashed tree starts', { from: mark });
    git(session.dir, 'stash', 'pop', '-q');
    const back = await hw.waitForLog((l) => l.event === 'build.reverted', 'the pop is back to what runs', { from: mark });
    expect(back).toMatchObject({ pid, canceled: true, level: 30 });
    await hw.waitForLog((l) => l.event === 'build.canceled' && l.reverted === true, 'the build is canceled', { from: mark });
    await sameApp(hw, pid, mark);

    // A real edit afterwards still builds and restarts.
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v3'));
    await session.serves('v3');
  }, 90_000);

  it('a file written, then its original back during the build: no restart; stash && pop back to back: none either', async () => {
    const { hw, pid } = await serving();
    const main = path.join(session.dir, 'main.go');
    const original = fs.readFileSync(main);
    const mark = hw.logs.length;
    fs.writeFileSync(main, goMain('v9'));
    await hw.waitForLog((l) => l.event === 'build.start', 'the build for v9 starts', { from: mark });
    fs.writeFileSync(main, original);
    await hw.waitForLog((l) => l.event === 'build.canceled' && l.reverted === true, 'the v9 build is canceled', { from: mark });
    await sameApp(hw, pid, mark);

    const mark2 = hw.logs.length;
    git(session.dir, 'stash', '-q');
    git(session.dir, 'stash', 'pop', '-q');
    // One batch whose bytes did not change, or a build canceled by the pop: either way, said.
    await hw.waitForLog(
      (l) =>
        l.event === 'batch.unchanged' ||
        (l.event === 'build.canceled' && l.reverted === true) ||
        (l.event === 'build.reverted' && l.canceled === false),
      'stash && pop settles',
      { from: mark2 },
    );
    await sameApp(hw, pid, mark2);
  }, 90_000);

  it('BUILD FAILED, then the file back as the app runs it: said at info that the failure no longer applies', async () => {
    const { hw, pid } = await serving();
    const main = path.join(session.dir, 'main.go');
    const original = fs.readFileSync(main);
    const mark = hw.logs.length;
    fs.writeFileSync(main, `${original}\nthis is not go\n`);
    await hw.waitForLog((l) => l.event === 'build.failed', 'the broken file fails to build', { from: mark });
    fs.writeFileSync(main, original);
    const back = await hw.waitForLog((l) => l.event === 'build.reverted', 'the fix is back to what runs', { from: mark });
    // At info (the terminal's level), not debug: otherwise BUILD FAILED stays the last word on screen.
    expect(back).toMatchObject({ pid, canceled: false, afterFailure: true, level: 30 });
    expect(back.msg).toContain('the failed build no longer applies');
    await sameApp(hw, pid, mark);

    // Without a failure before it, the same news stays at debug.
    const mark2 = hw.logs.length;
    fs.writeFileSync(main, `${original}\n// a comment\n`);
    await hw.waitForLog((l) => l.event === 'build.start', 'the comment builds', { from: mark2 });
    fs.writeFileSync(main, original);
    const quiet = await hw.waitForLog((l) => l.event === 'build.reverted' || l.event === 'app.start', 'the comment settles', {
      from: mark2,
    });
    if (quiet.event === 'build.reverted') expect(quiet.afterFailure).toBeUndefined();
  }, 90_000);
});

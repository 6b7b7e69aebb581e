/**
 * Issue 13: removing, creating or renaming a directory builds only when a relevant file was in it or
 * appears in it (real files, real go build, the built CLI). Each operation is followed, after a pause
 * longer than the debounce window, by an edit of main.go: exactly one build must follow, for main.go
 * alone; a build for the directory would be a second one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';

const session = hotwatchSession();
let version = 1;

async function start() {
  const hw = startHotwatch(['--log-level', 'debug'], { cwd: session.dir, env: { PORT: String(session.port) } });
  session.hw = hw;
  await session.serves('v1');
  await hw.waitForLog((l) => l.event === 'content.seeded', 'the content index is seeded');
  return hw;
}

/** Runs `op`, waits past the debounce window, edits main.go, and returns the build triggers that followed. */
async function buildsAfter(op: () => void): Promise<string[]> {
  const hw = session.hw!;
  const mark = hw.logs.length;
  op();
  await new Promise((r) => setTimeout(r, 400));
  fs.writeFileSync(path.join(session.dir, 'main.go'), goMain(`v${++version}`));
  await session.serves(`v${version}`);
  await hw.lastBuildListens(mark, `v${version} listens`);
  // At debug level the build also logs its own build.start (the command, no trigger): count the cycle's.
  return hw
    .events('build.start', mark)
    .filter((l) => l.trigger !== undefined)
    .map((l) => String(l.trigger));
}

describe('directory events (e2e)', () => {
  it('rm -rf, rmdir and a rename of directories with no relevant file build nothing', async () => {
    const hw = await start();
    const data = path.join(session.dir, 'pb_data', 'storage', 'rec1');
    fs.mkdirSync(data, { recursive: true });
    fs.writeFileSync(path.join(data, 'note.txt'), 'x');
    fs.writeFileSync(path.join(data, 'meta.json'), '{}');
    fs.mkdirSync(path.join(session.dir, 'empty'));
    fs.mkdirSync(path.join(session.dir, 'assets', 'img'), { recursive: true });
    fs.writeFileSync(path.join(session.dir, 'assets', 'img', 'logo.svg'), '<svg/>');
    // Let the watcher arm the new directories (their creation built nothing either: checked below).
    expect(await buildsAfter(() => undefined)).toEqual([expect.stringMatching(/main\.go/)]);

    const mark = hw.logs.length;
    expect(await buildsAfter(() => fs.rmSync(path.join(session.dir, 'pb_data', 'storage', 'rec1'), { recursive: true }))).toEqual([
      expect.stringMatching(/main\.go/),
    ]);
    expect(await buildsAfter(() => fs.rmdirSync(path.join(session.dir, 'empty')))).toEqual([expect.stringMatching(/main\.go/)]);
    expect(await buildsAfter(() => fs.renameSync(path.join(session.dir, 'assets'), path.join(session.dir, 'static')))).toEqual([
      expect.stringMatching(/main\.go/),
    ]);
    // The directory events were seen, and judged: not ignored for lack of an event.
    expect(hw.events('watch.dir-irrelevant', mark).length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('the same with a .go file of the build inside: one build, naming the file', async () => {
    const hw = await start();
    // A package the app imports: its removal changes what the build compiles (here: it breaks it).
    const pkg = path.join(session.dir, 'internal', 'gone');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'gone.go'), 'package gone\n\nfunc Hello() string { return "hi" }\n');
    const created = hw.logs.length;
    fs.writeFileSync(
      path.join(session.dir, 'main.go'),
      goMain(`v${++version}`, { imports: ['example.com/e2e/internal/gone'], extraMain: '_ = gone.Hello()' }),
    );
    await session.serves(`v${version}`);
    await hw.lastBuildListens(created, 'the app importing internal/gone listens');
    const mark = hw.logs.length;
    fs.rmSync(path.join(session.dir, 'internal'), { recursive: true });
    const build = await hw.waitForLog((l) => l.event === 'build.start' && l.trigger !== undefined, 'the removal builds', { from: mark });
    expect(String(build.trigger)).toMatch(/gone\.go/);
    await hw.waitForLog((l) => l.event === 'build.failed', 'that build fails (the import is gone): a real failure', { from: mark });
    expect(hw.events('build.start', mark).filter((l) => l.trigger !== undefined)).toHaveLength(1);
  }, 120_000);
});

/**
 * A failure is reported only when it is real, with polling too (watch.backend poll). A package split in
 * two files is rewritten the way a checkout does it: a.go first (using a function b.go does not have
 * yet), b.go a moment later, while the build of the half-written tree runs. Polling sees b.go only at its
 * next stat, which comes AFTER the build failed (every file is stat'ed on the same 3 s grid, set when
 * polling started: a.go's change started the build, b.go's is seen one interval later). The failure must
 * wait for a poll round before it is judged (the native backend has its delivery barrier for this): then it
 * is superseded (info, no ERROR), the files as they are now build, and v2 serves. A genuinely broken edit
 * afterwards still fails once, at its first build.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { A2, B2, builtCount as countBuilt, writeSplitPackage } from '../helpers/split-package.js';

let marks: ReturnType<typeof makeTmpDir>;
beforeEach(() => {
  marks = makeTmpDir('hotwatch-marks-');
});
afterEach(() => marks.cleanup());

const session = hotwatchSession((dir) => writeSplitPackage(dir, 0.3, ['watch:', '  backend: poll', '  pollInterval: 3s']));
const builtCount = (): number => countBuilt(marks.dir);

describe('polling: a build that read a half-written tree (e2e)', () => {
  it('is not reported as a failure: a poll round is waited for, the files as they are now build, v2 serves', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), MARKS: marks.dir } }));
    await session.serves('v1');
    await hw.waitForLog((l) => l.event === 'app.listening', 'v1 listens');

    const mark = hw.logs.length;
    const goneThrough = builtCount();
    fs.writeFileSync(path.join(session.dir, 'a.go'), A2);
    await hw.waitForLog((l) => l.event === 'build.start', 'the build of the half-written tree starts', { from: mark, timeoutMs: 30_000 });
    // go has read the tree (and failed: partTwo is undefined): the rest of the "checkout" lands now.
    await waitFor(() => builtCount() > goneThrough, { description: 'go build of the half-written tree ended', timeoutMs: 30_000 });
    fs.writeFileSync(path.join(session.dir, 'b.go'), B2);

    await session.serves('v2');
    await hw.lastBuildListens(mark, 'the v2 app listens');
    expect(hw.events('build.failed', mark), 'no BUILD FAILED for the half-written tree').toEqual([]);
    const superseded = hw.events('build.failed-superseded', mark);
    expect(superseded.length, hw.stderr().slice(-3000)).toBeGreaterThanOrEqual(1);
    expect(superseded[0]!.level).toBe(30); // info
    expect(
      hw.logs.slice(mark).filter((l) => l.level >= 50),
      'no ERROR line',
    ).toEqual([]);

    // b.go's own change (seen by the round) may build once more: wait until hotwatch is idle (no line for
    // more than a poll interval), so the next edit's builds are its own.
    await waitFor(() => Date.now() - Date.parse(String(hw.logs.at(-1)?.time)) > 4500, {
      description: 'no log line for 4.5 s (idle)',
      timeoutMs: 60_000,
    });
    // A genuinely broken edit: BUILD FAILED once (after the poll round that finds nothing new), from its first build.
    const broken = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'a.go'), 'package main\n\nvar label = \n');
    const failed = await hw.waitForLog((l) => l.event === 'build.failed', 'the broken edit fails', { from: broken, timeoutMs: 30_000 });
    expect(failed.level).toBe(50);
    expect(
      hw.events('build.start', broken),
      hw.logs
        .slice(broken)
        .map((l) => `${l.event} ${l.msg}`)
        .join('\n'),
    ).toHaveLength(1);
    expect(hw.events('build.failed-superseded', broken)).toEqual([]);
  }, 120_000);
});

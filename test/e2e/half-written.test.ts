/**
 * A failure is reported only when it is real (issue 13, e2e: real go build, real HTTP). A package split
 * in two files is rewritten while `go build` runs: the first file is rewritten to use a function that the
 * second gets only later, written while the build is still running. The build compiled a tree caught
 * half-written: its failure is superseded (a notice at info, no ERROR), the files as they are now build,
 * and the final version serves. A genuinely broken edit afterwards still fails once, at its first build.
 *
 * The build is `go build` followed by a 1 s sleep, so a file written after go has read the tree lands
 * while the build still runs; the build records "built" in a marks file (outside the module) as go ends.
 * A 2 s debounce window makes sure the second file's change is delivered only after the build failed
 * (the race the issue saw: the newer change delivered 13–126 ms after the failure).
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

const session = hotwatchSession((dir) =>
  writeSplitPackage(dir, 1, ['debounce:', '  settledQuiet: 2s', '  loneQuiet: 2s', '  quiet: 2s', '  maxWait: 3s']),
);
const builtCount = (): number => countBuilt(marks.dir);

describe('a build that read a half-written tree (e2e)', () => {
  it('is not reported as a failure: the files as they are now build, and the final version serves', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), MARKS: marks.dir } }));
    await session.serves('v1');
    await hw.waitForLog((l) => l.event === 'app.listening', 'v1 listens');

    const mark = hw.logs.length;
    const goneThrough = builtCount();
    fs.writeFileSync(path.join(session.dir, 'a.go'), A2);
    await hw.waitForLog((l) => l.event === 'build.start', 'the build of the half-written tree starts', { from: mark });
    // go has read the tree (and failed: partTwo is undefined); the build is still running (its sleep).
    await waitFor(() => builtCount() > goneThrough, { description: 'go build of the half-written tree ended', timeoutMs: 30_000 });
    fs.writeFileSync(path.join(session.dir, 'b.go'), B2);

    await session.serves('v2');
    await hw.lastBuildListens(mark, 'the v2 app listens');
    const superseded = hw.events('build.failed-superseded', mark);
    expect(superseded.length, hw.stderr().slice(-3000)).toBeGreaterThanOrEqual(1);
    expect(superseded[0]!.level).toBe(30); // info
    expect(hw.events('build.failed', mark)).toEqual([]);
    expect(
      hw.logs.slice(mark).filter((l) => l.level >= 50),
      'no ERROR line',
    ).toEqual([]);

    // A genuinely broken edit: BUILD FAILED once, from its first build (no second build first).
    const broken = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'a.go'), 'package main\n\nvar label = \n');
    const failed = await hw.waitForLog((l) => l.event === 'build.failed', 'the broken edit fails', { from: broken });
    expect(failed.level).toBe(50);
    expect(hw.events('build.start', broken)).toHaveLength(1);
    expect(hw.events('build.failed-superseded', broken)).toEqual([]);
    expect(hw.events('build.failed', broken)).toHaveLength(1);
  }, 90_000);
});

/**
 * A change that arrives while the old app is being stopped must not start the binary that was just
 * built (already stale), only to stop it again: the old app stays stopped, the newer change is built,
 * and exactly one app starts, serving the newest version.
 *
 * The app traps SIGTERM and takes STOP_MS to exit, so the stop has a window wide enough for an edit;
 * each app writes "<version>-start" when it starts and "<version>-term" when it gets SIGTERM into a
 * directory outside the module (never watched).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, startHotwatch, writeGoApp } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

/** How long the app takes to exit after SIGTERM: the window in which the second edit lands. */
const STOP_MS = 4000;

let marks: ReturnType<typeof makeTmpDir>;
beforeEach(() => {
  marks = makeTmpDir('hotwatch-marks-');
});
afterEach(() => marks.cleanup());

const slowStop = (version: string) => ({
  imports: ['os/signal', 'path/filepath', 'syscall', 'time'],
  extraMain: [
    `mark := func(what string) { _ = os.WriteFile(filepath.Join(os.Getenv("MARKS"), "${version}-"+what), nil, 0o644) }`,
    `\tmark("start")`,
    `\tgo func() { c := make(chan os.Signal, 1); signal.Notify(c, syscall.SIGTERM); <-c; mark("term"); time.Sleep(${STOP_MS} * time.Millisecond); os.Exit(0) }()`,
  ].join('\n'),
});

const session = hotwatchSession((dir) => {
  writeGoApp(dir, 'v1', slowStop('v1'));
  fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), 'run:\n  gracePeriod: 30s\n');
});

const marked = (name: string): boolean => fs.existsSync(path.join(marks.dir, name));

describe('a change while the old app is being stopped (e2e)', () => {
  it('builds again and starts only the newest version: exactly one app start after the edit', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), MARKS: marks.dir } }));
    await session.serves('v1');
    const v1 = await hw.waitForLog((l) => l.event === 'app.start', 'v1 starts');
    await hw.waitForLog((l) => l.event === 'app.listening' && l.pid === v1.pid, 'v1 listens');

    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2', slowStop('v2')));
    await hw.waitForLog((l) => l.event === 'build.done', 'the v2 build succeeds', { from: mark });
    // v1 got SIGTERM and takes STOP_MS to exit: the edit to v3 lands during its stop.
    await waitFor(() => marked('v1-term'), { description: 'v1 is being stopped', timeoutMs: 20_000 });
    const editAt = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v3', slowStop('v3')));
    // The v3 build starts once v1's stop is over (the stop is not cut short by the edit).
    const rebuild = await hw.waitForLog((l) => l.event === 'build.start', 'the v3 build starts', { from: editAt });
    const stop = hw.events('app.stop', mark);
    expect(stop).toHaveLength(1);
    expect(stop[0]).toMatchObject({ pid: v1.pid, why: 'restart', how: 'graceful' });
    expect(stop[0]!.stopMs as number).toBeGreaterThanOrEqual(STOP_MS - 100);
    expect(hw.logs.indexOf(rebuild)).toBeGreaterThan(hw.logs.indexOf(stop[0]!));

    await session.serves('v3');
    await hw.lastBuildListens(mark, 'the v3 app listens');
    const starts = hw.events('app.start', mark);
    expect(starts, 'exactly one app start after the edit: the stale v2 binary was never started').toHaveLength(1);
    expect(starts[0]!.reason).toBe('main.go');
    expect(marked('v2-start'), 'the v2 binary never ran').toBe(false);
    expect(marked('v3-start')).toBe(true);
    // Said when the edit came: the binary just built will not be started.
    expect(hw.events('build.stale', mark)).toMatchObject([{ during: 'stop' }]);
    // Nothing else was stopped: v1's stop was the only one, and no build was canceled or wasted.
    expect(hw.events('app.stop', mark)).toHaveLength(1);
    expect(hw.events('build.done', mark)).toHaveLength(2);
  }, 90_000);
});

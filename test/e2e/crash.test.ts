/**
 * An app that exits on its own is reported (code, uptime) and either waits for a change (default) or
 * restarts with exponential backoff, capped: never a hot loop.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';

const CRASHER = (version: string) => `package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	fmt.Println("crasher ${version} starting")
	time.Sleep(100 * time.Millisecond)
	os.Exit(3)
}
`;

let tmp: ReturnType<typeof makeTmpDir>;
let hw: Hotwatch | undefined;

beforeEach(() => {
  tmp = makeTmpDir();
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/crash\n\ngo 1.22\n');
  fs.writeFileSync(path.join(tmp.dir, 'main.go'), CRASHER('v1'));
});

afterEach(async () => {
  if (hw) expect((await hw.stop()).code).toBe(0);
  hw = undefined;
  tmp.cleanup();
});

describe('crashing app (e2e)', () => {
  it('run.onCrash: restart backs off exponentially up to the cap', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'run:\n  onCrash: restart\n  backoffInitial: 100ms\n  backoffMax: 400ms\n');
    hw = startHotwatch([], { cwd: tmp.dir });
    await hw.waitForLog(() => hw!.events('app.exit').length >= 5, 'five exits');
    const exits = hw.events('app.exit').slice(0, 5);
    expect(exits.every((e) => e.code === 3 && e.level === 40)).toBe(true);
    expect(exits.map((e) => e.restartInMs)).toEqual([100, 200, 400, 400, 400]);
    expect(String(exits[0]!.msg)).toMatch(/exited with code 3 after \d+ms; restarting in 0\.1 s \(first crash; run\.onCrash: restart\)/);
    expect(String(exits[1]!.msg)).toMatch(/restarting in 0\.2 s \(2nd crash in a row; run\.onCrash: restart\)/);
  });

  it('run.onCrash: wait-for-change (the default) waits, and the next edit runs again', async () => {
    hw = startHotwatch([], { cwd: tmp.dir });
    const exit = await hw.waitForLog((l) => l.event === 'app.exit', 'the app exits');
    expect(exit.msg).toMatch(/exited with code 3 .* waiting for a change/);
    const starts = hw.events('app.start').length;
    expect(starts).toBe(1);
    fs.writeFileSync(path.join(tmp.dir, 'main.go'), CRASHER('v2'));
    await hw.waitForLog(() => hw!.events('app.start').length === 2, 'the edit starts the app again');
    await hw.waitForLog(() => hw!.events('app.exit').length === 2, 'and it exits again');
    expect(hw.events('app.start')).toHaveLength(2);
  });

  it('wait-for-change: re-saving the same bytes while the app is down runs it again (said at info)', async () => {
    hw = startHotwatch([], { cwd: tmp.dir });
    await hw.waitForLog((l) => l.event === 'app.exit', 'the app exits');
    fs.writeFileSync(path.join(tmp.dir, 'main.go'), CRASHER('v1')); // the same bytes: an editor's :w
    const rerun = await hw.waitForLog((l) => l.event === 'batch.unchanged-rerun', 'the unchanged save is taken as "run it again"');
    expect(rerun.level).toBe(30);
    await hw.waitForLog(() => hw!.events('app.start').length === 2, 'the app starts again');
  });
});

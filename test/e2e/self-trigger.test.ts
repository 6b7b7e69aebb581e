/**
 * A self-triggering app or build is stopped (issue 14, e2e: real go build, real processes). The app writes
 * gen.go (a new timestamp each time) into the module at each start, at once or 1.5 s later; or build.cmd
 * writes a watched file at each build: every cycle caused the next, forever. Within a bounded number of
 * cycles hotwatch says so once, at error, naming the file, who wrote it (the app, the build) and the fix.
 * A build's loop stops cycling; an app's is built after a pause that doubles (never dropped: a script that
 * saves a fixed time after each version serves looks the same, loop-pause.ts). An edit of main.go still
 * builds and serves. A person saving the same file
 * again and again, each version served, is never called a loop (the rule: self-trigger-pattern.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, startHotwatch, writeGoApp, type Hotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const writesGenAtStart = {
  imports: ['time'],
  // The stamp is served: each one is another program (an unused constant builds the same binary, which
  // restarts nothing, and there would be no loop to find).
  extraMain: `_ = os.WriteFile("gen.go", []byte(fmt.Sprintf("package main\\n\\nconst stamp = %q\\n", time.Now().String())), 0o644)
	http.HandleFunc("/stamp", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, stamp) })`,
};

describe('an app that writes a watched file at each start (e2e)', () => {
  const session = hotwatchSession((dir) => {
    writeGoApp(dir, 'v1', writesGenAtStart);
    fs.writeFileSync(path.join(dir, 'gen.go'), 'package main\n\nconst stamp = "none"\n');
  });

  it('is found within a bounded number of cycles, named once with the fix, then slowed (pauses that double); an edit of anything else still builds', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    const loop = await hw.waitForLog((l) => l.event === 'build.loop', 'the loop is reported');
    expect(loop.level).toBe(50);
    expect(loop.files).toEqual(['gen.go']);
    expect(loop.msg).toMatch(/gen\.go/);
    expect(loop.msg).toMatch(/exclude (it|them) in watch\.exclude, or write (it|them) outside the root/);
    expect(hw.events('app.start').length).toBeLessThanOrEqual(8);
    expect(loop.msg).toMatch(/(right|\d+(\.\d+)? s) after each of the last 6 app starts/);
    expect(loop.msg).toMatch(/built after a pause \(1(\.0)? s, doubling up to 10(\.0)? s\), never dropped/);
    await pausesDouble(hw);

    // A person's edit of another file builds and serves.
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2', writesGenAtStart));
    await session.serves('v2');
  }, 90_000);
});

/** An app's loop after it was found: each change built after a pause that doubles (the loop's own change took the first, 1 s). */
async function pausesDouble(hw: Hotwatch): Promise<void> {
  const held = () => hw.events('build.loop-held').filter((l) => Number(l.pauseMs) > 0);
  await waitFor(() => held().length >= 2, { description: 'two more changes of the loop, each built after a pause', timeoutMs: 60_000 });
  expect(held().map((l) => l.pauseMs)).toEqual([2000, 4000]);
  expect(held()[0]!.level, 'said at info: an edit may be waiting on it').toBe(30);
  expect(hw.events('build.loop')).toHaveLength(1);
}

/** No more cycles: it restarted every so often before; now nothing for four such periods. */
async function staysQuiet(hw: Hotwatch): Promise<void> {
  // The app may answer before its start's line is read from hotwatch's stderr: counted once it is.
  await waitFor(() => hw.events('app.start').length > 0, { description: 'the app start is logged' });
  // A build under way when the loop was said (a change that waited out the suspicion's pause) ends, and
  // starts its app, first: the quiet is counted from then.
  const ended = (): number =>
    ['build.done', 'build.failed', 'build.canceled', 'build.failed-superseded'].reduce((n, e) => n + hw.events(e).length, 0);
  await waitFor(() => ended() >= hw.events('build.start').length, { description: 'no build under way', timeoutMs: 60_000 });
  await new Promise((r) => setTimeout(r, 500)); // its app's start, logged just after
  const builds = hw.events('build.start').length;
  const starts = hw.events('app.start').length;
  const times = hw.events('app.start').map((l) => Date.parse(String(l.time)));
  const period = Math.max(2000, ...times.slice(1).map((t, i) => t - times[i]!));
  const quietUntil = Date.now() + 4 * period;
  await waitFor(() => Date.now() >= quietUntil || hw.events('build.start').length > builds, {
    description: 'quiet',
    timeoutMs: 4 * period + 5000,
  });
  expect(hw.events('build.start')).toHaveLength(builds);
  expect(hw.events('app.start')).toHaveLength(starts);
  expect(hw.events('build.loop')).toHaveLength(1);
}

const writesGenLate = {
  imports: ['time'],
  extraMain: `go func() {
		time.Sleep(1500 * time.Millisecond)
		_ = os.WriteFile("gen.go", []byte(fmt.Sprintf("package main\\n\\nconst stamp = %q\\n", time.Now().String())), 0o644)
	}()
	http.HandleFunc("/stamp", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, stamp) })`,
};

describe('an app that writes a watched file 1.5 s after each start (e2e)', () => {
  const late = hotwatchSession((dir) => {
    writeGoApp(dir, 'v1', writesGenLate);
    fs.writeFileSync(path.join(dir, 'gen.go'), 'package main\n\nconst stamp = "none"\n');
  });

  it('is found: named with the time after the start and the fix, then slowed (pauses that double); an edit of main.go still serves', async () => {
    const hw = (late.hw = startHotwatch([], { cwd: late.dir, env: { PORT: String(late.port) }, waitTimeoutMs: 120_000 }));
    const loop = await hw.waitForLog((l) => l.event === 'build.loop', 'the loop is reported');
    expect(loop.level).toBe(50);
    expect(loop.files).toEqual(['gen.go']);
    expect(loop.after).toBe('app');
    // Written 1.5 s after the start; the start is counted from before the spawn, so a little later.
    expect(loop.delayMs).toBeGreaterThanOrEqual(1500);
    expect(loop.delayMs).toBeLessThan(3500);
    expect(loop.msg).toMatch(/^build loop: gen\.go changed \d+(\.\d)? s after each of the last 9 app starts/);
    expect(loop.msg).toMatch(/the app, or a process it starts, writes it/);
    expect(loop.msg).toMatch(/exclude it in watch\.exclude, or write it outside the root/);
    expect(hw.events('app.start').length).toBeLessThanOrEqual(16);
    await pausesDouble(hw);

    fs.writeFileSync(path.join(late.dir, 'main.go'), goMain('v2', writesGenLate));
    await late.serves('v2');
  }, 180_000);
});

describe('a build command that writes a watched file at each build (e2e)', () => {
  const byBuild = hotwatchSession((dir) => {
    writeGoApp(dir, 'v1');
    fs.writeFileSync(
      path.join(dir, 'watcher.config.yaml'),
      "build:\n  cmd: 'date +%s%N > stamp.txt; go build -o .hotwatch/bin/app .'\nwatch:\n  include: ['**/*.txt']\n",
    );
  });

  it('is named as the build’s doing (not the app’s), and the build that was kept serves', async () => {
    const hw = (byBuild.hw = startHotwatch([], { cwd: byBuild.dir, env: { PORT: String(byBuild.port) } }));
    const loop = await hw.waitForLog((l) => l.event === 'build.loop', 'the loop is reported');
    expect(loop.level).toBe(50);
    expect(loop.files).toEqual(['stamp.txt']);
    expect(loop.after).toBe('build');
    expect(loop.msg).toMatch(/^build loop: stamp\.txt changed .* after each of the last \d+ builds started/);
    expect(loop.msg).toMatch(/the build \(build\.cmd, or a tool it runs\) writes it/);
    expect(loop.msg).not.toMatch(/app starts, with/);
    // The build running while the suspected change waited out its pause finished, and its app started.
    expect(loop.appStarts).toBeLessThanOrEqual(2);
    await byBuild.serves('v1');
    await staysQuiet(hw);
  }, 90_000);
});

describe('an after build step that writes a watched file at each run (e2e)', () => {
  const byStep = hotwatchSession((dir) => {
    writeGoApp(dir, 'v1');
    fs.writeFileSync(
      path.join(dir, 'watcher.config.yaml'),
      "build:\n  steps:\n    - run: [sh, -c, 'date +%s%N > after_stamp.html']\n      when: after\n",
    );
  });

  it('is named as the step’s doing (not the app’s), with the step, and held: no restarts after it', async () => {
    const hw = (byStep.hw = startHotwatch([], { cwd: byStep.dir, env: { PORT: String(byStep.port) } }));
    const loop = await hw.waitForLog((l) => l.event === 'build.loop', 'the loop is reported');
    expect(loop).toMatchObject({ level: 50, files: ['after_stamp.html'], after: 'step' });
    expect(loop.msg).toMatch(/after each of the last 6 runs of build\.steps \(after\) \(sh -c 'date \+%s%N > after_stamp\.html'\)/);
    expect(loop.msg).toMatch(/the step writes it each time it runs\. No more builds for it: make the step write it outside the root/);
    expect(loop.msg).not.toMatch(/the app, or a process it starts/);
    await byStep.serves('v1');
    await staysQuiet(hw);
  }, 90_000);
});

describe('a person saving the same file again and again, each version served (e2e)', () => {
  const person = hotwatchSession();

  it('is never called a loop: every save builds and serves', async () => {
    const hw = (person.hw = startHotwatch([], { cwd: person.dir, env: { PORT: String(person.port) } }));
    await person.serves('v1');
    // A few seconds between a version served and the next save, as a person reads, thinks and types.
    const pauses = [2000, 3400, 2600, 4100, 2200, 3000, 3700, 2400, 3300];
    for (const [i, pauseMs] of pauses.entries()) {
      await new Promise((r) => setTimeout(r, pauseMs));
      fs.writeFileSync(path.join(person.dir, 'main.go'), goMain(`v${i + 2}`));
      await person.serves(`v${i + 2}`);
    }
    expect(hw.events('build.loop')).toEqual([]);
    expect(hw.events('build.loop-held')).toEqual([]);
    expect(hw.events('build.start')).toHaveLength(pauses.length + 1);
  }, 180_000);
});

describe('a script that saves a fixed time after each version serves (e2e)', () => {
  const script = hotwatchSession();

  it('may be called a loop (it looks like one), but every save is served: slowed by the pauses, never dropped', async () => {
    const hw = (script.hw = startHotwatch([], { cwd: script.dir, env: { PORT: String(script.port) } }));
    await script.serves('v1');
    // "edit, wait until served, sleep 0.2 s": with such changes held back, the 6th edit on was lost.
    for (let i = 2; i <= 11; i++) {
      await new Promise((r) => setTimeout(r, 200));
      fs.writeFileSync(path.join(script.dir, 'main.go'), goMain(`v${i}`));
      await script.serves(`v${i}`);
    }
    expect(hw.events('build.loop').length).toBeLessThanOrEqual(1);
  }, 180_000);
});

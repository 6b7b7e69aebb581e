/**
 * The supervisor's cycle, end to end (built CLI, real go build, real processes, real HTTP):
 *   - build.onFailure: stop stops the app on a failed build, and the fix starts the new version;
 *   - a newer change during a build supersedes it: the whole build tree is gone before the next build;
 *   - SIGTERM during a build: the build tree and the app are gone, exit 0, the port is free;
 *   - each cycle's log lines carry build, stop and start timings and name the changed files.
 *
 * A slow, observable build: build.cmd reads a delay from a file outside the module (0 = fast), and
 * before sleeping it records "<sh pid> <sleep pid>"; every build first checks (in its own shell, at the
 * moment it starts) that no process of an earlier slow build is still running, and writes "alive PID"
 * to the marks log if one is.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';
import {
  freePort,
  goMain,
  httpGet,
  pidsWithEnvMarker,
  startHotwatch,
  writeGoApp,
  type Hotwatch,
  type LogLine,
} from '../helpers/hotwatch.js';

let tmp: ReturnType<typeof makeTmpDir>;
let mod: string;
let marks: string;
let hw: Hotwatch | undefined;
let port: number;

beforeEach(async () => {
  tmp = makeTmpDir();
  mod = path.join(tmp.dir, 'mod');
  marks = path.join(tmp.dir, 'marks'); // outside the module: never watched
  fs.mkdirSync(mod);
  fs.mkdirSync(marks);
  port = await freePort();
  writeGoApp(mod, 'v1');
});

afterEach(async () => {
  if (hw) {
    const r = await hw.stop();
    expect(r.code, `hotwatch exit\n${hw.stderr().slice(-2000)}`).toBe(0);
  }
  hw = undefined;
  tmp.cleanup();
});

const serves = (v: string) =>
  waitFor(async () => (await httpGet(port)) === `v=${v}`, { description: `the app serves v=${v}`, timeoutMs: 20_000 });

/** The slow, observable build command (POSIX sh). */
function slowBuildCmd(): string {
  const m = marks;
  return [
    `d=$(cat '${m}/delay' 2>/dev/null || echo 0)`,
    `for p in $(cat '${m}/pids' 2>/dev/null); do`,
    `  s=$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)`,
    `  if [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]; then echo "alive $p" >> '${m}/log'; fi`,
    `done`,
    `echo "checked $$" >> '${m}/log'`,
    `if [ "$d" -gt 0 ]; then sleep "$d" & sp=$!; echo "$$ $sp" >> '${m}/pids'; echo "slow $$ $sp" >> '${m}/log'; wait $sp; fi`,
    `exec go build -o .hotwatch/bin/app .`,
  ].join('\n');
}

function writeConfig(yaml: string): void {
  fs.writeFileSync(path.join(mod, 'watcher.config.yaml'), yaml);
}

const slowBuildYaml = (): string =>
  `build:\n  cmd: |\n${slowBuildCmd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n`;

const marksLog = (): string[] => {
  try {
    return fs.readFileSync(path.join(marks, 'log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/** Waits until a build has started sleeping (the n-th "slow" line, 1-based) and returns its sh and sleep pids. */
async function slowBuildRunning(n = 1): Promise<{ sh: number; sleep: number }> {
  const line = await waitFor(() => marksLog().filter((l) => l.startsWith('slow '))[n - 1], {
    description: `slow build #${n} is sleeping`,
    timeoutMs: 20_000,
  });
  const [, sh, sleep] = line.split(' ');
  return { sh: Number(sh), sleep: Number(sleep) };
}

const setDelay = (s: number): void => fs.writeFileSync(path.join(marks, 'delay'), String(s));

const idx = (h: Hotwatch, l: LogLine): number => h.logs.indexOf(l);

function portFree(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('supervisor cycle (e2e)', () => {
  it('build.onFailure: stop — a syntax error stops the app (logged at error with file:line); the fix starts the new version', async () => {
    writeConfig('build:\n  onFailure: stop\n');
    hw = startHotwatch([], { cwd: mod, env: { PORT: String(port) }, waitTimeoutMs: 20_000 });
    await serves('v1');
    const v1 = await hw.waitForLog((l) => l.event === 'app.start', 'v1 starts');
    await hw.waitForLog((l) => l.event === 'app.listening', 'v1 listens');

    const mark = hw.logs.length;
    const broken = goMain('v2').replace('func main() {', 'func main() {\n\tthis is not go');
    const badLine = broken.split('\n').findIndex((l) => l.includes('this is not go')) + 1;
    fs.writeFileSync(path.join(mod, 'main.go'), broken);

    const failed = await hw.waitForLog((l) => l.event === 'build.failed', 'the build fails', { from: mark });
    expect(failed.level).toBe(50); // error
    expect(failed.msg).toMatch(/^BUILD FAILED \(exit 1, \d+ms, \d+ errors?\): stopping the app \(build\.onFailure: stop\)/);
    expect(failed.msg).toMatch(new RegExp(`main\\.go:${badLine}:\\d+: `));
    expect(failed.errors).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`main\\.go:${badLine}:\\d+: `))]));
    expect(failed.exitCode).toBe(1);

    const stop = await hw.waitForLog((l) => l.event === 'app.stop', 'the app is stopped after the failed build', { from: mark });
    expect(idx(hw, stop)).toBeGreaterThan(idx(hw, failed));
    expect(stop).toMatchObject({ pid: v1.pid, why: 'build failed (build.onFailure: stop)', how: 'graceful' });
    expect(typeof stop.stopMs).toBe('number');
    // app.stop is logged once the stop is complete: the process is gone and the port no longer answers.
    expect(isAlive(v1.pid as number)).toBe(false);
    expect(await httpGet(port)).toBeUndefined();
    expect(await portFree(port)).toBe(true);
    // Stopped by policy: not reported as a crash, and nothing started in its place.
    expect(hw.events('app.exit', mark)).toHaveLength(0);
    expect(hw.events('app.start', mark)).toHaveLength(0);

    const mark2 = hw.logs.length;
    fs.writeFileSync(path.join(mod, 'main.go'), goMain('v3'));
    await serves('v3');
    const start = await hw.waitForLog((l) => l.event === 'app.start', 'v3 starts', { from: mark2 });
    expect(start.reason).toBe('main.go');
    expect(start.pid).not.toBe(v1.pid);
    expect(start.stopMs).toBeUndefined(); // nothing was running to stop
    expect(hw.events('build.done', mark2)).toHaveLength(1);
    expect(hw.events('app.stop', mark2)).toHaveLength(0);
  }, 30_000);

  it('a save during a build supersedes it: the whole build tree is gone before the next build; the old app serves until the new one', async () => {
    writeConfig(slowBuildYaml());
    hw = startHotwatch([], { cwd: mod, env: { PORT: String(port) }, waitTimeoutMs: 20_000 });
    await serves('v1');
    const v1 = await hw.waitForLog((l) => l.event === 'app.start', 'v1 starts');

    setDelay(5);
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(mod, 'main.go'), goMain('v2'));
    const first = await slowBuildRunning(1);
    const start2 = await hw.waitForLog((l) => l.event === 'build.start', 'the v2 build starts', { from: mark });
    expect(start2.trigger).toBe('main.go');
    expect(isAlive(first.sh) && isAlive(first.sleep)).toBe(true);
    expect(await httpGet(port)).toBe('v=v1'); // the old app serves during the build

    setDelay(0);
    fs.writeFileSync(path.join(mod, 'main.go'), goMain('v3'));
    const superseded = await hw.waitForLog((l) => l.event === 'build.superseded', 'the v2 build is superseded', { from: mark });
    expect(superseded.trigger).toBe('main.go');
    const canceled = await hw.waitForLog((l) => l.event === 'build.canceled', 'the v2 build is canceled', { from: mark });
    expect(idx(hw, canceled)).toBeGreaterThan(idx(hw, superseded));
    expect(typeof canceled.buildMs).toBe('number');
    expect(canceled.buildMs as number).toBeLessThan(4_000); // canceled, not waited out (the sleep was 5 s)
    expect(canceled.msg).toMatch(/a newer change is next/);
    // build.canceled is logged after the teardown: the first build's tree is gone.
    expect(isAlive(first.sh)).toBe(false);
    expect(isAlive(first.sleep)).toBe(false);

    await serves('v3');
    const done = await hw.waitForLog((l) => l.event === 'build.done', 'the v3 build succeeds', { from: mark });
    const v3 = await hw.waitForLog((l) => l.event === 'app.start', 'v3 starts', { from: mark });

    // Exactly two builds after the initial one: the superseded v2 and the v3 that replaced it.
    const starts = hw.events('build.start', mark);
    expect(starts).toHaveLength(2);
    expect(starts.map((s) => s.trigger)).toEqual(['main.go', 'main.go']);
    expect(idx(hw, starts[1]!)).toBeGreaterThan(idx(hw, canceled));
    // The next build's own shell, at its start, found no process of the canceled build still running.
    const lines = marksLog();
    expect(lines.filter((l) => l.startsWith('checked '))).toHaveLength(3); // initial, v2, v3
    expect(lines.filter((l) => l.startsWith('alive '))).toEqual([]);
    // Only one good build, and the old app was stopped only after it (it kept serving through both builds).
    expect(hw.events('build.done', mark)).toHaveLength(1);
    expect(hw.events('build.failed', mark)).toHaveLength(0);
    const stops = hw.events('app.stop', mark);
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatchObject({ pid: v1.pid, why: 'restart' });
    expect(idx(hw, stops[0]!)).toBeGreaterThan(idx(hw, done));
    expect(idx(hw, v3)).toBeGreaterThan(idx(hw, stops[0]!));
    expect(hw.events('app.start', mark)).toHaveLength(1);
  }, 30_000);

  it('SIGTERM during a build: exit 0 promptly, the build tree and the app are gone, the port is free', async () => {
    writeConfig(slowBuildYaml());
    const runId = crypto.randomUUID();
    hw = startHotwatch([], { cwd: mod, env: { PORT: String(port), HW_E2E_RUN: runId }, waitTimeoutMs: 20_000 });
    await serves('v1');
    const v1 = await hw.waitForLog((l) => l.event === 'app.start', 'v1 starts');

    setDelay(30);
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(mod, 'main.go'), goMain('v2'));
    const build = await slowBuildRunning(1);
    await hw.waitForLog((l) => l.event === 'build.start', 'the v2 build starts', { from: mark });

    const t0 = Date.now();
    const h = hw;
    hw = undefined; // stopped here, not in afterEach
    const r = await h.stop('SIGTERM');
    const ms = Date.now() - t0;
    expect(r, h.stderr().slice(-3000)).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(6_000); // build kill grace is 1 s, the app stops at once on SIGTERM

    expect(h.events('shutdown', mark)).toHaveLength(1);
    const canceled = h.events('build.canceled', mark);
    expect(canceled).toHaveLength(1);
    expect(canceled[0]!.msg).toMatch(/shutting down/);
    const stops = h.events('app.stop', mark);
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatchObject({ pid: v1.pid, why: 'shutdown', how: 'graceful' });
    expect(h.events('app.start', mark)).toHaveLength(0);
    expect(h.events('exit', mark)).toMatchObject([{ forced: false }]);

    // Nothing left: the build's shell and sleep, the app, anything carrying this run's environment.
    expect(isAlive(build.sh)).toBe(false);
    expect(isAlive(build.sleep)).toBe(false);
    expect(isAlive(v1.pid as number)).toBe(false);
    expect(pidsWithEnvMarker('HW_E2E_RUN', runId)).toEqual([]);
    expect(await portFree(port)).toBe(true);
  }, 30_000);

  it('each cycle logs its build, stop and start times, and the trigger names the changed files', async () => {
    // A wide debounce window so that two files written together are one batch (deterministically).
    writeConfig(`${slowBuildYaml()}debounce:\n  loneQuiet: 300ms\n  quiet: 300ms\n`);
    // The app takes 300 ms to stop on SIGTERM, so stopMs has a known floor.
    const slowStop = {
      imports: ['os/signal', 'syscall', 'time'],
      extraMain:
        'go func() { c := make(chan os.Signal, 1); signal.Notify(c, syscall.SIGTERM); <-c; time.Sleep(300 * time.Millisecond); os.Exit(0) }()',
    };
    writeGoApp(mod, 'v1', slowStop);
    hw = startHotwatch([], { cwd: mod, env: { PORT: String(port) }, waitTimeoutMs: 20_000 });
    await serves('v1');
    const v1 = await hw.waitForLog((l) => l.event === 'app.start', 'v1 starts');
    expect(v1.reason).toBe('initial build');
    await hw.waitForLog((l) => l.event === 'app.listening' && l.pid === v1.pid, 'v1 listens');

    setDelay(1); // the build takes at least 1 s
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(mod, 'main.go'), goMain('v2', slowStop));
    await serves('v2');
    const v2 = await hw.waitForLog((l) => l.event === 'app.start', 'v2 starts', { from: mark });
    const listening = await hw.waitForLog((l) => l.event === 'app.listening' && l.pid === v2.pid, 'v2 listens', { from: mark });

    const bs = hw.events('build.start', mark);
    expect(bs).toHaveLength(1);
    expect(bs[0]).toMatchObject({ trigger: 'main.go', files: 1 });
    const done = hw.events('build.done', mark);
    expect(done).toHaveLength(1);
    const buildMs = done[0]!.buildMs as number;
    expect(typeof buildMs).toBe('number');
    expect(buildMs).toBeGreaterThanOrEqual(1_000);
    // Measured inside the cycle: never more than the time between the two log lines.
    expect(buildMs).toBeLessThanOrEqual(Date.parse(String(done[0]!.time)) - Date.parse(String(bs[0]!.time)) + 2);
    expect(done[0]!.msg).toBe(`build ok in ${buildMs}ms`);

    const stop = hw.events('app.stop', mark);
    expect(stop).toHaveLength(1);
    expect(stop[0]).toMatchObject({ pid: v1.pid, why: 'restart', how: 'graceful' });
    const stopMs = stop[0]!.stopMs as number;
    expect(stopMs).toBeGreaterThanOrEqual(300);
    expect(stopMs).toBeLessThan(5_000); // the grace period: it was not killed

    const start = hw.events('app.start', mark);
    expect(start).toHaveLength(1);
    const startMs = start[0]!.startMs as number;
    expect(typeof startMs).toBe('number');
    expect(startMs).toBeGreaterThanOrEqual(0);
    expect(startMs).toBeLessThan(5_000);
    expect(start[0]).toMatchObject({ reason: 'main.go', stopMs });
    expect(start[0]!.msg).toBe(`app started (pid ${start[0]!.pid}, stop ${stopMs}ms, start ${startMs}ms)`);
    expect(listening).toMatchObject({ pid: start[0]!.pid, ports: [port] });
    expect(typeof listening.readyMs).toBe('number');
    // In cycle order.
    const order = [bs[0]!, done[0]!, stop[0]!, start[0]!, listening].map((l) => idx(hw!, l));
    expect(order).toEqual([...order].sort((a, b) => a - b));

    // Two files saved together: one cycle, and the trigger aggregates them by package.
    setDelay(0);
    const mark2 = hw.logs.length;
    fs.writeFileSync(path.join(mod, 'util.go'), 'package main\n\nconst extra = "x"\n');
    fs.writeFileSync(path.join(mod, 'main.go'), goMain('v3', slowStop));
    await serves('v3');
    await hw.waitForLog((l) => l.event === 'app.start', 'v3 starts', { from: mark2 });
    const bs2 = hw.events('build.start', mark2);
    expect(bs2).toHaveLength(1);
    expect(bs2[0]).toMatchObject({ trigger: '2 files in .', files: 2 });
    expect(bs2[0]!.msg).toBe('2 files in . → building');
    expect(hw.events('app.start', mark2)[0]).toMatchObject({ reason: '2 files in .' });
  }, 30_000);
});

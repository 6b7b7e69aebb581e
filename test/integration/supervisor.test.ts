/**
 * The supervisor's effect loop with real processes: the "build" is a shell command that copies a shell
 * script into place (fast, and real: its own process group, real cancel), the app is that script. Its
 * state snapshot is read from outside at each step, and what the loop did is counted in its stats and
 * log: a change during the old app's stop starts only the newest version; a crash restarts with backoff;
 * shutdown leaves nothing running.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { BuildSettings, RunSettings } from '../../src/config/settings.js';
import type { Batch } from '../../src/pipeline/events.js';
import { createLogger } from '../../src/log/logger.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';

let tmp: ReturnType<typeof makeTmpDir>;
let root: string;
let marks: string;
let rootAbort: AbortController;
let sup: Supervisor | undefined;
let running: Promise<void> | undefined;

beforeEach(() => {
  tmp = makeTmpDir('hotwatch-supervisor-');
  root = path.join(tmp.dir, 'mod');
  marks = path.join(tmp.dir, 'marks'); // outside the module
  fs.mkdirSync(root);
  fs.mkdirSync(marks);
  rootAbort = new AbortController();
});

afterEach(async () => {
  rootAbort.abort(new Error('test over'));
  await running;
  sup = undefined;
  running = undefined;
  tmp.cleanup();
});

/**
 * The app as a shell script: records "<version> <pid>" when it starts; on SIGTERM records "term
 * <version>" and exits after `stopSeconds`; with `exitCode`, exits on its own after 0.1 s.
 */
function writeApp(version: string, o: { stopSeconds?: number; exitCode?: number } = {}): void {
  const body =
    o.exitCode !== undefined
      ? `sleep 0.1; exit ${o.exitCode}`
      : `trap 'echo "term ${version}" >> "${marks}/log"; sleep ${o.stopSeconds ?? 0}; exit 0' TERM\nwhile :; do sleep 0.05; done`;
  fs.writeFileSync(path.join(root, 'app.sh'), `#!/bin/sh\necho "${version} $$" >> "${marks}/log"\n${body}\n`);
}

const marksLog = (): string[] => {
  try {
    return fs.readFileSync(path.join(marks, 'log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

function start(run: Partial<RunSettings> = {}): { sup: Supervisor; lines: () => { event?: string; msg: string }[] } {
  const output = path.join(root, '.hotwatch', 'bin', 'app');
  const build: BuildSettings = {
    root,
    cmd: `mkdir -p .hotwatch/bin && cp app.sh .hotwatch/bin/app.tmp && chmod +x .hotwatch/bin/app.tmp && mv .hotwatch/bin/app.tmp ${output}`,
    package: '.',
    output,
    flags: [],
    env: {},
    timeoutMs: 30_000,
    onFailure: 'keep-running',
    steps: [],
    clear: false,
  };
  const settings: RunSettings = {
    binary: output,
    args: [],
    env: {},
    envFiles: [],
    cwd: root,
    port: undefined,
    stopSignal: 'SIGTERM',
    gracePeriodMs: 10_000,
    onCrash: 'wait-for-change',
    backoff: { initialMs: 100, maxMs: 400, resetAfterMs: 10_000 },
    ...run,
  };
  const text: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      text.push(String(chunk));
      cb();
    },
  });
  const log = createLogger({ format: 'json', level: 'info', destination });
  sup = new Supervisor({ root, build, run: settings, log, signal: rootAbort.signal, appEnv: () => ({ PATH: process.env.PATH }) });
  running = sup.run(batch('initial build'));
  const lines = () =>
    text
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event?: string; msg: string });
  return { sup, lines };
}

const batch = (rescan?: string): Batch => ({
  paths: rescan ? [] : [path.join(root, 'main.go')],
  rescanReasons: rescan ? [rescan] : [],
  firstAt: performance.now(),
  lastAt: performance.now(),
});

describe('supervisor (the effect loop, real processes)', () => {
  it('a change during the old app stop: the stop goes on, the change builds, only the newest version starts', async () => {
    writeApp('v1', { stopSeconds: 2 });
    const { sup: s, lines } = start();
    const v1 = await waitFor(() => s.state.name === 'running' && s.state, { description: 'v1 runs' });
    expect(v1).toMatchObject({ name: 'running', pid: s.appPid, crashes: 0 });
    expect(v1.since).toBeLessThanOrEqual(Date.now());

    writeApp('v2', { stopSeconds: 1 });
    s.submit(batch());
    // Taken at once: the build runs while v1 serves.
    expect(s.state).toMatchObject({ name: 'building', trigger: 'main.go', pid: v1.pid });
    expect(s.busy).toBe(true);
    await waitFor(() => marksLog().includes('term v1'), { description: 'v1 is being stopped (it takes 2 s)' });
    expect(s.state).toMatchObject({ name: 'stopping', pid: v1.pid, why: 'restart', trigger: 'main.go' });

    writeApp('v3');
    s.submit(batch());
    expect(s.state).toMatchObject({ name: 'stopping', pid: v1.pid, queued: 'main.go' });
    const v3 = await waitFor(() => s.state.name === 'running' && s.state, { description: 'v3 runs' });
    expect(isAlive(v1.pid!)).toBe(false);
    expect(
      marksLog()
        .filter((l) => /^v\d /.test(l))
        .map((l) => l.split(' ')[0]),
    ).toEqual(['v1', 'v3']);
    expect(marksLog()).toContain(`v3 ${v3.pid}`);
    expect(s.stats).toMatchObject({ buildsStarted: 3, buildsSucceeded: 3, buildsCanceled: 0, appStarts: 2 });
    expect(lines().filter((l) => l.event === 'app.start')).toHaveLength(2);
    expect(lines().filter((l) => l.event === 'build.stale')).toHaveLength(1);

    rootAbort.abort(new Error('SIGTERM'));
    await running;
    expect(s.state.name).toBe('stopped');
    expect(isAlive(v3.pid!)).toBe(false);
  });

  it('run.onCrash: restart: the crashed app waits in backoff, restarts, and shutdown during backoff ends at once', async () => {
    writeApp('v1', { exitCode: 3 });
    const { sup: s, lines } = start({ onCrash: 'restart', backoff: { initialMs: 300, maxMs: 5_000, resetAfterMs: 10_000 } });
    const first = await waitFor(() => s.state.name === 'backoff' && s.state, { description: 'first crash: backoff' });
    expect(first).toMatchObject({ crashes: 1 });
    expect(first.restartAt! - first.since).toBe(300);
    expect(s.idleWithoutApp).toBe(false);
    const second = await waitFor(() => s.state.name === 'backoff' && s.state.crashes === 2 && s.state, { description: 'second crash' });
    expect(second.restartAt! - second.since).toBe(600);
    expect(
      lines()
        .filter((l) => l.event === 'app.exit')
        .map((l) => l.msg.replace(/after \d+ms/, 'after Nms')),
    ).toEqual([
      'app exited with code 3 after Nms; restarting in 0.3 s (first crash; run.onCrash: restart)',
      'app exited with code 3 after Nms; restarting in 0.6 s (2nd crash in a row; run.onCrash: restart)',
    ]);
    rootAbort.abort(new Error('SIGTERM'));
    await running;
    expect(s.state.name).toBe('stopped');
    expect(s.stats.appStarts).toBe(2);
  });

  it('wait-for-change: an exit leaves it idle without app, and a change runs it again', async () => {
    writeApp('v1', { exitCode: 0 });
    const { sup: s } = start();
    await waitFor(() => s.idleWithoutApp, { description: 'the app exited: idle' });
    expect(s.state).toMatchObject({ name: 'idle', why: 'app-exited' });
    writeApp('v2');
    s.submit(batch());
    await waitFor(() => s.state.name === 'running', { description: 'v2 runs' });
    expect(s.stats.appStarts).toBe(2);
  });

  it('an output that is not a Go binary (a script) restarts even when its bytes are the same: they say nothing of what it starts', async () => {
    writeApp('v1');
    const { sup: s } = start();
    const v1 = await waitFor(() => s.state.name === 'running' && s.state, { description: 'v1 runs' });
    s.submit(batch()); // app.sh unchanged: the same bytes are built again (a launcher's program may have changed)
    const again = await waitFor(() => s.state.name === 'running' && s.stats.appStarts === 2 && s.state, { description: 'restarted' });
    expect(again.pid).not.toBe(v1.pid);
    expect(marksLog()).toContain('term v1');
    // (The same Go binary keeps running: e2e/run-time-files.test.ts, integration/binary-identity.test.ts.)
  });
});

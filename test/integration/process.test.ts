/**
 * AppProcess with real Go fixtures built into a temp dir, real signals and real sockets: graceful stop,
 * SIGKILL after the grace period, a tree with a SIGTERM-ignoring child and a setsid grandchild, a port
 * kept by an unmarked escapee (reported with its pid), an app that exits on its own, start failures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppProcess, APP_MARKER_KEY, type AppExit } from '../../src/supervisor/process.js';
import { runBuild } from '../../src/supervisor/build.js';
import { silentLogger } from '../../src/log/logger.js';
import { descendantsOf, pidsWithEnv, readStat } from '../../src/os/procfs.js';
import { isPortFree, listeningPortsOf } from '../../src/os/ports.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/go');
const log = silentLogger();
const tmp = makeTmpDir('hotwatch-process-');
const bin: Record<string, string> = {};
/** Every pid a fixture reported: killed in afterAll whatever happened. */
const reported = new Set<number>();

interface Line {
  role: string;
  pid: number;
  pgid?: number;
  sid?: number;
  port?: number;
}

beforeAll(async () => {
  for (const name of ['spawner', 'stubborn', 'crasher']) {
    const root = path.join(tmp.dir, 'src', name);
    fs.cpSync(path.join(FIXTURES, name), root, { recursive: true });
    bin[name] = path.join(tmp.dir, 'bin', name);
    const res = await runBuild(
      {
        root,
        cmd: undefined,
        package: '.',
        output: bin[name]!,
        flags: [],
        env: {},
        timeoutMs: 120_000,
        onFailure: 'keep-running',
        steps: [],
        clear: false,
      },
      { signal: new AbortController().signal, log },
    );
    if (!res.ok) throw new Error(`building fixture ${name} failed:\n${res.output}`);
  }
}, 180_000);

afterAll(() => {
  for (const pid of reported) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  tmp.cleanup();
});

async function start(name: string, env: Record<string, string> = {}) {
  const lines: Line[] = [];
  let stderr = '';
  let pending = '';
  const app = await AppProcess.start({
    binary: bin[name]!,
    args: [],
    env: { ...process.env, ...env },
    cwd: tmp.dir,
    log,
    onOutput: (chunk, stream) => {
      if (stream === 'stderr') {
        stderr += chunk.toString();
        return;
      }
      const parts = (pending + chunk.toString()).split('\n');
      pending = parts.pop() ?? '';
      for (const p of parts) {
        const line = JSON.parse(p) as Line;
        reported.add(line.pid);
        lines.push(line);
      }
    },
  });
  reported.add(app.pid);
  const role = (r: string): Promise<Line> =>
    waitFor(() => lines.find((l) => l.role === r), { timeoutMs: 10_000, description: `${name} prints its "${r}" line` });
  return { app, lines, role, stderr: () => stderr };
}

describe('AppProcess', () => {
  it('starts an app and stops it gracefully; stop is memoized', async () => {
    const { app, role } = await start('spawner', { PORT: '0', SPAWNER_CHILDREN: '0' });
    const main = await role('main');
    expect(main.pid).toBe(app.pid);
    expect(main.pgid).toBe(app.pid); // its own process group
    const body = await waitFor(async () => (await fetch(`http://127.0.0.1:${main.port}/`)).text(), { description: 'the app answers HTTP' });
    expect(body).toBe('v=1');
    expect(listeningPortsOf([app.pid])).toEqual([main.port]);

    const res = await app.stop('SIGTERM', 10_000);
    expect(res).toMatchObject({ how: 'graceful', swept: [], portsStillHeld: [] });
    expect(res.exit).toMatchObject({ code: 0, signal: null });
    await role('main-exit'); // it handled SIGTERM itself
    expect(isAlive(app.pid)).toBe(false);
    expect(await isPortFree(main.port!)).toBe(true);
    expect(await app.stop('SIGKILL', 0)).toBe(res);
  });

  it('an app that ignores SIGTERM is killed after the grace period', async () => {
    const { app, role } = await start('stubborn');
    await role('stubborn');
    const res = await app.stop('SIGTERM', 300);
    expect(res.how).toBe('killed');
    expect(res.exit).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(res.durationMs).toBeGreaterThanOrEqual(300);
    expect(isAlive(app.pid)).toBe(false);
  });

  it('stop ends a SIGTERM-ignoring child and a setsid grandchild, and frees the port', async () => {
    const { app, role } = await start('spawner', { PORT: '0' });
    const [main, child, grandchild] = [await role('main'), await role('child'), await role('grandchild')];
    expect(child.pgid).toBe(app.pid);
    expect(grandchild.sid).toBe(grandchild.pid); // escaped the group and the session
    expect(descendantsOf(app.pid).sort()).toEqual([child.pid, grandchild.pid].sort());
    const marker = fs
      .readFileSync(`/proc/${app.pid}/environ`, 'utf8')
      .split('\0')
      .find((kv) => kv.startsWith(`${APP_MARKER_KEY}=`))!
      .slice(APP_MARKER_KEY.length + 1);
    expect(pidsWithEnv(APP_MARKER_KEY, marker).sort()).toEqual([app.pid, child.pid, grandchild.pid].sort());

    const res = await app.stop('SIGTERM', 1_000);
    expect(res.how).toBe('killed'); // the child ignored SIGTERM: the group got SIGKILL
    expect(res.exit).toMatchObject({ code: 0, signal: null }); // the leader itself stopped gracefully
    expect(res.swept.map((s) => s.pid)).toEqual([grandchild.pid]);
    expect(res.swept[0]!.cmd).toContain('grandchild');
    expect(res.portsStillHeld).toEqual([]);
    expect([app.pid, child.pid, grandchild.pid].filter(isAlive)).toEqual([]);
    expect(await isPortFree(main.port!)).toBe(true);
  });

  it('a child that an escapee starts after the stop was prepared, without the marker, is stopped too (the stop signal first, as the group got)', async () => {
    // prescan() (run while a build runs) lists the marked processes; the stop then reads only processes
    // born since. The escapee (setsid, marked, adopted by init) starts "late" after the prescan with the
    // marker removed from its env: only its parent links it to the app.
    const { app, role } = await start('spawner', { PORT: '0', SPAWNER_CHILDREN: '0', SPAWNER_LATE_MS: '1500' });
    const escapee = await role('escapee');
    await waitFor(() => readStat(escapee.pid)?.ppid !== undefined && !descendantsOf(app.pid).includes(escapee.pid), {
      timeoutMs: 5_000,
      description: 'the escapee is no longer under the app',
    });
    app.prescan();
    const late = await role('late');
    expect(readStat(late.pid)?.ppid).toBe(escapee.pid);
    const res = await app.stop('SIGTERM', 1_000);
    // Outside the group, both got SIGTERM once the group was gone (a worker flushing on SIGTERM was SIGKILLed at once), and ended on it.
    expect(res.escaped?.map((s) => s.pid).sort()).toEqual([escapee.pid, late.pid].sort());
    expect(res.swept).toEqual([]);
    expect([app.pid, escapee.pid, late.pid].filter(isAlive)).toEqual([]);
  });

  it('a port kept by an unmarked escapee is reported with its holder', async () => {
    const { app, role } = await start('spawner', { PORT: '0', SPAWNER_CHILDREN: '0', SPAWNER_LEAK: '1' });
    const [main, leaker] = [await role('main'), await role('leaker')];
    expect(readStat(leaker.pid)?.ppid).not.toBe(app.pid); // reparented away, no marker: invisible to the sweep
    try {
      const res = await app.stop('SIGTERM', 5_000);
      expect(res.how).toBe('graceful');
      expect(res.swept).toEqual([]);
      expect(res.portsStillHeld).toHaveLength(1);
      expect(res.portsStillHeld[0]!.port).toBe(main.port);
      expect(res.portsStillHeld[0]!.holders.map((h) => h.pid)).toEqual([leaker.pid]);
      expect(res.portsStillHeld[0]!.holders[0]!.cmd).toContain('leaker');
    } finally {
      process.kill(leaker.pid, 'SIGKILL');
    }
    await waitFor(() => !isAlive(leaker.pid), { timeoutMs: 5_000, description: 'the leaker is gone' });
  });

  it('reports an app that exits on its own, and stop then says already-exited', async () => {
    const { app, role, stderr } = await start('crasher', { CRASH_AFTER: '200ms' });
    await role('crasher');
    const exit: AppExit = await app.exited;
    expect(exit).toMatchObject({ code: 3, signal: null });
    expect(exit.uptimeMs).toBeGreaterThanOrEqual(150);
    await waitFor(() => stderr().includes('crasher: exiting with code 3'), { timeoutMs: 5_000, description: 'stderr is forwarded' });
    const res = await app.stop('SIGTERM', 1_000);
    expect(res).toMatchObject({ how: 'already-exited', exit, swept: [], portsStillHeld: [] });
  });

  it('start rejects with APP_START_FAILED for a missing or non-executable binary', async () => {
    const missing = path.join(tmp.dir, 'bin', 'nope');
    await expect(AppProcess.start({ binary: missing, args: [], env: process.env, cwd: tmp.dir, log })).rejects.toMatchObject({
      code: 'APP_START_FAILED',
      message: expect.stringContaining(`${missing} does not exist`),
    });
    const notExec = path.join(tmp.dir, 'bin', 'not-exec');
    fs.writeFileSync(notExec, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    await expect(AppProcess.start({ binary: notExec, args: [], env: process.env, cwd: tmp.dir, log })).rejects.toMatchObject({
      code: 'APP_START_FAILED',
      message: expect.stringContaining('not executable'),
      hint: expect.stringContaining('chmod +x'),
    });
    await expect(
      AppProcess.start({ binary: bin.crasher!, args: [], env: process.env, cwd: path.join(tmp.dir, 'no-such-dir'), log }),
    ).rejects.toMatchObject({ code: 'APP_START_FAILED', hint: expect.stringContaining('run.cwd') });
  });
});

/**
 * The remembered first build (src/startup/remembered-build.ts), with the built CLI, real go builds and
 * real processes: a run keeps its first build's plan; the next run with the same flags in the same
 * directory spawns that build before hotwatch's modules load, and the start-up adopts it only when it
 * is exactly the build it would spawn. Its neighbours: the config changed (not used), the root now
 * another directory (spawned, then stopped, the right one built), the root held by another hotwatch
 * (nothing spawned, the holder named), bad input found after the spawn (exit 2, nothing left), a stop
 * signal before hotwatch's own handlers exist (held, then a clean stop, nothing left).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, pidsWithEnvMarker, startHotwatch, writeGoApp, type Hotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';
import { slowToolsConfig } from '../helpers/slow-tools.js';

const session = hotwatchSession();
const DEBUG = ['--log-level', 'debug'];

/** A first run with `args` here, watching, then stopped: its first build's plan is kept. */
async function firstRun(args: string[], cwd = session.dir): Promise<void> {
  const hw = startHotwatch(args, { cwd, env: { PORT: String(session.port) } });
  try {
    await hw.waitForLog((l) => l.event === 'startup.timings', 'the first run is watching');
  } finally {
    const r = await hw.stop('SIGINT');
    expect(r.code, hw.stderr()).toBe(0);
  }
}

/** A run whose processes (the build, its tools, the app) carry HW_REMEMBERED_MARK=<mark> in their environment. */
function markedRun(args: string[], extraEnv: Record<string, string> = {}, cwd = session.dir): { hw: Hotwatch; mark: string } {
  const mark = `remembered-${process.pid}-${Date.now()}-${Math.random()}`;
  const hw = startHotwatch(args, { cwd, env: { PORT: String(session.port), HW_REMEMBERED_MARK: mark, ...extraEnv } });
  return { hw, mark };
}

const noneLeft = (mark: string) =>
  waitFor(() => pidsWithEnvMarker('HW_REMEMBERED_MARK', mark).length === 0, {
    description: 'no process of that run left',
    timeoutMs: 10_000,
  });

describe('the remembered first build', () => {
  it('the next run with the same flags spawns it before its modules load; adopted as the one build, served; edits served', async () => {
    await firstRun(DEBUG);
    const hw = (session.hw = startHotwatch(DEBUG, { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    const used = await hw.waitForLog((l) => l.event === 'build.remembered', 'the build came from the plan');
    expect(used.spawnedAtMs).toEqual(expect.any(Number));
    const timings = await hw.waitForLog((l) => l.event === 'startup.timings', 'the start-up timings');
    const ms = timings.ms as Record<string, number>;
    expect(ms.build, 'spawned before hotwatch had loaded its modules').toBeLessThan(ms.modules!);
    const builds = hw.events('build.start').filter((l) => l.trigger === undefined);
    expect(builds, 'one go build').toHaveLength(1);
    expect(builds[0]).toMatchObject({ early: true });
    expect(hw.events('build.remembered-miss')).toEqual([]);
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2'));
    await session.serves('v2');
  });

  it('the very first run in a module with no config: spawned from the defaults before the modules load, served', async () => {
    const hw = (session.hw = startHotwatch(DEBUG, { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    const used = await hw.waitForLog((l) => l.event === 'build.remembered', 'the build came from the defaults');
    expect(used.from).toBe('defaults');
    const timings = await hw.waitForLog((l) => l.event === 'startup.timings', 'the start-up timings');
    const ms = timings.ms as Record<string, number>;
    expect(ms.build).toBeLessThan(ms.modules!);
    expect(hw.events('build.start').filter((l) => l.trigger === undefined)).toHaveLength(1);
  });

  it('the very first run with a config file: nothing is spawned before the config is read', async () => {
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), 'build:\n  flags: [-trimpath]\n');
    const hw = (session.hw = startHotwatch(DEBUG, { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    const timings = await hw.waitForLog((l) => l.event === 'startup.timings', 'the start-up timings');
    const ms = timings.ms as Record<string, number>;
    expect(ms.build, 'spawned by the start-up, after the config').toBeGreaterThan(ms.config!);
    expect(hw.events('build.remembered')).toEqual([]);
    expect(String(hw.events('build.start').find((l) => l.command !== undefined)?.command)).toContain('-trimpath');
  });

  it('the config changed since: the plan is not used, the build the config asks for runs', async () => {
    await firstRun(DEBUG);
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), 'build:\n  flags: [-trimpath]\n');
    const hw = (session.hw = startHotwatch(DEBUG, { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    const miss = await hw.waitForLog((l) => l.event === 'build.remembered-miss', 'the plan is said not to apply');
    expect(String(miss.why)).toMatch(/config changed/);
    expect(hw.events('build.remembered')).toEqual([]);
    const builds = hw.events('build.start').filter((l) => l.trigger === undefined);
    expect(builds).toHaveLength(1);
    expect(String(builds[0]!.command)).toContain('-trimpath');
  });

  it('the root is now another directory (a symlink retargeted): the kept plan is not used, the new root built and served', async () => {
    const a = path.join(session.dir, 'a');
    const b = path.join(session.dir, 'b');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    writeGoApp(a, 'vA');
    writeGoApp(b, 'vB');
    fs.writeFileSync(path.join(a, 'watcher.config.yaml'), 'build:\n  flags: [-trimpath]\n');
    fs.writeFileSync(path.join(b, 'watcher.config.yaml'), 'build:\n  flags: [-trimpath]\n');
    fs.symlinkSync(a, path.join(session.dir, 'current'));
    const args = [...DEBUG, '--root', 'current'];
    await firstRun(args);
    fs.unlinkSync(path.join(session.dir, 'current'));
    fs.symlinkSync(b, path.join(session.dir, 'current'));

    const { hw, mark } = markedRun(args);
    session.hw = hw;
    await session.serves('vB');
    const miss = await hw.waitForLog((l) => l.event === 'build.remembered-miss', 'the kept plan is said not to apply');
    expect(String(miss.why)).toMatch(/no longer resolves to/);
    expect(hw.events('build.remembered')).toEqual([]);
    const inA = pidsWithEnvMarker('HW_REMEMBERED_MARK', mark).filter((pid) => cwdOf(pid)?.startsWith(a));
    expect(inA, 'nothing ran in the old root').toEqual([]);
  });

  it('another hotwatch holds the root: nothing is spawned, the holder is named (exit 2), its binary untouched', async () => {
    await firstRun(DEBUG);
    const holder = (session.hw = startHotwatch(DEBUG, { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    const bin = path.join(session.dir, '.hotwatch', 'bin', 'app');
    const before = fs.statSync(bin);

    // A remembered build spawned would hold the start-up at this gate (never opened): the exit proves none was.
    const never = path.join(path.dirname(session.dir), `${path.basename(session.dir)}.never`);
    const { hw, mark } = markedRun(DEBUG, { HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_REMEMBERED_GATE: never });
    const r = await hw.exited;
    expect(r.code, hw.stderr()).toBe(2);
    expect(hw.stderr()).toContain(`another hotwatch (pid ${holder.pid}`);
    expect(pidsWithEnvMarker('HW_REMEMBERED_MARK', mark)).toEqual([]);
    const after = fs.statSync(bin);
    expect([after.ino, after.mtimeMs], "the running hotwatch's binary was not rebuilt").toEqual([before.ino, before.mtimeMs]);
    await session.serves('v1');
  });

  it('bad input found after the spawn (run.port taken): exit 2 naming the holder; the build stopped, nothing left', async () => {
    const slow = slowToolsConfig(session.dir);
    fs.appendFileSync(slow.config, `run:\n  port: ${session.port}\n`);
    const args = [...DEBUG, '--config', slow.config];
    const holder = net.createServer();
    try {
      await firstRun(args, slow.outside);
      fs.rmSync(slow.started, { force: true });
      await new Promise<void>((resolve) => holder.listen(session.port, '127.0.0.1', resolve));
      const gate = path.join(slow.outside, 'gate');
      const { hw, mark } = markedRun(args, { HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_REMEMBERED_GATE: gate }, slow.outside);
      await waitFor(() => fs.existsSync(slow.started), { description: 'a tool of the remembered build runs', timeoutMs: 60_000 });
      fs.writeFileSync(gate, '');
      const r = await hw.exited;
      expect(r.code, hw.stderr()).toBe(2);
      expect(hw.stderr()).toContain(`port ${session.port} (run.port) is already in use by pid ${process.pid}`);
      await noneLeft(mark);
      expect(fs.existsSync(path.join(session.dir, '.hotwatch', 'bin', 'app')), 'no binary').toBe(false);
    } finally {
      holder.close();
      fs.rmSync(slow.outside, { recursive: true, force: true });
    }
  });

  it('bad input found after the remembered build finished: exit 2, and the binary it wrote where none was is removed', async () => {
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), `run:\n  port: ${session.port}\n`);
    await firstRun(DEBUG);
    fs.rmSync(path.join(session.dir, '.hotwatch'), { recursive: true, force: true });
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(session.port, '127.0.0.1', resolve));
    const gate = path.join(path.dirname(session.dir), `${path.basename(session.dir)}.gate`);
    try {
      const { hw, mark } = markedRun(DEBUG, { HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_REMEMBERED_GATE: gate });
      const bin = path.join(session.dir, '.hotwatch', 'bin', 'app');
      await waitFor(() => fs.existsSync(bin), { description: 'the remembered build wrote its binary', timeoutMs: 60_000 });
      await waitFor(() => pidsWithEnvMarker('HW_REMEMBERED_MARK', mark).every((pid) => pid === hw.pid), {
        description: 'the build finished',
        timeoutMs: 60_000,
      });
      fs.writeFileSync(gate, '');
      const r = await hw.exited;
      expect(r.code, hw.stderr()).toBe(2);
      expect(hw.stderr()).toContain(`port ${session.port} (run.port) is already in use`);
      expect(fs.existsSync(bin), 'no binary left by a start-up that ended in exit 2').toBe(false);
    } finally {
      holder.close();
      fs.rmSync(gate, { force: true });
    }
  });

  it('build.timeout counts from the remembered build spawn, not from its adoption', async () => {
    // Each tool of the build waits for `release` while `hold` exists: the build runs as long as the test says.
    const outside = `${session.dir}.timeout`;
    fs.mkdirSync(outside);
    const hold = path.join(outside, 'hold');
    const release = path.join(outside, 'release');
    const started = path.join(outside, 'started');
    const wrapper = path.join(outside, 'held-tool.sh');
    fs.writeFileSync(
      wrapper,
      `#!/bin/sh\nif [ -e '${hold}' ]; then echo $$ >> '${started}'; while [ ! -e '${release}' ]; do sleep 0.05; done; fi\nexec "$@"\n`,
      { mode: 0o755 },
    );
    const config = path.join(outside, 'hw.yaml');
    const timeoutMs = 2000;
    fs.writeFileSync(
      config,
      `root: ${JSON.stringify(session.dir)}\nbuild:\n  timeout: ${timeoutMs}ms\n  flags: ["-toolexec", ${JSON.stringify(wrapper)}]\n`,
    );
    const args = [...DEBUG, '--config', config];
    try {
      await firstRun(args, outside);
      fs.writeFileSync(hold, '');
      const gate = path.join(outside, 'gate');
      const { hw, mark } = markedRun(args, { HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_REMEMBERED_GATE: gate }, outside);
      await waitFor(() => fs.existsSync(started), { description: 'a tool of the remembered build runs', timeoutMs: 60_000 });
      // The start-up is held past build.timeout from the spawn; then the build is adopted, still running.
      await new Promise((r) => setTimeout(r, timeoutMs + 1000));
      fs.writeFileSync(gate, '');
      const adopted = await hw.waitForLog((l) => l.event === 'build.start' && l.early === true, 'the remembered build adopted');
      fs.writeFileSync(release, ''); // from here the build could finish: it must already be over its time
      const result = await hw.waitForLog((l) => l.event === 'build.result', 'the first build ends', { from: hw.logs.indexOf(adopted) });
      expect(result, 'timed out at its adoption, already past build.timeout since its spawn').toMatchObject({ ok: false, timedOut: true });
      await hw.stop('SIGINT');
      await noneLeft(mark);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a stop signal before hotwatch has its own handlers: held, then a clean stop; the build stopped, nothing left', async () => {
    const slow = slowToolsConfig(session.dir);
    const args = [...DEBUG, '--config', slow.config];
    try {
      await firstRun(args, slow.outside);
      fs.rmSync(slow.started, { force: true });
      const gate = path.join(slow.outside, 'gate');
      const { hw, mark } = markedRun(args, { HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_REMEMBERED_GATE: gate }, slow.outside);
      await waitFor(() => fs.existsSync(slow.started), { description: 'a tool of the remembered build runs', timeoutMs: 60_000 });
      hw.proc.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 300));
      expect(hw.proc.exitCode, 'not ended by the signal: it is held').toBe(null);
      expect(hw.proc.signalCode).toBe(null);
      fs.writeFileSync(gate, '');
      const r = await hw.exited;
      expect(r, hw.stderr()).toEqual({ code: 0, signal: null });
      expect(hw.stderr()).toMatch(/SIGINT while starting: stopped; nothing was started/);
      await noneLeft(mark);
    } finally {
      fs.rmSync(slow.outside, { recursive: true, force: true });
    }
  });
});

function cwdOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

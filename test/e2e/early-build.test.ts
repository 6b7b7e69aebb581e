/**
 * The first build spawned as soon as the config is valid (src/startup/early-build.ts), with the built
 * CLI, real go builds and real processes:
 *   - the first cycle adopts it: one build, served, said as started early;
 *   - an edit made after its spawn and before the runtime exists is caught (the catch-up counts from the
 *     spawn) and served;
 *   - the start-up fails after it was spawned (here the status port is taken, found when the runtime
 *     starts, before its first build): hotwatch exits with the error, the build's whole tree (go, a
 *     -toolexec wrapper, its sleep) is stopped, and no app is started.
 * Bad input found before it (the config, the start-up checks, the root's claim) spawns nothing: those
 * are cli-errors.test.ts's.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, goMain, hotwatchSession, pidsWithEnvMarker, startHotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';
import { slowToolsConfig } from '../helpers/slow-tools.js';

const session = hotwatchSession();

describe('the first build spawned before the runtime loads', () => {
  it('is adopted by the first cycle: one build, served', async () => {
    const hw = startHotwatch(['--log-level', 'debug'], { cwd: session.dir, env: { PORT: String(session.port) } });
    session.hw = hw;
    await session.serves('v1');
    const spawned = hw.events('build.start').filter((l) => l.trigger === undefined);
    expect(spawned, 'one go build, started early').toHaveLength(1);
    expect(spawned[0]).toMatchObject({ early: true });
    const timings = await hw.waitForLog((l) => l.event === 'startup.timings', 'the start-up timings');
    const ms = timings.ms as Record<string, number>;
    expect(ms.build, 'spawned before the watch stack was even loaded').toBeLessThan(ms.watchLoaded!);
    await new Promise((r) => setTimeout(r, 1000));
    expect(hw.events('build.start').filter((l) => l.trigger !== undefined)).toHaveLength(1);
    expect(hw.events('build.early-abandoned')).toEqual([]);
  });

  it('an edit made after it was spawned, before the runtime exists, is built and served', async () => {
    const gate = path.join(path.dirname(session.dir), `${path.basename(session.dir)}.gate`);
    try {
      const hw = startHotwatch([], {
        cwd: session.dir,
        env: { PORT: String(session.port), HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_STARTUP_GATE: gate },
      });
      session.hw = hw;
      // The claim is recorded in state.json, and the build spawned right after it: then the save.
      await waitFor(() => fs.existsSync(path.join(session.dir, '.hotwatch', 'state.json')), {
        description: 'the root claimed',
        timeoutMs: 60_000,
      });
      await new Promise((r) => setTimeout(r, 200));
      fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2'));
      fs.writeFileSync(gate, '');
      const caught = await hw.waitForLog((l) => l.event === 'watch.arming-changes', 'the edit made before watching is found');
      expect(String(caught.msg)).toMatch(/main\.go/);
      await session.serves('v2');
    } finally {
      fs.rmSync(gate, { force: true });
    }
  });

  it('a start-up held before anything is logged is said every 15 s with its step, never silence', { timeout: 90_000 }, async () => {
    const gate = path.join(path.dirname(session.dir), `${path.basename(session.dir)}.slow-gate`);
    try {
      const hw = startHotwatch([], {
        cwd: session.dir,
        env: { PORT: String(session.port), HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_STARTUP_GATE: gate },
      });
      session.hw = hw;
      await waitFor(() => /still starting after 1\d s: spawning the first build/.test(hw.stderr()), {
        description: `the held start-up is said\n${hw.stderr().slice(-1000)}`,
        timeoutMs: 40_000,
      });
      fs.writeFileSync(gate, '');
      await session.serves('v1');
    } finally {
      fs.rmSync(gate, { force: true });
    }
  });

  it('the start-up fails after it was spawned (the proxy port taken meanwhile): its whole tree is stopped, no app starts', async () => {
    const proxyPort = await freePort();
    const held = await withEarlyBuildHeld(['--proxy-port', String(proxyPort)]);
    // Free at the start-up checks, taken before the proxy listens: the runtime fails before its first build.
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(proxyPort, '127.0.0.1', resolve));
    try {
      fs.writeFileSync(held.gate, '');
      const r = await held.hw.exited;
      expect(r.code, held.hw.stderr()).not.toBe(0);
      expect(held.hw.events('fatal'), held.hw.stderr()).toHaveLength(1);
      await held.expectAbandoned();
    } finally {
      holder.close();
      held.cleanUp();
    }
  });

  it('hotwatch is stopped while it runs unadopted: its whole tree is stopped, nothing was started', async () => {
    const held = await withEarlyBuildHeld([]);
    try {
      held.hw.proc.kill('SIGTERM');
      const r = await held.hw.exited;
      expect(held.hw.stderr()).toMatch(/while starting: stopped; nothing was started/);
      expect(r.code, held.hw.stderr()).not.toBe(null);
      await held.expectAbandoned();
    } finally {
      held.cleanUp();
    }
  });
});

/**
 * hotwatch with its first build spawned early and held there (HOTWATCH_TEST_STARTUP_GATE: the rest of
 * the start-up waits for the gate file), the build's tools run through a wrapper that never ends by
 * itself. Resolves once a tool of that build runs.
 */
async function withEarlyBuildHeld(args: string[]) {
  const marker = `early-build-${process.pid}-${Date.now()}`;
  const { outside, started, config } = slowToolsConfig(session.dir);
  const gate = path.join(outside, 'gate');
  const hw = startHotwatch(['--config', config, '--log-level', 'debug', ...args], {
    cwd: outside,
    env: { PORT: String(session.port), HW_EARLY_BUILD_MARK: marker, HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_STARTUP_GATE: gate },
  });
  await waitFor(() => fs.existsSync(started), { description: 'the early build runs its first tool', timeoutMs: 60_000 });
  expect(pidsWithEnvMarker('HW_EARLY_BUILD_MARK', marker).length, 'the build and its tools run').toBeGreaterThan(1);
  return {
    hw,
    gate,
    /** Stopped and waited for before hotwatch exited: nothing of go, the wrapper or its sleep is left, no app. */
    expectAbandoned: async () => {
      expect(hw.events('app.start')).toEqual([]);
      expect(fs.existsSync(path.join(session.dir, '.hotwatch', 'bin', 'app')), 'no binary was linked').toBe(false);
      await waitFor(() => pidsWithEnvMarker('HW_EARLY_BUILD_MARK', marker).length === 0, {
        description: 'no process of the abandoned build left',
        timeoutMs: 5_000,
      });
    },
    cleanUp: () => fs.rmSync(outside, { recursive: true, force: true }),
  };
}

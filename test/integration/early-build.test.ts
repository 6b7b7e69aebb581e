/**
 * The first build spawned before the runtime (src/startup/early-build.ts), with real processes: adopted by
 * runBuild only when it is that very build (its output handed over whole), stopped with its whole tree
 * otherwise, and when the start-up ends before the first build.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { EarlyBuild } from '../../src/startup/early-build.js';
import { runBuild } from '../../src/supervisor/build.js';
import { pidsWithEnv } from '../../src/os/procfs.js';
import { openLogger } from '../../src/log/logger.js';
import { waitFor } from '../helpers/wait.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A root whose build.cmd says it started (a file), prints two lines, then waits `sleep` seconds. */
async function rootWith(sleep: number, extra = '') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hw-early-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/early\n\ngo 1.21\n');
  const cmd = `touch started; echo one; echo two; sleep ${sleep}; printf 'package main\\n' > /dev/null; touch .hotwatch/bin/app`;
  fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), `build:\n  cmd: ${JSON.stringify(cmd)}\n${extra}`);
  const settings = await loadSettings({ cwd: dir, isTTY: false });
  return { dir, settings };
}

const log = () => openLogger({ format: 'json', level: 'debug', destination: new PassThrough() });

describe('the first build spawned early', () => {
  it('is adopted by the first build when it is that build: one process, its output whole', async () => {
    const { dir, settings } = await rootWith(0.3);
    const marker = `early-${process.pid}-${Date.now()}`;
    const early = EarlyBuild.start(settings, { ...process.env, HW_EARLY_TEST: marker });
    expect(early, 'a plain build.cmd may start early').toBeDefined();
    await waitFor(() => fs.existsSync(path.join(dir, 'started')), { description: 'the early build runs', timeoutMs: 10_000 });
    const lines: string[] = [];
    const r = await runBuild(settings.build, {
      signal: new AbortController().signal,
      log: await log(),
      env: { ...process.env, HW_EARLY_TEST: marker },
      onLine: (l) => lines.push(l),
      early,
    });
    expect(r.ok, r.output).toBe(true);
    expect(lines).toEqual(['one', 'two']);
    // Started once: the build the early spawn began (its duration counts from that spawn).
    expect(r.durationMs).toBeGreaterThanOrEqual(300);
    expect(early!.pending).toBe(false);
    await early!.abandon(); // a no-op once adopted
  });

  it('is stopped, whole tree, when the build to run is another (a different environment): the build then runs anew', async () => {
    const { dir, settings } = await rootWith(60);
    const marker = `early-${process.pid}-${Date.now()}`;
    const early = EarlyBuild.start(settings, { ...process.env, HW_EARLY_TEST: marker })!;
    await waitFor(() => fs.existsSync(path.join(dir, 'started')), { description: 'the early build runs', timeoutMs: 10_000 });
    expect(pidsWithEnv('HW_EARLY_TEST', marker).length, 'the shell and its sleep').toBeGreaterThan(0);
    fs.rmSync(path.join(dir, 'started'));
    const stop = new AbortController();
    const other = `other-${marker}`;
    const running = runBuild(settings.build, {
      signal: stop.signal,
      log: await log(),
      env: { ...process.env, HW_EARLY_TEST: other },
      early,
    });
    await waitFor(() => pidsWithEnv('HW_EARLY_TEST', marker).length === 0, { description: 'the early build is gone', timeoutMs: 10_000 });
    await waitFor(() => fs.existsSync(path.join(dir, 'started')), { description: 'a build of its own runs', timeoutMs: 10_000 });
    expect(pidsWithEnv('HW_EARLY_TEST', other).length).toBeGreaterThan(0);
    stop.abort();
    expect((await running).canceled).toBe(true);
  });

  it('abandoned (the start-up ended before the first build): its whole tree stopped and waited for; never adopted after', async () => {
    const { dir, settings } = await rootWith(60);
    const marker = `early-${process.pid}-${Date.now()}`;
    const env = { ...process.env, HW_EARLY_TEST: marker };
    const early = EarlyBuild.start(settings, env)!;
    await waitFor(() => fs.existsSync(path.join(dir, 'started')), { description: 'the early build runs', timeoutMs: 10_000 });
    await early.abandon();
    expect(pidsWithEnv('HW_EARLY_TEST', marker), 'nothing of it is left once abandon resolves').toEqual([]);
    expect(fs.existsSync(path.join(dir, '.hotwatch', 'bin', 'app')), 'it never wrote the binary').toBe(false);
    const adopted = await early.adopt({ file: '/bin/sh', args: [], cwd: dir, env }, () => undefined, await log());
    expect(adopted).toBeUndefined();
  });

  it('is not started when the first build must wait for the watches (build.steps) or in service mode', async () => {
    const steps = await rootWith(0, '  steps:\n    - run: ["true"]\n');
    expect(EarlyBuild.start(steps.settings)).toBeUndefined();
    const plain = await rootWith(0);
    expect(EarlyBuild.start(plain.settings, { ...process.env, NOTIFY_SOCKET: '/run/systemd/notify' })).toBeUndefined();
  });
});

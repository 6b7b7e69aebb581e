/**
 * Live config reload through the real `hotwatch run` (issue 17): real go builds, real files, the real
 * control socket, a real SIGHUP, a real AF_UNIX datagram listener standing in for systemd.
 *   - a watch-only change reconciles the watches: the app keeps its pid, the newly excluded directory
 *     no longer builds, the newly included one does;
 *   - a run change restarts the app once, without a build;
 *   - an invalid edit is rejected with file:line:col, the old config keeps running;
 *   - `hotwatch reload` over the socket, with RELOADING=1 (MONOTONIC_USEC) then READY=1 to systemd;
 *   - a config outside the root (--config) is watched too, and still reloads after a long quiet spell;
 *   - SIGHUP reloads with service.sighup: reload.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { escapeControls } from '../../src/log/pretty.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { freePort, httpGet, inotifyWatches, runCli, startHotwatch, type Hotwatch, type LogLine } from '../helpers/hotwatch.js';
import { startNotifyReceiver } from '../helpers/notify-receiver.js';
import { isAlive, waitFor } from '../helpers/wait.js';
import { ARGS_TAG_MAIN, startListening } from '../helpers/reload-app.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function project(config: string): string {
  const tmp = makeTmpDir('hotwatch-reload-');
  cleanups.push(tmp.cleanup);
  const dir = tmp.dir;
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
  fs.writeFileSync(path.join(dir, 'main.go'), ARGS_TAG_MAIN);
  for (const d of ['a', 'b']) {
    fs.mkdirSync(path.join(dir, d, 'deep'), { recursive: true });
    fs.writeFileSync(path.join(dir, d, 'deep', `${d}.go`), `package deep\n`);
  }
  fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), config);
  return dir;
}

const start = (dir: string, env: NodeJS.ProcessEnv = {}, args: string[] = []) => startListening(dir, cleanups, env, args);

/** Writes the config and waits for the reload it causes (the file watch), from log index `from`. */
async function edit(hw: Hotwatch, file: string, text: string, event = 'config.reloaded'): Promise<LogLine> {
  const from = hw.logs.length;
  fs.writeFileSync(file, text);
  return hw.waitForLog((l) => l.event === event, `${event} after the config edit`, { from });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('live config reload (e2e)', () => {
  it('a watch-only change reconciles the watches: same app pid; the newly excluded dir does not build, the newly included one does', async () => {
    const dir = project('watch:\n  exclude: ["a/**"]\n');
    const { hw, pid } = await start(dir);
    const from = hw.logs.length;
    const reloaded = await edit(hw, path.join(dir, 'watcher.config.yaml'), 'watch:\n  exclude: ["b/**"]\n');
    expect(reloaded.changes).toMatchObject({ watch: ['watch.exclude'], build: [], run: [], restart: [] });
    // a/ and a/deep armed, b/ and b/deep dropped: reconciled, not re-armed.
    expect(reloaded.watch).toMatchObject({ how: 'reconciled', added: 2, removed: 2 });
    expect(reloaded.msg).toMatch(/watch\.exclude: watches reconciled, the app left running/);

    // An edit in the newly excluded dir: nothing. Then one in the newly included dir: a build of it alone.
    fs.writeFileSync(path.join(dir, 'b', 'deep', 'b.go'), 'package deep\n\n// edited\n');
    await sleep(1500);
    fs.writeFileSync(path.join(dir, 'a', 'deep', 'a.go'), 'package deep\n\n// edited\n');
    const build = await hw.waitForLog((l) => l.event === 'build.start', 'a build for a/deep/a.go', { from });
    expect(build.trigger).toBe('a/deep/a.go');
    expect(build.files).toBe(1);
    await hw.waitForLog((l) => l.event === 'build.done' || l.event === 'build.same-binary', 'the build ends', { from });
    await sleep(1000);
    const builds = hw.events('build.start', from);
    expect(builds.map((b) => b.trigger)).toEqual(['a/deep/a.go']);
    // The app was never restarted for the reload: the same process serves (the build of an unused package
    // makes the same binary).
    expect(hw.events('app.start', from)).toEqual([]);
    expect(isAlive(pid)).toBe(true);

    // The kernel's side: excluding a/ as well drops its two watches (hotwatch's and its helper's inotify fds).
    const held = inotifyWatches(hw.pid);
    const more = await edit(hw, path.join(dir, 'watcher.config.yaml'), 'watch:\n  exclude: ["a/**", "b/**"]\n');
    expect(more.watch).toMatchObject({ how: 'reconciled', added: 0, removed: 2 });
    await waitFor(() => inotifyWatches(hw.pid) === held - 2, {
      description: `the kernel holds 2 watches fewer than ${held} (now ${inotifyWatches(hw.pid)})`,
      timeoutMs: 10_000,
    });
    expect(isAlive(pid)).toBe(true);
  }, 120_000);

  it('polling (--poll): a watch-only change starts the poller again with the new lists, the app untouched', async () => {
    const dir = project('watch:\n  exclude: ["a/**"]\n');
    const { hw, pid } = await start(dir, {}, ['--poll']);
    const from = hw.logs.length;
    const reloaded = await edit(hw, path.join(dir, 'watcher.config.yaml'), 'watch:\n  exclude: ["b/**"]\n');
    expect(reloaded.watch).toMatchObject({ how: 'repolled' });
    fs.writeFileSync(path.join(dir, 'b', 'deep', 'b.go'), 'package deep\n\n// edited\n');
    await sleep(2500); // more than a poll interval (1 s)
    fs.writeFileSync(path.join(dir, 'a', 'deep', 'a.go'), 'package deep\n\n// edited\n');
    const build = await hw.waitForLog((l) => l.event === 'build.start', 'a build for a/deep/a.go', { from });
    expect(build.trigger).toBe('a/deep/a.go');
    expect(hw.events('build.start', from)).toHaveLength(1);
    expect(hw.events('app.start', from)).toEqual([]);
    expect(isAlive(pid)).toBe(true);
  }, 120_000);

  it('a run change (run.args, run.env) restarts the app once, with no build', async () => {
    const dir = project('run:\n  args: ["one"]\n  env:\n    TAG: first\n');
    const { hw, port, pid } = await start(dir);
    expect(await httpGet(port)).toBe('args=[one] tag=first');
    const from = hw.logs.length;
    const reloaded = await edit(hw, path.join(dir, 'watcher.config.yaml'), 'run:\n  args: ["two"]\n  env:\n    TAG: second\n');
    expect(reloaded.changes).toMatchObject({ run: ['run.args', 'run.env'], build: [], watch: [] });
    await waitFor(async () => (await httpGet(port)) === 'args=[two] tag=second', {
      description: 'the app runs with the new settings',
      timeoutMs: 30_000,
    });
    await sleep(1500);
    const starts = hw.events('app.start', from);
    expect(starts).toHaveLength(1);
    expect(starts[0]!.pid).not.toBe(pid);
    expect(hw.events('build.start', from)).toEqual([]);
    expect(isAlive(pid)).toBe(false);
  }, 120_000);

  it('a build change (build.flags) rebuilds once, and the new build serves', async () => {
    const dir = project('run:\n  args: ["one"]\n');
    const { hw, pid } = await start(dir);
    const from = hw.logs.length;
    const reloaded = await edit(hw, path.join(dir, 'watcher.config.yaml'), 'run:\n  args: ["one"]\nbuild:\n  flags: ["-ldflags=-s"]\n');
    expect(reloaded.changes).toMatchObject({ build: ['build.flags'], run: [], watch: [] });
    await hw.lastBuildListens(from, 'the rebuilt app listens');
    await sleep(1500);
    const builds = hw.events('build.start', from);
    expect(builds).toHaveLength(1);
    expect(builds[0]!.rescan).toEqual(['config reload: build.flags changed']);
    expect(hw.events('app.start', from)).toHaveLength(1);
    expect(isAlive(pid)).toBe(false);
  }, 120_000);

  it('an invalid edit is rejected with file:line:col; the old config keeps running, and `hotwatch reload` says the same (exit 1)', async () => {
    const dir = project('watch:\n  exclude: ["a/**"]\nrun:\n  args: ["one"]\n');
    const { hw, port, pid } = await start(dir);
    const config = path.join(dir, 'watcher.config.yaml');
    const from = hw.logs.length;
    const rejected = await edit(
      hw,
      config,
      'watch:\n  exclude: ["b/**"]\nrun:\n  args: ["two"]\n  argz: ["x"]\n',
      'config.reload-rejected',
    );
    expect(rejected.level).toBe(50); // error
    expect(String(rejected.error)).toMatch(/^watcher\.config\.yaml:5:3 run\.argz: unknown key/);
    expect(rejected.msg).toMatch(/rejected, the running config is kept/);
    const cli = await runCli(['reload'], { cwd: dir, timeoutMs: 30_000 });
    expect(cli.code, cli.stderr).toBe(1);
    expect(cli.stderr).toMatch(/watcher\.config\.yaml:5:3 run\.argz: unknown key/);
    // The old config runs: same app, old args, a/ still excluded, b/ still watched.
    await sleep(1000);
    expect(hw.events('app.start', from)).toEqual([]);
    expect(isAlive(pid)).toBe(true);
    expect(await httpGet(port)).toBe('args=[one] tag=');
    fs.writeFileSync(path.join(dir, 'a', 'deep', 'a.go'), 'package deep\n\n// edited\n');
    await sleep(1500);
    fs.writeFileSync(path.join(dir, 'b', 'deep', 'b.go'), 'package deep\n\n// edited\n');
    const build = await hw.waitForLog((l) => l.event === 'build.start', 'a build for b/deep/b.go', { from });
    expect(build.trigger).toBe('b/deep/b.go');
    // Fixed: applied.
    const fixed = await edit(hw, config, 'watch:\n  exclude: ["a/**"]\nrun:\n  args: ["two"]\n');
    expect(fixed.changes).toMatchObject({ run: ['run.args'] });
    await waitFor(async () => (await httpGet(port)) === 'args=[two] tag=', { description: 'the fixed config applies', timeoutMs: 30_000 });
    // Several problems: one indented line each, so the terminal's log shows them as lines (no literal \n).
    const two = await edit(hw, config, 'watch:\n  exclude: ["b/**"]\nrun:\n  argz: ["x"]\nlog:\n  level: loud\n', 'config.reload-rejected');
    expect(two.msg).toMatch(/kept:\n {2}watcher\.config\.yaml: 2 problems\n {2}watcher\.config\.yaml:4:3 run\.argz: unknown key/);
    expect(escapeControls(String(two.msg))).not.toContain('\\n');
  }, 120_000);

  it('a build.package that is no program (a library, a directory not there) is rejected as at start; the running app is kept', async () => {
    const dir = project('run:\n  args: ["one"]\n');
    fs.mkdirSync(path.join(dir, 'greet'));
    fs.writeFileSync(path.join(dir, 'greet', 'greet.go'), 'package greet\n\nconst Hello = "hi"\n');
    const { hw, port, pid } = await start(dir);
    const config = path.join(dir, 'watcher.config.yaml');
    const from = hw.logs.length;
    const library = await edit(hw, config, 'run:\n  args: ["one"]\nbuild:\n  package: ./greet\n', 'config.reload-rejected');
    expect(String(library.error)).toMatch(
      /^watcher\.config\.yaml:4:12 build\.package "\.\/greet": .*greet is package greet \(a library\), not package main/,
    );
    expect(String(library.error)).toContain('fix: set build.package: . in watcher.config.yaml');
    const missing = await edit(hw, config, 'run:\n  args: ["one"]\nbuild:\n  package: ./nope\n', 'config.reload-rejected');
    expect(String(missing.error)).toMatch(/build\.package \.\/nope: .*nope does not exist/);
    await sleep(1000);
    expect(hw.events('build.start', from)).toEqual([]);
    expect(hw.events('app.start', from)).toEqual([]);
    expect(isAlive(pid)).toBe(true);
    expect(await httpGet(port)).toBe('args=[one] tag=');
  }, 120_000);

  it('`hotwatch reload` over the control socket, between RELOADING=1 (with MONOTONIC_USEC) and READY=1 to systemd; keys that cannot change live are named', async () => {
    const dir = project('run:\n  args: ["one"]\n');
    const r = await startNotifyReceiver(path.join(dir, 'notify.sock'));
    cleanups.push(() => r.close());
    const { hw } = await start(dir, { NOTIFY_SOCKET: r.address });
    const ready = await r.waitForLine('READY=1', { timeoutMs: 30_000 });
    const cli = await runCli(['reload'], { cwd: dir, timeoutMs: 30_000 });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/no setting changed/);
    const reloading = await r.waitForLine('RELOADING=1', { from: ready + 1 });
    const monotonic = r.received[reloading]!.lines.find((l) => l.startsWith('MONOTONIC_USEC='));
    expect(Number(monotonic?.slice('MONOTONIC_USEC='.length))).toBeGreaterThan(0);
    // CLOCK_MONOTONIC: the receiver's own stamp of that datagram is at or after it.
    expect(r.received[reloading]!.atUs).toBeGreaterThanOrEqual(Number(monotonic?.slice('MONOTONIC_USEC='.length)));
    await r.waitForLine('READY=1', { from: reloading + 1 });

    // An invalid edit: rejected, and said in STATUS= with its file:line:col, between RELOADING=1 and READY=1.
    const before = r.received.length;
    await edit(hw, path.join(dir, 'watcher.config.yaml'), 'run:\n  args: ["one"]\n  argz: 1\n', 'config.reload-rejected');
    const again = await r.waitForLine('RELOADING=1', { from: before });
    const rejected = await r.waitForLine(
      /^STATUS=config reload rejected \(the old config keeps running\): watcher\.config\.yaml:3:3 run\.argz: unknown key/,
      {
        from: again,
      },
    );
    expect(r.received[rejected]!.lines).toContain('READY=1');

    // A key that cannot change live: named, the rest applied.
    const from = hw.logs.length;
    fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), 'run:\n  args: ["one"]\ndebounce:\n  quiet: 80ms\n');
    const reloaded = await hw.waitForLog((l) => l.event === 'config.reloaded', 'the reload', { from });
    expect(reloaded.level).toBe(40); // warn: something was not applied
    expect(reloaded.msg).toMatch(/debounce\.quiet: NOT applied, needs a restart of hotwatch/);
  }, 120_000);

  it('a config outside the root (--config) is watched on its own; SIGHUP reloads with service.sighup: reload', async () => {
    const dir = project('');
    fs.rmSync(path.join(dir, 'watcher.config.yaml'));
    const cfgDir = path.join(dir, '..', `${path.basename(dir)}-cfg`);
    fs.mkdirSync(cfgDir);
    cleanups.push(() => fs.rmSync(cfgDir, { recursive: true, force: true }));
    const config = path.join(cfgDir, 'watcher.config.yaml');
    const text = (args: string) => `root: ../${path.basename(dir)}\nservice:\n  sighup: reload\nrun:\n  args: ["${args}"]\n`;
    fs.writeFileSync(config, text('one'));
    const { hw, port } = await start(dir, {}, ['--config', config]);
    expect(hw.events('config.watch-outside')).toHaveLength(1);
    await edit(hw, config, text('two'));
    await waitFor(async () => (await httpGet(port)) === 'args=[two] tag=', {
      description: 'the outside config applies',
      timeoutMs: 30_000,
    });

    const from = hw.logs.length;
    hw.proc.kill('SIGHUP');
    const reloaded = await hw.waitForLog((l) => l.event === 'config.reloaded', 'the SIGHUP reload', { from });
    expect(reloaded.trigger).toBe('SIGHUP');
    await sleep(1000);
    expect(hw.proc.exitCode).toBeNull();
    expect(hw.events('shutdown', from)).toEqual([]);
  }, 120_000);

  it('a config outside the root still reloads when edited after a long quiet spell (its check slows down, never stops)', async () => {
    const dir = project('');
    fs.rmSync(path.join(dir, 'watcher.config.yaml'));
    const cfgDir = path.join(dir, '..', `${path.basename(dir)}-quiet-cfg`);
    fs.mkdirSync(cfgDir);
    cleanups.push(() => fs.rmSync(cfgDir, { recursive: true, force: true }));
    const config = path.join(cfgDir, 'watcher.config.yaml');
    const text = (args: string) => `root: ../${path.basename(dir)}\nrun:\n  args: ["${args}"]\n`;
    fs.writeFileSync(config, text('one'));
    const { hw, port } = await start(dir, {}, ['--config', config]);
    expect(hw.events('config.watch-outside')).toHaveLength(1);
    await sleep(15_000); // quiet: the check is at its longest wait (5 s) by now
    const from = hw.logs.length;
    fs.writeFileSync(config, text('two'));
    await hw.waitForLog((l) => l.event === 'config.reloaded', 'the reload after the quiet spell', { from, timeoutMs: 30_000 });
    await waitFor(async () => (await httpGet(port)) === 'args=[two] tag=', { description: 'the edit applies', timeoutMs: 30_000 });
  }, 120_000);

  it('a config inside the root that the watch lists exclude is watched on its own: its edits still reload', async () => {
    const dir = project('watch:\n  exclude: ["*.yaml"]\nrun:\n  args: ["one"]\n');
    const { hw, port } = await start(dir);
    const own = hw.events('config.watch-outside');
    expect(own).toHaveLength(1);
    expect(own[0]!.why).toBe('the watch lists exclude it');
    await edit(hw, path.join(dir, 'watcher.config.yaml'), 'watch:\n  exclude: ["*.yaml"]\nrun:\n  args: ["two"]\n');
    await waitFor(async () => (await httpGet(port)) === 'args=[two] tag=', { description: 'the edit applies', timeoutMs: 30_000 });
  }, 120_000);

  it('a root reached through a symlink (--root link): its config is inside the root, reported by the watcher, and reloads', async () => {
    const dir = project('run:\n  args: ["one"]\n');
    const link = `${dir}-link`;
    fs.symlinkSync(dir, link);
    cleanups.push(() => fs.rmSync(link, { force: true }));
    const { hw, port } = await start(path.dirname(dir), {}, ['--root', link]);
    // The config's path (through the link) and the root (resolved) name the same directory.
    expect(hw.events('config.watch-outside')).toEqual([]);
    await edit(hw, path.join(link, 'watcher.config.yaml'), 'run:\n  args: ["two"]\n');
    await waitFor(async () => (await httpGet(port)) === 'args=[two] tag=', { description: 'the edit applies', timeoutMs: 30_000 });
    // Its edit reloads the config only: nothing builds.
    expect(hw.events('build.start')).toHaveLength(1);
  }, 120_000);

  it('without service.sighup, SIGHUP still stops hotwatch (a closed terminal), exit 0', async () => {
    const dir = project('run:\n  args: ["one"]\n');
    const port = await freePort();
    const hw = startHotwatch([], { cwd: dir, env: { PORT: String(port) }, waitTimeoutMs: 60_000 });
    cleanups.push(() => hw.stop());
    await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens');
    hw.proc.kill('SIGHUP');
    expect((await hw.exited).code).toBe(0);
    expect(hw.events('config.reloaded')).toEqual([]);
  }, 120_000);
});

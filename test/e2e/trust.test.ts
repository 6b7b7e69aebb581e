/**
 * Issue 14, "trust nothing": what hotwatch finds in the root (a forged `.hotwatch/state.json`, symlinks
 * planted under `.hotwatch/`, a `.hotwatch` of another user), the umask it is started with, a second
 * hotwatch racing it for the root, a `--root` that is a symlink, and file names that carry control
 * characters into the log. Each case through the built CLI, with real files, processes and users.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';
import { BIN, freePort, httpGet, runCli, startHotwatch, writeGoApp, type Hotwatch } from '../helpers/hotwatch.js';
import { OTHER_UID, innocentProcess, modeOf, otherFilesystemDir, requireRoot, snapshot } from '../helpers/trust.js';

let tmp: ReturnType<typeof makeTmpDir>;
/** A directory outside the root: hotwatch must never create or change anything in it. */
let outside: ReturnType<typeof makeTmpDir>;
let port: number;
const started: Hotwatch[] = [];
const cleanups: Array<() => void> = [];

beforeEach(async () => {
  tmp = makeTmpDir();
  outside = makeTmpDir('hotwatch-outside-');
  port = await freePort();
  writeGoApp(tmp.dir, 'v1');
});

afterEach(async () => {
  for (const hw of started.splice(0)) await hw.stop();
  for (const c of cleanups.splice(0)) c();
  tmp.cleanup();
  outside.cleanup();
});

const root = (...p: string[]): string => path.join(tmp.dir, ...p);
const serves = (v: string) =>
  waitFor(async () => (await httpGet(port)) === `v=${v}`, { description: `the app serves v=${v}`, timeoutMs: 60_000 });
function start(args: string[] = [], opts: { env?: NodeJS.ProcessEnv; wrap?: string[]; cwd?: string } = {}): Hotwatch {
  const hw = startHotwatch(args, {
    cwd: opts.cwd ?? tmp.dir,
    env: { PORT: String(port), ...opts.env },
    ...(opts.wrap ? { wrap: opts.wrap } : {}),
  });
  started.push(hw);
  return hw;
}
async function stopClean(hw: Hotwatch): Promise<void> {
  const r = await hw.stop();
  expect(r.code, `hotwatch exit\n${hw.stderr().slice(-3000)}`).toBe(0);
}

describe('.hotwatch/state.json is acted on only when the process carries the recorded marker', () => {
  it('a forged state.json naming an unrelated process group: nothing is signalled, and the log says the file was ignored and why', async () => {
    const victim = innocentProcess();
    cleanups.push(() => {
      if (isAlive(victim.pid)) process.kill(victim.pid, 'SIGKILL');
    });
    fs.mkdirSync(root('.hotwatch'), { mode: 0o700 });
    const forged = {
      hotwatch: { pid: 999_999_999, startTime: 1 },
      app: {
        pid: victim.pid,
        startTime: victim.startTime,
        marker: { key: 'HOTWATCH_APP_ID', value: '0b5e7d2a-1c3f-4e5a-9b7c-8d9e0f1a2b3c' },
      },
    };
    fs.writeFileSync(root('.hotwatch/state.json'), JSON.stringify(forged));

    const hw = start();
    await serves('v1');
    const ignored = await hw.waitForLog((l) => l.event === 'state.ignored', 'the forged state file is reported as ignored', {
      timeoutMs: 10_000,
    });
    expect(ignored.msg).toMatch(/state\.json.*ignored/);
    expect(ignored.msg).toContain(`pid ${victim.pid}`);
    expect(ignored.msg).toMatch(/does not carry.*HOTWATCH_APP_ID/);
    expect(hw.events('app.leftover')).toEqual([]);
    expect(isAlive(victim.pid), 'the unrelated process was signalled').toBe(true);
    await stopClean(hw);
    expect(isAlive(victim.pid)).toBe(true);
  });
});

describe('the cached inotify helper is run only from a directory nobody else controls', () => {
  it('a cache directory of another user holding a planted helper: not run; hotwatch serves, and says why in one line', async () => {
    requireRoot();
    const cache = path.join(outside.dir, 'cache');
    fs.mkdirSync(cache);
    const pwned = path.join(outside.dir, 'pwned');
    const src = path.join(path.dirname(BIN), '..', 'src/watch/native/helper');
    const hash = crypto.createHash('sha256');
    for (const f of ['main.go', 'go.mod']) hash.update(fs.readFileSync(path.join(src, f)));
    fs.writeFileSync(
      path.join(cache, `hotwatch-inotify-${hash.digest('hex').slice(0, 16)}-${process.arch}`),
      `#!/bin/sh\ntouch '${pwned}'\n`,
      { mode: 0o755 },
    );
    for (const p of [cache, ...fs.readdirSync(cache).map((f) => path.join(cache, f))]) fs.chownSync(p, OTHER_UID, OTHER_UID);
    const hw = start([], { env: { HOTWATCH_CACHE_DIR: cache } });
    await serves('v1');
    const said = await hw.waitForLog((l) => l.event === 'inotify-helper.cache', 'the untrusted cache is reported', { timeoutMs: 10_000 });
    expect(said.level).toBe(40);
    expect(said.msg).toMatch(
      new RegExp(`cache directory ${cache} is owned by uid ${OTHER_UID}, not by you: .* built into .* instead; fix: `),
    );
    expect(said.msg).not.toContain('\n');
    // The app may serve before the watches are ready (the first build runs while arming).
    expect((await hw.waitForLog((l) => l.event === 'watch.ready', 'watching is ready')).reason).toMatch(/hotwatch-inotify/);
    expect(fs.existsSync(pwned), 'the planted helper ran').toBe(false);
    await stopClean(hw);
  });
});

describe('nothing is written through a symlink, or into a .hotwatch of another user', () => {
  it('.hotwatch itself a symlink (to a directory outside): exit 2 with the fix, nothing written through it', async () => {
    fs.symlinkSync(outside.dir, root('.hotwatch'));
    const r = await runCli(['run'], { cwd: tmp.dir, env: { ...process.env, PORT: String(port) }, timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/\.hotwatch is a symbolic link/);
    expect(r.stderr).toMatch(/fix: .*rm .*\.hotwatch/);
    expect(fs.readdirSync(outside.dir)).toEqual([]);
    expect(await httpGet(port)).toBeUndefined();
  });

  it('.hotwatch owned by another user: exit 2 with the fix, nothing written into it', async () => {
    requireRoot();
    fs.mkdirSync(root('.hotwatch'), { mode: 0o755 });
    fs.chownSync(root('.hotwatch'), OTHER_UID, OTHER_UID);
    const r = await runCli(['run'], { cwd: tmp.dir, env: { ...process.env, PORT: String(port) }, timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`\\.hotwatch is owned by uid ${OTHER_UID}`));
    expect(r.stderr).toMatch(/fix: /);
    expect(fs.readdirSync(root('.hotwatch'))).toEqual([]);
  });

  it('symlinks at .gitignore, state.json, its temporary name, bin/app and watchdog: nothing outside the root is created or changed', async () => {
    // Go's temp dir on another filesystem: go build then copies the binary into place instead of renaming it.
    const gotmp = otherFilesystemDir(tmp.dir);
    cleanups.push(gotmp.cleanup);
    fs.copyFileSync('/bin/true', path.join(outside.dir, 'victim-bin'));
    fs.chmodSync(path.join(outside.dir, 'victim-bin'), 0o755);
    fs.writeFileSync(path.join(outside.dir, 'keep.txt'), 'keep me\n');
    fs.mkdirSync(path.join(outside.dir, 'watchdog'));
    const before = snapshot(outside.dir);

    fs.mkdirSync(root('.hotwatch/bin'), { recursive: true, mode: 0o700 });
    fs.symlinkSync(path.join(outside.dir, 'gitignore-created'), root('.hotwatch/.gitignore'));
    fs.symlinkSync(path.join(outside.dir, 'keep.txt'), root('.hotwatch/state.json'));
    fs.symlinkSync(path.join(outside.dir, 'victim-bin'), root('.hotwatch/bin/app'));
    fs.symlinkSync(path.join(outside.dir, 'watchdog'), root('.hotwatch/watchdog'));
    // The state file's temporary name as today's hotwatch spells it (state.json.<pid>.tmp): `exec` keeps the pid.
    const plantTmp = `ln -s '${path.join(outside.dir, 'tmp-created')}' '${root('.hotwatch')}'/state.json.$$.tmp`;

    const hw = start([], { env: { GOTMPDIR: gotmp.dir }, wrap: ['sh', '-c', `${plantTmp}; exec "$@"`, 'sh'] });
    await serves('v1');
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watching');
    expect(snapshot(outside.dir), 'nothing outside the root created or changed while running').toEqual(before);
    for (const p of ['.gitignore', 'bin/app']) expect(fs.lstatSync(root('.hotwatch', p)).isFile(), `${p} is a regular file now`).toBe(true);
    expect(fs.lstatSync(root('.hotwatch/state.json')).isFile()).toBe(true);
    await stopClean(hw);
    expect(snapshot(outside.dir), 'nothing outside the root created or changed').toEqual(before);
  });

  it('.hotwatch/bin a symlink to a directory outside: the build never writes there', async () => {
    fs.mkdirSync(root('.hotwatch'), { mode: 0o700 });
    fs.symlinkSync(outside.dir, root('.hotwatch/bin'));
    const hw = start();
    await serves('v1');
    expect(fs.readdirSync(outside.dir)).toEqual([]);
    expect(fs.lstatSync(root('.hotwatch/bin')).isDirectory()).toBe(true);
    await stopClean(hw);
    expect(fs.readdirSync(outside.dir)).toEqual([]);
  });
});

describe('modes do not follow the umask', () => {
  it('under umask 000: .hotwatch, bin, state.json, .gitignore and the binary are not writable by group or others', async () => {
    const hw = start([], { wrap: ['sh', '-c', 'umask 000; exec "$@"', 'sh'] });
    await serves('v1');
    const modes = Object.fromEntries(
      ['', 'bin', 'state.json', '.gitignore', 'bin/app'].map((p) => [p || '.hotwatch', modeOf(root('.hotwatch', p)).toString(8)]),
    );
    expect(modes).toEqual({ '.hotwatch': '700', bin: '700', 'state.json': '600', '.gitignore': '644', 'bin/app': '755' });
    await stopClean(hw);
  });
});

describe('one hotwatch per root, claimed atomically', () => {
  it('two hotwatch claiming one root at once (the claim window widened to 1.5 s): the second exits 2 naming the first', async () => {
    const env = { HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_CLAIM_DELAY: '1500ms' };
    const a = start([], { env });
    const b = start([], { env });
    const first = await Promise.race([
      a.exited.then(() => a),
      b.exited.then(() => b),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000)),
    ]);
    expect(
      first,
      `one of the two must be refused; both still run after 20 s\n--- a ---\n${a.stderr().slice(-1500)}\n--- b ---\n${b.stderr().slice(-1500)}`,
    ).toBeDefined();
    const loser = first!;
    const winner = loser === a ? b : a;
    expect((await loser.exited).code, loser.stderr()).toBe(2);
    expect(loser.stderr()).toContain(`another hotwatch (pid ${winner.pid}`);
    expect(loser.stderr()).toMatch(/fix: stop it first/);
    await serves('v1');
    await stopClean(winner);
  });
});

describe('--root and root: resolve symlinks', () => {
  it('--root naming a symlink to the module: serves, and the log names the real path', async () => {
    const link = path.join(outside.dir, 'link');
    fs.symlinkSync(tmp.dir, link);
    const hw = start(['--root', link], { cwd: outside.dir });
    await serves('v1');
    const named = hw.logs.find((l) => l.event === 'root.resolved');
    expect(named?.msg, hw.stderr().slice(-2000)).toContain(tmp.dir);
    expect(named?.msg).toContain(link);
    expect(fs.existsSync(root('.hotwatch/bin/app'))).toBe(true);
    // The link re-pointed (a switch of worktrees): said at warn within the check's 10 s, with the fix.
    const other = fs.mkdtempSync(path.join(outside.dir, 'checkout-b-'));
    fs.rmSync(link);
    fs.symlinkSync(other, link);
    const moved = await hw.waitForLog((l) => l.event === 'root.link-moved', 'the re-pointed link is said', { timeoutMs: 30_000 });
    expect(moved).toMatchObject({ level: 40, target: other, watched: tmp.dir });
    expect(String(moved.msg)).toContain('fix: restart hotwatch');
    await stopClean(hw);
  }, 90_000);

  it('root: in the config naming a symlink to the module: serves from the real path', async () => {
    fs.symlinkSync(tmp.dir, path.join(outside.dir, 'link'));
    fs.writeFileSync(path.join(outside.dir, 'watcher.config.yaml'), 'root: ./link\n');
    const hw = start([], { cwd: outside.dir });
    await serves('v1');
    expect(hw.logs.find((l) => l.event === 'root.resolved')?.msg).toContain(tmp.dir);
    await stopClean(hw);
  });
});

describe('control characters in pretty output', () => {
  it('a newline in a file name cannot forge a log line: one line per record, the newline escaped', async () => {
    const p = spawn(process.execPath, [BIN, 'run', '--log-format', 'pretty'], {
      cwd: tmp.dir,
      env: { ...process.env, PORT: String(port), NO_COLOR: '1' },
    });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    const forgedName = 'x\n[12:34:56.789] ERROR: forged record.go';
    try {
      await waitFor(() => err.includes('serving on http'), { description: `the app listens\n${err}`, timeoutMs: 60_000 });
      const from = err.length;
      fs.writeFileSync(root(forgedName), 'package main\n');
      await waitFor(() => err.slice(from).includes('→ building'), { description: `the new file is built\n${err}`, timeoutMs: 30_000 });
      await waitFor(() => /build ok|BUILD FAILED/.test(err.slice(from)), { description: `the build ends\n${err}`, timeoutMs: 60_000 });
    } finally {
      p.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const lines = err.split('\n');
    expect(
      lines.filter((l) => l.startsWith('[12:34:56.789]')),
      'a record forged by the file name',
    ).toEqual([]);
    expect(err).toContain('x\\n[12:34:56.789] ERROR: forged record.go');
    // Each record that names the file is one line, begun by its own time and level.
    const naming = lines.filter((l) => l.includes('forged record.go'));
    expect(naming.length).toBeGreaterThan(0);
    for (const line of naming)
      expect(line, 'one line per record').toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] [A-Z]+: .*x\\n\[12:34:56\.789\] ERROR: forged record\.go/);
  });
});

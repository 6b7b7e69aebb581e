/**
 * Restart without a build (e2e: real go build, real processes, real HTTP, a real terminal):
 *   - an edit of a run.envFiles file restarts the app with the new environment, and nothing builds;
 *   - at a terminal (tmux gives hotwatch a pty), `r` rebuilds and restarts even though nothing changed,
 *     and `q` quits cleanly: exit 0, nothing left running.
 *   - behind the proxy (blue-green), an env-file edit starts the new process beside the old one; one that
 *     exits at start leaves the old one serving and the log says why; the next good edit takes over.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, freePort, hotwatchSession, httpGet, startHotwatch, writeGoApp, type LogLine } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const GREETER = `package main

import (
\t"fmt"
\t"net/http"
\t"os"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v=%s", os.Getenv("GREETING")) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;

describe('an edit of a run.envFiles file (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), GREETER);
    fs.writeFileSync(path.join(dir, '.env'), 'GREETING=one\n');
    fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), 'run:\n  envFiles: [.env]\n');
  });

  it('restarts the app with the new value, without a build', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('one');
    const first = await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens');
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, '.env'), 'GREETING=two\n');
    await session.serves('two');
    const restart = await hw.waitForLog((l) => l.event === 'app.restart', 'the restart is said', { from: mark });
    expect(restart).toMatchObject({ pid: first.pid, reason: 'run.envFiles changed (.env)' });
    expect(restart.msg).toMatch(/no build/);
    // The new app can answer before hotwatch's lines about it have come through the pipe: the cycle's
    // last line first (app.listening follows app.start), then count.
    await hw.waitForLog((l) => l.event === 'app.listening', 'the restarted app listens', { from: mark });
    expect(hw.events('build.start', mark)).toEqual([]);
    expect(hw.events('app.start', mark)).toHaveLength(1);
    expect(hw.events('app.stop', mark)).toMatchObject([{ pid: first.pid, why: 'restart' }]);

    // An editor's save renames the env file away before the new one is in place: the app keeps running
    // until it is back (a restart then failed: "env file .env does not exist"), then restarts once.
    const away = hw.logs.length;
    fs.renameSync(path.join(session.dir, '.env'), path.join(session.dir, '.env~'));
    await hw.waitForLog((l) => l.event === 'app.env-file-away', 'the env file is away: waiting', { from: away });
    fs.writeFileSync(path.join(session.dir, '.env'), 'GREETING=back\n');
    await session.serves('back');
    expect(hw.events('app.start-failed', away)).toEqual([]);

    // git clean -fdx removed the binary: the restart builds it again first, and the new value serves.
    const gone = hw.logs.length;
    fs.rmSync(path.join(session.dir, '.hotwatch', 'bin'), { recursive: true, force: true });
    fs.writeFileSync(path.join(session.dir, '.env'), 'GREETING=three\n');
    await session.serves('three');
    expect(hw.events('app.binary-gone', gone)).toHaveLength(1);
    expect(hw.events('app.start-failed', gone)).toEqual([]);
  }, 90_000);

  it('an env file that is a symlink (.env -> env/dev.env): an edit of the file it names restarts the app', async () => {
    fs.mkdirSync(path.join(session.dir, 'env'));
    fs.writeFileSync(path.join(session.dir, 'env', 'dev.env'), 'GREETING=linked\n');
    fs.rmSync(path.join(session.dir, '.env'));
    fs.symlinkSync('env/dev.env', path.join(session.dir, '.env'));
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('linked');
    await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens');
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'env', 'dev.env'), 'GREETING=edited\n');
    await session.serves('edited');
    expect(hw.events('build.start', mark)).toEqual([]);
  }, 90_000);

  it('an env file outside the root is read, and said at warn: its edits are not watched', async () => {
    const outside = makeTmpDir('hotwatch-env-outside-');
    try {
      fs.writeFileSync(path.join(outside.dir, 'shared.env'), 'GREETING=outside\n');
      const file = path.join(outside.dir, 'shared.env');
      const hw = (session.hw = startHotwatch(['--env-file', file], { cwd: session.dir, env: { PORT: String(session.port) } }));
      await session.serves('outside');
      expect(hw.events('config.envfile-unwatched')).toMatchObject([
        { level: 40, file, msg: expect.stringContaining('its edits are not watched') },
      ]);
    } finally {
      outside.cleanup();
    }
  }, 90_000);
});

describe('keys at a terminal (e2e, through tmux)', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let socket: string;
  beforeEach(() => {
    tmp = makeTmpDir();
    socket = `hw-e2e-${crypto.randomUUID().slice(0, 8)}`; // a tmux server of our own
  });
  afterEach(() => {
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // already gone with its last session
    }
    tmp.cleanup();
  });

  /** A module serving v1, and an interactive bash (job control) in a tmux pane of our own: its keys and what it shows. */
  async function interactiveBash() {
    const mod = path.join(tmp.dir, 'mod');
    fs.mkdirSync(mod);
    writeGoApp(mod, 'v1');
    const port = await freePort();
    const logFile = path.join(tmp.dir, 'log');
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const pane = (): string => execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', 'hw'], { encoding: 'utf8' });
    const keys = (...k: string[]): void => void execFileSync('tmux', ['-L', socket, 'send-keys', '-t', 'hw', ...k]);
    execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'hw', '-x', '200', '-y', '50', 'bash --norc --noprofile -i'], {
      env: process.env,
    });
    return { mod, port, logFile, q, pane, keys };
  }

  /** The shell's fg brings the stopped hotwatch back with its keys: q then quits it. */
  async function fgThenQuit(log: () => string, pane: () => string, keys: (...k: string[]) => void): Promise<void> {
    keys('fg', 'Enter');
    await new Promise((r) => setTimeout(r, 1000));
    keys('q');
    await waitFor(() => log().includes('"event":"exit"'), { description: `q quits after fg\n${pane()}`, timeoutMs: 30_000 });
    expect(log()).toContain('"key":"q"');
  }

  it('r rebuilds and restarts though nothing changed, even after a Ctrl-Z where the shell has no job control; q quits with exit 0', async () => {
    const mod = path.join(tmp.dir, 'mod');
    fs.mkdirSync(mod);
    writeGoApp(mod, 'v1');
    const port = await freePort();
    const logFile = path.join(tmp.dir, 'log');
    const exitFile = path.join(tmp.dir, 'exit');
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = `cd ${q(mod)} && PORT=${port} ${q(process.execPath)} ${q(BIN)} run --log-format json 2> ${q(logFile)}; echo $? > ${q(exitFile)}`;
    execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'hw', '-x', '200', '-y', '50', cmd], { env: process.env });
    const logs = (): LogLine[] =>
      (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine);
    const waitLog = (pred: (l: LogLine) => boolean, what: string, from = 0) =>
      waitFor(() => logs().slice(from).find(pred), {
        description: `${what}\n${logs()
          .map((l) => l.msg)
          .join('\n')
          .slice(-3000)}`,
        timeoutMs: 60_000,
      });

    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
    const started = await waitLog((l) => l.event === 'app.listening', 'the app listens');
    expect(logs().some((l) => l.event === 'hotkeys' && /r rebuild and restart/.test(l.msg))).toBe(true);

    // tmux runs the command through `sh -c`: no job control, so the kernel discards the SIGTSTP (an
    // orphaned process group), and nothing continues hotwatch: its keys must work on regardless.
    execFileSync('tmux', ['-L', socket, 'send-keys', '-t', 'hw', 'C-z']);
    await new Promise((r) => setTimeout(r, 1000));
    const mark = logs().length;
    execFileSync('tmux', ['-L', socket, 'send-keys', '-t', 'hw', 'r']);
    const build = await waitLog((l) => l.event === 'build.start', 'r starts a build', mark);
    expect(build.rescan).toEqual(['rebuild requested (r)']);
    const restarted = await waitLog((l) => l.event === 'app.start', 'the app restarts (same binary, but asked for)', mark);
    expect(restarted.pid).not.toBe(started.pid);
    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves again' });

    execFileSync('tmux', ['-L', socket, 'send-keys', '-t', 'hw', 'q']);
    await waitFor(() => fs.existsSync(exitFile) && fs.readFileSync(exitFile, 'utf8').trim() !== '', {
      description: 'hotwatch exits',
      timeoutMs: 30_000,
    });
    expect(fs.readFileSync(exitFile, 'utf8').trim()).toBe('0');
    expect(logs().filter((l) => l.event === 'shutdown')).toMatchObject([{ key: 'q', msg: 'q: stopping (again to force)' }]);
    expect(logs().filter((l) => l.event === 'exit')).toMatchObject([{ msg: 'stopped; nothing left running' }]);
  }, 90_000);

  it('started in the background (hotwatch run &) it runs and serves, keys off and said; fg gives them; a stop from outside (kill -TSTP) and fg leaves them working', async () => {
    const { mod, port, logFile, q, pane, keys } = await interactiveBash();
    keys(`cd ${q(mod)} && PORT=${port} ${q(process.execPath)} ${q(BIN)} run --log-format json 2> ${q(logFile)} & echo "HWPID=$!"`, 'Enter');
    // Not stopped by the terminal (SIGTTOU for raw mode): it builds and serves in the background.
    await waitFor(async () => (await httpGet(port)) === 'v=v1', {
      description: `v1 serves from the background\n${pane()}`,
      timeoutMs: 60_000,
    });
    const log = (): string => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
    await waitFor(() => log().includes('keys off: hotwatch runs in the background of this terminal'), {
      description: 'the keys are said to be off',
      timeoutMs: 30_000,
    });
    expect(pane()).not.toMatch(/Stopped/);
    const pid = Number(/HWPID=(\d+)/.exec(pane())?.[1]);
    expect(pid).toBeGreaterThan(0);
    keys('fg', 'Enter');
    await waitFor(() => log().includes('keys: r rebuild and restart'), { description: `fg gives the keys\n${pane()}`, timeoutMs: 15_000 });
    process.kill(pid, 'SIGTSTP'); // from outside: the shell gets its prompt back, its terminal cooked
    await waitFor(() => /Stopped/.test(pane()), { description: `the shell says the job stopped\n${pane()}`, timeoutMs: 15_000 });
    await fgThenQuit(log, pane, keys);
  }, 120_000);

  it('Ctrl-Z (an interactive bash: job control) stops hotwatch as any foreground job (raw mode ate it), the app serving meanwhile; fg brings its keys back', async () => {
    const { mod, port, logFile, q, pane, keys } = await interactiveBash();
    keys(`cd ${q(mod)} && PORT=${port} ${q(process.execPath)} ${q(BIN)} run --log-format json 2> ${q(logFile)}`, 'Enter');
    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
    const log = (): string => fs.readFileSync(logFile, 'utf8');
    await waitFor(() => log().includes('"event":"hotkeys"'), { description: 'the keys are listened to', timeoutMs: 30_000 });
    keys('C-z');
    await waitFor(() => /Stopped/.test(pane()), { description: `the shell says the job stopped\n${pane()}`, timeoutMs: 15_000 });
    expect(await httpGet(port), 'the app serves while hotwatch is stopped').toBe('v=v1');
    await fgThenQuit(log, pane, keys);
  }, 120_000);

  it('the terminal closed (tmux killed: a hang-up) stops hotwatch and the app cleanly: not an abort in node restoring the gone terminal', async () => {
    const mod = path.join(tmp.dir, 'mod');
    fs.mkdirSync(mod);
    writeGoApp(mod, 'v1');
    const port = await freePort();
    const logFile = path.join(tmp.dir, 'log');
    const pidFile = path.join(tmp.dir, 'pid');
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    // exec: hotwatch is the terminal's session leader, as a login shell's `exec` or a closed pane's program is.
    const cmd = `echo $$ > ${q(pidFile)}; cd ${q(mod)} && PORT=${port} exec ${q(process.execPath)} ${q(BIN)} run --log-format json 2> ${q(logFile)}`;
    execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'hw', '-x', '200', '-y', '50', cmd], { env: process.env });
    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
    const log = (): string => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
    await waitFor(() => log().includes('"event":"hotkeys"'), { description: 'raw mode on (the keys are listened to)', timeoutMs: 30_000 });
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    execFileSync('tmux', ['-L', socket, 'kill-server']);
    await waitFor(() => !isAlive(pid), { description: `hotwatch (pid ${pid}) exits\n${log().slice(-2000)}`, timeoutMs: 30_000 });
    expect(log()).toContain('"signal":"SIGHUP"');
    expect(log()).toContain('stopped; nothing left running');
    // Node's restore of the terminal modes at exit aborted (SIGABRT, a native stack) on the gone terminal.
    expect(log()).not.toContain('Assertion failed');
    expect(await httpGet(port)).toBeUndefined();
  }, 120_000);
});

describe('an env-file edit behind the proxy (e2e)', () => {
  /** GREETING=crash makes the app exit at start: the new process never becomes ready. */
  const CHECKED = GREETER.replace(
    'func main() {\n',
    'func main() {\n\tif os.Getenv("GREETING") == "crash" {\n\t\tfmt.Fprintln(os.Stderr, "fatal: GREETING=crash")\n\t\tos.Exit(4)\n\t}\n',
  );
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), CHECKED);
    fs.writeFileSync(path.join(dir, '.env'), 'GREETING=one\n');
    fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), 'run:\n  envFiles: [.env]\n');
  });

  it('starts the new process beside the old one; one that exits at start leaves the old one serving, and says why', async () => {
    const hw = (session.hw = startHotwatch(['--proxy-port', String(session.port)], { cwd: session.dir }));
    await session.serves('one');
    const first = await hw.waitForLog((l) => l.event === 'app.start', 'the first start');
    let mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, '.env'), 'GREETING=crash\n');
    const failed = await hw.waitForLog((l) => l.event === 'app.start-failed', 'the failed start is said', { from: mark });
    expect(failed.msg).toMatch(/^the new version did not start: it exited \(exit code 4\) after .*the previous version keeps serving$/s);
    expect(failed.msg).toMatch(/fatal: GREETING=crash/);
    expect(await httpGet(session.port)).toBe('v=one');
    expect(hw.events('app.stop', mark)).toEqual([]);
    expect(hw.events('build.start', mark)).toEqual([]);
    await new Promise((r) => setTimeout(r, 700));
    mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, '.env'), 'GREETING=two\n');
    await session.serves('two');
    const retired = await hw.waitForLog((l) => l.event === 'app.stop', 'the old one is stopped once the new one serves', { from: mark });
    expect(retired).toMatchObject({ pid: first.pid, why: 'replaced by the new version' });
  }, 120_000);
});

/**
 * A root whose filesystem cannot hold the control socket (read-only here, bind-mounted in a mount
 * namespace; a Docker Desktop or network mount can refuse sockets the same way): the socket goes to the
 * user's private fallback directory, the log says where and why, and `hotwatch status` finds it there.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SERVER = `
import { startServiceMode } from ${JSON.stringify(path.join(REPO, 'dist/service/service-mode.js'))};
const root = process.argv[2];
const now = Date.now();
const source = {
  job: () => ({ state: 'running', since: now, app: { pid: 7, startedAt: now, listening: ['127.0.0.1:9'] }, expectsListening: true }),
  watch: () => ({ backend: 'native', watches: 1, dirs: 1, scopes: [] }),
};
const log = { info: (_o, m) => console.log('info ' + m), warn: (_o, m) => console.log('warn ' + m) };
const svc = await startServiceMode({ root, version: 't', source, signal: new AbortController().signal, log, env: {} });
console.log('socket ' + svc.control.socketPath);
process.on('SIGTERM', async () => { await svc.close(); process.exit(0); });
setInterval(() => {}, 1 << 30);
`;

describe('the control socket on a filesystem that cannot hold it', () => {
  it('goes to the private fallback directory, says so, and hotwatch status finds it', async () => {
    const tmp = makeTmpDir('hotwatch-fallback-');
    cleanups.push(tmp.cleanup);
    const root = path.join(tmp.dir, 'repo');
    const xdg = path.join(tmp.dir, 'runtime');
    fs.mkdirSync(root);
    fs.mkdirSync(xdg, { mode: 0o700 });
    const script = path.join(tmp.dir, 'server.mjs');
    fs.writeFileSync(script, SERVER);
    const env = { ...process.env, XDG_RUNTIME_DIR: xdg };
    // The root read-only in a mount namespace of the server's own: .hotwatch/ cannot even be created.
    const sh = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && exec "$2" "$3" "$1"';
    const server = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', sh, 'sh', root, process.execPath, script], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    server.stdout.on('data', (d) => (out += d));
    server.stderr.on('data', (d) => (out += d));
    const exited = new Promise((r) => server.on('exit', r));
    cleanups.push(async () => {
      server.kill('SIGTERM');
      await exited;
    });
    const line = await waitFor(() => /^socket (.+)$/m.exec(out)?.[1], {
      description: `the server's socket (output: ${out})`,
      timeoutMs: 15_000,
    });
    expect(path.dirname(line)).toBe(path.join(xdg, `hotwatch-${process.geteuid!()}`));
    expect(out).toMatch(new RegExp(`^info status socket at ${line}: ${root}/\\.hotwatch/control\\.sock cannot be created \\(EROFS`, 'm'));
    expect(fs.lstatSync(line).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(line)).mode & 0o777).toBe(0o700);

    const check = await runCli(['status', '--check', '--root', root], { env });
    expect(check).toMatchObject({ code: 0, stdout: 'ok: serving on 127.0.0.1:9, watch healthy\n' });
    // Without the fallback directory's environment it is not found: the check is really reading it.
    expect(
      (await runCli(['status', '--check', '--root', root], { env: { ...env, XDG_RUNTIME_DIR: path.join(tmp.dir, 'elsewhere') } })).code,
    ).toBe(2);

    server.kill('SIGTERM');
    await exited;
    expect(fs.existsSync(line)).toBe(false);
  });
});

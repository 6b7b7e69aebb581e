/**
 * The app cannot listen because its port is taken, and run.port is not set (issue 12, e2e: real go build,
 * real processes). Go says only `bind: address already in use`; hotwatch reads it in the app's output and
 * names the holder (pid and command), as run.port's start-up check does. Once the holder is gone, an edit
 * serves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const session = hotwatchSession();
let holder: ChildProcess | undefined;
afterEach(() => {
  holder?.kill('SIGKILL');
  holder = undefined;
});

const held = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });

describe('a port already in use (e2e)', () => {
  it('the app fails to listen: the holder is named with its pid and command; once it is gone, an edit serves', async () => {
    const script = `require('net').createServer().listen(${session.port}, '127.0.0.1'); setInterval(() => {}, 1000); // port-holder-for-test`;
    holder = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    await waitFor(() => held(session.port), { description: 'the holder listens' });

    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    const inUse = await hw.waitForLog((l) => l.event === 'app.port-in-use', 'the port in use is named');
    expect(inUse).toMatchObject({ level: 50, port: session.port, holders: [{ pid: holder.pid }] });
    expect(inUse.msg).toContain(`the app cannot listen on :${session.port}: the port is already in use by pid ${holder.pid} (`);
    expect(inUse.msg).toContain('port-holder-for-test');
    expect(inUse.msg).toContain(`kill ${holder.pid}`);
    await hw.waitForLog((l) => l.event === 'app.exit', 'the app exits');

    holder.kill('SIGKILL');
    await waitFor(async () => !(await held(session.port)), { description: 'the holder is gone' });
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2'));
    await session.serves('v2');
    expect(hw.events('app.port-in-use')).toHaveLength(1);
  }, 90_000);
});

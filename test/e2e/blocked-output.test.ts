/**
 * hotwatch's output into a pipe whose reader stopped draining (`hotwatch run 2>&1 | less` left unscrolled,
 * `| tee` onto a stuck disk, a container's log driver in blocking mode). Node writes to pipes
 * synchronously: once the pipe was full, hotwatch blocked in write() of its next line, and edits went
 * unserved, Ctrl-C ignored. Here the pipe is full before hotwatch starts, and never read.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, goMain, hotwatchSession, httpGet } from '../helpers/hotwatch.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const session = hotwatchSession();

describe('hotwatch output into a pipe nobody reads (e2e)', () => {
  it('edits are still served, and SIGINT still stops it all', async () => {
    const fifo = path.join(session.dir, '..', `out-${process.pid}.fifo`);
    execFileSync('mkfifo', [fifo]);
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK); // held, never read
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    let filled = 0;
    try {
      for (;;) filled += fs.writeSync(writer, Buffer.alloc(4096, 'x'));
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('EAGAIN'); // full
    }
    expect(filled).toBeGreaterThanOrEqual(4096);
    fs.closeSync(writer);
    const out = fs.openSync(fifo, 'w');
    const child = spawn(process.execPath, [BIN, 'run', '--log-format', 'json', '--log-level', 'debug'], {
      cwd: session.dir,
      env: { ...process.env, PORT: String(session.port) },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await session.serves('v1');
      for (const v of ['v2', 'v3']) {
        fs.writeFileSync(path.join(session.dir, 'main.go'), goMain(v));
        await session.serves(v);
      }
      child.kill('SIGINT');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
      expect(code, 'hotwatch stops on SIGINT though its output is stuck').toBe(0);
      expect(await httpGet(session.port)).toBeUndefined();
    } finally {
      if (child.pid && isAlive(child.pid)) child.kill('SIGKILL');
      fs.closeSync(reader);
      fs.rmSync(fifo, { force: true });
    }
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, { description: 'hotwatch gone', timeoutMs: 10_000 });
  }, 120_000);
});

/**
 * `hotwatch run | head`, or a session whose pipe closes: the next log line fails with EPIPE. hotwatch
 * must then shut down cleanly (the app stopped, exit 0), never die of the write and leave the app running.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { BIN, freePort, httpGet, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const APP = (v: string) =>
  `package main\n\nimport (\n\t"fmt"\n\t"net/http"\n\t"os"\n)\n\nfunc main() {\n\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "${v}") })\n\t_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)\n}\n`;

let tmp: ReturnType<typeof makeTmpDir>;
let hw: Hotwatch | undefined;

beforeEach(() => {
  tmp = makeTmpDir();
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/epipe\n\ngo 1.22\n');
  fs.writeFileSync(path.join(tmp.dir, 'main.go'), APP('v1'));
});

afterEach(async () => {
  if (hw) await hw.stop(); // SIGTERM: a test that failed midway must not leave its app running
  hw = undefined;
  tmp.cleanup();
});

describe('log output closed (e2e)', () => {
  it('EPIPE on the log: hotwatch stops the app and exits 0 instead of dying with the app left running', async () => {
    const port = await freePort();
    hw = startHotwatch([], { cwd: tmp.dir, env: { PORT: String(port) } });
    await waitFor(async () => (await httpGet(port)) === 'v1', { description: 'v1 serves', timeoutMs: 60_000 });
    // The app can answer before hotwatch's app.start line has reached us through the pipe.
    const appPid = Number((await hw.waitForLog((l) => l.event === 'app.start', 'app.start')).pid);
    expect(isAlive(appPid)).toBe(true);
    hw.proc.stderr!.destroy(); // the reader goes away, as `head` does after its lines
    fs.writeFileSync(path.join(tmp.dir, 'main.go'), APP('v2')); // the next cycle logs: EPIPE
    const r = await Promise.race([hw.exited, new Promise((res) => setTimeout(() => res('still running'), 30_000))]);
    expect(r).toEqual({ code: 0, signal: null });
    await waitFor(() => !isAlive(appPid), { description: 'the app is gone', timeoutMs: 10_000 });
    expect(await httpGet(port)).toBeUndefined();
    hw = undefined;
  });
});

describe('a one-shot command whose reader is gone (e2e)', () => {
  it('`hotwatch doctor | head -1`: exits quietly (no EPIPE stack), and init still writes its config', async () => {
    for (const args of [
      ['doctor', '--root', tmp.dir],
      ['init', '--root', tmp.dir],
    ]) {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader goes away before the first line, as `head` does after its lines
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
      expect(err, `hotwatch ${args[0]}`).not.toMatch(/EPIPE|Unhandled 'error' event|at .*\.js:\d+/);
      expect(code === 0 || code === 1, `hotwatch ${args[0]} exit ${code}: ${err}`).toBe(true);
    }
    expect(fs.existsSync(path.join(tmp.dir, 'watcher.config.yaml')), 'init wrote its config before it printed').toBe(true);
  }, 60_000);
});

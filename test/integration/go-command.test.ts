/** runGo with the real toolchain: a cancel ends go and what go started (its process group), not go alone. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runGo } from '../../src/os/go-command.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let tmp: ReturnType<typeof makeTmpDir> | undefined;
afterEach(() => tmp?.cleanup());

/** Running, not a zombie waiting for whoever reaps orphans here. */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('runGo', () => {
  it('a cancel ends what go started too (here the program of `go run`), not only go', { timeout: 120_000 }, async () => {
    tmp = makeTmpDir();
    const pidFile = path.join(tmp.dir, 'child.pid');
    fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/sleeper\n\ngo 1.22\n');
    fs.writeFileSync(
      path.join(tmp.dir, 'main.go'),
      `package main\n\nimport (\n\t"os"\n\t"strconv"\n\t"time"\n)\n\nfunc main() {\n\tos.WriteFile(${JSON.stringify(pidFile)}, []byte(strconv.Itoa(os.Getpid())), 0o644)\n\ttime.Sleep(time.Minute)\n}\n`,
    );
    const cancel = new AbortController();
    const ran = runGo(['run', '.'], {
      cwd: tmp.dir,
      env: process.env,
      signal: cancel.signal,
      timeoutMs: 110_000,
      maxBuffer: 1 << 20,
      code: 'INTERNAL',
      detailLines: 3,
      killSignal: 'SIGKILL',
    });
    ran.catch(() => undefined);
    await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8') !== '', {
      timeoutMs: 100_000,
      description: 'the program started',
    });
    const child = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(alive(child)).toBe(true);
    cancel.abort();
    await expect(ran).rejects.toThrow(/`go run \.` in .* failed/);
    await waitFor(() => !alive(child), { timeoutMs: 10_000, description: `the program ${child} of go run ended with go` });
  });
});

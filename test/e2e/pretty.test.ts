/** The human format: one line per record, a timestamp and level first, the message only. */
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { BIN, freePort, writeGoApp } from '../helpers/hotwatch.js';

let tmp: ReturnType<typeof makeTmpDir>;
beforeEach(() => {
  tmp = makeTmpDir();
  writeGoApp(tmp.dir, 'v1');
});
afterEach(() => tmp.cleanup());

describe('pretty logs (e2e)', () => {
  it('prints one readable line per record', async () => {
    const port = await freePort();
    const p = spawn(process.execPath, [BIN, 'run', '--log-format', 'pretty'], {
      cwd: tmp.dir,
      env: { ...process.env, PORT: String(port), NO_COLOR: '1' },
    });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    try {
      await waitFor(() => err.includes('serving on http'), { description: `the app listens\n${err}`, timeoutMs: 60_000 });
    } finally {
      p.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const ours = err.split('\n').filter((l) => l.startsWith('['));
    expect(ours.length).toBeGreaterThanOrEqual(5);
    for (const line of ours) {
      expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR): /);
      expect(line.match(/\[\d\d:\d\d:\d\d\.\d{3}\] [A-Z]+: /g), `one record per line: ${line}`).toHaveLength(1);
      expect(line).not.toMatch(/\{"/); // no JSON fields in the human format
    }
    expect(err).toMatch(/build ok in \d+ms\n/);
    expect(err).toMatch(/stopped; nothing left running/);
  });
});

/**
 * --clear (build.clear), e2e through a real terminal (tmux gives hotwatch a pty): the screen is cleared
 * before each build, so only this cycle's output is on it; with stdout not a terminal nothing is written
 * for it (no escape codes in a pipe or a log file). Ad-hoc mode keeps the cycles quick.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** Prints which files changed: RUN:[] at the first run, RUN:[a.txt] after an edit of a.txt. */
const PRINT_CHANGED = ['sh', '-c', 'echo "RUN:[$HOTWATCH_CHANGED]"'];

describe('--clear (e2e)', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let socket: string;
  let hw: Hotwatch | undefined;
  beforeEach(() => {
    tmp = makeTmpDir();
    socket = `hw-clear-${crypto.randomUUID().slice(0, 8)}`; // a tmux server of our own
  });
  afterEach(async () => {
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // never started, or already gone
    }
    if (hw) await hw.stop();
    hw = undefined;
    tmp.cleanup();
  });

  /** Runs hotwatch in a tmux pane; returns what the pane shows. */
  function inTerminal(dir: string, flags: string[]): () => string {
    const logFile = path.join(tmp.dir, 'log');
    const cmd = `cd ${q(dir)} && ${q(process.execPath)} ${q(BIN)} exec ${flags.map(q).join(' ')} -- ${PRINT_CHANGED.map(q).join(' ')} 2> ${q(logFile)}`;
    execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'hw', '-x', '120', '-y', '40', cmd], { env: process.env });
    return () => execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', 'hw'], { encoding: 'utf8' });
  }

  it('clears the screen before each build at a terminal: only the last cycle shows', async () => {
    const dir = path.join(tmp.dir, 'w');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'v1\n');
    const pane = inTerminal(dir, ['--clear']);
    await waitFor(() => pane().includes('RUN:[]'), { description: 'the first run printed', timeoutMs: 30_000 });
    fs.writeFileSync(path.join(dir, 'a.txt'), 'v2\n');
    await waitFor(() => pane().includes('RUN:[a.txt]'), { description: 'the second run printed', timeoutMs: 30_000 });
    expect(pane()).not.toContain('RUN:[]');
  }, 60_000);

  it('without --clear, both cycles stay on the screen', async () => {
    const dir = path.join(tmp.dir, 'w');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'v1\n');
    const pane = inTerminal(dir, []);
    await waitFor(() => pane().includes('RUN:[]'), { description: 'the first run printed', timeoutMs: 30_000 });
    fs.writeFileSync(path.join(dir, 'a.txt'), 'v2\n');
    await waitFor(() => pane().includes('RUN:[a.txt]'), { description: 'the second run printed', timeoutMs: 30_000 });
    expect(pane()).toContain('RUN:[]');
  }, 60_000);

  it('writes no escape codes when stdout is not a terminal', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'a.txt'), 'v1\n');
    hw = startHotwatch(['--clear', '--exec', '--', ...PRINT_CHANGED], { cwd: tmp.dir });
    await hw.waitForLog((l) => l.event === 'app.exit', 'the first run ends');
    fs.writeFileSync(path.join(tmp.dir, 'a.txt'), 'v2\n');
    await waitFor(() => hw!.stdout().includes('RUN:[a.txt]'), { description: 'the second run printed' });
    expect(hw.stdout()).toBe('RUN:[]\nRUN:[a.txt]\n');
    expect((await hw.stop()).code).toBe(0);
    hw = undefined;
  }, 60_000);
});

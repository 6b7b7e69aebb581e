/**
 * Ad-hoc mode (issue 18, e2e: real files, real `go test`, real processes): `hotwatch run --exec -- CMD`
 * (what `hotwatch exec` runs) reruns a command on change with no build and no Go app. A short command's
 * end is reported (ok at info, exit N at error); the changed files reach it in $HOTWATCH_CHANGED and as
 * `{changed}` arguments, never through a shell; a long-running command is stopped with its whole tree and
 * started again on change.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';
import { BIN, runCli, startHotwatch, type Hotwatch, type LogLine } from '../helpers/hotwatch.js';

const ADD = (op: '+' | '-') => `package calc\n\nfunc Add(a, b int) int { return a ${op} b }\n`;
const ADD_TEST = `package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal("Add(1, 2) != 3")\n\t}\n}\n`;
/** One batch for files written together, even on a loaded machine. */
const SLOW_DEBOUNCE = 'debounce:\n  settledQuiet: 300ms\n  loneQuiet: 300ms\n  quiet: 300ms\n';

let tmp: ReturnType<typeof makeTmpDir>;
let out: ReturnType<typeof makeTmpDir>;
let hw: Hotwatch | undefined;

beforeEach(() => {
  tmp = makeTmpDir();
  out = makeTmpDir(); // outside the root: what the commands write must not be a change
});

afterEach(async () => {
  const h = hw;
  hw = undefined;
  try {
    if (h) expect((await h.stop()).code, h.stderr().slice(-2000)).toBe(0);
  } finally {
    tmp.cleanup();
    out.cleanup();
  }
});

const exits = (h: Hotwatch): LogLine[] => h.events('app.exit');

const GOLDEN_TEST = `package calc

import (
\t"os"
\t"testing"
)

func TestGolden(t *testing.T) {
\tb, _ := os.ReadFile("testdata/want.txt")
\tif string(b) != "good\\n" {
\t\tt.Fatalf("golden mismatch: %q", b)
\t}
}
`;

describe('hotwatch exec (e2e)', () => {
  it('reruns go test ./... on change and reports its exit status: a failing test exit 1 at error, fixed ok at info', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/calc\n\ngo 1.22\n');
    fs.writeFileSync(path.join(tmp.dir, 'calc.go'), ADD('+'));
    fs.writeFileSync(path.join(tmp.dir, 'calc_test.go'), ADD_TEST);
    hw = startHotwatch(['--exec', '--', 'go', 'test', '-count=1', './...'], { cwd: tmp.dir });
    const first = await hw.waitForLog((l) => l.event === 'app.exit', 'the first run ends');
    expect(first).toMatchObject({ level: 30, code: 0, ok: true });
    expect(first.msg).toMatch(/^go test -count=1 \.\/\.\.\.: ok/);
    expect(hw.events('startup.plan')[0]?.msg).toMatch(
      /exec: go test -count=1 \.\/\.\.\. on every change of every file under the root but in \.git, node_modules, vendor, \.hotwatch, \.idea, \.vscode, tmp \(watch\.excludeDirs\) \(no build\)/,
    );

    fs.writeFileSync(path.join(tmp.dir, 'calc.go'), ADD('-'));
    const failed = await hw.waitForLog((l) => l.event === 'app.exit', 'the run after the bad edit ends', {
      from: hw.logs.indexOf(first) + 1,
    });
    expect(failed).toMatchObject({ level: 50, code: 1, ok: false });
    expect(failed.msg).toMatch(/: exit 1 \(.*\); waiting for a change$/);
    expect(hw.stdout()).toMatch(/--- FAIL: TestAdd/);

    // A test file is a change too (the default *_test.go exclude is a Go app's, not exec's): fix the test's expectation.
    fs.writeFileSync(path.join(tmp.dir, 'calc_test.go'), ADD_TEST.replace('!= 3', '!= -1').replace('Add(1, 2) != 3', 'Add(1, 2) != -1'));
    const fixed = await hw.waitForLog((l) => l.event === 'app.exit', 'the run after the fix ends', { from: hw.logs.indexOf(failed) + 1 });
    expect(fixed).toMatchObject({ level: 30, code: 0, ok: true });

    // testdata/ is what tests read (a golden file): watched here, though a Go app's runs leave it out.
    fs.mkdirSync(path.join(tmp.dir, 'testdata'));
    fs.writeFileSync(path.join(tmp.dir, 'testdata', 'want.txt'), 'good\n');
    fs.writeFileSync(path.join(tmp.dir, 'golden_test.go'), GOLDEN_TEST);
    const golden = await hw.waitForLog((l) => l.event === 'app.exit' && l.code === 0, 'the run with the golden test', {
      from: hw.logs.indexOf(fixed) + 1,
    });
    fs.writeFileSync(path.join(tmp.dir, 'testdata', 'want.txt'), 'bad\n');
    const mismatch = await hw.waitForLog((l) => l.event === 'app.exit', 'the run after the golden file changed', {
      from: hw.logs.indexOf(golden) + 1,
    });
    expect(mismatch).toMatchObject({ code: 1, ok: false });
    expect(hw.stdout()).toMatch(/golden mismatch/);
    expect(hw.events('build.failed')).toHaveLength(0);
  }, 120_000);

  it('gives the command the changed files, relative to the root, in $HOTWATCH_CHANGED and as {changed} arguments: one file, then many', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), SLOW_DEBOUNCE);
    fs.mkdirSync(path.join(tmp.dir, 'sub'));
    for (const f of ['one.txt', 'sub/two.txt', 'sub/a b.txt', 'three.md']) fs.writeFileSync(path.join(tmp.dir, f), 'v1\n');
    // Each run appends its environment's list and its arguments (one per line) to files outside the root.
    const script = 'n=$(ls "$OUT" | wc -l); printf "%s" "$HOTWATCH_CHANGED" > "$OUT/env-$n"; printf "%s\\n" "$@" > "$OUT/args-$n"';
    hw = startHotwatch(['--exec', '--', 'sh', '-c', script, 'sh', '{changed}'], { cwd: tmp.dir, env: { OUT: out.dir } });
    await hw.waitForLog((l) => l.event === 'app.exit' && l.code === 0, 'the first run ends');
    const run = (n: number): { env: string[]; args: string[] } => ({
      env: fs
        .readFileSync(path.join(out.dir, `env-${n}`), 'utf8')
        .split('\n')
        .filter(Boolean),
      args: fs
        .readFileSync(path.join(out.dir, `args-${n}`), 'utf8')
        .split('\n')
        .filter(Boolean),
    });
    expect(run(0)).toEqual({ env: [], args: [] }); // the first run: nothing changed yet

    fs.writeFileSync(path.join(tmp.dir, 'sub/two.txt'), 'v2\n');
    await hw.waitForLog((l) => l.event === 'app.exit' && l.code === 0, 'the run for one file', {
      from: hw.events('app.exit').length > 0 ? hw.logs.indexOf(exits(hw)[0]!) + 1 : 0,
    });
    expect(run(2)).toEqual({ env: ['sub/two.txt'], args: ['sub/two.txt'] });

    for (const f of ['one.txt', 'sub/a b.txt', 'three.md']) fs.writeFileSync(path.join(tmp.dir, f), 'v2\n');
    await waitFor(() => exits(hw!).length >= 3, { description: 'the run for three files', timeoutMs: 60_000 });
    const many = run(4);
    expect([...many.env].sort()).toEqual(['one.txt', 'sub/a b.txt', 'three.md']);
    expect(many.args).toEqual(many.env); // a space in a name stays one argument: no shell in between
    expect(exits(hw).every((l) => l.code === 0)).toBe(true);
  }, 120_000);

  it('stops a long-running command with its child on change (the child gone), and starts it again', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'input.txt'), 'v1\n');
    // The command forks a child that outlives nothing: both are stopped by the process-group stop.
    const script = 'sleep 600 & echo $! > "$OUT/child-$$"; wait';
    hw = startHotwatch(['--exec', '--', 'sh', '-c', script], { cwd: tmp.dir, env: { OUT: out.dir } });
    // A pid file the shell has created but not yet written reads as empty: not counted (it read as pid 0 once, "dead").
    const childPids = (): number[] =>
      fs
        .readdirSync(out.dir)
        .map((f) => Number(fs.readFileSync(path.join(out.dir, f), 'utf8')))
        .filter((pid) => pid > 0);
    await waitFor(() => childPids().length === 1, { description: 'the first run started its child' });
    const [firstChild] = childPids();
    expect(isAlive(firstChild!)).toBe(true);

    fs.writeFileSync(path.join(tmp.dir, 'input.txt'), 'v2\n');
    await waitFor(() => childPids().length === 2, { description: 'the command started again', timeoutMs: 60_000 });
    await waitFor(() => !isAlive(firstChild!), { description: `the first run's child ${firstChild} is gone`, timeoutMs: 30_000 });
    const stop = hw.events('app.stop')[0];
    expect(stop).toMatchObject({ how: 'graceful' });
    const second = childPids().find((p) => p !== firstChild)!;
    expect(isAlive(second)).toBe(true);
    expect(hw.events('app.exit')).toHaveLength(0); // stopped, not ended on its own
    const h = hw;
    hw = undefined;
    expect((await h.stop()).code).toBe(0);
    await waitFor(() => !isAlive(second), { description: 'the last child is gone after hotwatch stopped' });
  }, 120_000);

  it('a command that writes the same file each run (a generator) runs once more for it, not in a loop', async () => {
    hw = startHotwatch(['--exec', '--', 'sh', '-c', 'echo "package gen" > gen.go'], { cwd: tmp.dir });
    await waitFor(() => exits(hw!).length >= 2, { description: 'the run for the new gen.go', timeoutMs: 30_000 });
    expect(hw.events('app.start')[1]?.reason).toBe('gen.go'); // created by the first run: a change
    // Later runs rewrite the same bytes: no change, so no run (a command that ended is not a crash).
    const until = Date.now() + 2000;
    await waitFor(() => Date.now() >= until, { description: 'a quiet moment', timeoutMs: 5000 });
    expect(exits(hw)).toHaveLength(2);
    expect(hw.events('build.loop')).toHaveLength(0);
  }, 60_000);

  it("hotwatch's own output sent to a file in the root (exec … > hotwatch.log 2>&1): its writes are not changes, an edit still runs the command", async () => {
    const logFile = path.join(tmp.dir, 'hotwatch.log');
    const runs = path.join(out.dir, 'runs');
    fs.writeFileSync(path.join(tmp.dir, 'notes.txt'), 'one\n');
    const fd = fs.openSync(logFile, 'a');
    const child = spawn(
      process.execPath,
      [BIN, 'exec', '--log-format', 'json', '--', 'sh', '-c', `echo ran >> '${runs}'; echo the command says hello`],
      {
        cwd: tmp.dir,
        stdio: ['ignore', fd, fd],
      },
    );
    fs.closeSync(fd);
    const ran = (): number => (fs.existsSync(runs) ? fs.readFileSync(runs, 'utf8').split('\n').filter(Boolean).length : 0);
    try {
      await waitFor(() => ran() === 1, { description: 'the first run', timeoutMs: 30_000 });
      const until = Date.now() + 8000;
      await waitFor(() => Date.now() >= until, { description: 'a quiet moment', timeoutMs: 15_000 });
      expect(ran(), fs.readFileSync(logFile, 'utf8').slice(-3000)).toBe(1);
      expect(fs.readFileSync(logFile, 'utf8')).toContain('"event":"watch.own-output"');
      fs.writeFileSync(path.join(tmp.dir, 'notes.txt'), 'two\n');
      await waitFor(() => ran() === 2, { description: 'the edit runs it again', timeoutMs: 30_000 });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(fs.readFileSync(logFile, 'utf8')).toContain('stopped; nothing left running');
  }, 90_000);

  it('needs no go.mod, and refuses a command that is not there (exit 2, with the fix)', async () => {
    const r = await runCli(['exec', '--', 'no-such-command-hw', 'x'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hotwatch exec: `no-such-command-hw` is not on PATH/);
    const none = await runCli(['exec'], { cwd: tmp.dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no command to run/);
    // In / or in $HOME it would watch the whole machine (48,600 directories in /): refused, with the fix.
    const slash = await runCli(['exec', '--', 'true'], { cwd: '/' });
    expect(slash.code).toBe(2);
    expect(slash.stderr).toMatch(/hotwatch exec in the file system root \(\/\) would watch every directory under it/);
    expect(slash.stderr).toContain('cd to your project first, or give it with --root DIR');
    const home = await runCli(['exec', '--', 'true'], { cwd: tmp.dir, env: { ...process.env, HOME: tmp.dir } });
    expect(home.code).toBe(2);
    expect(home.stderr).toContain('hotwatch exec in your home directory');
    const watchAlone = await runCli(['run', '--watch', '*.txt'], { cwd: tmp.dir });
    expect(watchAlone.code).toBe(2);
    expect(watchAlone.stderr).toMatch(/--watch is for ad-hoc mode only/);
  }, 60_000);
});

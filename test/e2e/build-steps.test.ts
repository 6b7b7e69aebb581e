/**
 * Build steps (issue 18, e2e: real go generate, real go build, real processes). A before-step runs
 * `go generate ./...`, which writes gen.go from greeting.txt: every edit is exactly one cycle (the
 * step's own write of gen.go does not start a second one), and a failing step stops the cycle like a
 * failed build, loudly with its output, while the old version keeps serving.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const MAIN = `package main

//go:generate sh gen.sh

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v=%s", greeting) })
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`;
/** The generator: gen.go from greeting.txt; a greeting with "bad" in it fails, saying why. */
const GEN = `if grep -q bad greeting.txt; then echo "gen.sh: greeting.txt holds a bad greeting" >&2; exit 3; fi
printf 'package main\\n\\nconst greeting = "%s"\\n' "$(cat greeting.txt)" > gen.go
`;
const CONFIG = `watch:
  include: [greeting.txt]
build:
  steps:
    - run: [go, generate, ./...]
      when: before
`;

const session = hotwatchSession((dir) => {
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/steps\n\ngo 1.22\n');
  fs.writeFileSync(path.join(dir, 'main.go'), MAIN);
  fs.writeFileSync(path.join(dir, 'gen.sh'), GEN);
  fs.writeFileSync(path.join(dir, 'greeting.txt'), 'one');
  fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), CONFIG);
});

/** Cycles: the supervisor's build.start lines (info; runBuild's own, at debug, name each command it runs). */
const builds = (hw: Hotwatch): number => hw.events('build.start').filter((l) => l.level === 30).length;

/** Long enough for a second cycle caused by the step's write to have started, on a loaded machine. */
async function settle(hw: Hotwatch, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  await waitFor(() => Date.now() >= until, { description: 'a quiet moment', timeoutMs: ms + 1000 });
  expect(hw.proc.exitCode).toBeNull();
}

describe('build steps (e2e)', () => {
  it('go generate writing a .go file before the build: one cycle per edit, not two', async () => {
    const hw = (session.hw = startHotwatch(['--log-level', 'debug'], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('one'); // the first build ran the step: gen.go did not exist before
    await settle(hw);
    expect(builds(hw)).toBe(1);
    for (const [i, greeting] of ['two', 'three', 'four'].entries()) {
      fs.writeFileSync(path.join(session.dir, 'greeting.txt'), greeting);
      await session.serves(greeting);
      await settle(hw);
      expect(builds(hw), `builds after edit ${i + 1}`).toBe(i + 2);
    }
    // gen.go changed at every cycle, and each time it was recognised as the step's own write.
    const own = hw.events('step.own-writes');
    expect(own.length).toBeGreaterThanOrEqual(1);
    expect(own.every((l) => (l.files as string[]).includes('gen.go'))).toBe(true);
    expect(hw.events('build.superseded')).toHaveLength(0);
    expect(hw.events('build.canceled')).toHaveLength(0);
  }, 120_000);

  it('a failing step stops the cycle like a failed build: loud, with its output; the old version keeps serving', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('one');
    // The answer can reach the test before hotwatch's app.start line does (two pipes): count once it is in.
    await hw.waitForLog((l) => l.event === 'app.start', 'the app.start line');
    const starts = hw.events('app.start').length;
    fs.writeFileSync(path.join(session.dir, 'greeting.txt'), 'a bad one');
    const failed = await hw.waitForLog((l) => l.event === 'build.failed', 'the step fails');
    expect(failed.level).toBe(50);
    expect(failed.step).toBe('go generate ./...');
    expect(failed.msg).toMatch(/^BUILD STEP FAILED \(build\.steps: go generate \.\/\.\.\., exit 1/);
    expect(failed.msg).toMatch(/the previous version keeps serving/);
    expect(failed.msg).toMatch(/gen\.sh: greeting\.txt holds a bad greeting/);
    await session.serves('one');
    expect(hw.events('app.start')).toHaveLength(starts);

    fs.writeFileSync(path.join(session.dir, 'greeting.txt'), 'fixed');
    await session.serves('fixed');
  }, 120_000);

  it('an instead-step runs for its files with no build and no restart; an after-step runs once each new version started', async () => {
    const out = makeTmpDir(); // outside the root: what the steps record is not a change
    try {
      fs.mkdirSync(path.join(session.dir, 'web'));
      fs.writeFileSync(path.join(session.dir, 'web/site.css'), 'body {}\n');
      fs.writeFileSync(
        path.join(session.dir, 'watcher.config.yaml'),
        `${CONFIG.replace('include: [greeting.txt]', 'include: [greeting.txt, "web/*.css"]')}    - run: [sh, -c, 'printf "%s|" "$HOTWATCH_CHANGED" >> "$OUT/after"']
      when: after
    - run: [sh, -c, 'printf "%s\\n" "$@" >> "$OUT/instead"', sh, "{changed}"]
      when: instead
      files: ["web/*.css"]
`,
      );
      const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), OUT: out.dir } }));
      const read = (f: string): string => (fs.existsSync(path.join(out.dir, f)) ? fs.readFileSync(path.join(out.dir, f), 'utf8') : '');
      await session.serves('one');
      await waitFor(() => read('after') === '|', { description: 'the after-step ran once (first start: no files listed)' });
      const pid = hw.events('app.start')[0]!.pid;

      fs.writeFileSync(path.join(session.dir, 'web/site.css'), 'body { color: red }\n');
      await waitFor(() => read('instead') === 'web/site.css\n', { description: 'the instead-step ran with the changed file' });
      await hw.waitForLog((l) => l.event === 'step.done' && l.when === 'instead', 'the instead-step is said done');
      await settle(hw);
      expect(builds(hw)).toBe(1);
      expect(hw.events('app.start').map((l) => l.pid)).toEqual([pid]);

      fs.writeFileSync(path.join(session.dir, 'greeting.txt'), 'two');
      await session.serves('two');
      await waitFor(() => read('after') === '|greeting.txt|', { description: 'the after-step ran after the new start' });
      expect(read('instead')).toBe('web/site.css\n');
    } finally {
      out.cleanup();
    }
  }, 120_000);
});

describe('an after-step that never ends', () => {
  it('is stopped when a newer version starts (said at info): one runs at a time, none after Ctrl-C', async () => {
    const out = makeTmpDir('hotwatch-after-');
    try {
      // Each run records its pid, then stays (a `tail -f`, a watcher of its own): exec keeps the pid.
      fs.writeFileSync(
        path.join(session.dir, 'watcher.config.yaml'),
        `${CONFIG}    - run: [sh, -c, 'echo $$ >> "$OUT/pids"; exec sleep 1000']\n      when: after\n`,
      );
      const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), OUT: out.dir } }));
      const pids = (): number[] =>
        fs.existsSync(path.join(out.dir, 'pids')) ? fs.readFileSync(path.join(out.dir, 'pids'), 'utf8').trim().split('\n').map(Number) : [];
      const alive = (): number[] => pids().filter((p) => isAlive(p));
      await session.serves('one');
      await waitFor(() => pids().length === 1, { description: 'the first after-step runs' });
      for (const [i, g] of ['two', 'three'].entries()) {
        fs.writeFileSync(path.join(session.dir, 'greeting.txt'), g);
        await session.serves(g);
        await waitFor(() => pids().length === i + 2, { description: `the after-step of ${g} runs` });
        await waitFor(() => alive().length === 1, { description: 'only the newest after-step runs' });
      }
      expect(alive()).toEqual([pids().at(-1)]);
      expect(hw.events('step.stopped').length).toBe(2);
      const last = pids().at(-1)!;
      session.hw = undefined;
      expect((await hw.stop()).code).toBe(0);
      expect(isAlive(last)).toBe(false);
    } finally {
      for (const p of fs.existsSync(path.join(out.dir, 'pids'))
        ? fs.readFileSync(path.join(out.dir, 'pids'), 'utf8').trim().split('\n').map(Number)
        : [])
        if (p > 0 && isAlive(p)) process.kill(p, 'SIGKILL');
      out.cleanup();
    }
  });
});

describe('a step whose files the watch rules leave out (e2e)', () => {
  const only = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/steps\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), MAIN);
    fs.writeFileSync(path.join(dir, 'gen.sh'), GEN);
    fs.writeFileSync(path.join(dir, 'greeting.txt'), 'one');
    fs.writeFileSync(path.join(dir, 'gen.go'), 'package main\n\nconst greeting = "one"\n');
    // No watch.include: the step's own files glob is what makes greeting.txt watched.
    fs.writeFileSync(
      path.join(dir, 'watcher.config.yaml'),
      'build:\n  steps:\n    - run: [go, generate, ./...]\n      when: before\n      files: ["*.txt"]\n',
    );
  });

  it('its files are watched: an edit of greeting.txt runs the step and serves (it did nothing, without a word)', async () => {
    only.hw = startHotwatch([], { cwd: only.dir, env: { PORT: String(only.port) } });
    await only.serves('one');
    fs.writeFileSync(path.join(only.dir, 'greeting.txt'), 'two');
    await only.serves('two');
  }, 120_000);
});

describe('a before-step that failed (e2e)', () => {
  /** The generator fails until it is "installed" (tool-ready exists, a file no step names). */
  const GEN_TOOL = `test -f tool-ready || { echo "gen.sh: the generator is not installed" >&2; exit 1; }
printf 'package main\\n\\nconst greeting = "%s"\\n' "$(cat greeting.txt)" > gen.go
`;
  const owed = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/owed\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), MAIN);
    fs.writeFileSync(path.join(dir, 'gen.sh'), GEN_TOOL);
    fs.writeFileSync(path.join(dir, 'greeting.txt'), 'generated');
    fs.writeFileSync(path.join(dir, 'gen.go'), 'package main\n\nconst greeting = "stale"\n'); // generated code checked in
    fs.writeFileSync(
      path.join(dir, 'watcher.config.yaml'),
      'watch:\n  include: [greeting.txt]\nbuild:\n  steps:\n    - run: [sh, gen.sh]\n      files: [greeting.txt]\n',
    );
  });

  it('stays due: fixed elsewhere (the tool installed), it runs at the next change of any file, and the app serves what it generates', async () => {
    const hw = (owed.hw = startHotwatch([], { cwd: owed.dir, env: { PORT: String(owed.port) } }));
    const failed = await hw.waitForLog((l) => l.event === 'build.failed', 'the step fails at the first build');
    expect(failed.msg).toMatch(/gen\.sh: the generator is not installed/);
    fs.writeFileSync(path.join(owed.dir, 'tool-ready'), ''); // `go get -tool ...`: nothing the step's files name
    fs.writeFileSync(path.join(owed.dir, 'main.go'), MAIN.replace('func main() {', '// an edit elsewhere\nfunc main() {'));
    const again = await hw.waitForLog((l) => l.event === 'step.owed', 'the owed step runs again');
    expect(again.msg).toBe('build.steps sh gen.sh did not complete last time: running it again');
    await owed.serves('generated'); // not "stale": the step ran before the build
  }, 120_000);
});

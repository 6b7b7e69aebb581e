/**
 * SIGTERM while hotwatch is still starting (here: in its `go list` check of build.package, which a
 * loaded machine can stretch to seconds): exit 0, nothing started, and the `go list` it waited on gone.
 * Before, the handlers came after start-up and such a signal killed hotwatch half-way.
 * And SIGINT while the first build runs and the watches are still being armed (Ctrl-C just after launch):
 * a clean stop, the build's tree gone; it used to end in "internal error: Error: SIGINT", exit 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const session = hotwatchSession((dir) => {
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/slow\n\ngo 1.22\n');
  fs.mkdirSync(path.join(dir, 'cmd', 'server'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'cmd', 'server', 'main.go'), goMain('v1'));
  // An import path, not a directory: hotwatch asks `go list` whether it is a main package.
  fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), 'build:\n  package: example.com/slow/cmd/server\n');
  // A `go` whose `list` hangs (and says its pid); anything else is the real go.
  const bin = path.join(dir, '.fakebin');
  fs.mkdirSync(bin);
  const realGo = process.env
    .PATH!.split(':')
    .map((d) => path.join(d, 'go'))
    .find((g) => fs.existsSync(g))!;
  fs.writeFileSync(
    path.join(bin, 'go'),
    `#!/bin/sh\nif [ "$1" = list ]; then echo $$ > "${path.join(dir, '.golist.pid')}"; exec sleep 60; fi\nexec "${realGo}" "$@"\n`,
    { mode: 0o755 },
  );
});

describe('a signal during start-up', () => {
  it('SIGTERM while `go list` runs: exit 0, nothing started, the go list killed', async () => {
    const hw = startHotwatch([], {
      cwd: session.dir,
      env: { PORT: String(session.port), PATH: `${path.join(session.dir, '.fakebin')}:${process.env.PATH}` },
    });
    const pidFile = path.join(session.dir, '.golist.pid');
    const goList = await waitFor(() => fs.existsSync(pidFile) && Number(fs.readFileSync(pidFile, 'utf8')), {
      description: 'hotwatch runs go list',
    });
    expect(isAlive(goList)).toBe(true);
    hw.proc.kill('SIGTERM');
    const r = await hw.exited;
    session.hw = undefined;
    expect(r, hw.stderr()).toEqual({ code: 0, signal: null });
    expect(hw.stderr()).toMatch(/SIGTERM while starting: stopped; nothing was started/);
    await waitFor(() => !isAlive(goList), { description: 'the go list it waited on is gone', timeoutMs: 5000 });
    expect(hw.events('build.start')).toEqual([]);
  });

  it('SIGINT while the first build runs and the watches are armed: a clean stop, exit 0, the build gone', async () => {
    const gate = path.join(session.dir, '.arming-gate'); // never created: the arming waits until the signal
    const started = path.join(session.dir, '.build.pid');
    fs.writeFileSync(
      path.join(session.dir, 'watcher.config.yaml'),
      `build:\n  package: ./cmd/server\n  cmd: 'echo $$ > ${started} && sleep 60'\n`,
    );
    const hw = startHotwatch(['--log-level', 'debug'], {
      cwd: session.dir,
      env: { PORT: String(session.port), HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_ARMING_GATE: gate },
    });
    const build = await waitFor(() => fs.existsSync(started) && Number(fs.readFileSync(started, 'utf8')), {
      description: 'the first build runs while the arming waits',
    });
    hw.proc.kill('SIGINT');
    const r = await hw.exited;
    session.hw = undefined;
    expect(hw.stderr()).not.toMatch(/internal error/);
    expect(r, hw.stderr()).toEqual({ code: 0, signal: null });
    expect(hw.events('exit').at(-1)).toMatchObject({ msg: expect.stringContaining('nothing left running') });
    expect(isAlive(build)).toBe(false);
  });
});

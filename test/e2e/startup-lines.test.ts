/**
 * Issues 12 and 13: the start-up a person reads in two seconds. Three lines before the first edit: what
 * this run will do (the config loaded, what is built into what, what runs with which arguments), what is
 * watched, and where the app serves (the real address); the internals (the inotify budget) at debug.
 * The watching line comes when the watches are armed, after the first build has started (issue 19).
 * A snapshot of the pretty output of a run with a config file, started from the module's parent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, startHotwatch, writeGoApp } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const session = hotwatchSession((dir) => {
  const mod = path.join(dir, 'svc');
  fs.mkdirSync(path.join(mod, 'internal'), { recursive: true });
  writeGoApp(mod, 'v1');
  fs.writeFileSync(path.join(mod, 'watcher.config.yaml'), 'run:\n  args: [-v, "two words"]\n');
});

/** The pretty lines with what changes from run to run (time, pid, ms, port) replaced. */
function normalised(text: string, port: number): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) =>
      l
        .replace(/^\[[\d:.]+\] /, '')
        .replace(/pid \d+/g, 'pid N')
        .replace(new RegExp(String(port), 'g'), 'PORT')
        .replace(/\d+ms/g, 'Nms')
        .replace(/\d+ ms/g, 'N ms'),
    );
}

describe('the start-up lines (e2e)', () => {
  it('say what is built and run, what is watched and where it serves; counts agree; internals at debug', async () => {
    const hw = startHotwatch(['--root', 'svc', '--log-format', 'pretty'], {
      cwd: session.dir,
      env: { PORT: String(session.port), NO_COLOR: '1' },
    });
    session.hw = hw;
    await session.serves('v1');
    await waitFor(() => /serving on/.test(hw.stderr()), { description: 'the serving line', timeoutMs: 30_000 });
    await waitFor(() => /watching \d+ director/.test(hw.stderr()), { description: 'the watching line', timeoutMs: 30_000 });
    const lines = normalised(hw.stderr(), session.port);
    // The first build starts before the watches are armed (startup/first-build.ts): the watching line
    // comes once they are, after the building line, wherever the build then is.
    const watching =
      'INFO: [watch] watching 2 directories (native: inotify, one watch per directory, held by the hotwatch-inotify helper, 2 inotify watches), ready in Nms';
    expect(lines.filter((l) => l === watching)).toHaveLength(1);
    expect(lines.indexOf(watching)).toBeGreaterThan(lines.indexOf('INFO: [supervisor] initial build → building'));
    expect(lines.filter((l) => l !== watching)).toEqual([
      "INFO: svc: config svc/watcher.config.yaml; build: go build . → svc/.hotwatch/bin/app; run: svc/.hotwatch/bin/app -v 'two words'",
      'INFO: [supervisor] initial build → building',
      'INFO: [supervisor] build ok in Nms',
      'INFO: [supervisor] app started (pid N, start Nms)',
      'INFO: [supervisor] initial build → built in N ms, started in N ms, serving on http://127.0.0.1:PORT',
    ]);
  }, 90_000);
});

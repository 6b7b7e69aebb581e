/**
 * The first build starts while the watches are being armed (src/startup/first-build.ts). The built CLI,
 * real go builds, real files; HOTWATCH_TEST_ARMING_GATE holds the arming back until the test says, so the
 * tree can change while the build runs and nothing watches it yet:
 *   - an edit made then is served (caught by the walk after ready: no watch could see it);
 *   - a directory created then is built;
 *   - watching that cannot start after the build began (the root gone) ends in exit 2 and leaves no
 *     process of that build behind (the build's whole tree is killed, here a -toolexec wrapper's sleep).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, pidsWithEnvMarker, startHotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';
import { slowToolsConfig } from '../helpers/slow-tools.js';

const session = hotwatchSession();

/** The gate file lives outside the watched root. */
const gated = (gate: string) => ({ HOTWATCH_TEST_FAULTS: '', HOTWATCH_TEST_ARMING_GATE: gate });

describe('the first build while arming', () => {
  it('starts before watching is ready; an edit made before the watches exist is served', async () => {
    const gate = path.join(path.dirname(session.dir), `${path.basename(session.dir)}.gate`);
    try {
      const hw = startHotwatch(['--log-level', 'debug'], { cwd: session.dir, env: { PORT: String(session.port), ...gated(gate) } });
      session.hw = hw;
      await session.serves('v1'); // built and started while nothing is armed
      expect(hw.events('watch.ready'), 'the first build did not wait for the watches').toEqual([]);
      expect(hw.events('build.start').length).toBeGreaterThan(0);
      // A save now reaches no watch (none is armed): only the walk after ready can see it.
      fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2'));
      fs.writeFileSync(gate, '');
      await hw.waitForLog((l) => l.event === 'watch.ready', 'watching ready');
      const caught = await hw.waitForLog((l) => l.event === 'watch.arming-changes', 'the edit made while arming is found');
      expect(String(caught.msg)).toMatch(/main\.go/);
      // Found among what the arming walk listed: the tree was not walked a second time.
      const checked = await hw.waitForLog((l) => l.event === 'watch.arming-checked', 'the catch-up ran');
      expect(checked.walked).toBe(0);
      await session.serves('v2');
    } finally {
      fs.rmSync(gate, { force: true });
    }
  });

  it('a directory created while arming is built', async () => {
    const gate = path.join(path.dirname(session.dir), `${path.basename(session.dir)}.gate`);
    // The answer comes from a package in its own directory.
    const helper = path.join(session.dir, 'helper');
    const writeHelper = (v: string) => {
      fs.mkdirSync(helper, { recursive: true });
      fs.writeFileSync(path.join(helper, 'version.go'), `package helper\n\nconst Version = "${v}"\n`);
    };
    writeHelper('v1');
    fs.writeFileSync(
      path.join(session.dir, 'main.go'),
      goMain('unused', { imports: ['example.com/e2e/helper'] }).replace(
        'fmt.Fprintf(w, "v=%s", version)',
        'fmt.Fprintf(w, "v=%s", helper.Version)',
      ),
    );
    try {
      const hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), ...gated(gate) } });
      session.hw = hw;
      await session.serves('v1');
      // The package's directory replaced by a new one (a branch switch, a generator) before any watch exists.
      fs.rmSync(helper, { recursive: true });
      writeHelper('v2');
      fs.writeFileSync(gate, '');
      const caught = await hw.waitForLog((l) => l.event === 'watch.arming-changes', 'the new directory is found');
      expect(String(caught.msg)).toMatch(/helper/);
      await session.serves('v2');
    } finally {
      fs.rmSync(gate, { force: true });
    }
  });

  it('a build that read a file half-written while arming is superseded, not reported as failed', async () => {
    const gate = path.join(path.dirname(session.dir), `${path.basename(session.dir)}.gate`);
    const outside = path.join(path.dirname(session.dir), `${path.basename(session.dir)}.tools`);
    const main = path.join(session.dir, 'main.go');
    try {
      // The first compile finds main.go cut in the middle of a save (written by the wrapper, in the build).
      fs.mkdirSync(outside);
      const done = path.join(outside, 'cut');
      const half = path.join(outside, 'half.go');
      fs.writeFileSync(half, goMain('v2').slice(0, 120));
      const wrapper = path.join(outside, 'cut-once.sh');
      fs.writeFileSync(
        wrapper,
        `#!/bin/sh\ncase "$1" in */compile) if [ ! -e '${done}' ]; then : > '${done}'; cp '${half}' '${main}'; fi;; esac\nexec "$@"\n`,
        { mode: 0o755 },
      );
      fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), `build:\n  flags: ["-toolexec", ${JSON.stringify(wrapper)}]\n`);
      const hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), ...gated(gate) } });
      session.hw = hw;
      await waitFor(() => fs.existsSync(done), { description: 'the first compile ran', timeoutMs: 60_000 });
      // The save completes; then the watches are armed.
      await new Promise((r) => setTimeout(r, 300));
      fs.writeFileSync(main, goMain('v2'));
      fs.writeFileSync(gate, '');
      await session.serves('v2');
      expect(hw.events('build.failed'), 'a half-written tree is no failure to report').toEqual([]);
      expect(hw.stderr()).not.toMatch(/BUILD FAILED/);
    } finally {
      fs.rmSync(gate, { force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('nothing changed while arming: one build, no catch-up', async () => {
    const hw = startHotwatch(['--log-level', 'debug'], { cwd: session.dir, env: { PORT: String(session.port) } });
    session.hw = hw;
    await session.serves('v1');
    const checked = await hw.waitForLog((l) => l.event === 'watch.arming-checked', 'the check after ready ran');
    expect(checked.walked, "the arming's listing was checked, not a second walk").toBe(0);
    expect(checked.looked as number).toBeGreaterThan(1);
    expect(hw.events('watch.arming-changes')).toEqual([]);
    const timings = await hw.waitForLog((l) => l.event === 'startup.timings', 'the start-up timings');
    const ms = timings.ms as Record<string, number>;
    expect(ms.build, 'the build started before watching was ready').toBeLessThanOrEqual(ms.ready!);
    const cpu = timings.cpuMs as Record<string, number>;
    expect(cpu.build, 'the CPU time spent until the build started is said').toBeGreaterThan(0);
    expect(cpu.ready).toBeGreaterThanOrEqual(cpu.build!);
    await new Promise((r) => setTimeout(r, 1000));
    expect(hw.events('build.start').filter((l) => l.trigger !== undefined)).toHaveLength(1);
  });

  it('watching cannot start after the build began: exit 2, the build and its children killed', async () => {
    const gate = path.join(path.dirname(session.dir), `${path.basename(session.dir)}.gate`);
    const outside = path.join(path.dirname(session.dir), `${path.basename(session.dir)}.tools`);
    const marker = `first-build-${process.pid}-${Date.now()}`;
    try {
      // go build runs its tools through a wrapper: it says it runs, then waits on a child of its own.
      const { started, config } = slowToolsConfig(session.dir);
      const hw = startHotwatch(['--config', config], {
        cwd: outside,
        env: { PORT: String(session.port), HW_FIRST_BUILD_MARK: marker, ...gated(gate) },
      });
      await waitFor(() => fs.existsSync(started), { description: 'the build runs its first tool', timeoutMs: 60_000 });
      expect(pidsWithEnvMarker('HW_FIRST_BUILD_MARK', marker).length, 'the build and its tools run').toBeGreaterThan(1);
      // The root goes away before it is watched: watching cannot start.
      // hotwatch may still be writing into .hotwatch/ (its start-up goes on): rm retries a directory that filled meanwhile.
      fs.rmSync(session.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      fs.writeFileSync(gate, '');
      const r = await hw.exited;
      expect(r.code, hw.stderr()).toBe(2);
      expect(hw.events('fatal')[0], hw.stderr()).toMatchObject({ code: 'ROOT_UNREADABLE' });
      expect(hw.events('watch.ready')).toEqual([]);
      // Every process of the build (go, the wrapper, its sleep) is gone.
      await waitFor(() => pidsWithEnvMarker('HW_FIRST_BUILD_MARK', marker).length === 0, {
        description: 'no process of the abandoned build left',
        timeoutMs: 10_000,
      });
    } finally {
      fs.rmSync(gate, { force: true });
      fs.rmSync(outside, { recursive: true, force: true });
      fs.mkdirSync(session.dir, { recursive: true }); // the session's cleanup expects it
    }
  });
});

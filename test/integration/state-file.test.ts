/**
 * Issue 14 (5): `.hotwatch/state.json` names a process to stop only when that process carries the marker
 * hotwatch recorded (HOTWATCH_APP_ID=<uuid> in /proc/<pid>/environ) and leads its own process group, as
 * every app hotwatch starts does. Anything else in the file is ignored, said, and nothing is signalled.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateFile } from '../../src/state-file.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';

let tmp: { dir: string; cleanup: () => void };
const kill: number[] = [];
const states: StateFile[] = [];
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-state-');
  fs.mkdirSync(path.join(tmp.dir, '.hotwatch'), { mode: 0o700 });
});
afterEach(() => {
  for (const s of states.splice(0)) s.release();
  for (const pid of kill.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  tmp.cleanup();
});

function capture() {
  const lines: Array<{ msg: string; event?: string; level: number }> = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(c, _e, done) {
        lines.push(JSON.parse(String(c)));
        done();
      },
    }),
  );
  return { log, lines };
}

/** A `sleep` in its own process group with `env`; its start time from /proc. */
function sleeper(env: NodeJS.ProcessEnv): { pid: number; startTime: number } {
  const p = spawn('sleep', ['300'], { detached: true, stdio: 'ignore', env });
  p.unref();
  kill.push(p.pid!);
  const stat = fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8');
  return { pid: p.pid!, startTime: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) };
}

async function reapWith(app: unknown) {
  fs.writeFileSync(path.join(tmp.dir, '.hotwatch/state.json'), JSON.stringify({ hotwatch: { pid: 999_999_999, startTime: 1 }, app }));
  const state = new StateFile(tmp.dir);
  states.push(state);
  await state.claim();
  const c = capture();
  await state.reapLeftover(c.log);
  return c.lines;
}

describe('state.json: the leftover app is stopped only when it carries the recorded marker', () => {
  it('the real thing (a marked group leader): stopped, and said', async () => {
    const marker = { key: 'HOTWATCH_APP_ID', value: randomUUID() };
    const app = sleeper({ ...process.env, [marker.key]: marker.value });
    const lines = await reapWith({ ...app, marker });
    await waitFor(() => !isAlive(app.pid), { description: 'the leftover app is stopped', timeoutMs: 5000 });
    expect(lines.find((l) => l.event === 'app.leftover')?.msg).toContain(`pid ${app.pid}`);
  });

  it('a version proving itself beside the serving one (blue-green), recorded as such: a hotwatch killed meanwhile leaves both, the next run stops both', async () => {
    const [serving, proving] = [randomUUID(), randomUUID()].map((value) => {
      const marker = { key: 'HOTWATCH_APP_ID', value };
      return { ...sleeper({ ...process.env, [marker.key]: marker.value }), marker };
    });
    const first = new StateFile(tmp.dir);
    await first.claim();
    first.recordApp(serving!);
    first.recordAlso(proving!, true);
    const written = JSON.parse(fs.readFileSync(path.join(tmp.dir, '.hotwatch/state.json'), 'utf8'));
    expect(written.also).toMatchObject([{ pid: proving!.pid }]);
    // No longer besides (ready: the serving one now; or stopped): it leaves the record.
    first.recordAlso(proving!, false);
    expect(JSON.parse(fs.readFileSync(path.join(tmp.dir, '.hotwatch/state.json'), 'utf8')).also).toBeUndefined();
    // The state of a hotwatch that did not exit (SIGKILL): taken over by the next one, as it would be.
    fs.writeFileSync(
      path.join(tmp.dir, '.hotwatch/state.json'),
      JSON.stringify({ ...written, hotwatch: { pid: 999_999_999, startTime: 1 } }),
    );
    first.release();
    const next = new StateFile(tmp.dir);
    states.push(next);
    await next.claim();
    const c = capture();
    await next.reapLeftover(c.log);
    await waitFor(() => !isAlive(serving!.pid) && !isAlive(proving!.pid), { description: 'both versions are stopped', timeoutMs: 8000 });
    expect(c.lines.filter((l) => l.event === 'app.leftover')).toHaveLength(2);
  });

  it("a build a killed hotwatch of this root left running is stopped; one of another directory, and this hotwatch's own, are not", async () => {
    const env = () => ({ ...process.env, HOTWATCH_BUILD_ID: randomUUID() });
    /** A build whose hotwatch is gone: its parent exits at once (it is nobody's child of ours). */
    const orphanIn = (cwd: string): number => {
      const pid = Number(execFileSync('sh', ['-c', 'sleep 300 >/dev/null 2>&1 & echo $!'], { cwd, env: env(), encoding: 'utf8' }).trim());
      kill.push(pid);
      return pid;
    };
    const childIn = (cwd: string): number => {
      const p = spawn('sleep', ['300'], { cwd, stdio: 'ignore', env: env() });
      p.unref();
      kill.push(p.pid!);
      return p.pid!;
    };
    const elsewhere = makeTmpDir('hotwatch-state-other-');
    try {
      const orphan = orphanIn(tmp.dir);
      const other = orphanIn(elsewhere.dir);
      const own = childIn(tmp.dir); // a child of this process: the running hotwatch's own first build
      const lines = await reapWith(undefined);
      await waitFor(() => !isAlive(orphan), { description: 'the orphaned build is stopped', timeoutMs: 5000 });
      expect(isAlive(other)).toBe(true);
      expect(isAlive(own)).toBe(true);
      expect(lines.find((l) => l.event === 'build.leftover')?.msg).toContain(`pid ${orphan}`);
    } finally {
      elsewhere.cleanup();
    }
  });

  it("a marker that is not hotwatch's (a variable the named process does carry): ignored, nothing signalled", async () => {
    // Not PATH=… here, though that is the forgery to fear: every process carries it, and a hotwatch that
    // trusted it would sweep them all (the test run included) — as today's code did, once, on this machine.
    const marker = { key: 'SOME_VARIABLE', value: randomUUID() };
    const app = sleeper({ ...process.env, [marker.key]: marker.value });
    const lines = await reapWith({ ...app, marker });
    expect(lines.filter((l) => l.event === 'app.leftover')).toEqual([]);
    expect(lines.find((l) => l.event === 'state.ignored')?.msg).toMatch(/ignored.*not a marker hotwatch sets/);
    expect(isAlive(app.pid)).toBe(true);
  });

  it('the right marker name but a process that does not carry it: ignored, nothing signalled', async () => {
    const app = sleeper({ ...process.env, HOTWATCH_APP_ID: randomUUID() });
    const lines = await reapWith({ ...app, marker: { key: 'HOTWATCH_APP_ID', value: randomUUID() } });
    expect(lines.filter((l) => l.event === 'app.leftover')).toEqual([]);
    expect(lines.find((l) => l.event === 'state.ignored')?.msg).toMatch(/does not carry/);
    expect(isAlive(app.pid)).toBe(true);
  });

  it('a marked process that is not the leader of its own group (a group of someone else): ignored', async () => {
    const marker = { key: 'HOTWATCH_APP_ID', value: randomUUID() };
    // sh leads the group; its child carries the marker too but is not the leader.
    const p = spawn('sh', ['-c', 'sleep 300 & echo $!; wait'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, [marker.key]: marker.value },
    });
    p.unref();
    kill.push(p.pid!);
    const child = Number(await new Promise<string>((r) => p.stdout!.once('data', (d) => r(String(d)))));
    kill.push(child);
    const stat = fs.readFileSync(`/proc/${child}/stat`, 'utf8');
    const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const lines = await reapWith({ pid: child, startTime, marker });
    expect(lines.filter((l) => l.event === 'app.leftover')).toEqual([]);
    expect(lines.find((l) => l.event === 'state.ignored')?.msg).toMatch(/not the leader of its own process group/);
    expect(isAlive(child)).toBe(true);
    expect(isAlive(p.pid!)).toBe(true);
  });

  it('a file that is not what hotwatch writes (a pid that is a string): ignored, said', async () => {
    const app = sleeper(process.env);
    const lines = await reapWith({
      pid: String(app.pid),
      startTime: app.startTime,
      marker: { key: 'HOTWATCH_APP_ID', value: randomUUID() },
    });
    expect(lines.find((l) => l.event === 'state.ignored')?.msg).toMatch(/ignored/);
    expect(isAlive(app.pid)).toBe(true);
  });
});

describe('a state naming a hotwatch that still runs', () => {
  it('is not a leftover: the claim is refused (exit 2, naming it), its app untouched', async () => {
    // The lock is free (its holder's root was replaced under it), but the state's writer is alive.
    const writer = sleeper(process.env);
    const marker = { key: 'HOTWATCH_APP_ID', value: randomUUID() };
    const app = sleeper({ ...process.env, [marker.key]: marker.value });
    fs.writeFileSync(path.join(tmp.dir, '.hotwatch/state.json'), JSON.stringify({ hotwatch: writer, app: { ...app, marker } }));
    const state = new StateFile(tmp.dir);
    states.push(state);
    const err = await state.claim().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'ALREADY_RUNNING', exitCode: 2 });
    expect(String((err as Error).message)).toContain(`another hotwatch (pid ${writer.pid}`);
    expect(isAlive(app.pid)).toBe(true);
    // The same state copied with the tree to another directory (cp -a, a restore elsewhere): that hotwatch runs
    // there, not here: no refusal, and its app is not ours to stop.
    const elsewhere = makeTmpDir();
    try {
      fs.writeFileSync(
        path.join(tmp.dir, '.hotwatch/state.json'),
        JSON.stringify({ hotwatch: { ...writer, root: elsewhere.dir }, app: { ...app, marker } }),
      );
      const copied = new StateFile(tmp.dir);
      states.push(copied);
      await copied.claim();
      const c = capture();
      await copied.reapLeftover(c.log);
      expect(c.lines.find((l) => l.event === 'state.ignored')?.msg).toContain(`it was copied from ${elsewhere.dir}`);
      expect(isAlive(app.pid)).toBe(true);
      copied.release();
      // The same, its hotwatch dead (SIGKILLed: its app still serves there): the app is still that root's.
      fs.writeFileSync(
        path.join(tmp.dir, '.hotwatch/state.json'),
        JSON.stringify({ hotwatch: { pid: writer.pid, startTime: writer.startTime + 1, root: elsewhere.dir }, app: { ...app, marker } }),
      );
      const copiedDead = new StateFile(tmp.dir);
      states.push(copiedDead);
      await copiedDead.claim();
      const d = capture();
      await copiedDead.reapLeftover(d.log);
      expect(d.lines.find((l) => l.event === 'state.ignored')?.msg).toContain(
        `it was copied from ${elsewhere.dir}, where the app it names belongs`,
      );
      expect(isAlive(app.pid)).toBe(true);
      copiedDead.release();
    } finally {
      elsewhere.cleanup();
    }
    // A writer with the same pid but another start time is a dead hotwatch whose pid was reused: its app is a
    // leftover, here where it ran, or from a root moved here (gone from where it was).
    fs.writeFileSync(
      path.join(tmp.dir, '.hotwatch/state.json'),
      JSON.stringify({
        hotwatch: { pid: writer.pid, startTime: writer.startTime + 1, root: `${tmp.dir}-moved-away` },
        app: { ...app, marker },
      }),
    );
    const again = new StateFile(tmp.dir);
    states.push(again);
    await again.claim();
    await again.reapLeftover(capture().log);
    await waitFor(() => !isAlive(app.pid), { description: 'the leftover app is stopped', timeoutMs: 5000 });
  });
});

describe('.hotwatch/.gitignore', () => {
  it('removed while hotwatch runs (rsync --delete of the tree): put back at the next record, so git add -A never takes the binary', async () => {
    const state = new StateFile(tmp.dir);
    states.push(state);
    await state.claim();
    const ignore = path.join(tmp.dir, '.hotwatch', '.gitignore');
    const text = fs.readFileSync(ignore, 'utf8');
    fs.rmSync(ignore);
    state.recordApp({ pid: process.pid, marker: { key: 'HOTWATCH_APP_ID', value: randomUUID() } });
    expect(fs.readFileSync(ignore, 'utf8')).toBe(text);
    expect(fs.statSync(ignore).mode & 0o777).toBe(fs.statSync(ignore).mode & 0o777 & ~0o022);
  });
});

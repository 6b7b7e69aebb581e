/**
 * The start-up's take-over of a build spawned before the settings existed (takeRemembered in
 * src/startup/remembered-build.ts), with real processes: a build that is not the one the settings ask for
 * is stopped (its process gone) before anything else happens, the root's lock kept when the root is the
 * same and released when it is not; the build that is the one is kept as it runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { lockRoot, type HeldLock } from '../../src/root-lock.js';
import { EarlyBuild } from '../../src/startup/early-build.js';
import { HeldSignals } from '../../src/startup/held-signals.js';
import { takeRemembered } from '../../src/startup/remembered-build.js';
import { buildCommand } from '../../src/supervisor/build.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { writeMainModule } from '../helpers/main-module.js';

let tmp: ReturnType<typeof makeTmpDir>;
let mod: string;
const locks: HeldLock[] = [];
const builds: EarlyBuild[] = [];

beforeEach(() => {
  tmp = makeTmpDir();
  mod = writeMainModule(tmp.dir);
});
afterEach(async () => {
  for (const b of builds.splice(0)) await b.abandon();
  for (const l of locks.splice(0)) l.release();
  tmp.cleanup();
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

async function spawned(root: string, file: string, args: string[]) {
  const got = await lockRoot(root);
  if (!('release' in got)) throw new Error('lock not taken');
  locks.push(got);
  const s = await loadSettings({ cwd: mod, isTTY: false });
  const early = EarlyBuild.spawn(root, s.build.output, { file, args, cwd: root, env: process.env });
  if (!early) throw new Error('not spawned');
  builds.push(early);
  const pid = (early as unknown as { sub: { child: { pid: number } } }).sub.child.pid;
  return { start: { build: { root, lock: got, early, signals: new HeldSignals([]), from: 'kept' as const } }, s, pid, lock: got };
}

describe('the take-over of a build spawned before the settings', () => {
  it('not the build the settings ask for: stopped and gone before it returns; the lock kept (same root)', async () => {
    const { start, s, pid, lock } = await spawned(mod, 'sleep', ['30']);
    expect(alive(pid)).toBe(true);
    const kept = await takeRemembered(start, s);
    expect(kept.early).toBeUndefined();
    expect(kept.lock).toBe(lock);
    expect(alive(pid), 'the build was stopped and waited for').toBe(false);
    expect(start.build.early.pending).toBe(false);
  });

  it('spawned for another root: stopped, and that root released', async () => {
    const other = path.join(tmp.dir, 'other');
    fs.mkdirSync(other);
    const { start, s, pid } = await spawned(other, 'sleep', ['30']);
    const kept = await takeRemembered(start, s);
    expect(kept).toEqual({});
    expect(alive(pid)).toBe(false);
    const again = await lockRoot(other);
    expect('release' in again, 'the other root is free again').toBe(true);
    if ('release' in again) again.release();
  });

  it('exactly the build the settings ask for: kept, still running, with the lock', async () => {
    const s = await loadSettings({ cwd: mod, isTTY: false });
    const { file, args } = buildCommand(s.build);
    const { start, pid, lock } = await spawned(mod, file, [...args]);
    const kept = await takeRemembered(start, s);
    expect(kept.early).toBe(start.build.early);
    expect(kept.lock).toBe(lock);
    expect(start.build.early.pending).toBe(true);
    expect(typeof pid).toBe('number');
  });
});

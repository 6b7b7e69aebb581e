/**
 * Helpers of the "trust nothing" tests: another user (an arbitrary uid, no passwd entry needed), a
 * filesystem other than the root's (so `go build` copies its output instead of renaming it), snapshots of
 * a directory outside the root (nothing there may be created or changed).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readStat } from '../../src/os/procfs.js';

/** A uid and gid no account on the test machine uses. */
export const OTHER_UID = 4242;

/**
 * These tests chown files to another user and run commands as that user: root only. A missing privilege
 * FAILS the test with the reason (the suite's rule: never a silent pass or skip).
 */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'this test plants files as another user (chown, setpriv --reuid): it must run as root; it fails rather than pass without testing anything',
    );
  }
  const r = spawnSync('setpriv', [`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups', 'true'], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`setpriv --reuid does not work here (${r.error?.message ?? r.stderr}): this test needs it (util-linux)`);
}

/** Runs a shell script as OTHER_UID (setpriv); throws with its stderr on failure. */
export function asOtherUser(script: string): void {
  const r = spawnSync('setpriv', [`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups', 'sh', '-ec', script], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`as uid ${OTHER_UID}: ${script}\n${r.stderr}`);
}

/** Every entry under `dir` (relative path → type, mode and a hash of the content), symlinks not followed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      const rel = path.relative(dir, p);
      if (st.isDirectory()) {
        out[rel] = `dir ${(st.mode & 0o7777).toString(8)}`;
        walk(p);
      } else if (st.isSymbolicLink()) out[rel] = `link ${fs.readlinkSync(p)}`;
      else out[rel] = `file ${(st.mode & 0o7777).toString(8)} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir);
  return out;
}

/** A directory on a filesystem other than `than`'s (tmpfs /dev/shm), or a clear failure. */
export function otherFilesystemDir(than: string): { dir: string; cleanup: () => void } {
  const base = '/dev/shm';
  if (!fs.existsSync(base) || fs.statSync(base).dev === fs.statSync(than).dev) {
    throw new Error(
      `this test needs a directory on another filesystem than ${than} (for GOTMPDIR: go build then copies its output into place); /dev/shm is not one here`,
    );
  }
  const dir = fs.mkdtempSync(path.join(base, 'hotwatch-gotmp-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A process in its own process group that never carried any hotwatch marker (`sleep`). */
export function innocentProcess(): { proc: ChildProcess; pid: number; startTime: number } {
  const proc = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  proc.unref();
  const pid = proc.pid!;
  const startTime = readStat(pid)!.startTime;
  return { proc, pid, startTime };
}

/** st_mode & 0o7777 of a path (not following a symlink). */
export const modeOf = (p: string): number => fs.lstatSync(p).mode & 0o7777;

/**
 * Sentinel files: proof that the watch still delivers events. For each target (the root: a hidden dir
 * of hotwatch's own, `<root>/.hotwatch/watchdog/`; each distinct mount under the root: its top dir), a
 * file `.hotwatch-sentinel-<pid>-<n>` is created (O_EXCL | O_NOFOLLOW: never a user's file, never through
 * a symlink), and its event must come back from the watcher within the deadline. An echoed file is
 * removed when the next one is written (its delete event then reaches the watcher with the new file's
 * events: one wake-up per round, not two), any other at once; whatever is left is removed on close. The deadline policy is the caller's: this
 * class only writes, matches echoes and says what is overdue.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SENTINEL_PREFIX } from '../tree/filter.js';

export interface SentinelTarget {
  scope: 'root' | 'mount';
  /** The root, or the mount point (as spelled under the root). */
  path: string;
  /** Where sentinel files are written. */
  dir: string;
}

interface Pending {
  file: string;
  at: number;
  epoch: number;
  waiters: Array<(ok: boolean) => void>;
}

interface TargetState {
  t: SentinelTarget;
  pending: Pending | undefined;
  /** Epoch ms of the write whose echo came back last: the watch was live then. */
  lastOkEpoch: number | undefined;
  /** Why the last write failed (disk full, read-only, permissions), until one succeeds again. */
  error: string | undefined;
  /** The last echoed file, removed with the next write. */
  spent: string | undefined;
}

/** written; missing: the dir is gone (re-create it); failed: try again next time; unwritable: see lastError. */
export type WriteResult = 'written' | 'missing' | 'failed' | 'unwritable';

const HINTS: Record<string, string> = {
  ENOSPC: ' (the filesystem is full: free some space)',
  EDQUOT: ' (disk quota exceeded)',
  EROFS: ' (a read-only filesystem)',
  EACCES: ' (no write permission: run hotwatch as the owner of the tree)',
  EPERM: ' (no write permission: run hotwatch as the owner of the tree)',
};

const FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0);

/** `<root>/.hotwatch/watchdog`, created if needed; throws when a part is not a real directory (a symlink). */
export function ensureSentinelDir(root: string): string {
  const hw = path.join(root, '.hotwatch');
  const dir = path.join(hw, 'watchdog');
  for (const d of [hw, dir]) {
    try {
      fs.mkdirSync(d, { mode: 0o755 });
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
    }
    const st = fs.lstatSync(d);
    if (!st.isDirectory()) throw new Error(`${d} exists and is not a directory (a symlink or a file): not writing sentinels through it`);
  }
  return dir;
}

export class SentinelFiles {
  private readonly states = new Map<string, TargetState>();
  private readonly byFile = new Map<string, TargetState>();
  /** Written and not removed yet. */
  private readonly leftovers = new Set<string>();
  private seq = 0;

  add(t: SentinelTarget): void {
    if (!this.states.has(t.path))
      this.states.set(t.path, { t, pending: undefined, lastOkEpoch: undefined, error: undefined, spent: undefined });
  }

  remove(p: string): void {
    const s = this.states.get(p);
    if (!s) return;
    this.drop(s, false);
    this.removeSpent(s);
    this.states.delete(p);
  }

  has(p: string): boolean {
    return this.states.has(p);
  }

  targets(): SentinelTarget[] {
    return [...this.states.values()].map((s) => s.t);
  }

  /** Writes a new sentinel for `p` (replacing a pending one). */
  write(p: string): WriteResult {
    const s = this.states.get(p);
    if (!s) return 'failed';
    this.drop(s, false);
    this.removeSpent(s);
    const file = path.join(s.t.dir, `${SENTINEL_PREFIX}-${process.pid}-${++this.seq}`);
    s.pending = { file, at: performance.now(), epoch: Date.now(), waiters: [] };
    this.byFile.set(file, s);
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, FLAGS, 0o644);
      this.leftovers.add(file);
      fs.writeSync(fd, `hotwatch ${process.pid} sentinel ${this.seq}\n`);
      s.error = undefined;
      return 'written';
    } catch (e) {
      this.drop(s, false);
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
      if (code === 'EEXIST' || code === 'ELOOP') return 'failed'; // someone else's file: the next name is different
      // Disk full, quota, read-only, permissions: said by the caller, and tried again at the next tick.
      s.error = `cannot write a sentinel in ${s.t.dir}: ${code ?? String(e)}${HINTS[code ?? ''] ?? ''}`;
      return 'unwritable';
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /** Why the last write for `p` failed, while it keeps failing. */
  lastError(p: string): string | undefined {
    return this.states.get(p)?.error;
  }

  /** A sentinel event from the watcher. */
  seen(file: string): void {
    const s = this.byFile.get(file);
    if (!s || s.pending?.file !== file) return;
    s.lastOkEpoch = s.pending.epoch;
    this.drop(s, true);
  }

  /** Age (ms) of the pending sentinel of `p`, or undefined when none is pending. */
  pendingAge(p: string, now: number): number | undefined {
    const pend = this.states.get(p)?.pending;
    return pend ? now - pend.at : undefined;
  }

  lastOkEpoch(p: string): number | undefined {
    return this.states.get(p)?.lastOkEpoch;
  }

  /** Writes one sentinel and waits for its echo (false after `timeoutMs` or when it cannot be written). */
  roundTrip(p: string, timeoutMs: number): Promise<boolean> {
    if (this.write(p) !== 'written') return Promise.resolve(false);
    const pend = this.states.get(p)!.pending!;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      pend.waiters.push((ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
    });
  }

  /** Forget the pending round trip of `p` (its scope was re-armed or polled meanwhile: a stale verdict). */
  reset(p: string): void {
    const s = this.states.get(p);
    if (s) this.drop(s, false);
  }

  /** Forget every pending round trip (the process itself was stalled: no verdict possible). */
  voidPending(): void {
    for (const s of this.states.values()) this.drop(s, false);
  }

  /**
   * Removes every sentinel file still on disk. Returns those it could not remove (a read-only or remounted
   * .hotwatch/): said by the caller, never thrown (a clean shutdown ended in "internal error", exit 1).
   */
  close(): string[] {
    for (const s of this.states.values()) this.drop(s, false);
    const kept: string[] = [];
    for (const f of this.leftovers) {
      try {
        fs.rmSync(f, { force: true });
      } catch (e) {
        kept.push(`${f} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
    }
    this.leftovers.clear();
    return kept;
  }

  private drop(s: TargetState, ok: boolean): void {
    const pend = s.pending;
    if (!pend) return;
    s.pending = undefined;
    this.byFile.delete(pend.file);
    for (const w of pend.waiters) w(ok);
    if (!this.leftovers.has(pend.file)) return;
    if (ok) s.spent = pend.file;
    else this.unlink(pend.file);
  }

  private removeSpent(s: TargetState): void {
    if (s.spent !== undefined) this.unlink(s.spent);
    s.spent = undefined;
  }

  /** Removes one sentinel file (gone already is fine; kept in leftovers for close() when it cannot be removed now). */
  private unlink(file: string): void {
    try {
      fs.rmSync(file, { force: true });
      this.leftovers.delete(file);
    } catch {
      // removed on close (or left for the user to see if even that fails)
    }
  }
}

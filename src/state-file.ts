/**
 * `.hotwatch/state.json` in the root: which hotwatch runs here and which app it started. It lets a new
 * `hotwatch run` (1) refuse to start beside a live hotwatch on the same root (two would fight over the
 * binary and the port), and (2) stop an app left running by a hotwatch that died without cleaning up
 * (SIGKILL, OOM): the "old process still holds the port" failure, diagnosed and fixed instead of silent.
 * Also writes `.hotwatch/.gitignore` so the directory never shows up in `git status`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HotwatchError, errnoCode } from './errors.js';
import type { Logger } from './log/logger.js';
import { isRunning, readCmdline, readStat } from './os/procfs.js';
import { terminateTree, type EnvMarker } from './supervisor/kill-tree.js';
import { claimDelayMs } from './test-hooks.js';

interface Proc {
  pid: number;
  startTime: number;
}
interface State {
  hotwatch: Proc;
  app?: Proc & { marker: EnvMarker };
}

const sameProcess = (p: Proc): boolean => isRunning(p.pid) && readStat(p.pid)?.startTime === p.startTime;

export class StateFile {
  readonly dir: string;
  private readonly file: string;
  private readonly self: Proc;

  constructor(root: string) {
    this.dir = path.join(root, '.hotwatch');
    this.file = path.join(this.dir, 'state.json');
    this.self = { pid: process.pid, startTime: readStat(process.pid)?.startTime ?? 0 };
  }

  private read(): State | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as State;
    } catch {
      return undefined; // absent or torn: nothing to recover
    }
  }

  private write(s: State): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(s));
    fs.renameSync(tmp, this.file);
  }

  /** Throws ALREADY_RUNNING (exit 2) when a live hotwatch owns this root. */
  claim(): void {
    const prev = this.read();
    if (prev && prev.hotwatch.pid !== process.pid && sameProcess(prev.hotwatch)) {
      throw new HotwatchError('ALREADY_RUNNING', `another hotwatch (pid ${prev.hotwatch.pid}: ${readCmdline(prev.hotwatch.pid)}) is already running on ${path.dirname(this.dir)}`, {
        hint: `stop it first (Ctrl-C in its terminal, or kill ${prev.hotwatch.pid})`,
      });
    }
    const delay = claimDelayMs();
    if (delay > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay); // test-only: the window widened
    try {
      // Not recursive: the root exists (checked at load), and a recursive mkdir reports EROFS as ENOENT.
      fs.mkdirSync(this.dir);
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw this.unwritable(e);
    }
    try {
      const ignore = path.join(this.dir, '.gitignore');
      if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, '# written by hotwatch: build output and state, never commit\n*\n');
      this.write({ hotwatch: this.self });
    } catch (e) {
      throw this.unwritable(e);
    }
    this.leftover = prev?.app;
  }

  /** .hotwatch/ cannot be created or written: exit 2 saying why, before anything started. */
  private unwritable(e: unknown): HotwatchError {
    const code = errnoCode(e);
    const root = path.dirname(this.dir);
    const why =
      code === 'EROFS' ? 'the root is on a read-only file system'
        : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
          : code === 'ENOTDIR' ? `${this.dir} is not a directory`
            : (code ?? String(e));
    const fix =
      code === 'EROFS' ? 'run hotwatch on a writable checkout, or mount this one read-write'
        : code === 'EACCES' || code === 'EPERM' ? `give your user write permission: chmod u+w ${root}`
          : code === 'ENOTDIR' ? `move ${this.dir} out of the way`
            : `check the disk (df -h ${root})`;
    return new HotwatchError('ROOT_UNREADABLE', `cannot write ${this.dir} (${why}): hotwatch keeps its state there, and by default the built binary`, {
      hint: fix,
      cause: e,
    });
  }

  private leftover: State['app'];

  /** Stops an app that a dead hotwatch left running (found by pid + start time, and its env marker). */
  async reapLeftover(log: Logger): Promise<void> {
    const app = this.leftover;
    this.leftover = undefined;
    if (!app || !sameProcess(app)) return;
    const cmd = readCmdline(app.pid);
    const res = await terminateTree({ pgid: app.pid, leaderExited: () => !isRunning(app.pid), marker: app.marker, signal: 'SIGTERM', graceMs: 3000, log });
    log.warn(
      { event: 'app.leftover', pid: app.pid, cmd, graceful: res.graceful, swept: res.swept },
      `stopped app pid ${app.pid} (${cmd}) left running by a previous hotwatch that did not exit cleanly (killed with SIGKILL?)`,
    );
  }

  recordApp(app: { pid: number; marker: EnvMarker } | undefined): void {
    const startTime = app ? readStat(app.pid)?.startTime : undefined;
    this.write(app && startTime !== undefined ? { hotwatch: this.self, app: { pid: app.pid, startTime, marker: app.marker } } : { hotwatch: this.self });
  }

  release(): void {
    try {
      if (this.read()?.hotwatch.pid === process.pid) fs.rmSync(this.file, { force: true });
    } catch {
      // the root itself may be gone: nothing to release
    }
  }
}

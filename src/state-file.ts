/**
 * `.hotwatch/` in the root, and `.hotwatch/state.json` in it: which hotwatch runs here and which app it
 * started. It lets a new `hotwatch run` stop an app left running by a hotwatch that died without cleaning
 * up (SIGKILL, OOM): the "old process still holds the port" failure, diagnosed and fixed instead of
 * silent. One hotwatch per root is the lock's business (root-lock.ts), taken before anything here is
 * touched; the file is not trusted for that, nor for anything else:
 * - the app it names is stopped only when that process carries the marker hotwatch recorded
 *   (HOTWATCH_APP_ID=<uuid> in /proc/<pid>/environ, inherited by every process of the app) and leads its
 *   own process group, as every app hotwatch starts does; anything else is ignored, and said;
 * - `.hotwatch` must be a real directory of ours (a symlink, or another user's directory: exit 2 with the
 *   fix), mode 0700 whatever the umask; what hotwatch writes in it goes to a fresh name with
 *   O_EXCL|O_NOFOLLOW, then is renamed into place (src/os/safe-fs.ts), so a planted symlink is replaced,
 *   never written through.
 * Also writes `.hotwatch/.gitignore` so the directory never shows up in `git status`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HotwatchError, errnoCode } from './errors.js';
import type { Logger } from './log/logger.js';
import { descendsFrom } from './os/ancestry.js';
import { carriesEnv, isRunning, pidsWithEnv, pidsWithEnvKeyIn, processUid, readCmdline, readStat } from './os/procfs.js';
import { BUILD_MARKER_KEY } from './supervisor/build.js';
import {
  UntrustedPathError,
  ensureOwnDir,
  myUid,
  octal,
  readOwnFile,
  realPathOr,
  unlinkIfSymlink,
  writeFileReplacing,
} from './os/safe-fs.js';
import { alreadyRunning, lockRoot, type HeldLock } from './root-lock.js';
import { terminateTree, type EnvMarker } from './supervisor/kill-tree.js';
import { APP_MARKER_KEY } from './supervisor/process.js';
import { claimDelayMs } from './test-hooks.js';

interface Proc {
  pid: number;
  startTime: number;
}
interface State {
  /** `root`: the directory it runs on (a state copied with the tree names another one). */
  hotwatch: Proc & { root?: string };
  app?: Proc & { marker: EnvMarker };
  /** With apps: (several apps), the process of each app that runs. */
  apps?: Array<Proc & { marker: EnvMarker }>;
  /** App processes besides those: a new version proving itself beside the serving one, an old one draining. */
  also?: Array<Proc & { marker: EnvMarker }>;
}

/** Private: the state, the built binary, the sentinels. Nobody else needs to read or enter it. */
export const HOTWATCH_DIR_MODE = 0o700;
const STATE_MODE = 0o600;
const GITIGNORE_MODE = 0o644;
const GITIGNORE = '# written by hotwatch: build output and state, never commit\n*\n';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a state file's app entry allows: stop this process, ignore the entry (and why), or nothing to do. */
export type LeftoverVerdict =
  | { app: Proc & { marker: EnvMarker } }
  | { ignore: string; level: 'info' | 'warn' }
  /** The recorded leader is gone; processes still carrying its marker (a daemon it forked) are the app's. */
  | { gone: true; marker: EnvMarker };

/** Judges a state file's `app` entry against the running system. Reads /proc, signals nothing. */
/**
 * The processes of the apps a previous hotwatch of `root` left running (state.json's entries that are still
 * those apps, every process carrying their marker): the claim stops them (reapLeftover), so the port
 * they hold is not "in use by a stranger" for the pre-flight check. It was: with run.port set, the next
 * run refused with "kill N" instead of stopping the leftover. Empty when nothing can be told.
 */
export function leftoverAppPids(root: string): Set<number> {
  const out = new Set<number>();
  try {
    const state = readStateOf(root) as { app?: unknown; apps?: unknown; also?: unknown } | null | undefined;
    if (state === undefined) return out;
    const serving = state?.app !== undefined ? [state.app] : Array.isArray(state?.apps) ? (state.apps as unknown[]) : [];
    const entries = [...serving, ...(Array.isArray(state?.also) ? (state.also as unknown[]) : [])];
    for (const e of entries) {
      const v = judgeLeftover(e);
      const marker = 'app' in v ? v.app.marker : 'gone' in v ? v.marker : undefined;
      if (marker) for (const pid of pidsWithEnv(marker.key, marker.value)) out.add(pid);
    }
  } catch {
    // unreadable, not JSON, planted: the claim says so; here nothing is a leftover
  }
  return out;
}

/**
 * The parsed .hotwatch/state.json of `root`, for readers outside the run that owns it (the claim's
 * leftover check, the client's stopped-hotwatch check): undefined when there is none; throws when it is
 * not this user's regular file (readOwnFile) or not JSON.
 */
export function readStateOf(root: string): unknown {
  const raw = readOwnFile(path.join(root, '.hotwatch', 'state.json'));
  return raw === undefined ? undefined : JSON.parse(raw.toString('utf8'));
}

export function judgeLeftover(raw: unknown): LeftoverVerdict {
  const a = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const m = (typeof a.marker === 'object' && a.marker !== null ? a.marker : {}) as Record<string, unknown>;
  const pid = a.pid;
  if (
    typeof pid !== 'number' ||
    !Number.isInteger(pid) ||
    pid <= 1 ||
    typeof a.startTime !== 'number' ||
    typeof m.key !== 'string' ||
    typeof m.value !== 'string'
  ) {
    return { ignore: 'its app entry is not what hotwatch writes (a pid, a start time and a marker)', level: 'warn' };
  }
  const marker = { key: m.key, value: m.value };
  if (marker.key !== APP_MARKER_KEY || !UUID.test(marker.value)) {
    return { ignore: `the marker it records (${marker.key}=…) is not a marker hotwatch sets (${APP_MARKER_KEY}=<uuid>)`, level: 'warn' };
  }
  const st = readStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return { gone: true, marker };
  const cmd = readCmdline(pid);
  if (st.startTime !== a.startTime) return { ignore: `pid ${pid} is another process now (${cmd}), not the app it recorded`, level: 'info' };
  const uid = processUid(pid);
  if (uid !== myUid()) return { ignore: `pid ${pid} (${cmd}) belongs to uid ${uid ?? '?'}, not to you`, level: 'warn' };
  if (st.pgrp !== pid)
    return { ignore: `pid ${pid} (${cmd}) is not the leader of its own process group, as every app hotwatch starts is`, level: 'warn' };
  const carries = carriesEnv(pid, marker.key, marker.value);
  if (carries === undefined)
    return { ignore: `the environment of pid ${pid} (${cmd}) cannot be read to check the marker it must carry`, level: 'warn' };
  if (!carries) {
    return {
      ignore: `pid ${pid} (${cmd}) does not carry the marker ${marker.key}=${marker.value} that hotwatch recorded: it is not an app hotwatch started`,
      level: 'warn',
    };
  }
  return { app: { pid, startTime: a.startTime, marker } };
}

export class StateFile {
  readonly dir: string;
  private readonly file: string;
  private readonly self: Proc & { root: string };
  private lock: HeldLock | undefined;
  /** Said once the logger exists (the claim runs before it). */
  private readonly notes: Array<{ level: 'info' | 'warn'; event: string; msg: string }> = [];
  /** The previous state's app entries (one, or one per app with apps:), as read (judged in reapLeftover). */
  private leftover: unknown[] | undefined;
  /** The root directory's identity when the lock was taken ("dev:ino"): the lock is named after it. */
  private lockedId: string | undefined;
  /** What was written last (written again into a root that replaced the first one). */
  private last: State | undefined;
  /** App processes besides the serving ones, by pid (recordAlso). */
  private readonly also = new Map<number, Proc & { marker: EnvMarker }>();
  private reclaiming: Promise<void> = Promise.resolve();
  private released = false;
  /** The hotwatch the previous state names (read with it). */
  private previousWriter: (Proc & { root?: string | undefined }) | undefined;

  constructor(root: string) {
    this.dir = path.join(root, '.hotwatch');
    this.file = path.join(this.dir, 'state.json');
    this.self = { pid: process.pid, startTime: readStat(process.pid)?.startTime ?? 0, root: path.dirname(this.dir) };
  }

  private get root(): string {
    return path.dirname(this.dir);
  }

  private write(s: State): void {
    this.last = s;
    const also = [...this.also.values()];
    writeFileReplacing(this.dir, 'state.json', JSON.stringify(also.length > 0 ? { ...s, also } : s), STATE_MODE);
    // Removed meanwhile (rsync --delete of the tree, a clean): put back, or `git add -A` takes the binary.
    if (!fs.existsSync(path.join(this.dir, '.gitignore'))) writeFileReplacing(this.dir, '.gitignore', GITIGNORE, GITIGNORE_MODE);
  }

  /**
   * Takes the root: the lock first (ALREADY_RUNNING, exit 2, naming the holder), then `.hotwatch/` made
   * safe to write into, the previous state read, this hotwatch recorded. Exit 2 with the fix when
   * `.hotwatch` cannot be used; the lock is released again then.
   */
  async claim(held?: HeldLock): Promise<void> {
    // `held`: taken already, for this root, by the remembered first build's spawn (startup/remembered-build.ts).
    const got = held ?? (await lockRoot(this.root));
    if ('pid' in got) {
      if (got.pid !== undefined) throw alreadyRunning(got.pid, this.root, got.elsewhere);
      throw new HotwatchError(
        'ALREADY_RUNNING',
        `another process holds hotwatch's lock on ${this.root} (${got.name}) and did not say its pid: another hotwatch, busy or stopped?`,
        {
          hint: `stop it first: find it with \`ss -xlp | grep ${path.basename(got.name.replace(/^@/, ''))}\``,
        },
      );
    }
    if ('why' in got) {
      this.notes.push({
        level: 'warn',
        event: 'state.unlocked',
        msg: `could not take the lock on ${this.root} (${got.name}: ${got.why}): a second hotwatch on this root would not be refused`,
      });
    } else {
      this.lock = got;
      this.lockedId = rootId(this.root);
    }
    try {
      const delay = claimDelayMs();
      if (delay > 0) await sleep(delay); // test-only: the claim's window widened
      this.prepareDir();
      this.leftover = this.readPrevious();
      this.refuseLiveWriter();
      this.write({ hotwatch: this.self });
    } catch (e) {
      this.lock?.release();
      this.lock = undefined;
      throw e instanceof HotwatchError ? e : this.unwritable(e);
    }
  }

  /** `.hotwatch/` as a real directory of ours, mode 0700, and the entries hotwatch uses in it not links. */
  private prepareDir(): void {
    try {
      const own = ensureOwnDir(this.dir, HOTWATCH_DIR_MODE);
      if (own.modeNotSet) {
        this.notes.push({
          level: 'warn',
          event: 'state.mode-unset',
          msg: `${this.dir}: the filesystem refused mode ${octal(HOTWATCH_DIR_MODE)} (${own.modeNotSet}): its mount options decide who may write there`,
        });
      }
      if (own.wasOpen !== undefined) {
        this.notes.push({
          level: 'warn',
          event: 'state.mode-fixed',
          msg: `${this.dir} was writable by others (mode ${octal(own.wasOpen)}, an old umask?): now ${octal(HOTWATCH_DIR_MODE)}; what hotwatch uses in it is checked before use`,
        });
      }
    } catch (e) {
      if (e instanceof UntrustedPathError) throw this.untrusted(e);
      throw this.unwritable(e);
    }
    // The watchdog's sentinel directory: a planted link there is removed, never written through.
    if (unlinkIfSymlink(path.join(this.dir, 'watchdog'))) {
      this.notes.push({
        level: 'warn',
        event: 'state.link-removed',
        msg: `removed a symlink at ${path.join(this.dir, 'watchdog')}: hotwatch writes its sentinels there`,
      });
    }
    const ignore = path.join(this.dir, '.gitignore');
    let keep = false;
    try {
      const st = fs.lstatSync(ignore);
      keep = st.isFile() && st.uid === (myUid() ?? st.uid) && (st.mode & 0o7777) === GITIGNORE_MODE;
    } catch {
      keep = false; // absent: written below
    }
    if (!keep) writeFileReplacing(this.dir, '.gitignore', GITIGNORE, GITIGNORE_MODE);
  }

  /** The previous state's app entries; a state file that cannot be trusted is ignored, and said. */
  /**
   * The state names a hotwatch that is still running (same pid, same start time) although the lock was
   * free: its root was replaced under it (a re-clone, a restore: the lock is named after the directory it
   * started on) before it took the new one. Its app is live, not left over: exit 2, nothing stopped.
   */
  private refuseLiveWriter(): void {
    const w = this.previousWriter;
    if (w === undefined || w.pid === process.pid) return;
    const alive = readStat(w.pid)?.startTime === w.startTime;
    // Copied with the tree (cp -a, rsync, a restore elsewhere) from a root that is still there: its app is
    // that root's, whether its hotwatch still runs or died (a SIGKILL leaves the app serving there):
    // neither ours to stop nor a reason to refuse. (A root moved here, gone from where it was, is ours.)
    if (w.root !== undefined && w.root !== this.root && isOtherDirectory(w.root, this.root)) {
      this.leftover = undefined;
      const who = alive ? `the hotwatch it names (pid ${w.pid}) still runs` : 'the app it names belongs';
      this.ignored(`it was copied from ${w.root}, where ${who}: its app is left alone`, 'info');
      return;
    }
    if (alive) throw alreadyRunning(w.pid, this.root);
  }

  /**
   * The root is another directory now (replaced, or deleted and made again: the watcher re-armed it): the
   * lock, named after the first one, is taken again for it, and the state written into it, so a second
   * `hotwatch run` there is refused as on the first. Said when it cannot be (another hotwatch took it).
   */
  reclaim(log: Logger): Promise<void> {
    // One at a time: two re-arms in a row would both ask for the lock, and the second find the first's (its own pid).
    this.reclaiming = this.reclaiming.then(() => this.reclaimOnce(log));
    return this.reclaiming;
  }

  private async reclaimOnce(log: Logger): Promise<void> {
    const id = rootId(this.root);
    if (this.released || id === undefined || id === this.lockedId) return;
    const got = await lockRoot(this.root);
    if (this.released) {
      if ('release' in got) got.release(); // shut down meanwhile: nothing to keep
      return;
    }
    if ('pid' in got && got.pid === process.pid && got.elsewhere === undefined) return; // ours already
    if ('pid' in got) {
      const who = got.pid !== undefined ? `another hotwatch (pid ${got.pid}: ${readCmdline(got.pid)})` : `another process (${got.name})`;
      log.error(
        {
          event: 'state.lock-lost',
          root: this.root,
          holder: got.pid,
          hint: `stop one of them${got.pid !== undefined ? ` (kill ${got.pid})` : ''}`,
        },
        `${this.root} was replaced, and ${who} runs on the new directory: two hotwatch now watch it and restart its app; fix: stop one of them${got.pid !== undefined ? ` (kill ${got.pid})` : ''}`,
      );
      return;
    }
    if ('why' in got) {
      log.warn(
        { event: 'state.unlocked', root: this.root },
        `could not take the lock on the replaced root ${this.root} (${got.name}: ${got.why}): a second hotwatch on it would not be refused`,
      );
      return;
    }
    this.lock?.release();
    this.lock = got;
    this.lockedId = id;
    try {
      this.prepareDir();
      this.write(this.last ?? { hotwatch: this.self });
      log.info(
        { event: 'state.reclaimed', root: this.root },
        `the replaced root ${this.root} is this hotwatch's again (its lock and .hotwatch/state.json)`,
      );
    } catch (e) {
      log.warn({ event: 'state.unwritable', err: e }, `could not write ${this.file} in the replaced root: ${String(e)}`);
    }
  }

  private readPrevious(): unknown[] | undefined {
    let raw: Buffer | undefined;
    try {
      raw = readOwnFile(this.file);
    } catch (e) {
      this.ignored(
        e instanceof UntrustedPathError ? e.message.slice(this.file.length + 1) : `it cannot be read (${errnoCode(e) ?? String(e)})`,
        'warn',
      );
      return undefined;
    }
    if (raw === undefined) return undefined;
    try {
      const state = JSON.parse(raw.toString('utf8')) as { app?: unknown; apps?: unknown; also?: unknown; hotwatch?: unknown } | null;
      this.previousWriter = asProc(state?.hotwatch);
      const also = Array.isArray(state?.also) ? (state.also as unknown[]) : [];
      if (state?.app !== undefined) return [state.app, ...also];
      return Array.isArray(state?.apps) ? [...(state.apps as unknown[]), ...also] : also.length > 0 ? also : undefined;
    } catch {
      this.ignored('it is not JSON', 'warn');
      return undefined;
    }
  }

  private ignored(why: string, level: 'info' | 'warn'): void {
    this.notes.push({ level, event: 'state.ignored', msg: `${this.file} ignored: ${why}; nothing was signalled` });
  }

  /** `.hotwatch` is a symlink, not a directory, or another user's: exit 2, nothing changed. */
  private untrusted(e: UntrustedPathError): HotwatchError {
    const p = e.problem;
    const why =
      p.kind === 'symlink'
        ? 'hotwatch keeps its state and the built binary there, and never writes through a link (it could point anywhere)'
        : p.kind === 'owner'
          ? 'hotwatch keeps its state and the built binary there, and will not use (or run anything from) a directory another user controls'
          : 'hotwatch keeps its state there';
    const fix =
      p.kind === 'symlink'
        ? `remove the link (rm ${this.dir}); hotwatch creates the directory itself`
        : p.kind === 'owner'
          ? `remove it (sudo rm -rf ${this.dir}) and let hotwatch create its own, or run hotwatch as uid ${p.uid}`
          : `move ${this.dir} out of the way`;
    return new HotwatchError('UNSAFE_PATH', `${e.message}: ${why}`, { hint: fix, cause: e });
  }

  /** .hotwatch/ cannot be created or written: exit 2 saying why, before anything started. */
  private unwritable(e: unknown): HotwatchError {
    const code = errnoCode(e);
    const root = this.root;
    const why =
      code === 'EROFS'
        ? 'the root is on a read-only file system'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENOTDIR'
            ? `${this.dir} is not a directory`
            : (code ?? String(e));
    const fix =
      code === 'EROFS'
        ? 'run hotwatch on a writable checkout, or mount this one read-write'
        : code === 'EACCES' || code === 'EPERM'
          ? permissionFix(root)
          : code === 'ENOTDIR'
            ? `move ${this.dir} out of the way`
            : `check the disk (df -h ${root})`;
    return new HotwatchError(
      'ROOT_UNREADABLE',
      `cannot write ${this.dir} (${why}): hotwatch keeps its state there, and by default the built binary`,
      {
        hint: fix,
        cause: e,
      },
    );
  }

  /**
   * Says what the claim found (a state file ignored, a mode fixed), then stops an app that a dead hotwatch
   * left running: only when it still carries the marker that hotwatch recorded (see judgeLeftover).
   */
  async reapLeftover(log: Logger): Promise<void> {
    for (const n of this.notes.splice(0)) log[n.level]({ event: n.event }, n.msg);
    const entries = this.leftover ?? [];
    this.leftover = undefined;
    for (const raw of entries) await this.reapOne(raw, log);
    // A state left behind is a hotwatch that did not exit cleanly: a build it ran may still run.
    if (this.previousWriter) this.reapBuilds(log);
  }

  /**
   * Builds a hotwatch of this root left running when it was killed (SIGKILL, OOM): processes of ours with
   * a build's marker variable, working in the root, that are not this hotwatch's (its own first build
   * runs already). They went on compiling, unstopped, into the output the next build writes.
   */
  private reapBuilds(log: Logger): void {
    // Each one's own ancestry: a snapshot of this process's descendants taken before the scan missed the
    // compiler processes its first build started meanwhile, and they were killed as leftovers.
    const left = pidsWithEnvKeyIn(BUILD_MARKER_KEY, realPathOr(this.root)).filter((pid) => !descendsFrom(pid, process.pid));
    if (left.length === 0) return;
    const who = left.map((pid) => `pid ${pid} (${readCmdline(pid)})`).join(', ');
    for (const pid of left) signalIfRunning(pid, 'SIGKILL');
    log.warn(
      { event: 'build.leftover', pids: left },
      `stopped a build left running by a previous hotwatch that did not exit cleanly (killed with SIGKILL?): ${who}`,
    );
  }

  /** One app entry of the previous state: stopped when it is still that app (judgeLeftover). */
  private async reapOne(raw: unknown, log: Logger): Promise<void> {
    const v = judgeLeftover(raw);
    if ('gone' in v) return this.reapDaemons(v.marker, log);
    if ('ignore' in v) {
      log[v.level]({ event: 'state.ignored', why: v.ignore }, `${this.file} ignored: ${v.ignore}; nothing was signalled`);
      return;
    }
    const app = v.app;
    const cmd = readCmdline(app.pid);
    const res = await terminateTree({
      pgid: app.pid,
      leaderExited: () => !isRunning(app.pid),
      marker: app.marker,
      signal: 'SIGTERM',
      graceMs: 3000,
      log,
    });
    log.warn(
      { event: 'app.leftover', pid: app.pid, cmd, graceful: res.graceful, swept: res.swept },
      `stopped app pid ${app.pid} (${cmd}) left running by a previous hotwatch that did not exit cleanly (killed with SIGKILL?)`,
    );
  }

  /**
   * The recorded leader is gone, but an app that daemonized left processes carrying its marker (a
   * uuid only that app's processes inherit, read from /proc/<pid>/environ, ours only): they are the
   * app, still holding its port. Stopped like the app: the stop signal, a grace period, SIGKILL.
   */
  private async reapDaemons(marker: EnvMarker, log: Logger): Promise<void> {
    const pids = pidsWithEnv(marker.key, marker.value);
    if (pids.length === 0) return;
    const who = pids.map((pid) => `pid ${pid} (${readCmdline(pid)})`).join(', ');
    for (const pid of pids) signalIfRunning(pid, 'SIGTERM');
    const deadline = performance.now() + 3000;
    while (pids.some(isRunning) && performance.now() < deadline) await sleep(20);
    const killed = pids.filter(isRunning);
    for (const pid of killed) signalIfRunning(pid, 'SIGKILL');
    log.warn(
      { event: 'app.leftover', pids, killed, marker: marker.key },
      `stopped ${who}: the app daemonized under a previous hotwatch that did not exit cleanly (killed with SIGKILL?); they carried its marker${killed.length > 0 ? ` (${killed.length} needed SIGKILL)` : ''}`,
    );
  }

  /**
   * An app process besides the serving ones (`alive`: from now on; else no longer): a new version proving
   * itself beside the serving one, or an old one draining after the switch. A hotwatch killed meanwhile left
   * it running, unrecorded, and the next run said "nothing left running".
   */
  recordAlso(app: { pid: number; marker: EnvMarker }, alive: boolean): void {
    const startTime = alive ? readStat(app.pid)?.startTime : undefined;
    if (startTime !== undefined) this.also.set(app.pid, { pid: app.pid, startTime, marker: app.marker });
    else if (!this.also.delete(app.pid)) return;
    this.write(this.last ?? { hotwatch: this.self });
  }

  /**
   * Written again when it is gone (git clean -fdx removed .hotwatch/: the status socket is placed again
   * then): without it, a hotwatch killed later left its app for the next run to find nowhere.
   */
  restore(): void {
    if (this.released || !this.last || fs.existsSync(this.file)) return;
    this.write(this.last);
  }

  /** With apps: (several apps): the process of each app that runs now. */
  recordApps(apps: ReadonlyArray<{ pid: number; marker: EnvMarker }>): void {
    const entries = apps.flatMap((a) => {
      const startTime = readStat(a.pid)?.startTime;
      return startTime === undefined ? [] : [{ pid: a.pid, startTime, marker: a.marker }];
    });
    this.write(entries.length > 0 ? { hotwatch: this.self, apps: entries } : { hotwatch: this.self });
  }

  recordApp(app: { pid: number; marker: EnvMarker } | undefined): void {
    const startTime = app ? readStat(app.pid)?.startTime : undefined;
    this.write(
      app && startTime !== undefined
        ? { hotwatch: this.self, app: { pid: app.pid, startTime, marker: app.marker } }
        : { hotwatch: this.self },
    );
  }

  release(): void {
    this.released = true;
    try {
      const raw = readOwnFile(this.file);
      if (raw && (JSON.parse(raw.toString('utf8')) as State | null)?.hotwatch?.pid === process.pid) fs.rmSync(this.file, { force: true });
    } catch {
      // the root itself may be gone, or the file not ours: nothing to remove
    }
    this.lock?.release();
    this.lock = undefined;
  }
}

/** "dev:ino" of the root, or undefined when it cannot be read (gone meanwhile). */
function rootId(root: string): string | undefined {
  try {
    const st = fs.statSync(root);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

function asProc(v: unknown): (Proc & { root?: string | undefined }) | undefined {
  const p = v as (Partial<Proc> & { root?: unknown }) | null | undefined;
  if (!p || !Number.isInteger(p.pid) || (p.pid as number) <= 0 || typeof p.startTime !== 'number') return undefined;
  return { pid: p.pid!, startTime: p.startTime, root: typeof p.root === 'string' ? p.root : undefined };
}

/** A signal to a process that may have exited meanwhile. */
function signalIfRunning(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone meanwhile
  }
}

/**
 * The fix for a root hotwatch may not write in. `chmod u+w` works only for its owner: a tree another uid
 * owns (a dev container whose user differs from the checkout's) needs that user, or the ownership changed.
 */
function permissionFix(root: string): string {
  const me = process.getuid?.();
  let owner: number | undefined;
  try {
    owner = fs.statSync(root).uid;
  } catch {
    owner = undefined;
  }
  if (me === undefined || owner === undefined || owner === me) return `give your user write permission: chmod u+w ${root}`;
  return `${root} belongs to uid ${owner}, and hotwatch runs as uid ${me}: run it as uid ${owner} (in a container: --user ${owner}:${owner}, or the image's user with that uid), or give the tree to uid ${me} (sudo chown -R ${me} ${root})`;
}

/** `p` is a directory that is not `root` under another name (a symlink to it, another spelling). */
function isOtherDirectory(p: string, root: string): boolean {
  try {
    const [a, b] = [fs.statSync(p), fs.statSync(root)];
    return a.isDirectory() && (a.dev !== b.dev || a.ino !== b.ino);
  } catch {
    return false;
  }
}

/**
 * Arm-then-read walks for the native engine: a directory is watched BEFORE it is read (by the inotify
 * helper, in one request, where it runs), so nothing created in between is missed. Translates the
 * failures of a watch (the helper's or fs.watch's errno): ENOSPC → the watch limit, EMFILE/ENFILE → the
 * inotify instance limit (both fatal: never partial coverage in silence), EACCES → a notice.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../../../config/settings.js';
import { HotwatchError, errnoCode } from '../../../errors.js';
import { sameDir, type DirWatches, type ListedOutcome } from './dir-watches.js';
import { forEachEntry } from '../helper/wire.js';
import { entriesOf, kindOfLetter, type EntrySinks } from '../../tree/entries.js';
import { instanceLimitError, watchLimitError } from '../../budget/limits.js';
import { scanTree } from '../../tree/scan.js';
import { HEAVY_TREE_DIRS, heavyStartUp } from '../../../compiler-tier.js';
import { entryKind, type TreeRules } from '../../tree/rules.js';
import type { WatchNotice } from '../../types.js';

export interface ArmerHost {
  notice(n: WatchNotice): void;
  /** A limit was hit: stop everything, then report. */
  fatal(e: HotwatchError): void;
  stop(): void;
  stopped(): boolean;
  /** Sends the notices gathered so far (called every few hundred dirs, before arming lets pings through). */
  postNotices(): void;
}

const VANISHED = new Set(['ENOENT', 'ENOTDIR']);
/** Directories armed per round trip to the helper. */
const ARM_CHUNK = 256;
/** Chunks asked for and not yet read: the helper keeps ahead while this thread reads (2 left it idle ~100 ms of 10,001 dirs). */
const IN_FLIGHT = 4;

/**
 * A chunk of directories whose watches were asked for: `failed` resolves once those lstat'ed here are
 * made or failed, `listed` once the helper watched and read the others.
 */
interface ArmedChunk {
  batch: Array<{ dir: string; st: { dev: number; ino: number; birthtimeMs: number } }>;
  failed: Promise<Map<string, unknown>>;
  listed: Promise<Map<string, ListedOutcome>>;
}

export class TreeArmer {
  /** The start's arming is under way (armRoot): a large tree switches V8's optimizing compiler on. */
  private starting = false;

  constructor(
    private readonly settings: WatchSettings,
    private readonly root: string,
    readonly rules: TreeRules,
    private readonly watches: DirWatches,
    private readonly host: ArmerHost,
  ) {}

  /** Every few hundred dirs: notices posted, the event loop let through; a start with `pending` more dirs to arm may be heavy. */
  private async breathe(pending = 0): Promise<void> {
    this.host.postNotices();
    if (this.starting && this.watches.size + pending >= HEAVY_TREE_DIRS) heavyStartUp();
    await new Promise<void>((r) => setImmediate(r));
  }

  /**
   * Watches the whole tree; false when a fatal error stopped the engine (already reported), a root that
   * cannot be watched (gone, not a directory, unreadable) included.
   */
  async armRoot(files?: string[]): Promise<boolean> {
    this.starting = true;
    const armed = await this.armTree(this.root, undefined, files).finally(() => (this.starting = false));
    if (!armed) return false;
    if (this.watches.has(this.root)) return true;
    let why = 'not a directory';
    try {
      fs.readdirSync(this.root);
    } catch (e) {
      why = errnoCode(e) ?? String(e);
    }
    this.host.stop();
    this.host.fatal(
      new HotwatchError('ROOT_UNREADABLE', `cannot watch ${this.root}: ${why}`, {
        hint: 'check the root (--root or `root:` in watcher.config.yaml) exists and is a readable directory',
      }),
    );
    return false;
  }

  /**
   * Watches `start` and everything below it that is not watched yet: each directory is armed BEFORE it
   * is read, so nothing created in between is missed. In chunks of siblings and cousins (breadth first),
   * with the next chunk asked for before one is read: the helper works while this thread reads. With
   * the helper, one request arms and reads a directory (DirWatches.armListed); the rules stay here.
   * With `out`, the relevant files of newly armed dirs are reported (they may have been written before
   * the watch existed). `files`: the relevant regular files read are listed there (the snapshot's seed
   * at start; no symlinks, as scanTree). false = a fatal limit stopped the engine (already reported).
   */
  async armTree(start: string, out: string[] | undefined, files?: string[]): Promise<boolean> {
    // Few Stats objects and listings alive at once (they would outlive the young generation).
    const queue = [start];
    let head = 0;
    const inFlight: ArmedChunk[] = [];
    for (;;) {
      while (inFlight.length < IN_FLIGHT && head < queue.length && !this.host.stopped()) {
        inFlight.push(this.armChunk(queue.slice(head, head + ARM_CHUNK)));
        head = Math.min(queue.length, head + ARM_CHUNK);
      }
      const chunk = inFlight.shift();
      if (!chunk || this.host.stopped()) break;
      if (!(await this.readChunk(chunk, { next: queue, out, files }))) return false;
      if (head >= 4 * ARM_CHUNK) {
        queue.splice(0, head);
        head = 0;
      }
      await this.breathe(queue.length - head); // found, not armed yet: a large tree is known early (TurboFan on sooner)
    }
    return !this.host.stopped();
  }

  /**
   * Asks for watches on these dirs: read by the helper in the same request when it can (none of them
   * watched yet), else lstat'ed here (identity) and read once the watches are made.
   */
  private armChunk(dirs: string[]): ArmedChunk {
    const batch: ArmedChunk['batch'] = [];
    const toList: string[] = [];
    const lists = this.watches.listsOnArm;
    for (const dir of dirs) {
      if (dir !== this.root && !this.rules.descend(dir)) continue;
      if (lists && !this.watches.has(dir)) {
        toList.push(dir);
        continue;
      }
      let st: fs.Stats;
      try {
        st = fs.lstatSync(dir);
      } catch {
        continue; // vanished
      }
      if (!st.isDirectory()) continue;
      const cur = this.watches.inodeOf(dir);
      if (cur && sameDir(cur, st)) continue;
      batch.push({ dir, st: { dev: st.dev, ino: st.ino, birthtimeMs: st.birthtimeMs } });
    }
    const failed = this.watches.armMany(batch);
    const listed = this.watches.armListed(toList, this.rules.filter.keptFiles);
    // Awaited by readChunk; a chunk left unread (a fatal error before it) must not reject unhandled.
    for (const p of [failed, listed]) p.catch(() => undefined);
    return { batch, failed, listed };
  }

  /** Once a chunk's watches are made, reads its dirs (or takes the helper's listings). false = fatal. */
  private async readChunk(chunk: ArmedChunk, to: EntrySinks): Promise<boolean> {
    const failed = await chunk.failed;
    const listed = await chunk.listed;
    if (this.host.stopped()) return false;
    for (const { dir } of chunk.batch) {
      if (failed.has(dir)) {
        if (!(await this.armFailed(dir, failed.get(dir)))) return false;
        continue;
      }
      if (!this.watches.has(dir)) continue; // dropped meanwhile (its watch went with a deleted parent)
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch (e) {
        if (!VANISHED.has(errnoCode(e) ?? '')) this.rules.unreadable(dir, e);
        continue;
      }
      const take = entriesOf(this.rules, dir, to);
      for (const e of entries) take(entryKind(dir, e), e.name);
    }
    for (const [dir, o] of listed) {
      if (o === undefined) continue;
      if ('failed' in o) {
        if (!(await this.armFailed(dir, o.failed))) return false;
      } else if ('unreadable' in o) {
        if (!VANISHED.has(errnoCode(o.unreadable) ?? '')) this.rules.unreadable(dir, o.unreadable);
      } else if (this.watches.has(dir)) {
        const take = entriesOf(this.rules, dir, to);
        forEachEntry(o.listing, (letter, name) => take(kindOfLetter(letter), name));
      }
    }
    return true;
  }

  /**
   * Re-reads a watched dir for subdirectories not watched yet and arms them; false when the dir itself
   * vanished. With `sweep`: only subdirectories older than `minAgeMs` (a younger one's create event may
   * still be on its way), each armed one added to `armed`.
   */
  async reconcileDir(dir: string, out: string[], sweep?: { minAgeMs: number; armed: string[] }): Promise<boolean> {
    if (!this.watches.has(dir)) return true;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const e of entries) {
      if (entryKind(dir, e) !== 'dir') continue;
      const p = path.join(dir, e.name);
      if (this.watches.has(p)) continue;
      if (sweep && !olderThan(p, sweep.minAgeMs)) continue;
      await this.armTree(p, out);
      if (sweep && this.watches.has(p)) sweep.armed.push(p);
    }
    return true;
  }

  /**
   * One path that had an event: a new dir is armed (and its files reported), a vanished or replaced dir
   * dropped, a relevant file reported. Returns true when new directories were armed (audit soon).
   * `renamed`: the parent reported the entry created/deleted/moved: a watched dir there is re-armed even
   * when its identity looks the same (a deleted dir's inode is reused at once, and its watch is gone).
   */
  async resolve(p: string, out: string[], renamed = false): Promise<boolean> {
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(p);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) {
      const cur = this.watches.inodeOf(p);
      if (cur && sameDir(cur, st) && !renamed) return false;
      if (cur) {
        this.watches.unwatchSubtree(p); // replaced under the same name
        out.push(p);
      }
      if (p !== this.root && !this.watches.has(path.dirname(p))) return false;
      const before = this.watches.size;
      await this.armTree(p, out);
      return this.watches.size > before;
    }
    if (this.watches.hasSubtree(p)) {
      this.watches.unwatchSubtree(p);
      out.push(p);
    }
    if (st?.isSymbolicLink()) this.rules.symlink(p);
    if (this.rules.filter.isRelevantFile(p)) out.push(p);
    return false;
  }

  /** After a storm: every watched dir re-checked (vanished, replaced) and re-read for new subdirs. */
  async reconcileAll(out: string[]): Promise<void> {
    let n = 0;
    for (const d of this.watches.dirs()) {
      if (!this.watches.has(d)) continue; // dropped with its parent meanwhile
      await this.resolve(d, out);
      if (!(await this.reconcileDir(d, out))) await this.resolve(d, out);
      if (++n % 500 === 0) await this.breathe();
    }
  }

  /** true = skip this dir and go on; false = fatal, reported, engine stopped. */
  private async armFailed(dir: string, e: unknown): Promise<boolean> {
    const code = errnoCode(e) ?? '';
    if (VANISHED.has(code)) return true;
    if (code === 'EACCES' || code === 'EPERM') {
      this.rules.unreadable(dir, e);
      return true;
    }
    if (code === 'ENOSPC') {
      const held = this.watches.size;
      this.host.stop();
      let needed: number | undefined;
      try {
        needed = (await scanTree(this.settings, { signal: AbortSignal.timeout(30_000) })).dirs.length;
      } catch {
        needed = undefined; // the message then gives the lower bound we know
      }
      this.host.fatal(watchLimitError(needed ?? held, e, needed === undefined));
      return false;
    }
    if (code === 'EMFILE' || code === 'ENFILE') {
      this.host.stop();
      this.host.fatal(instanceLimitError(e));
      return false;
    }
    this.host.notice({
      level: 'warn',
      code: 'WATCH_ERROR',
      path: dir,
      message: `cannot watch ${dir} (${code || String(e)}): edits there are not seen`,
      hint: 'run `hotwatch doctor` to check inotify limits and mounts',
    });
    return true;
  }
}

/** Created (birth time; ctime where the filesystem has none) more than `ms` ago. */
function olderThan(p: string, ms: number): boolean {
  try {
    const st = fs.lstatSync(p);
    return Date.now() - (st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs) > ms;
  } catch {
    return false; // vanished
  }
}

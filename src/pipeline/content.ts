/**
 * Content dedupe: a save that changes no bytes (touch, an editor re-saving the same content) does not
 * rebuild. Keeps a hash per relevant file as of the last batch that went to a build. A file that is not
 * indexed, vanished, or is not a regular file counts as changed: when in doubt, build.
 */
import crypto from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import { ServedBaseline } from './baseline.js';

/** Files seeded between two yields to the event loop. */
const SEED_SLICE = 200;

/**
 * One-shot (Node ≥ 20.12): no Hash object per file. 5,000 of those, each holding an OpenSSL context until a
 * full GC, kept megabytes of a seeded index's RSS.
 */
const digest = (data: Buffer): string => crypto.hash('sha1', data, 'base64');

/** One buffer for seeding's reads: a Buffer per file was garbage outside the heap until a full GC. */
const SEED_BUF = Buffer.allocUnsafe(64 * 1024);

/** The file's bytes (a view of SEED_BUF when they fit: use before the next call). */
function readSmall(p: string, size: number): Buffer {
  if (size >= SEED_BUF.length) return fsSync.readFileSync(p);
  const fd = fsSync.openSync(p, 'r');
  try {
    let n = 0;
    for (let got = -1; got !== 0 && n < SEED_BUF.length; n += got) got = fsSync.readSync(fd, SEED_BUF, n, SEED_BUF.length - n, null);
    return n >= SEED_BUF.length ? fsSync.readFileSync(p) : SEED_BUF.subarray(0, n); // grew meanwhile: read it whole
  } finally {
    fsSync.closeSync(fd);
  }
}

export interface ContentVerdict {
  changed: string[];
  unchanged: string[];
}

/**
 * A large file's hash, read in 1 MB pieces: read whole (a 600 MB embedded asset), it took hotwatch's RSS
 * from 83 to 671 MB, kept after (glibc holds on to freed memory), an OOM kill in a small container.
 */
export async function hashFile(p: string): Promise<string | undefined> {
  let handle: fs.FileHandle | undefined;
  try {
    const st = await fs.lstat(p);
    if (!st.isFile()) return undefined;
    if (st.size <= SYNC_MAX_BYTES) return digest(await fs.readFile(p));
    handle = await fs.open(p, 'r');
    const h = crypto.createHash('sha1');
    const buf = Buffer.allocUnsafe(SYNC_MAX_BYTES);
    for (let got = -1; got !== 0; ) {
      ({ bytesRead: got } = await handle.read(buf, 0, buf.length, null));
      h.update(buf.subarray(0, got));
    }
    return h.digest('base64');
  } catch {
    return undefined; // vanished or unreadable: counts as changed
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Files hashed on the main thread without a break; bigger ones are read asynchronously (hashFile). */
const SYNC_MAX_BYTES = 1 << 20;

/**
 * The file's hash, read synchronously when it is small (undefined: vanished, unreadable, not a regular
 * file), or 'large' when it is not: then hashFile. A source file reads in microseconds this way; through
 * the thread pool (a promise per lstat and per read) 1,000 of them took 100–280 ms on 2 busy cores.
 */
export function hashSmallFile(p: string): string | undefined | 'large' {
  try {
    const st = fsSync.lstatSync(p);
    if (!st.isFile()) return undefined;
    if (st.size >= SYNC_MAX_BYTES) return 'large';
    return digest(readSmall(p, st.size));
  } catch {
    return undefined; // vanished or unreadable: counts as changed
  }
}

/** Hashes of `paths`: small files synchronously in slices (yielding between them), large ones async. */
export async function hashFiles(
  paths: readonly string[],
  known?: ReadonlyMap<string, string | undefined>,
): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = new Array(paths.length);
  const large: Promise<void>[] = [];
  let slice = 0;
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i]!;
    if (known?.has(p)) {
      out[i] = known.get(p);
      continue;
    }
    if (++slice % SEED_SLICE === 0) await new Promise<void>((r) => setImmediate(r));
    const h = hashSmallFile(p);
    if (h === 'large')
      large.push(
        hashFile(p).then((x) => {
          out[i] = x;
        }),
      );
    else out[i] = h;
  }
  await Promise.all(large);
  return out;
}

export class ContentIndex {
  private readonly hashes = new Map<string, string>();
  /** The hashes the running app was built from, for the files changed since (see baseline.ts). */
  readonly baseline = new ServedBaseline();

  get size(): number {
    return this.hashes.size;
  }

  /**
   * Record a baseline for files last modified before `since` (epoch ms, taken once the watcher is ready,
   * before the first build reads the tree). A file modified after `since` is left unindexed, so an edit
   * racing with seeding is never mistaken for "no change"; one modified before it is what the first
   * build compiled.
   */
  async seed(paths: Iterable<string>, since: number, signal: AbortSignal, limit = 20_000): Promise<number> {
    // Synchronous reads in slices, yielding between them: small source files read in microseconds each,
    // and the promise-per-file version cost ~10 MB of RSS on the benchmark tree (5,000 files) that the
    // process never gave back.
    let n = 0;
    let slice = 0;
    for (const p of paths) {
      if (signal.aborted || n >= limit) break;
      if (++slice % SEED_SLICE === 0) await new Promise<void>((r) => setImmediate(r));
      try {
        const st = fsSync.lstatSync(p);
        // 50 ms: the kernel stamps mtimes from a coarse clock that may lag the wall clock by a tick.
        // A large file is not read whole at start (a 600 MB asset): not indexed, its first change builds.
        if (!st.isFile() || st.mtimeMs >= since - 50 || st.size > SYNC_MAX_BYTES) continue;
        const h = digest(readSmall(p, st.size));
        // Re-check: written while we read it?
        const st2 = fsSync.lstatSync(p);
        if (st2.mtimeMs === st.mtimeMs && st2.size === st.size && !this.hashes.has(p)) {
          this.hashes.set(p, h);
          n++;
        }
      } catch {
        // vanished while seeding: nothing to record
      }
    }
    return n;
  }

  /** `path`'s content, hashed as `hash`, is what the index holds (as of the last batch checked). */
  holds(path: string, hash: string): boolean {
    return this.hashes.get(path) === hash;
  }

  /**
   * Forget every hash: a rescan builds a tree whose changes were not all seen (events lost, a root armed
   * late), so any hash may be stale, and a later edit back to a stale hash would pass for "no change".
   * Files are indexed again at their next change (counted as changed then: when in doubt, build).
   */
  forgetAll(): void {
    this.hashes.clear();
  }

  /**
   * Split `paths` by whether their content differs from the index, and update the index; with `seq` (the
   * batch's number), each change is also noted against the baseline of what runs. `known`: hashes read
   * while the batch gathered and still current (prehash.ts), not read again.
   */
  async classify(paths: readonly string[], seq?: number, known?: ReadonlyMap<string, string | undefined>): Promise<ContentVerdict> {
    const changed: string[] = [];
    const unchanged: string[] = [];
    const hashes = await hashFiles(paths, known);
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i]!;
      const h = hashes[i];
      const before = this.hashes.get(p);
      if (before === h && h !== undefined) {
        unchanged.push(p);
        continue;
      }
      if (h === undefined) this.hashes.delete(p);
      else this.hashes.set(p, h);
      changed.push(p);
      if (seq !== undefined) this.baseline.noteChange(seq, p, before, h);
    }
    return { changed, unchanged };
  }
}

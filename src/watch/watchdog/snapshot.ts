/**
 * What the tree looked like while the watch was healthy, to find what changed while it was deaf:
 * the set of relevant files (seeded by the start-up scan, kept current from change events), plus a
 * watermark = the last moment the watch was proven live (a sentinel round trip). After a re-arm, `diff`
 * walks the scope and reports files that are new, gone, or whose ctime/mtime is at or after the
 * watermark (ctime cannot be set back by tools that preserve mtimes). The changes go through content
 * dedupe like any event, so a re-arm rebuilds only when something relevant really changed.
 */
import path from 'node:path';
import fs from 'node:fs/promises';
import type { WatchSettings } from '../../config/settings.js';
import type { ArmingListing } from '../types.js';
import { FileSet } from '../tree/file-set.js';
import { scanTree } from '../tree/scan.js';

/** Timestamps are stamped from a coarse kernel clock: count a little before the watermark too. */
export const WATERMARK_SLACK_MS = 1000;
/** Beyond this many files the snapshot stops tracking and `diff` answers undefined (a full rescan). */
const MAX_FILES = 300_000;
const STAT_BATCH = 64;

export interface DiffResult {
  /** Relevant files created, modified or deleted (absolute). */
  changed: string[];
  /** Files looked at. */
  scanned: number;
}

export class Snapshot {
  private readonly files = new FileSet();
  private readonly dirty = new Set<string>();
  private overflowed = false;
  private seeded = false;
  /** Counts the seeds asked for: a fill deferred by seedLater is dropped when a later one came. */
  private seedGeneration = 0;
  private pending: { files: string[]; generation: number } | undefined;
  /** The start's arming walk (its seed and the dirs it armed), until the start-up's catch-up takes it. */
  private arming: ArmingListing | undefined;

  constructor(private readonly settings: WatchSettings) {}

  get size(): number {
    return this.files.size;
  }

  /** Up to `limit` known relevant files, shallowest directories first. */
  shallowest(limit: number): string[] {
    return this.files.shallowest(limit);
  }

  /** Seeds it from a scan of its own (after a config reload changed what is relevant). */
  async reseed(signal: AbortSignal): Promise<void> {
    this.seed((await scanTree(this.settings, { signal, files: true })).files);
  }

  /** The relevant files found at start (a scan's). */
  seed(files: string[]): void {
    this.seedGeneration++;
    this.fill(files);
  }

  /**
   * The start's arming listing: kept now (takeArmingListing), the set filled from it by fillPending(),
   * called once watching ready has been said (~20 ms of 10,001 directories no longer before it). Until
   * then the snapshot is not seeded, which its users already handle safely: knownUnder answers undefined
   * (assume something changed), diff reports every file. A seed or reseed meanwhile wins.
   */
  seedLater(files: string[], armedDirs: string[]): void {
    this.arming = { files, dirs: armedDirs };
    this.pending = { files, generation: ++this.seedGeneration };
  }

  /** Fills the set from the listing seedLater kept (once; nothing when a later seed came). */
  fillPending(): void {
    const p = this.pending;
    this.pending = undefined;
    if (p && p.generation === this.seedGeneration) this.fill(p.files);
  }

  private fill(files: string[]): void {
    if (this.files.size + files.length >= MAX_FILES) for (const f of files) this.add(f);
    else this.files.addAll(files);
    this.seeded = true;
  }

  /** What the start's arming walk listed, once (Watcher.takeArmingListing). */
  takeArmingListing(): ArmingListing | undefined {
    const listing = this.arming;
    this.arming = undefined;
    return listing;
  }

  /**
   * The relevant files known under `dir` (a directory removed, replaced or renamed away: these are the
   * files that went with it); undefined when the snapshot cannot tell (not seeded yet, or too large to be
   * trusted), and then the caller must assume something relevant changed.
   */
  knownUnder(dir: string): string[] | undefined {
    if (!this.seeded || this.overflowed) return undefined;
    // Files seen since the last settle count too: one created a moment ago went with the directory.
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    const recent = [...this.dirty].filter((p) => p.startsWith(prefix));
    return [...new Set([...this.files.filesUnder(dir), ...recent])];
  }

  /** A change event: the file is looked at again on the next settle(). */
  note(p: string): void {
    if (!this.overflowed) this.dirty.add(p);
  }

  /** Brings the set up to date with the events noted since the last call (one lstat each). */
  async settle(signal: AbortSignal): Promise<void> {
    const paths = [...this.dirty];
    this.dirty.clear();
    for (let i = 0; i < paths.length && !signal.aborted; i += STAT_BATCH) {
      await Promise.all(
        paths.slice(i, i + STAT_BATCH).map(async (p) => {
          if ((await lstatOrUndefined(p))?.isFile()) this.add(p);
          else this.files.delete(p);
        }),
      );
    }
  }

  /**
   * What changed under `under` since `sinceEpochMs` (undefined: report every file there, e.g. a new
   * mount). Updates the set. undefined when the snapshot is too large to be trusted (rescan instead).
   */
  async diff(under: string, sinceEpochMs: number | undefined, signal: AbortSignal): Promise<DiffResult | undefined> {
    if (this.overflowed) return undefined;
    const scan = await scanTree(this.settings, { signal, files: true, under });
    const present = new Set(scan.files);
    const changed: string[] = [];
    const since = sinceEpochMs === undefined ? undefined : sinceEpochMs - WATERMARK_SLACK_MS;
    for (let i = 0; i < scan.files.length; i += STAT_BATCH) {
      signal.throwIfAborted();
      await Promise.all(
        scan.files.slice(i, i + STAT_BATCH).map(async (p) => {
          const st = await lstatOrUndefined(p);
          const known = this.files.has(p);
          if (!st) return; // vanished meanwhile: handled as gone below on the next diff
          if (!known || since === undefined || st.ctimeMs >= since || st.mtimeMs >= since) changed.push(p);
          this.add(p);
        }),
      );
    }
    for (const f of this.files.filesUnder(under)) {
      if (!present.has(f)) {
        this.files.delete(f);
        changed.push(f);
      }
    }
    changed.sort();
    return { changed, scanned: scan.files.length };
  }

  private add(p: string): void {
    if (this.overflowed) return;
    if (this.files.size >= MAX_FILES) {
      this.overflowed = true;
      this.files.clear();
      this.dirty.clear();
      return;
    }
    this.files.add(p);
  }
}

async function lstatOrUndefined(p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch {
    return undefined;
  }
}

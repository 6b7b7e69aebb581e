/**
 * scanTree: the directories a watcher needs (one inotify watch each), without watching anything.
 * Never descends excluded dirs, never follows symlinks, ignores devices/sockets/FIFOs, skips special
 * mounts (tmpfs, proc, ...) unless included and lists poll-type mounts (9p, NFS, ...) for polling.
 * Used by `hotwatch doctor` (watch budget) and the content index; the native worker walks with the same
 * rules (rules.ts) but arms each directory before reading it.
 */
import fs from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../../config/settings.js';
import { HotwatchError, errnoCode } from '../../errors.js';
import { createTreeRules, entryKind, type SpecialMount, type TreeRulesOptions } from './rules.js';
import type { WatchNotice } from '../types.js';

export type { SpecialMount } from './rules.js';

export interface ScanResult {
  /** Absolute directories to watch, sorted (the root first). */
  dirs: string[];
  /** Relevant files found, when `files: true` was asked (sorted); otherwise []. */
  files: string[];
  notices: WatchNotice[];
  skippedMounts: SpecialMount[];
  pollMounts: SpecialMount[];
}

export interface ScanOptions extends TreeRulesOptions {
  signal: AbortSignal;
  /** Also collect the relevant files (one readdir per dir either way). */
  files?: boolean;
  /** Parallel readdirs (default 16). */
  concurrency?: number;
  /** Count poll-type mounts as natively watched dirs (backend: native); same as pollMounts: 'warn'. */
  descendPollMounts?: boolean;
  /** Walk only this subtree (at or under the root; the same rules apply); missing → empty result. */
  under?: string;
  /**
   * With `files`: stop once this many relevant files are found, walking shallowest directories first
   * (the content index's baseline: a big tree is not walked whole for it). `dirs` is then partial.
   */
  maxFiles?: number;
}

const VANISHED = new Set(['ENOENT', 'ENOTDIR']);

export async function scanTree(s: WatchSettings, opts: ScanOptions): Promise<ScanResult> {
  opts.signal.throwIfAborted();
  const root = path.resolve(s.root);
  await readableRoot(root);
  const rules = createTreeRules(s, opts.descendPollMounts && !opts.pollMounts ? { ...opts, pollMounts: 'warn' } : opts);
  const start = opts.under === undefined ? root : path.resolve(opts.under);
  if (start !== root && !(await isDir(start))) return { dirs: [], files: [], notices: rules.notices, skippedMounts: [], pollMounts: [] };
  const dirs: string[] = [start];
  const files: string[] = [];
  const maxFiles = opts.maxFiles ?? Number.POSITIVE_INFINITY;

  /** Reads one directory: its relevant files are kept, the subdirectories to walk returned. */
  const visit = async (dir: string): Promise<string[]> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (dir === start || !VANISHED.has(errnoCode(e) ?? '')) rules.unreadable(dir, e);
      return [];
    }
    const next: string[] = [];
    // dir is normalized and a name holds no separator: concatenated, not path.join'ed (100,000 times).
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    for (const e of entries) {
      const p = prefix + e.name;
      const kind = entryKind(dir, e);
      if (kind === 'dir') {
        if (rules.descend(p)) next.push(p);
      } else if (kind === 'symlink') rules.symlink(p);
      else if (kind === 'file' && opts.files && rules.filter.isRelevantFile(p)) files.push(p);
    }
    dirs.push(...next);
    return next;
  };
  await walk(start, visit, {
    signal: opts.signal,
    concurrency: Math.max(1, opts.concurrency ?? 16),
    breadthFirst: opts.maxFiles !== undefined,
    enough: () => files.length >= maxFiles,
  });

  if (files.length > maxFiles) files.length = maxFiles;
  dirs.sort();
  files.sort();
  return { dirs, files, notices: rules.notices, skippedMounts: rules.skippedMounts, pollMounts: rules.pollMounts };
}

async function readableRoot(root: string): Promise<void> {
  try {
    const st = await fs.stat(root);
    if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (e) {
    throw new HotwatchError('ROOT_UNREADABLE', `cannot watch ${root}: ${errnoCode(e) ?? String(e)}`, {
      hint: 'check the root (--root or `root:` in watcher.config.yaml) exists and is a readable directory',
      cause: e,
    });
  }
}

/**
 * A small pool of parallel readdirs: each takes the next queued dir (breadth-first: the oldest;
 * otherwise depth-first: the newest) until the queue is empty and nobody is reading, or `enough()`.
 */
function walk(
  start: string,
  visit: (dir: string) => Promise<string[]>,
  opts: { signal: AbortSignal; concurrency: number; breadthFirst: boolean; enough: () => boolean },
): Promise<void> {
  const queue: string[] = [start];
  let head = 0; // breadth-first: queue[head++]; otherwise: pop
  let active = 0;
  return new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      if (opts.signal.aborted) {
        if (active === 0) reject(opts.signal.reason);
        return;
      }
      if (opts.enough()) queue.length = head = 0;
      while (active < opts.concurrency && queue.length > head) {
        const dir = opts.breadthFirst ? queue[head++]! : queue.pop()!;
        active++;
        visit(dir).then(
          (next) => {
            active--;
            queue.push(...next);
            pump();
          },
          (e: unknown) => {
            active--;
            reject(e);
          },
        );
      }
      if (active === 0 && queue.length <= head) resolve();
    };
    pump();
  });
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.lstat(p)).isDirectory();
  } catch {
    return false;
  }
}

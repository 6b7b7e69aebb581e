/**
 * Turns drained events into one Batch, and describes it by directory (= Go package) for the log line:
 * "main.go", "3 files in ./internal/api", "12 files in 4 packages".
 */
import path from 'node:path';
import type { Batch, WatchEvent } from './events.js';

export function toBatch(events: readonly WatchEvent[]): Batch | undefined {
  if (events.length === 0) return undefined;
  const seen = new Set<string>();
  const paths: string[] = [];
  const rescanReasons: string[] = [];
  let firstAt = Infinity;
  let lastAt = -Infinity;
  let written = Infinity;
  for (const ev of events) {
    firstAt = Math.min(firstAt, ev.at);
    lastAt = Math.max(lastAt, ev.at);
    if (ev.kind === 'change' && ev.writtenAt !== undefined) written = Math.min(written, ev.writtenAt);
    if (ev.kind === 'rescan') {
      if (!rescanReasons.includes(ev.reason)) rescanReasons.push(ev.reason);
    } else if (!seen.has(ev.path)) {
      seen.add(ev.path);
      paths.push(ev.path);
    }
  }
  return { paths, rescanReasons, firstAt, lastAt, ...(written < firstAt ? { firstWrittenAt: written } : {}) };
}

/** The earlier of two batches' first writes, when earlier than their first event. */
function firstWritten(a: Batch, b: Batch): { firstWrittenAt?: number } {
  const w = Math.min(a.firstWrittenAt ?? a.firstAt, b.firstWrittenAt ?? b.firstAt);
  return w < Math.min(a.firstAt, b.firstAt) ? { firstWrittenAt: w } : {};
}

export function mergeBatches(a: Batch | undefined, b: Batch): Batch {
  if (!a) return b;
  // Sets keep first-seen order and stay linear on storms of thousands of paths.
  const paths = [...new Set([...a.paths, ...b.paths])];
  const rescanReasons = [...new Set([...a.rescanReasons, ...b.rescanReasons])];
  const seq = a.seq === undefined ? b.seq : b.seq === undefined ? a.seq : Math.max(a.seq, b.seq);
  const force = a.force || b.force ? { force: true as const } : {};
  return {
    paths,
    rescanReasons,
    firstAt: Math.min(a.firstAt, b.firstAt),
    lastAt: Math.max(a.lastAt, b.lastAt),
    ...firstWritten(a, b),
    ...(seq !== undefined ? { seq } : {}),
    ...force,
  };
}

/**
 * Changed files grouped by directory relative to root ("." for the root), in first-seen order. A file of
 * another watched root (a module outside the root) is named from the root: "../lib", absolute when far.
 */
export function groupByPackage(paths: readonly string[], root: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const p of paths) {
    const rel = path.relative(root, p).split(path.sep).join('/');
    const dir = path.posix.dirname(rel);
    const outside = dir === '..' || dir.startsWith('../') || path.isAbsolute(dir);
    const far = outside && dir.split('/').filter((s) => s === '..').length > 2;
    const key = dir === '.' ? '.' : far ? path.dirname(p) : outside ? dir : `./${dir}`;
    const list = groups.get(key) ?? [];
    list.push(path.posix.basename(rel));
    groups.set(key, list);
  }
  return groups;
}

export function describeBatch(batch: Batch, root: string): string {
  const parts: string[] = [];
  if (batch.paths.length > 0) {
    const groups = groupByPackage(batch.paths, root);
    if (batch.paths.length === 1) {
      const [dir, files] = [...groups.entries()][0]!;
      parts.push(dir === '.' ? files[0]! : `${dir.startsWith('./') ? dir.slice(2) : dir}/${files[0]!}`);
    } else if (groups.size === 1) {
      parts.push(`${batch.paths.length} files in ${[...groups.keys()][0]!}`);
    } else {
      const top = [...groups.entries()]
        .slice(0, 3)
        .map(([d, f]) => `${d} (${f.length})`)
        .join(', ');
      parts.push(`${batch.paths.length} files in ${groups.size} packages: ${top}${groups.size > 3 ? ', …' : ''}`);
    }
  }
  if (batch.rescanReasons.length > 0) {
    const reasons = batch.rescanReasons.join('; ');
    parts.push(batch.paths.length > 0 ? `rescan (${reasons})` : reasons);
  }
  return parts.join(' + ');
}

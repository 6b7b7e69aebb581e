/**
 * The regular files hotwatch's own stdout and stderr write to (`hotwatch exec -- go vet ./... >
 * hotwatch.log 2>&1`, `| tee` is a pipe and not one). Under a watched root, each line hotwatch wrote
 * there was a change: in exec mode (every file watched) the command ran again at each, forever, and the
 * loop was blamed on the app. Linux only (/proc/self/fd); elsewhere none is known.
 */
import fs from 'node:fs';
import path from 'node:path';
import { realPathOr } from './safe-fs.js';

/** Those files under `root`, spelled from `root` (their real path rebased on it), each once. */
export function ownOutputFilesUnder(root: string): string[] {
  const realRoot = realPathOr(root);
  const out = new Set<string>();
  for (const fd of [1, 2]) {
    let target: string;
    try {
      if (!fs.fstatSync(fd).isFile()) continue;
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed, or no /proc: nothing to leave out
    }
    if (!path.isAbsolute(target) || target.endsWith(' (deleted)')) continue;
    const rel = path.relative(realRoot, target);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    out.add(path.join(root, rel));
  }
  return [...out];
}

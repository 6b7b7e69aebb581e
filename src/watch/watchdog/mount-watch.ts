/**
 * Mounts placed over (or removed from) a watched directory after start: inotify reports nothing (the
 * watches stay on the hidden directory), and neither st_dev nor statfs shows a same-filesystem bind
 * mount. So each tick
 * re-reads /proc/self/mountinfo (a few KB; parsed only when its text changed) and compares the visible
 * mount id at each mount point strictly under the root. `diffMounts` is pure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mountsUnder, parseMountInfo, type MountEntry } from '../../os/mounts.js';

export interface MountChange {
  /** The mount point as spelled under the watched root. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** The mount visible there now (undefined when removed). */
  entry: MountEntry | undefined;
}

/** Visible mount id per mount point strictly under `realRoot`. */
function visible(realRoot: string, mounts: MountEntry[]): Map<string, MountEntry> {
  const out = new Map<string, MountEntry>();
  for (const m of mountsUnder(realRoot, mounts)) if (m.mountPoint !== realRoot) out.set(m.mountPoint, m);
  return out;
}

/** What changed at or under the root between two mount tables (paths spelled under `root`). Pure. */
export function diffMounts(root: string, realRoot: string, before: MountEntry[], after: MountEntry[]): MountChange[] {
  const a = visible(realRoot, before);
  const b = visible(realRoot, after);
  const spell = (p: string) => path.join(root, path.relative(realRoot, p));
  const out: MountChange[] = [];
  for (const [p, m] of b) {
    const old = a.get(p);
    if (!old) out.push({ path: spell(p), kind: 'added', entry: m });
    else if (old.mountId !== m.mountId) out.push({ path: spell(p), kind: 'changed', entry: m });
  }
  for (const p of a.keys()) if (!b.has(p)) out.push({ path: spell(p), kind: 'removed', entry: undefined });
  // Outermost first: re-arming a parent re-arms what is below it.
  return out.sort((x, y) => x.path.length - y.path.length);
}

export class MountWatch {
  private text: string | undefined;
  private table: MountEntry[];

  constructor(
    private readonly root: string,
    private readonly realRoot: string,
    private readonly file = '/proc/self/mountinfo',
  ) {
    this.text = this.read();
    this.table = this.text === undefined ? [] : parseMountInfo(this.text);
  }

  get mounts(): MountEntry[] {
    return this.table;
  }

  /** The mount table could not be read at start (expected off Linux, where there is no /proc). */
  get unavailable(): boolean {
    return this.text === undefined;
  }

  /** Changes since the last call; [] when the table did not change (or cannot be read: not Linux). */
  check(): MountChange[] {
    const text = this.read();
    if (text === undefined || text === this.text) return [];
    this.text = text;
    const next = parseMountInfo(text);
    const changes = diffMounts(this.root, this.realRoot, this.table, next);
    this.table = next;
    return changes;
  }

  private read(): string | undefined {
    try {
      return fs.readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
  }
}

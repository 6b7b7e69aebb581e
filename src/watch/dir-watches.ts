/**
 * The set of per-directory fs.watch handles of one event loop (one inotify watch each, no per-file
 * watches). Knows each dir's (dev, ino) so a directory replaced under the same name is noticed, and can
 * drop a whole subtree at once when a directory vanishes or moves out.
 */
import fs from 'node:fs';
import path from 'node:path';

/** `renamed`: an entry was created, deleted or moved (inotify IN_CREATE/IN_DELETE/IN_MOVED_*). */
export type RawListener = (dir: string, name: string | null, renamed: boolean) => void;

/** Identity of a directory: (dev, ino) plus its birth time, since a deleted dir's inode number is reused at once. */
export interface DirId {
  dev: number;
  ino: number;
  /** statx birth time (ms); 0 where the filesystem does not record it. */
  birth: number;
}

/** Whether `st` is the directory `id` describes (not a new one that got the same inode number). */
export function sameDir(id: DirId, st: { dev: number; ino: number; birthtimeMs?: number }): boolean {
  const birth = st.birthtimeMs ?? 0;
  return id.dev === st.dev && id.ino === st.ino && (id.birth === 0 || birth === 0 || id.birth === birth);
}

interface Entry extends DirId {
  handle: fs.FSWatcher;
}

export class DirWatches {
  private readonly map = new Map<string, Entry>();
  /** "dev:ino" → how many watched paths share it (bind mounts); its size = distinct inodes. */
  private readonly inodes = new Map<string, number>();
  /** parent → watched children, so a vanished subtree is dropped without scanning every dir. */
  private readonly children = new Map<string, Set<string>>();

  constructor(
    private readonly onRaw: RawListener,
    private readonly onError: (dir: string, err: Error) => void,
  ) {}

  get size(): number {
    return this.map.size;
  }

  has(dir: string): boolean {
    return this.map.has(dir);
  }

  inodeOf(dir: string): DirId | undefined {
    return this.map.get(dir);
  }

  dirs(): string[] {
    return [...this.map.keys()];
  }

  /** Distinct (dev, ino) pairs: what the kernel really holds watches for (bind mounts share one). */
  distinctInodes(): number {
    return this.inodes.size;
  }

  /**
   * Watches `dir` (already lstat'ed as a directory by the caller). Throws fs.watch's errors unchanged
   * (ENOSPC, EMFILE, ENOENT, EACCES): the caller decides what each means.
   */
  arm(dir: string, st: { dev: number; ino: number; birthtimeMs?: number }): void {
    const old = this.map.get(dir);
    if (old) {
      if (sameDir(old, st)) return;
      this.closeOne(dir);
    }
    const handle = fs.watch(dir, { persistent: true }, (type, name) => {
      this.onRaw(dir, typeof name === 'string' ? name : null, type === 'rename');
    });
    handle.on('error', (err: Error) => this.onError(dir, err));
    this.map.set(dir, { handle, dev: st.dev, ino: st.ino, birth: st.birthtimeMs ?? 0 });
    const key = `${st.dev}:${st.ino}`;
    this.inodes.set(key, (this.inodes.get(key) ?? 0) + 1);
    const parent = path.dirname(dir);
    let set = this.children.get(parent);
    if (!set) this.children.set(parent, (set = new Set()));
    set.add(dir);
  }

  /** Whether `p` or anything below it is watched. */
  hasSubtree(p: string): boolean {
    return this.map.has(p) || (this.children.get(p)?.size ?? 0) > 0;
  }

  /** Closes the watches of `p` and every watched dir below it; returns the dirs that were dropped. */
  unwatchSubtree(p: string): string[] {
    const dropped: string[] = [];
    const stack = [p];
    while (stack.length > 0) {
      const d = stack.pop()!;
      const kids = this.children.get(d);
      if (kids) stack.push(...kids);
      if (this.map.has(d)) {
        this.closeOne(d);
        dropped.push(d);
      }
    }
    return dropped;
  }

  /** Test-only fault: close every handle but keep believing they are armed (a deaf watcher). */
  closeHandlesSilently(): void {
    for (const e of this.map.values()) e.handle.close();
  }

  closeAll(): void {
    for (const d of [...this.map.keys()]) this.closeOne(d);
  }

  private closeOne(dir: string): void {
    const e = this.map.get(dir);
    if (!e) return;
    this.map.delete(dir);
    const key = `${e.dev}:${e.ino}`;
    const refs = (this.inodes.get(key) ?? 1) - 1;
    if (refs > 0) this.inodes.set(key, refs);
    else this.inodes.delete(key);
    const parent = path.dirname(dir);
    const set = this.children.get(parent);
    set?.delete(dir);
    if (set?.size === 0) this.children.delete(parent);
    e.handle.removeAllListeners('error');
    e.handle.on('error', () => undefined); // a late error from a closed handle has nobody to tell
    e.handle.close();
  }
}

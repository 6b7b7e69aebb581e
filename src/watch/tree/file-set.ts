/**
 * A set of absolute file paths stored by directory: each directory once, its file names in one string
 * ("/a.go/b.go/": a name never holds a "/"). The watchdog's snapshot keeps every relevant file of the tree
 * (50,000 on the benchmark's tree): as a Set of full paths that was ~3.6 MB of the main thread's heap, this
 * way ~1.3 MB. A membership test scans the directory's string, which is short for Go packages (a
 * 2,000-file directory is a 16 KB scan).
 *
 * Each string is stored as one plain copy: `a + b` makes a rope (a node per concatenation) and `slice`
 * a view that keeps the whole string it was cut from alive (the file's full path, for a directory key or
 * a name). On the 10,000-directory tree ropes and views made the snapshot 2.5 MB; copies, about 1 MB.
 */
import path from 'node:path';

const split = (p: string): [string, string] => {
  const i = p.lastIndexOf(path.sep);
  return [i <= 0 ? path.sep : p.slice(0, i), p.slice(i + 1)];
};

/** A plain copy of `s` (V8 returns `s` itself from a one-part join, so it is joined from two parts). */
const plain = (s: string): string => (s.length < 2 ? s : [s.slice(0, 1), s.slice(1)].join(''));

export class FileSet {
  private readonly byDir = new Map<string, string>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(p: string): boolean {
    const [dir, name] = split(p);
    return this.byDir.get(dir)?.includes(`/${name}/`) ?? false;
  }

  add(p: string): void {
    const [dir, name] = split(p);
    const names = this.byDir.get(dir);
    if (names?.includes(`/${name}/`)) return;
    this.byDir.set(names === undefined ? plain(dir) : dir, [names ?? '/', name, '/'].join(''));
    this.count++;
  }

  /**
   * Many paths at once, each listed once (a walk's listing, where a directory's files come one after the
   * other): a directory new to the set gets its names string in one join, not one join per file (the
   * start's 50,000 files were 50,000 strings of garbage). A directory already here, or met again later,
   * takes its files one by one.
   */
  addAll(paths: readonly string[]): void {
    for (let i = 0; i < paths.length; ) {
      const first = paths[i]!;
      const cut = first.lastIndexOf(path.sep);
      if (cut <= 0 || this.byDir.has(first.slice(0, cut))) {
        this.add(first);
        i++;
        continue;
      }
      const prefix = first.slice(0, cut + 1);
      const names: string[] = ['/'];
      let j = i;
      for (; j < paths.length; j++) {
        const p = paths[j]!;
        if (p.length <= prefix.length || !p.startsWith(prefix) || p.indexOf(path.sep, prefix.length) !== -1) break;
        names.push(p.slice(prefix.length), '/');
      }
      this.byDir.set(plain(first.slice(0, cut)), names.join(''));
      this.count += j - i;
      i = j;
    }
  }

  delete(p: string): boolean {
    const [dir, name] = split(p);
    const names = this.byDir.get(dir);
    const needle = `/${name}/`;
    const at = names?.indexOf(needle) ?? -1;
    if (names === undefined || at < 0) return false;
    const rest = [names.slice(0, at), '/', names.slice(at + needle.length)].join('');
    if (rest === '/') this.byDir.delete(dir);
    else this.byDir.set(dir, rest);
    this.count--;
    return true;
  }

  clear(): void {
    this.byDir.clear();
    this.count = 0;
  }

  /** Up to `limit` files, shallowest directories first (where the main package and most edits live). */
  shallowest(limit: number): string[] {
    const depth = (d: string): number => d.split(path.sep).length;
    const dirs = [...this.byDir.keys()].sort((a, b) => depth(a) - depth(b));
    const out: string[] = [];
    for (const dir of dirs) {
      for (const name of this.byDir.get(dir)!.split('/')) {
        if (out.length >= limit) return out;
        if (name !== '') out.push(path.join(dir, name));
      }
    }
    return out;
  }

  /** `under` itself if it is a file here, and every file under it (a copy: the set may change meanwhile). */
  filesUnder(under: string): string[] {
    const prefix = under.endsWith(path.sep) ? under : under + path.sep;
    const out: string[] = this.has(under) ? [under] : [];
    for (const [dir, names] of this.byDir) {
      if (dir !== under && !dir.startsWith(prefix)) continue;
      for (const name of names.split('/')) if (name !== '') out.push(path.join(dir, name));
    }
    return out;
  }
}

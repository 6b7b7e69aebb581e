/**
 * Whether a batch can have changed what any package imports, without asking the toolchain: each Go
 * file's header (everything before its first top-level func, type, var or const: the package clause,
 * the build constraints, every import, since Go puts imports first) is remembered, and only a header
 * that differs, a file not seen before, or a file gone asks `go list` again. An edit inside a function
 * (most saves) then costs no `go list` (~100 ms on a small module, more under load) on the way to the
 * build. Any doubt (a file that cannot be read) counts as a change: never a stale import graph.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readRegularText } from '../os/regular-file.js';

/** The header of a Go source: its lines up to the first top-level declaration that is not an import. */
export function goHeader(src: string): string {
  const decl = /^(func|type|var|const)\b/m.exec(src);
  return (decl ? src.slice(0, decl.index) : src)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n');
}

async function headerOf(file: string): Promise<string | undefined> {
  try {
    return goHeader(await readRegularText(file, 16 << 20));
  } catch {
    return undefined; // gone, or unreadable: a change either way
  }
}

export class ImportHeaders {
  private readonly known = new Map<string, string>();

  /** Remembers the headers of the .go files in `dirs` (not descending). */
  async seed(dirs: Iterable<string>, signal: AbortSignal): Promise<void> {
    for (const dir of dirs) {
      if (signal.aborted) return;
      let names: string[];
      try {
        names = await fs.readdir(dir);
      } catch {
        continue; // a package directory gone: the next listing says so
      }
      await Promise.all(
        names
          .filter((n) => n.endsWith('.go'))
          .map(async (n) => {
            const file = path.join(dir, n);
            const h = await headerOf(file);
            if (h !== undefined) this.known.set(file, h);
          }),
      );
    }
  }

  /** Whether any .go file of `paths` has a header other than the one remembered (and remembers the new ones). */
  async changed(paths: readonly string[]): Promise<boolean> {
    let changed = false;
    for (const file of paths.filter((p) => p.endsWith('.go'))) {
      const now = await headerOf(file);
      const before = this.known.get(file);
      if (now === undefined) this.known.delete(file);
      else this.known.set(file, now);
      if (now === undefined || before !== now) changed = true;
    }
    return changed;
  }
}

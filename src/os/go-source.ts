/**
 * Facts read from Go source text, without the toolchain: the package clause, and a directory's package.
 * Shared by the doctor and start-up checks (through diagnostics/toolchain.ts), by `hotwatch init`, which
 * sits beside them, and by the first build from the defaults (startup/default-plan.ts).
 */
import fs from 'node:fs';
import path from 'node:path';

/** The package clause of Go source text (after comments and build constraints). Pure. */
export function parsePackageClause(src: string): string | undefined {
  const noBlock = src.replace(/\/\*[\s\S]*?\*\//g, ' ');
  for (const raw of noBlock.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    const m = /^package\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(line);
    return m ? m[1] : undefined;
  }
  return undefined;
}

/** The package name of the non-test Go files in `dir` ("main" when runnable); undefined if none. */
export function packageNameInDir(dir: string): { name: string | undefined; files: number } {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.go') && !n.endsWith('_test.go'));
  } catch {
    return { name: undefined, files: 0 };
  }
  const seen = new Map<string, number>();
  for (const n of names) {
    let text: string;
    try {
      const fd = fs.openSync(path.join(dir, n), 'r');
      try {
        const buf = Buffer.alloc(8192);
        text = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      continue;
    }
    const p = parsePackageClause(text);
    if (p && p !== 'documentation') seen.set(p, (seen.get(p) ?? 0) + 1);
  }
  const best = [...seen.entries()].sort((a, b) => (a[0] === 'main' ? -1 : b[0] === 'main' ? 1 : b[1] - a[1]))[0];
  return { name: best?.[0], files: names.length };
}

/**
 * Facts read from Go source text, without the toolchain: the package clause. Shared by the doctor and
 * start-up checks (through diagnostics/toolchain.ts) and by `hotwatch init`, which sits beside them.
 */

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

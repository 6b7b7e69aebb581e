/**
 * Issue 19 (memory): what `hotwatch run` loads. Every module a run imports (statically, or by a dynamic
 * import it may take) is compiled and kept for the whole run, so code a run never needs stays out of its
 * import graph. Walks src/ from src/cli/run.ts following value imports (`import type` is erased by tsc,
 * and so is a specifier list of types only).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Whether an `import {...}` / `export {...}` clause brings in a value (not only `type X` names). */
function bringsValue(clause: string): boolean {
  const braces = /\{([^}]*)\}/.exec(clause);
  if (!braces) return true; // a default or namespace import
  const outside = clause.replace(braces[0], '').replace(/,/g, '').trim();
  if (outside !== '') return true;
  return braces[1]!.split(',').some((n) => n.trim() !== '' && !/^type\s/.test(n.trim()));
}

/** src/ files reachable from `entry` through value imports and dynamic imports, relative to src/. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    const text = fs.readFileSync(path.join(SRC, file), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[3] ?? m[4]!;
      if (!spec.startsWith('.')) continue;
      if (m[3] !== undefined && (m[1] !== undefined || !bringsValue(m[2]!))) continue;
      const target = path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), spec.replace(/\.js$/, '.ts')));
      if (!seen.has(target) && fs.existsSync(path.join(SRC, target))) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return seen;
}

describe("hotwatch run's import graph", () => {
  it("leaves out the doctor report's zod schemas (the start-up checks use the zod-free verdict)", () => {
    const run = reachable('cli/run.ts');
    expect(run.has('diagnostics/startup.ts')).toBe(true); // the start-up checks are in it
    expect(run.has('diagnostics/verdict.ts')).toBe(true);
    expect(run.has('diagnostics/report-schema.ts')).toBe(false);
  });

  it('the walk finds a value import through the same files (doctor reaches the schemas)', () => {
    expect(reachable('cli/doctor.ts').has('diagnostics/report-schema.ts')).toBe(true);
  });
});

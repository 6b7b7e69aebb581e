/**
 * The shape of src/ (README, "Design"): the layers' import rules (.dependency-cruiser.cjs), and the size
 * limits that keep one concept per file. A change that breaks either fails here, naming the place.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import ts from 'typescript';
import { cruise, type IViolation } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const RULES = createRequire(import.meta.url)(path.join(REPO, '.dependency-cruiser.cjs'));

/** Violations of the layer rules among the .ts files under `dir` (relative to `baseDir`). */
async function violations(baseDir: string, dir: string): Promise<string[]> {
  const result = await cruise(
    [dir],
    { ruleSet: RULES, validate: true, baseDir, tsPreCompilationDeps: true, doNotFollow: { path: 'node_modules' } },
    { extensions: ['.ts', '.js'] },
  );
  if (typeof result.output === 'string') throw new Error(`dependency-cruiser gave text, not a report: ${result.output}`);
  return result.output.summary.violations.map((v: IViolation) =>
    v.cycle ? `${v.rule.name}: ${[v.from, ...v.cycle.map((c) => c.name)].join(' → ')}` : `${v.rule.name}: ${v.from} → ${v.to}`,
  );
}

function tsFilesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Functions (declarations, methods, arrows, constructors, accessors) whose body spans more than `max` lines. */
function longFunctions(file: string, max: number): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const body = node.body as ts.Node;
      const first = source.getLineAndCharacterOfPosition(body.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(body.getEnd()).line;
      if (last - first + 1 > max) {
        const name = node.name?.getText(source) ?? '(anonymous)';
        found.push(`${path.relative(REPO, file)}:${first + 1} ${name}: ${last - first + 1} lines`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('the layers of src/', () => {
  it('no import cycle and no import from a lower layer to a higher one', async () => {
    expect(await violations(REPO, 'src')).toEqual([]);
  }, 60_000);

  it('the rules catch a cycle and an upward import (a check that could not fail would prove nothing)', async () => {
    const { dir, cleanup } = makeTmpDir('hotwatch-arch-');
    const write = (rel: string, text: string): void => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    write('src/os/procfs.ts', "import { x } from '../supervisor/job.js';\nexport const y = x;\n");
    write('src/supervisor/job.ts', "import { y } from '../os/procfs.js';\nexport const x = 1;\nexport const z = y;\n");
    write('src/watch/native/engine.ts', "import { w } from '../watchdog/policy.js';\nexport const v = w;\n");
    write('src/watch/watchdog/policy.ts', 'export const w = 1;\n');
    const found = await violations(dir, 'src');
    expect(found).toContain('os-is-the-floor: src/os/procfs.ts → src/supervisor/job.ts');
    expect(found).toContain('backends-know-no-watchdog: src/watch/native/engine.ts → src/watch/watchdog/policy.ts');
    expect(found.some((v) => v.startsWith('no-cycles: '))).toBe(true);
    cleanup();
  }, 60_000);
});

describe('one concept per file', () => {
  const watchDir = path.join(REPO, 'src/watch');

  it('no file in src/watch/ over 300 lines', () => {
    const long = tsFilesUnder(watchDir)
      .map((f) => ({ f: path.relative(REPO, f), lines: fs.readFileSync(f, 'utf8').trimEnd().split('\n').length }))
      .filter((x) => x.lines > 300)
      .map((x) => `${x.f}: ${x.lines} lines`);
    expect(long).toEqual([]);
  });

  it('no folder of src/watch/ holds more than 12 files', () => {
    const crowded = [
      watchDir,
      ...fs
        .readdirSync(watchDir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => path.join(e.parentPath, e.name)),
    ]
      .map((d) => ({ d: path.relative(REPO, d), files: fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isFile()).length }))
      .filter((x) => x.files > 12)
      .map((x) => `${x.d}: ${x.files} files`);
    expect(crowded).toEqual([]);
  });

  it('no function in src/ over 60 lines', () => {
    expect(tsFilesUnder(path.join(REPO, 'src')).flatMap((f) => longFunctions(f, 60))).toEqual([]);
  });

  it('the function check measures what it says (a 61-line function is caught, a 60-line one is not)', () => {
    const { dir, cleanup } = makeTmpDir('hotwatch-arch-fn-');
    const body = (n: number): string => Array.from({ length: n - 2 }, (_, i) => `  const a${i} = ${i};`).join('\n');
    fs.writeFileSync(path.join(dir, 'f.ts'), `function ok() {\n${body(60)}\n}\nfunction tooLong() {\n${body(61)}\n}\n`);
    const found = longFunctions(path.join(dir, 'f.ts'), 60);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('tooLong: 61 lines');
    cleanup();
  });
});

/** packageDependencies with the real toolchain: local package directories per main package, broken packages included. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listFlags } from '../../src/os/go-command.js';
import { packageDependencies } from '../../src/os/go-deps.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir>;
const w = (rel: string, text: string): void => {
  fs.mkdirSync(path.dirname(path.join(tmp.dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(tmp.dir, rel), text);
};

beforeEach(() => {
  tmp = makeTmpDir();
  w('go.mod', 'module example.com/m\n\ngo 1.22\n');
  w('internal/shared/s.go', 'package shared\n\nconst V = 1\n');
  w('internal/deep/d.go', 'package deep\n\nconst D = 1\n');
  w('internal/only/o.go', 'package only\n\nimport "example.com/m/internal/deep"\n\nconst O = deep.D\n');
  w('cmd/a/main.go', 'package main\n\nimport (\n\t"fmt"\n\t"example.com/m/internal/shared"\n)\n\nfunc main() { fmt.Println(shared.V) }\n');
  w(
    'cmd/b/main.go',
    'package main\n\nimport (\n\t"example.com/m/internal/only"\n\t"example.com/m/internal/shared"\n)\n\nfunc main() { println(only.O, shared.V) }\n',
  );
});
afterEach(() => tmp.cleanup());

describe('packageDependencies', () => {
  it('lists each main package with the local packages it imports, transitively, and no standard library', async () => {
    const deps = await packageDependencies(tmp.dir, ['./cmd/a', './cmd/b'], AbortSignal.timeout(60_000));
    const rel = (pkg: string) => [...deps.get(pkg)!].map((d) => path.relative(tmp.dir, d)).sort();
    expect(rel('./cmd/a')).toEqual(['cmd/a', 'internal/shared']);
    expect(rel('./cmd/b')).toEqual(['cmd/b', 'internal/deep', 'internal/only', 'internal/shared']);
  });

  it('a package with a syntax error still belongs to its app; an import added is seen at the next listing', async () => {
    w('internal/only/o.go', 'package only\n\nimport "example.com/m/internal/deep"\n\nconst O = \n');
    w('cmd/a/main.go', 'package main\n\nimport "example.com/m/internal/only"\n\nfunc main() { println(only.O) }\n');
    const deps = await packageDependencies(tmp.dir, ['./cmd/a', 'example.com/m/cmd/b'], AbortSignal.timeout(60_000));
    expect([...deps.get('./cmd/a')!].map((d) => path.relative(tmp.dir, d)).sort()).toEqual(['cmd/a', 'internal/deep', 'internal/only']);
    expect(deps.get('example.com/m/cmd/b')!.has(path.join(tmp.dir, 'internal/only'))).toBe(true);
  });

  it('build tags choose the files, so the imports: -tags from the build flags is passed on', async () => {
    w('cmd/a/extra.go', '//go:build extra\n\npackage main\n\nimport "example.com/m/internal/deep"\n\nvar _ = deep.D\n');
    const plain = await packageDependencies(tmp.dir, ['./cmd/a'], AbortSignal.timeout(60_000));
    expect(plain.get('./cmd/a')!.has(path.join(tmp.dir, 'internal/deep'))).toBe(false);
    const tagged = await packageDependencies(tmp.dir, ['./cmd/a'], AbortSignal.timeout(60_000), process.env, ['-race', '-tags', 'extra']);
    expect(tagged.get('./cmd/a')!.has(path.join(tmp.dir, 'internal/deep'))).toBe(true);
    expect(listFlags(['-race', '-tags=a,b', '-mod', 'vendor', '-v'])).toEqual(['-tags=a,b', '-mod', 'vendor']);
  });
});

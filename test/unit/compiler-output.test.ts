/** Compiler output relocated to the directory hotwatch was started in (src/supervisor/compiler-output.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilerErrors, relocateLine } from '../../src/supervisor/compiler-output.js';
import { makeTmpDir } from '../helpers/tmp.js';

describe('relocateLine', () => {
  it('a path relative to the module root becomes relative to the starting directory', () => {
    expect(relocateLine('./main.go:19:6: undefined: x', '/src/repo/examples/hello', '/src/repo')).toBe(
      'examples/hello/main.go:19:6: undefined: x',
    );
    expect(relocateLine('internal/db/db.go:3:1: syntax error', '/src/repo', '/src/repo')).toBe('internal/db/db.go:3:1: syntax error');
    expect(relocateLine('main.go:7: missing return', '/src/repo/app', '/src/repo')).toBe('app/main.go:7: missing return');
  });

  it('outside the starting directory (a workspace sibling, the module cache): absolute', () => {
    expect(relocateLine('../lib/lib.go:4:2: x', '/src/ws/app', '/src/ws/app/cmd')).toBe('/src/ws/lib/lib.go:4:2: x');
    expect(relocateLine('/root/go/pkg/mod/x@v1/a.go:1:1: y', '/src/app', '/src/app')).toBe('/root/go/pkg/mod/x@v1/a.go:1:1: y');
  });

  it('indentation is kept; other lines are untouched', () => {
    expect(relocateLine('\t./a.go:1:2: note', '/r/m', '/r')).toBe('\tm/a.go:1:2: note');
    expect(relocateLine('# example.com/app', '/r', '/')).toBe('# example.com/app');
    expect(relocateLine('too many errors', '/r', '/')).toBe('too many errors');
    expect(relocateLine('note: module requires Go 1.99', '/r', '/')).toBe('note: module requires Go 1.99');
  });

  it('the printed path, joined to the starting directory, exists', () => {
    const tmp = makeTmpDir();
    try {
      const root = path.join(tmp.dir, 'examples', 'hello');
      fs.mkdirSync(root, { recursive: true });
      fs.writeFileSync(path.join(root, 'main.go'), 'package main\n');
      const shown = relocateLine('./main.go:1:1: expected declaration', root, tmp.dir).split(':')[0]!;
      expect(fs.existsSync(path.join(tmp.dir, shown))).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('compilerErrors', () => {
  it('counts the lines that point at a place', () => {
    const r = compilerErrors(
      ['# example.com/app', './main.go:17:31: newline in string', './main.go:18:2: syntax error: unexpected }', 'too many errors'],
      '/r',
      '/r',
    );
    expect(r.count).toBe(2);
    expect(r.lines).toEqual([
      '# example.com/app',
      'main.go:17:31: newline in string',
      'main.go:18:2: syntax error: unexpected }',
      'too many errors',
    ]);
  });
});

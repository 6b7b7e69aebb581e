/** ImportHeaders: a batch asks go list again only when a Go file's package, build tags or imports may have changed (real files). */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { goHeader, ImportHeaders } from '../../src/apps/import-headers.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir>;
beforeEach(() => (tmp = makeTmpDir()));
afterEach(() => tmp.cleanup());

const SRC = `//go:build linux

package shared

import (
\t"fmt"
\tx "example.com/m/x"
)

func Hello() { fmt.Println(x.V) }

var later = 1
`;

describe('goHeader', () => {
  it('is everything before the first func, type, var or const', () => {
    expect(goHeader(SRC)).toBe('//go:build linux\npackage shared\nimport (\n"fmt"\nx "example.com/m/x"\n)');
    expect(goHeader('package a\n\nconst X = 1\nimport "late"\n')).toBe('package a');
  });
});

describe('ImportHeaders', () => {
  it('a body edit is no change; an import, a build tag, a new file or a removed one is', async () => {
    const dir = path.join(tmp.dir, 'shared');
    fs.mkdirSync(dir);
    const file = path.join(dir, 's.go');
    fs.writeFileSync(file, SRC);
    const h = new ImportHeaders();
    await h.seed([dir], AbortSignal.timeout(10_000));
    fs.writeFileSync(file, SRC.replace('fmt.Println(x.V)', 'fmt.Println(x.V, 2)'));
    expect(await h.changed([file])).toBe(false);
    fs.writeFileSync(file, SRC.replace('\t"fmt"\n', '\t"fmt"\n\t"os"\n'));
    expect(await h.changed([file])).toBe(true);
    expect(await h.changed([file])).toBe(false); // remembered
    fs.writeFileSync(file, SRC.replace('//go:build linux', '//go:build darwin'));
    expect(await h.changed([file])).toBe(true);
    const added = path.join(dir, 'new.go');
    fs.writeFileSync(added, 'package shared\n\nfunc New() {}\n');
    expect(await h.changed([added])).toBe(true);
    fs.rmSync(added);
    expect(await h.changed([added])).toBe(true);
    expect(await h.changed([path.join(dir, 'notes.txt')])).toBe(false);
  });
});

/**
 * Not a loop (e2e: real go build, real processes): six files each edited once, right after the version
 * before serves (builds of uneven length: two of the packages are big), then all six saved together, as a
 * save-all or a checkout does, twice. Each file is then seen after two app starts, but no file changed
 * again after each start: hotwatch must not call it a build loop, nor hold (pause) any of those saves.
 * Before the fix, "a file seen in two of the last 5 batches" counted as a repeat, and the save-all was
 * reported as the app's loop (`p3/p.go, p4/p.go, p5/p.go and 1 more changed 0.1 s after each of the last
 * 5 app starts`), its files then built after a pause.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';

const PACKAGES = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
const BIG = new Set(['p2', 'p5']);

function writeSixPackageApp(dir: string): void {
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
  const imports = PACKAGES.map((p) => `\t"example.com/e2e/${p}"`).join('\n');
  const value = PACKAGES.map((p) => `${p}.S`).join(' + ');
  fs.writeFileSync(
    path.join(dir, 'main.go'),
    `package main

import (
\t"fmt"
\t"net/http"
\t"os"
${imports}
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v=%s", ${value}) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`,
  );
  for (const p of PACKAGES) {
    fs.mkdirSync(path.join(dir, p));
    writePackage(dir, p, 'a');
    // A big package: its build takes longer, so the time between saves varies while each save still comes right after a start.
    if (BIG.has(p)) {
      const funcs = Array.from({ length: 20_000 }, (_, k) => `func F${k}(x int) int { return x*${k} + 1 }`);
      fs.writeFileSync(path.join(dir, p, 'big.go'), `package ${p}\n\n${funcs.join('\n')}\n`);
    }
  }
}

function writePackage(dir: string, p: string, value: string): void {
  fs.writeFileSync(path.join(dir, p, 'p.go'), `package ${p}\n\nconst S = "${value}"\n`);
}

describe('files edited one by one right after each version serves, then all saved together (e2e)', () => {
  const session = hotwatchSession(writeSixPackageApp);

  it('is not called a build loop, and no save is held', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    const values = PACKAGES.map(() => 'a');
    await session.serves(values.join(''));
    for (const [i, p] of PACKAGES.entries()) {
      writePackage(session.dir, p, 'b');
      values[i] = 'b';
      await session.serves(values.join(''));
    }
    for (const value of ['c', 'd']) {
      for (const p of PACKAGES) writePackage(session.dir, p, value);
      await session.serves(value.repeat(PACKAGES.length));
    }
    expect(hw.events('build.loop').map((l) => l.msg)).toEqual([]);
    expect(hw.events('build.loop-held').map((l) => l.msg)).toEqual([]);
  }, 240_000);
});

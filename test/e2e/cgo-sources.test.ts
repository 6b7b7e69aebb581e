/**
 * The C sources and headers of a cgo package are build inputs like its .go files (e2e: real cgo build
 * with the machine's C compiler, a real app serving what C returns). `.c` and `.h` are not watched
 * extensions; the toolchain's answer (`go list -deps`: CFiles, HFiles, ...) makes the package's ones
 * watched, and a new .c file in the package counts too. Before, an edit of msg.c was never seen and the
 * old code served while `status` said "ok".
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';

const MAIN = `package main

// #include "msg.h"
import "C"

import (
\t"fmt"
\t"net/http"
\t"os"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v=%s-%d", C.GoString(C.msg()), C.VERSION) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;

describe('a cgo package (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/cgo\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), MAIN);
    fs.writeFileSync(path.join(dir, 'msg.h'), '#define VERSION 1\nconst char* msg(void);\n');
    fs.writeFileSync(path.join(dir, 'msg.c'), '#include "msg.h"\nconst char* msg(void) { return "c1"; }\n');
  });

  it('an edit of its .c file and of its .h file each rebuilds and serves', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), CGO_ENABLED: '1' } }));
    await session.serves('c1-1');
    const said = await hw.waitForLog((l) => l.event === 'watch.embeds', 'the C files are watched', { timeoutMs: 60_000 });
    expect(said.msg).toContain('the C, assembly and .syso files go compiles into it (cgo): *.c, *.h');
    fs.writeFileSync(path.join(session.dir, 'msg.c'), '#include "msg.h"\nconst char* msg(void) { return "c2"; }\n');
    await session.serves('c2-1');
    fs.writeFileSync(path.join(session.dir, 'msg.h'), '#define VERSION 2\nconst char* msg(void);\n');
    await session.serves('c2-2');
    expect(hw.events('build.failed')).toEqual([]);
  }, 180_000);
});

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

  it("a header it includes from another directory (-I${SRCDIR}/include, at any depth there): its edit is watched and reaches the binary, although go's cache does not key on it", async () => {
    const dir = session.dir;
    fs.mkdirSync(path.join(dir, 'include', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'include', 'sub', 'word.h'), '#define WORD "w1"\n');
    fs.writeFileSync(path.join(dir, 'msg.h'), '#define VERSION 1\nconst char* msg(void);\n');
    fs.writeFileSync(path.join(dir, 'msg.c'), '#include "msg.h"\n#include "sub/word.h"\nconst char* msg(void) { return WORD; }\n');
    fs.writeFileSync(
      path.join(dir, 'main.go'),
      MAIN.replace('// #include "msg.h"', '// #cgo CFLAGS: -I${SRCDIR}/include\n// #include "msg.h"'),
    );
    const hw = (session.hw = startHotwatch([], { cwd: dir, env: { PORT: String(session.port), CGO_ENABLED: '1' } }));
    await session.serves('w1-1');
    const keyed = await hw.waitForLog((l) => /cgo includes headers from/.test(String(l.msg)), 'the include directory is known', {
      timeoutMs: 60_000,
    });
    expect(String(keyed.msg)).toContain(path.join(dir, 'include'));
    fs.writeFileSync(path.join(dir, 'include', 'sub', 'word.h'), '#define WORD "w2"\n');
    await session.serves('w2-1');
    fs.writeFileSync(path.join(dir, 'include', 'sub', 'word.h'), '#define WORD "w3"\n');
    await session.serves('w3-1');
    expect(hw.events('build.failed')).toEqual([]);
  }, 240_000);

  it("a package's first assembly file (the function declared without a body, then its .s written) is seen: the build that failed serves", async () => {
    const dir = session.dir;
    fs.writeFileSync(path.join(dir, 'msg.c'), '#include "msg.h"\nconst char* msg(void) { return "c1"; }\n');
    fs.writeFileSync(path.join(dir, 'msg.h'), '#define VERSION 1\nconst char* msg(void);\n');
    const hw = (session.hw = startHotwatch([], { cwd: dir, env: { PORT: String(session.port), CGO_ENABLED: '1' } }));
    await session.serves('c1-1');
    fs.mkdirSync(path.join(dir, 'add'));
    fs.writeFileSync(path.join(dir, 'add', 'add.go'), 'package add\n\n// Add is written in assembly.\nfunc Add(a, b int64) int64\n');
    fs.writeFileSync(
      path.join(dir, 'main.go'),
      MAIN.replace('\t"os"\n)', '\t"os"\n\n\t"example.com/cgo/add"\n)').replace('C.VERSION)', 'C.VERSION+int(add.Add(2, 3)))'),
    );
    const failed = await hw.waitForLog((l) => l.event === 'build.failed', 'the body is missing');
    expect(failed.msg).toMatch(/missing function body/);
    // Long after go was asked again about the package (2 s after the .go edits settle): the .s comes later.
    await new Promise((r) => setTimeout(r, 6000));
    fs.writeFileSync(path.join(dir, 'add', 'add_amd64.s'), ASM_AMD64);
    fs.writeFileSync(path.join(dir, 'add', 'add_arm64.s'), ASM_ARM64);
    await session.serves('c1-6');
  }, 240_000);
});

const ASM_AMD64 = `#include "textflag.h"

TEXT ·Add(SB), NOSPLIT, $0-24
\tMOVQ a+0(FP), AX
\tADDQ b+8(FP), AX
\tMOVQ AX, ret+16(FP)
\tRET
`;

const ASM_ARM64 = `#include "textflag.h"

TEXT ·Add(SB), NOSPLIT, $0-24
\tMOVD a+0(FP), R0
\tMOVD b+8(FP), R1
\tADD R1, R0, R0
\tMOVD R0, ret+16(FP)
\tRET
`;

/**
 * A main package split in two files, rewritten the way a checkout does it: a.go first (using a function
 * b.go does not have yet), b.go a moment later. A build that reads the tree in between fails although
 * nothing is wrong with the final files (the half-written tests, native and polled). The build command
 * records "built" in `$MARKS/log` (outside the module) as go ends, and sleeps `sleepS` after it.
 */
import fs from 'node:fs';
import path from 'node:path';

const MAIN = `package main

import (
\t"fmt"
\t"net/http"
\t"os"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v=%s", label) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;
export const A1 = 'package main\n\nvar label = part()\n';
export const B1 = 'package main\n\nfunc part() string { return "v1" }\n';
/** The first half of the rewrite: uses a function b.go does not have yet. */
export const A2 = 'package main\n\nvar label = partTwo()\n';
export const B2 = 'package main\n\nfunc part() string { return "v1" }\n\nfunc partTwo() string { return "v2" }\n';

/** The module in `dir` (v1), with a config whose build sleeps `sleepS` after go; `more`: further config lines. */
export function writeSplitPackage(dir: string, sleepS: number, more: string[]): void {
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
  fs.writeFileSync(path.join(dir, 'main.go'), MAIN);
  fs.writeFileSync(path.join(dir, 'a.go'), A1);
  fs.writeFileSync(path.join(dir, 'b.go'), B1);
  fs.writeFileSync(
    path.join(dir, 'watcher.config.yaml'),
    ['build:', `  cmd: 'go build -o .hotwatch/bin/app .; rc=$?; echo built >> "$MARKS/log"; sleep ${sleepS}; exit $rc'`, ...more, ''].join(
      '\n',
    ),
  );
}

/** How many builds ended so far (the lines the build command wrote to `<marksDir>/log`). */
export function builtCount(marksDir: string): number {
  try {
    return fs
      .readFileSync(path.join(marksDir, 'log'), 'utf8')
      .split('\n')
      .filter((l) => l === 'built').length;
  } catch {
    return 0;
  }
}

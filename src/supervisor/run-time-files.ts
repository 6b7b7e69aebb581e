/**
 * Changed files that `go build` never compiles: templates, static files, SQL, anything an include glob
 * adds. When a build of such a change gives the binary the app already runs, the app still restarts,
 * because it may read these files at run time (`template.ParseFiles("templates/index.tmpl")` at start is the
 * usual pattern) and only a restart makes it read them again. Without that, the edit was built, judged
 * "the same binary: nothing to restart", and never served. The same-binary skip stays for changes go
 * does compile (a comment, a package the build does not import): their old binary is their new code.
 */
import path from 'node:path';

/** Names go reads to build: the module's and workspace's files, and the vendored module list. */
const COMPILED_NAMES = new Set(['go.mod', 'go.sum', 'go.work', 'go.work.sum']);
/** What `go build` compiles or links in a package: Go, cgo's C/C++/Objective-C/Fortran, assembly, SWIG, .syso. */
const COMPILED_EXTENSIONS = new Set([
  '.go',
  '.c',
  '.h',
  '.cc',
  '.cpp',
  '.cxx',
  '.hh',
  '.hpp',
  '.hxx',
  '.m',
  '.s',
  '.S',
  '.sx',
  '.f',
  '.F',
  '.for',
  '.f90',
  '.swig',
  '.swigcxx',
  '.syso',
]);

/** The files of `paths` go never compiles, relative to `root` ('/'-separated), in order. */
export function runTimeFiles(paths: readonly string[], root: string): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const name = path.basename(p);
    if (COMPILED_NAMES.has(name) || COMPILED_EXTENSIONS.has(path.extname(name))) continue;
    if (name === 'modules.txt' && path.basename(path.dirname(p)) === 'vendor') continue;
    out.push(path.relative(root, p).split(path.sep).join('/'));
  }
  return out;
}

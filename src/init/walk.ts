/**
 * One bounded walk of the repo for `hotwatch init`: the main packages (a `package main` clause that is
 * not a `//go:build ignore` program), `//go:embed` patterns (embedded files need a rebuild when they
 * change), template and static-asset directories, and frontends (a directory with node_modules or a
 * package.json). Go's own rules decide what is skipped: dot and underscore directories, testdata,
 * vendor, node_modules, and nested modules other than the workspace's own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parsePackageClause } from '../os/go-source.js';
import { dotPath } from './gowork.js';
import { buildTags, compiledHere } from '../os/go-constraints.js';

export interface Embed {
  /** A root-relative glob of the embedded files ('web/static/**'). */
  glob: string;
  /** The Go file holding the directive, root-relative. */
  from: string;
}

export interface TreeFacts {
  /** Main packages, './cmd/api' ('.' for the root), shallow ones first. */
  mains: string[];
  embeds: Embed[];
  /** Root-relative directories. */
  templateDirs: string[];
  staticDirs: string[];
  /** Root-relative directories holding a frontend ('' for the root itself). */
  frontends: string[];
  /** Root-relative directories holding Go code ('' for the root): never taken for templates, assets or a frontend. */
  goDirs: string[];
  /** False when the walk stopped at its budget (a huge tree): what it found is still right. */
  complete: boolean;
  /** Code generators the tree uses: templ (`*.templ` files), sqlc (its config file, root-relative). */
  generators: { templ: boolean; sqlc: string | undefined };
  /** Main packages at the root of a module of their own below the root ('./cmd/tool' with its go.mod): hotwatch runs there. */
  nestedMains: string[];
}

const SKIP = new Set(['testdata', 'vendor', 'node_modules']);
const TEMPLATE_NAMES = new Set(['templates', 'template', 'views', 'tmpl', 'layouts', 'html']);
const STATIC_NAMES = new Set(['static', 'public', 'assets']);
const MAX_DIRS = 5000;
const MAX_DEPTH = 6;
const MAX_GO_BYTES = 1 << 20;

/** The `//go:embed` patterns of Go source text, in order (quoted patterns unquoted, `all:` dropped). Pure. */
export function embedPatterns(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/^\s*\/\/go:embed\s+(.+)$/gm)) {
    for (const p of m[1]!.match(/"[^"]*"|`[^`]*`|\S+/g) ?? []) out.push(p.replace(/^["`]|["`]$/g, '').replace(/^all:/, ''));
  }
  return out;
}

const posix = (p: string): string => p.split(path.sep).join('/');

function readGo(file: string): string | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(fs.fstatSync(fd).size, MAX_GO_BYTES));
      return buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** The package clause of a Go file go compiles here, or undefined. */
function packageOf(file: string): string | undefined {
  const text = readGo(file);
  return text === undefined || !compiledHere(path.basename(file), text, TAGS) ? undefined : parsePackageClause(text);
}

/** What a build here satisfies: a `//go:build windows` program, or `//go:build ignore`, is not one to run here. */
const TAGS = buildTags();

/** The package of the directory's Go files go compiles here (go-constraints.ts) and their embeds. */
function goFilesIn(root: string, dir: string, names: string[], facts: TreeFacts): string | undefined {
  let pkg: string | undefined;
  for (const name of names) {
    const text = readGo(path.join(dir, name));
    if (text === undefined || !compiledHere(name, text, TAGS)) continue;
    const clause = parsePackageClause(text);
    if (clause !== undefined) pkg ??= clause;
    for (const p of embedPatterns(text)) {
      const rel = posix(path.relative(root, path.join(dir, p)));
      const isDir = fs.statSync(path.join(dir, p), { throwIfNoEntry: false })?.isDirectory() ?? false;
      facts.embeds.push({ glob: isDir ? `${rel}/**` : rel, from: posix(path.relative(root, path.join(dir, name))) });
    }
  }
  return pkg;
}

/** `workspaceModules`: absolute directories of the go.work's modules (descended although they hold a go.mod). */
export function walkTree(root: string, workspaceModules: readonly string[] = []): TreeFacts {
  const facts: TreeFacts = {
    mains: [],
    embeds: [],
    templateDirs: [],
    staticDirs: [],
    frontends: [],
    goDirs: [],
    complete: true,
    generators: { templ: false, sqlc: undefined },
    nestedMains: [],
  };
  const queue: Array<{ dir: string; depth: number }> = [{ dir: root, depth: 0 }];
  for (let i = 0; i < queue.length; i++) {
    if (i >= MAX_DIRS) {
      facts.complete = false;
      break;
    }
    const { dir, depth } = queue[i]!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch {
      continue;
    }
    const names = new Set(entries.map((e) => e.name));
    if (dir !== root && names.has('go.mod') && !workspaceModules.includes(dir)) {
      // Another module: not built from here, but a program there is named in the fix (run hotwatch there).
      const goNames = entries.filter((e) => e.isFile() && e.name.endsWith('.go') && !e.name.endsWith('_test.go')).map((e) => e.name);
      if (goNames.some((n) => packageOf(path.join(dir, n)) === 'main')) facts.nestedMains.push(dotPath(root, dir));
      continue;
    }
    const rel = posix(path.relative(root, dir));
    if (names.has('node_modules') || names.has('package.json')) facts.frontends.push(rel);
    const base = path.basename(dir);
    if (dir !== root && TEMPLATE_NAMES.has(base)) facts.templateDirs.push(rel);
    if (dir !== root && STATIC_NAMES.has(base)) facts.staticDirs.push(rel);
    if (entries.some((e) => e.isFile() && e.name.endsWith('.templ'))) facts.generators.templ = true;
    const sqlc = ['sqlc.yaml', 'sqlc.yml', 'sqlc.json'].find((n) => names.has(n));
    if (sqlc) facts.generators.sqlc ??= rel === '' ? sqlc : `${rel}/${sqlc}`;
    const goNames = entries.filter((e) => e.isFile() && e.name.endsWith('.go') && !e.name.endsWith('_test.go')).map((e) => e.name);
    if (goNames.length > 0) facts.goDirs.push(rel);
    if (goNames.length > 0 && goFilesIn(root, dir, goNames, facts) === 'main') facts.mains.push(dotPath(root, dir));
    if (depth >= MAX_DEPTH) continue;
    for (const e of entries) {
      if (e.isDirectory() && !/^[._]/.test(e.name) && !SKIP.has(e.name)) queue.push({ dir: path.join(dir, e.name), depth: depth + 1 });
    }
  }
  return facts;
}

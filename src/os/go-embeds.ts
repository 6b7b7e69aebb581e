/**
 * Which files the Go toolchain embeds into a binary (`//go:embed`): `go list -e -deps -json` of the main
 * package names, for each package it compiles, its EmbedPatterns and the EmbedFiles they resolve to. Only
 * the packages whose directory is under a watched root are kept (the standard library and the module cache
 * embed nothing anyone edits). `go list` reads package clauses and directives, it compiles nothing:
 * ~30-100 ms warm for a small app.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HotwatchError } from '../errors.js';
import { HEADER_EXTENSIONS, includeDirsOf } from './cgo-headers.js';
import { listFlags, runGo } from './go-command.js';
import { realPathOr } from './safe-fs.js';

export interface EmbeddingPackage {
  importPath: string;
  /** Absolute directory of the package: its patterns and files are relative to it. */
  dir: string;
  /** The //go:embed patterns as written (`templates/*`, `all:static`). */
  patterns: string[];
  /** Absolute paths of the files the patterns resolve to now. */
  files: string[];
  /** go could not load the package (keepBroken): its patterns as written, its files maybe not all. */
  error?: string;
  /**
   * Not embedded but compiled or linked with the package's Go files: its cgo sources and headers, assembly,
   * SWIG and .syso files (`patterns`: one `*.<ext>` per kind it has, so a new file of that kind counts too).
   */
  compiled?: true;
}

export interface GoEmbedQuery {
  /** Where the go command runs (build.root). */
  cwd: string;
  /** The main package (build.package). */
  pkg: string;
  /** Only packages under this directory count (the watched root)... */
  root: string;
  /** ...or under one of these (local modules outside the root the build compiles from: replace targets, go.work modules). */
  moreRoots?: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Build flags that change which files a package has: -tags, -mod (others are not passed). */
  flags: string[];
  signal: AbortSignal;
  timeoutMs?: number;
  /**
   * A package go could not load is kept, with its error, instead of failing the answer: its patterns are
   * still the files to watch (`//go:embed cfg/new.yaml` before the file exists is exactly that error).
   */
  keepBroken?: boolean;
}

interface ListedPackage {
  ImportPath?: string;
  Dir?: string;
  Standard?: boolean;
  EmbedPatterns?: string[];
  EmbedFiles?: string[];
  GoFiles?: string[];
  CgoFiles?: string[];
  CFiles?: string[];
  CXXFiles?: string[];
  MFiles?: string[];
  HFiles?: string[];
  FFiles?: string[];
  SFiles?: string[];
  SwigFiles?: string[];
  SwigCXXFiles?: string[];
  SysoFiles?: string[];
  CgoCFLAGS?: string[];
  CgoCPPFLAGS?: string[];
  CgoCXXFLAGS?: string[];
  Error?: { Err?: string };
}

/** The files go compiles or links besides .go ones (go list's field names): cgo's, assembly, SWIG, .syso. */
const NON_GO_SOURCES = ['CFiles', 'CXXFiles', 'MFiles', 'HFiles', 'FFiles', 'SFiles', 'SwigFiles', 'SwigCXXFiles', 'SysoFiles'] as const;
/** A cgo package compiles every C source and header of its directory: a new one counts before go list names it. */
const CGO_PATTERNS = ['*.c', '*.h'];

const CGO_FLAGS = ['CgoCFLAGS', 'CgoCPPFLAGS', 'CgoCXXFLAGS'] as const;
const FIELDS = [
  'ImportPath',
  'Dir',
  'Standard',
  'EmbedPatterns',
  'EmbedFiles',
  'GoFiles',
  'CgoFiles',
  ...NON_GO_SOURCES,
  ...CGO_FLAGS,
  'Error',
].join(',');
/** The headers of an include directory, at any depth (`#include "sub/x.h"`). */
const HEADER_PATTERNS = [`**/*.{${HEADER_EXTENSIONS.map((e) => e.slice(1)).join(',')}}`];

/** The packages under `root` that embed files; rejects (with go's words) when go cannot tell. */
export async function listEmbeddingPackages(q: GoEmbedQuery): Promise<EmbeddingPackage[]> {
  return (await listBuildPackages(q)).embedding;
}

export interface BuildPackages {
  /** The packages under the roots that embed files. */
  embedding: EmbeddingPackage[];
  /**
   * The directory of every package under the roots the build compiles (in vendor mode, those under
   * vendor/ too: go reports them there only when the build reads them there).
   */
  dirs: string[];
  /**
   * Directories outside every root that the build compiles through a symlink under one: a package
   * directory linked in (`internal/shared -> ../../shared`), or the directory of a source file that is a
   * link (`msg.go -> ../common/msg.go`). Real paths; `from`: the link, as the package names it.
   */
  linked: Array<{ dir: string; from: string }>;
  /**
   * Include directories other than their own that the cgo packages under the roots name (-I...), wherever
   * they are (os/cgo-headers.ts: go's cache does not key on their headers). Those under a root are also
   * in `embedding` (compiled), so they are watched.
   */
  cgoIncludes: string[];
}

/** The same answer (one `go list`), with the directory of every package under the roots the build compiles. */
export async function listBuildPackages(q: GoEmbedQuery): Promise<BuildPackages> {
  const args = ['list', '-e', '-deps', `-json=${FIELDS}`, ...listFlags(q.flags), q.pkg];
  const out = await goList(args, q);
  const found: BuildPackages = { embedding: [], dirs: [], linked: [], cgoIncludes: [] };
  // Judged against the main root only: a linked directory becomes a root itself (moreRoots), and judged
  // against those it would stop being "linked", be dropped, and come back at the next answer. A module
  // root's own packages (a replace target) are said here too; the watch set skips what it watches already.
  const realRoots = [realPathOr(q.root)];
  for (const p of parseStream(out, args)) {
    const dir = p.Dir;
    if (p.Standard || !dir || ![q.root, ...(q.moreRoots ?? [])].some((r) => inside(r, dir))) continue;
    // A package go could not load may have lost its embeds: the answer would be incomplete, not safe.
    const error = p.Error?.Err ? `${p.ImportPath ?? p.Dir}: ${p.Error.Err}` : undefined;
    if (error && !q.keepBroken) throw new HotwatchError('GO_LIST_FAILED', `\`go ${args.join(' ')}\`: ${error}`);
    found.dirs.push(dir);
    const patterns = p.EmbedPatterns ?? [];
    const importPath = p.ImportPath ?? dir;
    if (patterns.length > 0) {
      const files = (p.EmbedFiles ?? []).map((f) => path.join(dir, f));
      found.embedding.push({ importPath, dir, patterns, files, ...(error ? { error } : {}) });
    }
    const compiled = compiledSources(p, dir);
    if (compiled) found.embedding.push({ importPath, dir, ...compiled, compiled: true, ...(error ? { error } : {}) });
    if ((p.CgoFiles ?? []).length > 0) addIncludes(found, p, dir, [q.root, ...(q.moreRoots ?? [])]);
    found.linked.push(...linkedOut(p, dir, realRoots));
  }
  return found;
}

/** The package's include directories (not its own): in cgoIncludes, and watched (as compiled sources) when under a root. */
function addIncludes(found: BuildPackages, p: ListedPackage, dir: string, roots: string[]): void {
  for (const inc of includeDirsOf(
    CGO_FLAGS.flatMap((k) => p[k] ?? []),
    dir,
  )) {
    if (found.cgoIncludes.includes(inc)) continue;
    found.cgoIncludes.push(inc);
    if (!roots.some((r) => inside(r, inc))) continue;
    const importPath = `${p.ImportPath ?? dir} (-I ${inc})`;
    found.embedding.push({ importPath, dir: inc, patterns: HEADER_PATTERNS, files: [], compiled: true });
  }
}

/** Where the package's directory, or one of its source files, is a symlink to outside every root (see BuildPackages.linked). */
function linkedOut(p: ListedPackage, dir: string, realRoots: string[]): Array<{ dir: string; from: string }> {
  const out: Array<{ dir: string; from: string }> = [];
  const outside = (real: string): boolean => !realRoots.some((r) => inside(r, real));
  const realDir = realPathOr(dir);
  if (outside(realDir)) return [{ dir: realDir, from: dir }];
  for (const name of [...(p.GoFiles ?? []), ...(p.CgoFiles ?? []), ...NON_GO_SOURCES.flatMap((k) => p[k] ?? [])]) {
    const file = path.join(dir, name);
    try {
      if (!fs.lstatSync(file).isSymbolicLink()) continue;
    } catch {
      continue; // gone meanwhile
    }
    const real = path.dirname(realPathOr(file));
    if (outside(real) && !out.some((l) => l.dir === real)) out.push({ dir: real, from: file });
  }
  return out;
}

/** The package's non-Go sources as patterns (see EmbeddingPackage.compiled) and files; undefined: none. */
function compiledSources(p: ListedPackage, dir: string): { patterns: string[]; files: string[] } | undefined {
  const names = NON_GO_SOURCES.flatMap((k) => p[k] ?? []);
  if (names.length === 0 && (p.CgoFiles ?? []).length === 0) return undefined;
  const patterns = new Set((p.CgoFiles ?? []).length > 0 ? CGO_PATTERNS : []);
  for (const n of names) patterns.add(path.extname(n) === '' ? n : `*${path.extname(n)}`);
  return { patterns: [...patterns].sort(), files: names.map((n) => path.join(dir, n)) };
}

const inside = (root: string, dir: string): boolean => {
  const rel = path.relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

function goList(args: string[], q: GoEmbedQuery): Promise<string> {
  const c = { cwd: q.cwd, env: q.env, signal: q.signal, timeoutMs: q.timeoutMs ?? 30_000, killSignal: 'SIGKILL' as const };
  return runGo(args, { ...c, maxBuffer: 64 << 20, code: 'GO_LIST_FAILED', detailLines: 3 });
}

/** go list -json prints one object after another; each top-level one starts with `{` at column 0. */
function parseStream(out: string, args: string[]): ListedPackage[] {
  const chunks = out.split(/\n(?=\{)/).filter((c) => c.trim() !== '');
  try {
    return chunks.map((c) => JSON.parse(c) as ListedPackage);
  } catch (e) {
    throw new HotwatchError('GO_LIST_FAILED', `\`go ${args.join(' ')}\` printed what is not JSON: ${String(e)}`, { cause: e });
  }
}

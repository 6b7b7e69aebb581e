/**
 * Which watched files are compiled into the binary by `//go:embed` (asked of the toolchain: go-embeds.ts).
 * Behind the proxy, a file the app reads at run time (proxy.restartOnly, proxy.reloadOnly) needs only a
 * restart or a browser reload; but once it is embedded, both would show the OLD content: it needs a
 * build. The answer is kept until Go sources or module files change (the gate in proxy-changes.ts says
 * so, and asks again before it classifies a change that would skip the build). A file created since is
 * matched against the packages' patterns, as go would resolve them. Never silent: when go cannot tell,
 * the answer is "unknown" and the change builds.
 */
import path from 'node:path';
import picomatch from 'picomatch';
import type { Logger } from './log/logger.js';
import { type EmbeddingPackage, type GoEmbedQuery, listEmbeddingPackages } from './os/go-embeds.js';

/** `failed`: go could not answer (else the answer is being asked for again: Go sources changed in this batch). */
export type EmbedVerdict = { embedded: false } | { embedded: true; by: string } | { embedded: 'unknown'; why: string; failed: boolean };

interface Embedding {
  /** The package as a person names it: `./web`, or `.` for the root. */
  by: string;
  dir: string;
  patterns: Array<{ match: (p: string) => boolean; all: boolean }>;
}

type State =
  | { kind: 'stale'; why: string }
  | { kind: 'fresh'; files: Map<string, string>; packages: Embedding[] }
  | { kind: 'failed'; why: string };

export class EmbedIndex {
  private state: State = { kind: 'stale', why: 'not asked yet' };
  /** Bumped by each invalidate(): an answer asked for before it is stale on arrival. */
  private generation = 0;
  private asking: Promise<void> | undefined;
  private lastFailure = '';

  constructor(
    private readonly query: Omit<GoEmbedQuery, 'signal'>,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {}

  /** Go sources or module files changed: what is embedded may have changed. */
  invalidate(): void {
    this.generation++;
    this.state = { kind: 'stale', why: 'Go sources changed; asking go list again' };
  }

  /** The answer is stale, or go could not give one (asked again: it may be able to now). */
  get needsAsking(): boolean {
    return this.state.kind !== 'fresh';
  }

  /** Asks `go list` (one question at a time); resolves once the answer (or the failure) is kept. */
  refresh(): Promise<void> {
    this.asking ??= this.ask().finally(() => (this.asking = undefined));
    return this.asking;
  }

  /** Whether `file` (absolute) is embedded, by which package, or why that is unknown. */
  verdict(file: string): EmbedVerdict {
    const s = this.state;
    if (s.kind !== 'fresh') return { embedded: 'unknown', why: s.why, failed: s.kind === 'failed' };
    const by = s.files.get(file) ?? s.packages.find((p) => matchesPatterns(p, file))?.by;
    return by !== undefined ? { embedded: true, by } : { embedded: false };
  }

  private async ask(): Promise<void> {
    const generation = this.generation;
    const t0 = performance.now();
    try {
      const found = await listEmbeddingPackages({ ...this.query, signal: this.signal });
      if (generation !== this.generation) return;
      const state = fresh(found, this.query.root);
      this.state = state;
      this.lastFailure = '';
      const files = state.files.size;
      const text = `go list: ${files} file${files === 1 ? '' : 's'} embedded by ${found.length} package${found.length === 1 ? '' : 's'} under the root (${Math.round(performance.now() - t0)}ms)`;
      this.log.debug({ event: 'proxy.embeds', files, packages: found.map((p) => p.importPath) }, text);
    } catch (e) {
      if (this.signal.aborted || generation !== this.generation) return;
      const why = e instanceof Error ? e.message : String(e);
      this.state = { kind: 'failed', why: `go list failed: ${why}` };
      const text = `could not ask go which files are embedded (//go:embed): ${why}; edits of proxy.restartOnly and proxy.reloadOnly files rebuild to be safe until it answers`;
      // Said once per distinct failure: the same failure again (each edit asks again) is debug.
      if (why !== this.lastFailure) this.log.warn({ event: 'proxy.embeds-unknown', err: why }, text);
      else this.log.debug({ event: 'proxy.embeds-unknown', err: why }, text);
      this.lastFailure = why;
    }
  }
}

function fresh(found: EmbeddingPackage[], root: string): Extract<State, { kind: 'fresh' }> {
  const files = new Map<string, string>();
  const packages: Embedding[] = [];
  for (const p of found) {
    const rel = path.relative(root, p.dir).split(path.sep).join('/');
    const by = rel === '' ? '.' : `./${rel}`;
    for (const f of p.files) files.set(f, by);
    const patterns = p.patterns.map((raw) => {
      const all = raw.startsWith('all:');
      const glob = all ? raw.slice(4) : raw;
      // Go's path.Match: `*` and `?` stop at `/`, `[...]` classes; no braces, no `**`.
      return { match: picomatch(glob, { dot: true, nobrace: true, noextglob: true, noglobstar: true }), all };
    });
    packages.push({ by, dir: p.dir, patterns });
  }
  return { kind: 'fresh', files, packages };
}

/**
 * A file go has not listed (created since it was asked) that a pattern embeds: the pattern names it, or
 * names a directory above it (go then embeds the whole tree, minus `.` and `_` names unless `all:`).
 */
function matchesPatterns(p: Embedding, file: string): boolean {
  const rel = path.relative(p.dir, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return false;
  const parts = rel.split(path.sep);
  for (const { match, all } of p.patterns) {
    for (let k = parts.length; k >= 1; k--) {
      if (!match(parts.slice(0, k).join('/'))) continue;
      if (k === parts.length || all || !parts.slice(k).some((n) => n.startsWith('.') || n.startsWith('_'))) return true;
    }
  }
  return false;
}

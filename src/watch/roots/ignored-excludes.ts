/**
 * The watch rules with the git-ignored directories excluded (watch.gitignore), except those the build
 * reads: the toolchain's package list (go list -deps, with embedded files) decides, not the ignore file
 * alone. When the toolchain cannot say, nothing is skipped (a watch too many costs less than a missed
 * edit) and the reason is logged.
 */
import type { EmbeddedSet } from '../../os/embedded-set.js';
import path from 'node:path';
import type { WatchSettings } from '../../config/settings.js';
import type { Logger } from '../../log/logger.js';
import { buildDirs } from '../../os/go-packages.js';
import { excludeGlobs, refineIgnored, topIgnoredDirs, type IgnoredVerdict } from '../tree/gitignore.js';
import type { CgoHeaderDirs } from '../../os/cgo-headers.js';
import { takesNextValue } from '../../os/go-command.js';

export interface BuildInputs {
  /** The directory the build runs in (the root) and the package it builds. */
  root: string;
  package: string;
  env: NodeJS.ProcessEnv;
  /** build.flags (with a build.cmd: none, its flags are unknown). */
  flags: readonly string[];
  /** Told the include directories of the build's cgo packages at each answer of go (os/cgo-headers.ts). */
  cgoHeaders?: CgoHeaderDirs;
  /** Told the files the binary embeds at each answer of go (os/embedded-set.ts). */
  embedded?: EmbeddedSet;
}

export interface IgnoredPlan {
  settings: WatchSettings;
  verdict: IgnoredVerdict | undefined;
  /** Why nothing was skipped although directories are ignored (the toolchain could not list the packages). */
  unknown?: string;
}

/**
 * What the build reads, for the package list: the package `go build` builds; with a build.cmd, the one
 * package its single plain `go build` names (`go build -o bin/app ./app`: at a go.work root `./...` names
 * no module, and go answered nothing), else every package of the module (`./...`: a Makefile may build
 * anything): a directory kept too many costs a watch, one left out costs a missed edit.
 */
export function buildInputs(
  root: string,
  build: { cmd: string | undefined; package: string; env: Record<string, string>; flags: string[] },
): BuildInputs {
  const custom = build.cmd !== undefined;
  const flags = custom ? goBuildFlagsIn(build.cmd!) : build.flags;
  const pkg = custom ? (goBuildPackageIn(build.cmd!) ?? './...') : build.package;
  return { root, package: pkg, env: { ...process.env, ...build.env }, flags };
}

/** Each `go build` of a shell line (after `;`, `&&`, `exec`, `VAR=value`), with the rest of its words. */
const GO_BUILD = /(?:^|[;&|(]\s*|\bexec\s+)(?:[A-Za-z_]\w*=\S*\s+)*go\s+build\s+([^;&|)]*)/g;

/**
 * The package of a build.cmd whose only `go build` names exactly one, in literal words (`./app`,
 * `example.com/app/cmd/api`, `.`; quoted flag values such as `-ldflags "-s -w"` are read as words), or
 * names none (the root's package, `.`, unless a `cd` or `-C` moves it); undefined for anything else
 * (several builds or packages, variables, command substitutions).
 */
export function goBuildPackageIn(cmd: string): string | undefined {
  const builds = [...cmd.matchAll(GO_BUILD)];
  if (builds.length !== 1) return undefined;
  const words = literalWords(builds[0]![1]!);
  if (words === undefined) return undefined;
  const positional: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (/^--?C(=|$)/.test(w)) return undefined; // go build -C dir: another directory's package
    if (takesNextValue(w) || /^\d*[<>]+&?$/.test(w))
      i++; // a flag's value, or a redirection's target
    else if (!w.startsWith('-') && !/^\d*[<>]/.test(w)) positional.push(w);
  }
  if (positional.length === 0) return /(^|[;&|(]\s*)cd\s/.test(cmd) ? undefined : '.';
  return positional.length === 1 && /^(\.|\.{1,2}\/[\w./-]*|[\w-]+(\.[\w-]+)+\/[\w./-]*)$/.test(positional[0]!) ? positional[0] : undefined;
}

/**
 * The words of a shell fragment when every one is literal: plain, '…' or "…" without `$`, backquote or
 * backslash inside; undefined when anything would be expanded or a quote is left open (not guessed).
 */
export function literalWords(text: string): string[] | undefined {
  const words: string[] = [];
  const word = /([^\s'"$`\\]+)|'([^']*)'|"([^"$`\\]*)"/y;
  let current: string | undefined;
  let at = 0;
  while (at < text.length) {
    if (/\s/.test(text[at]!)) {
      if (current !== undefined) words.push(current);
      current = undefined;
      at++;
      continue;
    }
    word.lastIndex = at;
    const m = word.exec(text);
    if (m === null) return undefined;
    current = (current ?? '') + (m[1] ?? m[2] ?? m[3] ?? '');
    at = word.lastIndex;
  }
  if (current !== undefined) words.push(current);
  return words;
}

/**
 * The flags that change which files a package has (-tags, -mod), as a build.cmd's `go build` words give
 * them (`go build -tags dev -o bin/app .`): a file behind `//go:build dev` and what it embeds are the
 * build's only with them. Literal words only (quoted ones too, no variables): anything else is not guessed.
 */
export function goBuildFlagsIn(cmd: string): string[] {
  const out: string[] = [];
  for (const m of cmd.matchAll(GO_BUILD)) {
    const words = literalWords(m[1]!) ?? m[1]!.trim().split(/\s+/);
    words.forEach((w, i) => {
      if (/^--?(tags|mod)=[\w.,-]+$/.test(w)) out.push(w);
      else if (/^--?(tags|mod)$/.test(w) && /^[\w.,-]+$/.test(words[i + 1] ?? '')) out.push(w, words[i + 1]!);
    });
  }
  return out;
}

/** Shows at most a few names: "data, uploads, web/dist, … (12)". */
export function someOf(dirs: readonly string[], root: string, max = 6): string {
  const names = dirs.slice(0, max).map((d) => path.relative(root, d) || '.');
  return dirs.length > max ? `${names.join(', ')}, … (${dirs.length})` : names.join(', ');
}

/** Reused by several roots: one `go list` per watch-set plan. */
export type BuildDirsOnce = () => Promise<Set<string>>;

/** `b` undefined: no Go build (ad-hoc mode), so no directory is kept for it. */
export function buildDirsOnce(b: BuildInputs | undefined, signal: AbortSignal): BuildDirsOnce {
  if (b === undefined) return () => Promise.resolve(new Set<string>());
  let p: Promise<Set<string>> | undefined;
  return () => (p ??= buildDirs(b.root, b.package, signal, b.env, b.flags));
}

export async function planIgnored(s: WatchSettings, dirs: BuildDirsOnce, signal: AbortSignal): Promise<IgnoredPlan> {
  if (!s.gitignore) return { settings: s, verdict: undefined };
  const top = await topIgnoredDirs(s, signal);
  if (top.length === 0) return { settings: s, verdict: { excluded: [], kept: [] } };
  let keep: Set<string>;
  try {
    keep = await dirs();
  } catch (e) {
    signal.throwIfAborted();
    return { settings: s, verdict: undefined, unknown: (e as Error).message };
  }
  const verdict = refineIgnored(s.root, top, keep);
  return { settings: { ...s, exclude: [...s.exclude, ...excludeGlobs(s.root, verdict.excluded)] }, verdict };
}

/** The plan, said: at debug what was skipped and what kept; a warning when the toolchain could not say. */
export async function withoutIgnored(
  s: WatchSettings,
  dirs: BuildDirsOnce,
  signal: AbortSignal,
  log: Logger,
): Promise<{ settings: WatchSettings; excluded: string[] }> {
  const p = await planIgnored(s, dirs, signal);
  const root = s.root;
  if (p.unknown) {
    log.warn(
      { event: 'watch.gitignore-unknown', root, reason: p.unknown },
      `watching the git-ignored directories of ${root} too: the packages the build uses could not be listed (${p.unknown})`,
    );
  }
  const v = p.verdict;
  if (v && v.excluded.length > 0)
    log.debug(
      { event: 'watch.gitignored', root, dirs: v.excluded.length },
      `not watching ${v.excluded.length} git-ignored director${v.excluded.length === 1 ? 'y' : 'ies'} of ${root}: ${someOf(v.excluded, root)} (watch.gitignore: false watches them)`,
    );
  if (v && v.kept.length > 0)
    log.debug(
      { event: 'watch.gitignored-kept', root, dirs: v.kept.length },
      `watching git-ignored ${someOf(v.kept, root)} all the same: the build reads them`,
    );
  return { settings: p.settings, excluded: v?.excluded ?? [] };
}

/**
 * Files the binary embeds (`//go:embed`) are build inputs like its `.go` files: a `web/dist/app.css` or a
 * `schema.json` compiled into the binary must rebuild when it changes, whatever its extension. The
 * toolchain says which (`go list -deps`, no network: os/go-embeds.ts). Each embedding package's patterns
 * whose files the watch rules would not already report become include globs of the root (the pattern,
 * and everything under it: a directory pattern embeds its whole tree), so a file created there later
 * counts too. Asked in the background 2 s (SETTLE_MS) after the root is armed (not at once: `go list -deps`
 * would share the cores with the first build, the start-up's critical path), and again after `.go`
 * edits settle (a new `//go:embed`); when the globs change, the root's watches are reconciled with them
 * and an info line says what is watched now. The first answer also looks at the newly watched files:
 * one changed since the watch set started (the first build may not have read it) builds once.
 * Never silent: when go cannot answer, a warning says which files may be missed and why.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../../config/settings.js';
import type { Logger } from '../../log/logger.js';
import { type EmbeddingPackage, listEmbeddingPackages } from '../../os/go-embeds.js';
import { createFilter } from '../tree/filter.js';
import { AfterSettle } from './after-settle.js';
import { underAny } from './set-lines.js';
import type { BuildInputs } from './ignored-excludes.js';

/**
 * The include globs of the root `s` that make the embedded files of `pkgs` under it relevant, for those its
 * rules do not report already (packages under other roots are theirs).
 */
export function embedGlobs(s: WatchSettings, pkgs: EmbeddingPackage[]): string[] {
  const filter = createFilter(s);
  const globs = new Set<string>();
  for (const p of pkgs) {
    if (!underAny([s.root], p.dir)) continue;
    if (p.files.every((f) => filter.isRelevantFile(f))) continue; // .go, .html...: reported already
    const dir = path.relative(s.root, p.dir).split(path.sep).join('/');
    for (const raw of p.patterns) {
      const pattern = raw.replace(/^all:/, '').replace(/\/+$/, '');
      const glob = dir === '' ? pattern : `${dir}/${pattern}`;
      globs.add(glob);
      globs.add(`${glob}/**`);
    }
  }
  return [...globs].sort();
}

export class EmbeddedFiles {
  /** The toolchain's last answer: the packages under the watched roots that embed files. */
  private pkgs: EmbeddingPackage[] = [];
  /** The globs said last, every root's (see labelled). */
  private globs: string[] = [];
  private readonly settle: AfterSettle;
  private lastFailure = '';
  /** Until the first answer: when the watch set started (an embedded file changed since may not be built). */
  private since: number | undefined = Date.now();

  constructor(
    private readonly build: BuildInputs | undefined,
    /**
     * Each watched root's settings now, the root's first (the local modules outside it after), and how to
     * re-apply them (the watch set's reconcile, which calls applyTo for each).
     */
    private readonly host: { roots(): WatchSettings[]; reapply(): Promise<unknown>; rescan(reason: string): void },
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {
    this.settle = new AfterSettle(() => this.ask(), signal);
  }

  /** `s` (one root's settings) with its embedded files' globs in its include list (none known: `s`). */
  applyTo(s: WatchSettings): WatchSettings {
    const more = embedGlobs(s, this.pkgs).filter((g) => !s.include.includes(g));
    return more.length === 0 ? s : { ...s, include: [...s.include, ...more] };
  }

  /** The root was armed, a local module joined the watched roots, or Go sources changed: ask once they settle. */
  goChanged(): void {
    if (this.build !== undefined) this.settle.changed();
  }

  close(): void {
    this.settle.close();
  }

  private async ask(): Promise<void> {
    const b = this.build!;
    const [base, ...more] = this.host.roots();
    let pkgs: EmbeddingPackage[];
    try {
      pkgs = await listEmbeddingPackages({
        cwd: b.root,
        pkg: b.package,
        root: base!.root,
        moreRoots: more.map((s) => s.root),
        env: b.env,
        flags: [...b.flags],
        signal: this.signal,
      });
    } catch (e) {
      if (this.signal.aborted) return;
      const why = (e as Error).message;
      if (why !== this.lastFailure)
        this.log.warn(
          { event: 'watch.embeds-unknown', err: why },
          `could not ask go which files the binary embeds (//go:embed): ${why}; embedded files whose extension is not watched may not rebuild until it answers (asked again after the next .go edit)`,
        );
      this.lastFailure = why;
      return;
    }
    this.lastFailure = '';
    this.pkgs = pkgs;
    const globs = labelled(this.host.roots(), pkgs);
    const since = this.since;
    this.since = undefined;
    if (globs.join('\n') === this.globs.join('\n')) return;
    const added = globs.filter((g) => !g.endsWith('/**') && !this.globs.includes(g));
    this.globs = globs;
    await this.host.reapply();
    const text =
      globs.length === 0
        ? 'no embedded file needs a watch of its own any more'
        : `watching what the binary embeds (//go:embed), whatever its extension: ${added.length > 0 ? added.join(', ') : globs.filter((g) => !g.endsWith('/**')).join(', ')}`;
    this.log.info({ event: 'watch.embeds', globs }, text);
    const changed = since === undefined ? undefined : changedSince(pkgs, since);
    if (changed) this.host.rescan(`${changed} (embedded) changed while hotwatch was starting: building it`);
  }
}

/** Every root's embed globs, as paths from the first root (`web/dist`, `../lib/templates`), sorted. */
function labelled(roots: WatchSettings[], pkgs: EmbeddingPackage[]): string[] {
  const from = roots[0]?.root ?? '';
  const all = roots.flatMap((s) => {
    const prefix = path.relative(from, s.root).split(path.sep).join('/');
    return embedGlobs(s, pkgs).map((g) => (prefix === '' ? g : `${prefix}/${g}`));
  });
  return [...new Set(all)].sort();
}

/** The first embedded file modified at or after `since` (epoch ms), by path, or undefined. */
function changedSince(pkgs: EmbeddingPackage[], since: number): string | undefined {
  for (const p of pkgs)
    for (const f of p.files) {
      try {
        if (fs.statSync(f).mtimeMs >= since) return f;
      } catch {
        // gone since go listed it: its removal is an event the watch reports once it is watched
      }
    }
  return undefined;
}

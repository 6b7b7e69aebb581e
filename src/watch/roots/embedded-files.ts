/**
 * Files the binary embeds (`//go:embed`) are build inputs like its `.go` files: a `web/dist/app.css` or a
 * `schema.json` compiled into the binary must rebuild when it changes, whatever its extension. The
 * toolchain says which (`go list -deps`, no network: os/go-embeds.ts). Each embedding package's patterns
 * whose files the watch rules would not already report become include globs of the root (the pattern,
 * and everything under it: a directory pattern embeds its whole tree), so a file created there later
 * counts too. Asked in the background 2 s (SETTLE_MS) after the root is armed (not at once: `go list -deps`
 * would share the cores with the first build, the start-up's critical path), and again after `.go`,
 * go.mod or go.work edits settle (a new `//go:embed`); when the globs change, the root's watches are
 * reconciled with them and an info line says what is watched now. Each answer also looks at the files it
 * watches anew: one changed since the watch set started (first answer) or since the edit that asked (a
 * `//go:embed` added, then its file edited before the answer came) builds once. A package go cannot load
 * still names its patterns (`//go:embed cfg/new.yaml` before that file exists): they are watched, so
 * creating the file builds. Never silent: when go cannot answer in full, a warning says which files may
 * be missed and why, and any change of the tree asks again (it may be the fix: go.mod repaired).
 * The same answer lists every package the build compiles: those watch.excludeDirs leaves out are watched
 * all the same, or said (tree/left-out-packages.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WatchSettings } from '../../config/settings.js';
import type { Logger } from '../../log/logger.js';
import { type BuildPackages, type EmbeddingPackage, listBuildPackages } from '../../os/go-embeds.js';
import { createFilter } from '../tree/filter.js';
import { changedSince as keptChangedSince, LeftOutPackages } from '../tree/left-out-packages.js';
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
    // .go, .html...: reported already (a pattern that matches nothing yet is watched for the file to come).
    if (p.files.length > 0 && p.files.every((f) => filter.isRelevantFile(f))) continue;
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
  /** The packages the build compiles that excludeDirs would leave out (internal/tmp, vendor/…). */
  private readonly leftOut: LeftOutPackages;
  private lastFailure = '';
  /** The last answer was none, or had packages go could not load: any change of the tree asks again. */
  private unsure = false;
  /**
   * Since when a file the next answer adds may have changed unwatched (epoch ms): the watch set's start for
   * the first answer, then the first change that asked again (a `//go:embed` added, then its file edited).
   */
  private since: number | undefined = Date.now();

  constructor(
    private readonly build: BuildInputs | undefined,
    /**
     * Each watched root's settings now, the root's first (the local modules outside it after), and how to
     * re-apply them (the watch set's reconcile, which calls applyTo for each).
     */
    private readonly host: {
      roots(): WatchSettings[];
      reapply(): Promise<unknown>;
      rescan(reason: string): void;
      /** Files changed before they were watched: built as changes of those files (a build step's `files` decide, as for any edit). */
      changed(files: string[]): void;
      /** Directories outside the roots the build compiles through a symlink (go-embeds.ts BuildPackages.linked). */
      linked(dirs: BuildPackages['linked']): void;
    },
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {
    this.settle = new AfterSettle(() => this.ask(), signal);
    this.leftOut = new LeftOutPackages(log);
  }

  /** `s` (one root's settings) with its embedded files' globs in its include list (none known: `s`). */
  applyTo(s: WatchSettings): WatchSettings {
    const more = embedGlobs(s, this.pkgs).filter((g) => !s.include.includes(g));
    return this.leftOut.applyTo(more.length === 0 ? s : { ...s, include: [...s.include, ...more] });
  }

  /** The root was armed, a local module joined the watched roots, or Go sources changed: ask once they settle. */
  goChanged(): void {
    if (this.build === undefined) return;
    this.since ??= Date.now();
    this.settle.changed();
  }

  /**
   * A file of the tree changed: .go sources and the module files (go.mod, go.work) may change what is
   * embedded; after an answer go could not give whole (a broken go.mod, a pattern whose file is not there
   * yet), any change may be the fix.
   */
  fileChanged(file: string): void {
    const base = path.basename(file);
    if (this.unsure || file.endsWith('.go') || base === 'go.mod' || base === 'go.work') this.goChanged();
  }

  close(): void {
    this.settle.close();
  }

  private async ask(): Promise<void> {
    const b = this.build!;
    const [base, ...more] = this.host.roots();
    let answer: BuildPackages;
    try {
      answer = await listBuildPackages({
        cwd: b.root,
        pkg: b.package,
        root: base!.root,
        moreRoots: more.map((s) => s.root),
        keepBroken: true,
        env: b.env,
        flags: [...b.flags],
        signal: this.signal,
      });
    } catch (e) {
      if (this.signal.aborted) return;
      const why = (e as Error).message;
      this.sayUnsure(why);
      return;
    }
    this.host.linked(answer.linked);
    this.cgoIncludes(answer.cgoIncludes);
    const pkgs = answer.embedding;
    const broken = pkgs.flatMap((p) => (p.error ? [p.error] : []));
    if (broken.length > 0) this.sayUnsure(`${broken.join('; ')} (the files its //go:embed lines name are watched)`);
    else [this.lastFailure, this.unsure] = ['', false];
    const before = new Set(this.pkgs.map(packageKey));
    this.pkgs = pkgs;
    this.build?.embedded?.set(pkgs.flatMap((p) => (p.compiled ? [] : p.files)));
    const globs = labelled(this.host.roots(), pkgs);
    const since = this.since;
    this.since = undefined;
    await this.keepLeftOut(answer.dirs, globs.join('\n') === this.globs.join('\n'), since);
    if (globs.join('\n') === this.globs.join('\n')) return;
    const added = globs.filter((g) => !g.endsWith('/**') && !this.globs.includes(g));
    this.globs = globs;
    await this.host.reapply();
    const shown = added.length > 0 ? added : globs.filter((g) => !g.endsWith('/**'));
    const compiled = new Set(
      labelled(
        this.host.roots(),
        pkgs.filter((p) => p.compiled),
      ),
    );
    const [sources, embeds] = [shown.filter((g) => compiled.has(g)), shown.filter((g) => !compiled.has(g))];
    const text =
      globs.length === 0
        ? 'no embedded or non-Go source file needs a watch of its own any more'
        : `watching ${[
            ...(embeds.length > 0 ? [`what the binary embeds (//go:embed), whatever its extension: ${embeds.join(', ')}`] : []),
            ...(sources.length > 0 ? [`the C, assembly and .syso files go compiles into it (cgo): ${sources.join(', ')}`] : []),
          ].join('; and ')}`;
    this.log.info({ event: 'watch.embeds', globs }, text);
    // What the new globs watch may have changed before they did: built once if so.
    const fresh = pkgs.filter((p) => !before.has(packageKey(p)));
    if (since !== undefined) this.caughtUp(changedSince(fresh, since));
  }

  /**
   * Embedded files that changed before their glob watched them: built as changes of those files, not a
   * rescan (a rescan ran every build step whatever its `files`, and `go generate` wrote the generated file
   * a developer had just edited by hand back over the edit).
   */
  private caughtUp(changed: string[]): void {
    if (changed.length === 0) return;
    const names = changed.map((f) => path.relative(this.host.roots()[0]?.root ?? '', f) || f);
    const one = names.length === 1;
    this.log.info(
      { event: 'watch.embeds-caught-up', files: changed },
      `${names.slice(0, 3).join(', ')}${names.length > 3 ? `, +${names.length - 3} more` : ''} (embedded) changed before ${one ? 'it was' : 'they were'} watched: building ${one ? 'it' : 'them'}`,
    );
    this.host.changed(changed);
  }

  /**
   * The packages excludeDirs leaves out, from this answer: re-applied when the kept set changed (unless the
   * embed globs re-apply anyway), and what changed there before it was watched built once.
   */
  private async keepLeftOut(dirs: string[], globsSame: boolean, since: number | undefined): Promise<void> {
    const roots = this.host.roots();
    const { changed, fresh } = this.leftOut.update(dirs, roots);
    if (!changed) return;
    if (globsSame) await this.host.reapply();
    const file = since === undefined ? undefined : keptChangedSince(roots, dirs, fresh, since);
    if (file) this.host.rescan(`${path.relative(roots[0]?.root ?? '', file)} changed before it was watched: building it`);
  }

  /**
   * The cgo include directories, for the builds' key (os/cgo-headers.ts): when they are new, the builds so
   * far may have reused objects compiled with other headers, so the tree builds again; one outside every
   * watched root is said, its edits are not seen.
   */
  private cgoIncludes(dirs: string[]): void {
    if (!this.build?.cgoHeaders?.set(dirs)) return;
    const roots = this.host.roots().map((s) => s.root);
    const outside = dirs.filter((d) => !underAny(roots, d));
    if (outside.length > 0)
      this.log.warn(
        { event: 'watch.cgo-includes-outside', dirs: outside },
        `the C headers cgo includes from ${outside.join(', ')} (-I) are outside the watched roots: their edits are not seen (a build after any other change does compile them)`,
      );
    this.host.rescan(
      `cgo includes headers from ${dirs.join(', ')}: go's cache does not key on them, so hotwatch builds with a digest of them from now on`,
    );
  }

  /** Said once per reason; asked again at the next change of the tree (whatever it is: it may be the fix). */
  private sayUnsure(why: string): void {
    if (why !== this.lastFailure)
      this.log.warn(
        { event: 'watch.embeds-unknown', err: why },
        `could not ask go which files the binary embeds (//go:embed) in full: ${why}; embedded files whose extension is not watched may not rebuild until it answers (asked again after the next change)`,
      );
    [this.lastFailure, this.unsure] = [why, true];
  }
}

/** A package's embedding as asked: the same key, the same globs. */
const packageKey = (p: EmbeddingPackage): string => `${p.dir}\0${p.patterns.join('\0')}`;

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
function changedSince(pkgs: EmbeddingPackage[], since: number): string[] {
  const out = new Set<string>();
  for (const p of pkgs)
    for (const f of p.files) {
      try {
        const st = fs.statSync(f);
        if (st.mtimeMs >= since || st.ctimeMs >= since) out.add(f);
      } catch {
        // gone since go listed it: its removal is an event the watch reports once it is watched
      }
    }
  return [...out];
}

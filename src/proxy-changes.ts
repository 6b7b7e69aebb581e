/**
 * What a changed file needs behind the proxy: a build, a restart without one (proxy.restartOnly), or
 * only a browser reload (proxy.reloadOnly). A file the binary embeds (`//go:embed`, proxy-embeds.ts)
 * always builds: a restart or a reload would show its old content.
 *
 * Batches reach the supervisor through here, in order: one that would skip the build waits for a fresh
 * answer from `go list` (asked again after Go sources or module files changed); the ones behind it wait
 * their turn, so a revert never overtakes the change it undoes.
 */
import path from 'node:path';
import picomatch from 'picomatch';
import type { ProxySettings } from './config/settings.js';
import type { Logger } from './log/logger.js';
import type { Batch } from './pipeline/events.js';
import type { EmbedIndex } from './proxy-embeds.js';
import type { ChangeKind } from './supervisor/supervisor-options.js';

/** Go sources and the module files: they always build, and may change what is embedded. */
const GO_INPUT = /\.go$|(^|\/)go\.(mod|sum|work)$|(^|\/)go\.work\.sum$/;

/** Where batches go: the supervisor. */
export interface BatchTarget {
  submit(batch: Batch): void;
  revert(batch: Batch): void;
}

export class ProxyChanges {
  private readonly reloadGlob: (rel: string) => boolean;
  private readonly restartGlob: (rel: string) => boolean;
  private queue: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly root: string,
    p: ProxySettings,
    private readonly embeds: EmbedIndex,
    private readonly log: Logger,
  ) {
    this.reloadGlob = picomatch(p.reloadOnly, { dot: true });
    this.restartGlob = picomatch(p.restartOnly, { dot: true });
  }

  /** What `file` needs (the supervisor asks this of each file of a batch this gate delivered). */
  readonly kind = (file: string): ChangeKind => {
    const rel = this.rel(file);
    const wanted = this.byGlob(rel);
    if (wanted === 'build') return 'build';
    const v = this.embeds.verdict(file);
    if (v.embedded === false) return wanted;
    const glob = wanted === 'restart' ? 'proxy.restartOnly' : 'proxy.reloadOnly';
    if (v.embedded === true) {
      const text = `${rel} is embedded by ${v.by} (//go:embed): rebuilding (a ${wanted} would show its old content; ${glob} does not apply)`;
      this.log.info({ event: 'proxy.embedded', file: rel, package: v.by }, text);
    } else {
      const text = `${rel}: whether the binary embeds it (//go:embed) is unknown (${v.why}): rebuilding to be safe`;
      // Not known because Go sources changed with it: the batch builds for them anyway.
      this.log[v.failed ? 'info' : 'debug']({ event: 'proxy.embedded-unknown', file: rel, why: v.why }, text);
    }
    return 'build';
  };

  /** The supervisor's submit and revert, through the gate. */
  inOrder(target: BatchTarget): BatchTarget {
    return { submit: (b) => this.pass(b, (x) => target.submit(x)), revert: (b) => this.pass(b, (x) => target.revert(x)) };
  }

  private pass(batch: Batch, to: (b: Batch) => void): void {
    if (batch.paths.some((p) => GO_INPUT.test(this.rel(p)))) this.embeds.invalidate();
    if (this.waiting === 0 && !this.mustAsk(batch)) return to(batch);
    this.waiting++;
    this.queue = this.queue
      .then(() => (this.mustAsk(batch) ? this.embeds.refresh() : undefined))
      .then(() => to(batch))
      .catch((e: unknown) => this.log.error({ err: e }, `a change could not be delivered to the supervisor: ${String(e)}`))
      .finally(() => this.waiting--);
  }

  /** The batch would skip the build (no Go input, a run-time-only file) and the embed answer is not fresh. */
  private mustAsk(batch: Batch): boolean {
    if (!this.embeds.needsAsking || batch.rescanReasons.length > 0) return false;
    const rels = batch.paths.map((p) => this.rel(p));
    return !rels.some((r) => GO_INPUT.test(r)) && rels.some((r) => this.byGlob(r) !== 'build');
  }

  private byGlob(rel: string): ChangeKind {
    if (GO_INPUT.test(rel)) return 'build';
    if (this.reloadGlob(rel)) return 'reload';
    if (this.restartGlob(rel)) return 'restart';
    return 'build';
  }

  private rel(file: string): string {
    return path.relative(this.root, file).split(path.sep).join('/');
  }
}

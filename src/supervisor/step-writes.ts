/**
 * Files a build step writes do not start another cycle: `go generate` writing a .go file before the
 * build would otherwise cancel the build that compiles it and build again (two cycles per edit, or a
 * loop). The kernel does not say who wrote a file, so a step's run is a window: every change the watcher
 * reports while it is open is recorded, once the watcher confirmed nothing is still on its way, with the
 * content it has then. A batch is then delivered without the files whose content is still what a step
 * left (what the build after the step compiled); a later edit that changes them builds as usual.
 * A person's save while a before-step runs is recorded too: the build that follows the step compiles it.
 */
import { hashFile } from '../pipeline/content.js';

export class StepWrites {
  private open = 0;
  private readonly seen = new Set<string>();
  /** What the open windows may record: every file (a before-step), or only an instead-step's own files. */
  private readonly scopes = new Set<(file: string) => boolean>();
  /** Files written while a step ran, and their content when it ended (undefined: removed). */
  private readonly written = new Map<string, string | undefined>();
  /** Resolves once no step runs and what they wrote is recorded. */
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;

  /** `sync`: resolves once the watcher delivered every event up to now (the batcher's barrier). */
  constructor(private readonly sync: () => Promise<unknown>) {}

  /** Notes a change the watcher reported, and hands the event on. */
  pass<E extends { kind: string; path?: string }>(ev: E, to: { push(ev: E): void }): void {
    if (ev.kind === 'change' && ev.path !== undefined) this.note(ev.path);
    to.push(ev);
  }

  /** A change the watcher reported (absolute path). */
  note(file: string): void {
    if (this.open > 0 && [...this.scopes].some((inScope) => inScope(file))) this.seen.add(file);
  }

  /**
   * A step starts; the function returned ends its window (after the step's own writes were seen).
   * `inScope`: the files it may claim. A before-step claims every file (a person's save during it is
   * compiled by the build that follows); an instead-step only the files it runs for (no build follows: a
   * person's save of anything else during it must stay a change, or it would be lost).
   */
  window(inScope: (file: string) => boolean = () => true): () => Promise<void> {
    if (this.open++ === 0) this.idle = new Promise((resolve) => (this.markIdle = resolve));
    this.scopes.add(inScope);
    let closed = false;
    return async () => {
      if (closed) return;
      closed = true;
      await this.sync().catch(() => undefined);
      this.scopes.delete(inScope);
      if (--this.open > 0) return;
      const files = [...this.seen];
      this.seen.clear();
      const hashes = await Promise.all(files.map((f) => hashFile(f)));
      for (const [i, f] of files.entries()) this.written.set(f, hashes[i]);
      this.markIdle();
    };
  }

  /** Splits `paths` into files still as a step left them (dropped) and the rest (kept); waits for a step under way. */
  async split(paths: readonly string[]): Promise<{ kept: string[]; dropped: string[] }> {
    await this.idle;
    const kept: string[] = [];
    const dropped: string[] = [];
    for (const p of paths) {
      if (!this.written.has(p)) {
        kept.push(p);
        continue;
      }
      if ((await hashFile(p)) === this.written.get(p)) dropped.push(p);
      else {
        this.written.delete(p);
        kept.push(p);
      }
    }
    return { kept, dropped };
  }
}

/**
 * An app that writes files into the watched tree as it serves (uploads saved as .html, rendered pages
 * cached, a static site written out): each new file is one go does not compile, so the app is restarted
 * "in case it reads it at run time", once per request, its in-memory state lost each time. It is no loop
 * (requests come at any time, so the self-trigger guard never matches), and hotwatch cannot know who
 * wrote the file. What gives it away: files CREATED while the app ran (their birth time after its start)
 * in the same directory, restart after restart. After a few, one warning names the directory and the
 * exclude that ends it; hotwatch goes on restarting (a template directory the app globs at start is the
 * case where the restart is right).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/logger.js';

/** Restarts for files created in one directory while the app ran before the warning. */
const RESTARTS_BEFORE_HINT = 3;

export class AppWrittenFiles {
  /** When the app last started (epoch ms). */
  private appStartedAt = Number.POSITIVE_INFINITY;
  private readonly restarts = new Map<string, number>();
  private readonly said = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly log: Logger,
  ) {}

  appStarted(at: number): void {
    this.appStartedAt = at;
  }

  /** The same binary restarted for `files` (not compiled into it; relative to the root): those created since the app started count. */
  restarted(files: readonly string[]): void {
    const created = files.map((f) => path.resolve(this.root, f)).filter((f) => this.createdSinceStart(f));
    const dirs = new Set(created.map((f) => path.dirname(f)));
    for (const dir of dirs) {
      const n = (this.restarts.get(dir) ?? 0) + 1;
      this.restarts.set(dir, n);
      if (n < RESTARTS_BEFORE_HINT || this.said.has(dir)) continue;
      this.said.add(dir);
      const rel = path.relative(this.root, dir).split(path.sep).join('/') || '.';
      const glob = rel === '.' ? '*.<ext>' : `${rel}/**`;
      this.log.warn(
        { event: 'app.writes-watched-files', dir, restarts: n },
        `${rel}/ got new files while the app ran, ${n} times, and each restarted the app (its in-memory state lost): if the app writes them (uploads, a cache, generated pages), add "${glob}" to watch.exclude`,
      );
    }
  }

  private createdSinceStart(file: string): boolean {
    try {
      const born = fs.statSync(file).birthtimeMs;
      return born > 0 && born >= this.appStartedAt;
    } catch {
      return false; // gone again: not a file the app keeps
    }
  }
}

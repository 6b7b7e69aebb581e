/**
 * The files the binary embeds (//go:embed), as go last listed them (the watch set asks go after `.go`
 * edits settle: watch/roots/embedded-files.ts). A build of the same binary says their bytes are the
 * running app's (what a binary embeds is part of it): such a file, rewritten with the same bytes (a
 * frontend build emptying its output directory, `git clean` + `go generate`), restarts nothing. It was
 * taken for a file the app reads at run time, and restarted the app, "not compiled into it".
 */
export class EmbeddedSet {
  private files = new Set<string>();

  set(files: Iterable<string>): void {
    this.files = new Set(files);
  }

  /** Whether `file` (absolute) is embedded, as far as go has said. */
  has(file: string): boolean {
    return this.files.has(file);
  }
}

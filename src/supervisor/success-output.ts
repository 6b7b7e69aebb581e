/**
 * What a build or a build step printed although it succeeded: go build prints nothing when all is well, so
 * any line is news (a cgo `#warning`, a linker's deprecation, the `-gcflags=-m` report the developer asked
 * for in build.flags, a generator's warning on stderr). It was streamed at debug only, and dropped.
 */
import type { Logger } from '../log/logger.js';
import { indent } from './wording.js';

/** Lines shown at info; the rest is counted (--log-level debug streams them all). */
const SHOWN = 20;

export function sayOutputOfSuccess(log: Logger, what: string, output: string): void {
  const lines = output
    .trimEnd()
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (lines.length === 0) return;
  const more = lines.length > SHOWN ? `\n    … and ${lines.length - SHOWN} more lines (--log-level debug streams them all)` : '';
  log.info(
    { event: 'build.output-ok', what, lines: lines.length },
    `${what} succeeded and printed:\n${indent(lines.slice(0, SHOWN).join('\n'))}${more}`,
  );
}

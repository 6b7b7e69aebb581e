/**
 * The changed files as a command receives them (ad-hoc mode, build steps): an argument that is exactly
 * `{changed}` becomes one argument per file, and $HOTWATCH_CHANGED holds them one per line. Both are
 * paths relative to the root; nothing goes through a shell, so a file name is never interpreted.
 */

/** The placeholder argument. */
export const CHANGED_PLACEHOLDER = '{changed}';
/** The variable that lists the changed files. */
export const CHANGED_ENV = 'HOTWATCH_CHANGED';

/** `argv` with each `{changed}` argument replaced by the files (none at the first run). */
export function expandChanged(argv: readonly string[], files: readonly string[]): string[] {
  return argv.flatMap((a) => (a === CHANGED_PLACEHOLDER ? [...files] : [a]));
}

/** $HOTWATCH_CHANGED: the files, one per line (empty at the first run). */
export function changedEnv(files: readonly string[]): Record<string, string> {
  return { [CHANGED_ENV]: files.join('\n') };
}

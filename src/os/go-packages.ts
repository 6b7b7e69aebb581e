/**
 * The directories a build reads: each package `go build <package>` compiles, and each directory holding a
 * file it embeds (//go:embed), from `go list -e -deps` (no network: GOPROXY=off, a package that is not on
 * disk is an error entry, not a download). A directory the repo's .gitignore ignores is still watched when
 * it is one of these (generated code, an embedded frontend build): the toolchain decides, not the ignore file.
 */
import path from 'node:path';
import { runGo } from './go-command.js';

/** One line per package (`P dir`) and per embedded file (`E dir/file`). */
const FORMAT = 'P {{.Dir}}{{range .EmbedFiles}}\nE {{$.Dir}}/{{.}}{{end}}';

/** Absolute directories of the packages `pkg` depends on (itself included) and of the files they embed. */
export async function buildDirs(
  root: string,
  pkg: string,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv,
  flags: readonly string[] = [],
): Promise<Set<string>> {
  // The build's flags too (-tags decides which files, and so which imports, count).
  const args = ['list', '-e', '-deps', ...flags, '-f', FORMAT, pkg];
  const env2 = { ...env, GOPROXY: 'off' };
  const stdout = await runGo(args, {
    cwd: root,
    signal,
    env: env2,
    timeoutMs: 60_000,
    maxBuffer: 64 << 20,
    code: 'NO_GO_MODULE',
    exitCode: 2,
    detailLines: 2,
  });
  const dirs = new Set<string>();
  for (const line of stdout.split('\n')) {
    const p = line.slice(2);
    if (line.startsWith('P ') && p) dirs.add(p);
    else if (line.startsWith('E ') && p) dirs.add(path.dirname(p));
  }
  return dirs;
}

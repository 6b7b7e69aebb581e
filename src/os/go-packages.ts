/**
 * The directories a build reads: each package `go build <package>` compiles, and each directory holding a
 * file it embeds (//go:embed), from `go list -e -deps` (no network: GOPROXY=off, a package that is not on
 * disk is an error entry, not a download). A directory the repo's .gitignore ignores is still watched when
 * it is one of these (generated code, an embedded frontend build): the toolchain decides, not the ignore file.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { HotwatchError } from '../errors.js';

/** One line per package (`P dir`) and per embedded file (`E dir/file`). */
const FORMAT = 'P {{.Dir}}{{range .EmbedFiles}}\nE {{$.Dir}}/{{.}}{{end}}';

/** Absolute directories of the packages `pkg` depends on (itself included) and of the files they embed. */
export function buildDirs(
  root: string,
  pkg: string,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv,
  flags: readonly string[] = [],
): Promise<Set<string>> {
  // The build's flags too (-tags decides which files, and so which imports, count).
  const args = ['list', '-e', '-deps', ...flags, '-f', FORMAT, pkg];
  return new Promise((resolve, reject) => {
    execFile(
      'go',
      args,
      { cwd: root, signal, env: { ...env, GOPROXY: 'off' }, timeout: 60_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const detail = String(stderr || err.message)
            .trim()
            .split('\n')
            .slice(0, 2)
            .join(' ');
          reject(new HotwatchError('NO_GO_MODULE', `\`go ${args.join(' ')}\` in ${root} failed: ${detail}`, { cause: err, exitCode: 2 }));
          return;
        }
        const dirs = new Set<string>();
        for (const line of stdout.split('\n')) {
          const p = line.slice(2);
          if (line.startsWith('P ') && p) dirs.add(p);
          else if (line.startsWith('E ') && p) dirs.add(path.dirname(p));
        }
        resolve(dirs);
      },
    );
  });
}

/**
 * Which local package directories each main package's build reads: one `go list -e -deps` for all of
 * them. `-e` keeps a package with a syntax error in the list (its directory still belongs to the app
 * whose build fails on it). Standard-library packages are left out. GOPROXY=off: a dev loop never waits
 * on the network, and a missing module is the build's error to report. The build's -tags and -mod flags
 * are passed on (build tags decide which files, so which imports, a package has); GOFLAGS is left as set.
 */
import path from 'node:path';
import { HotwatchError } from '../errors.js';
import { listFlags, runGo } from './go-command.js';

/** One line per package: import path, directory, not a dependency only (a named package), its deps. */
const FORMAT = '{{if not .Standard}}{{.ImportPath}}\t{{.Dir}}\t{{.DepOnly}}\t{{join .Deps " "}}{{end}}';

/** The directories of the packages each of `packages` is built from (itself included), keyed as given. */
export async function packageDependencies(
  root: string,
  packages: readonly string[],
  signal: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
  buildFlags: readonly string[] = [],
): Promise<Map<string, Set<string>>> {
  const unique = [...new Set(packages)];
  const args = ['list', '-e', '-deps', ...listFlags(buildFlags), '-f', FORMAT, ...unique];
  const stdout = await goList(args, root, signal, { ...env, GOPROXY: 'off' });
  const dirOf = new Map<string, string>();
  const named: Array<{ importPath: string; dir: string; deps: string[] }> = [];
  for (const line of stdout.split('\n')) {
    const [importPath, dir, depOnly, deps] = line.split('\t');
    if (!importPath || !dir) continue;
    dirOf.set(importPath, dir);
    if (depOnly === 'false') named.push({ importPath, dir, deps: deps ? deps.split(' ') : [] });
  }
  const out = new Map<string, Set<string>>();
  for (const pkg of unique) {
    // A relative package names a directory; anything else is an import path.
    const local = pkg.startsWith('.') || path.isAbsolute(pkg);
    const want = local ? path.resolve(root, pkg) : pkg;
    const found = named.find((n) => (local ? n.dir === want : n.importPath === want));
    if (!found) throw new HotwatchError('GO_LIST_FAILED', `go list did not list the package ${pkg} (in ${root})`, { exitCode: 1 });
    const dirs = new Set<string>([found.dir]);
    for (const d of found.deps) {
      const dir = dirOf.get(d);
      if (dir !== undefined) dirs.add(dir);
    }
    out.set(pkg, dirs);
  }
  return out;
}

function goList(args: string[], cwd: string, signal: AbortSignal, env: NodeJS.ProcessEnv): Promise<string> {
  // -e: a broken package is listed with its error, and go exits 0; a failure here is go itself failing.
  const shown = `go ${args.slice(0, 3).join(' ')} ...`;
  return runGo(args, {
    cwd,
    env,
    signal,
    timeoutMs: 60_000,
    maxBuffer: 64 << 20,
    code: 'GO_LIST_FAILED',
    exitCode: 1,
    detailLines: 3,
    shown,
  });
}

/**
 * The modules a build compiles from the local disk: the main module, a workspace's `use` directories,
 * and local `replace` targets (`replace example.com/lib => ../lib`), wherever they are. Edits there
 * change the binary as much as edits in the root, so each is watched with the same rules. Modules in the
 * module cache are not (they never change under a build).
 *
 * Asked of the toolchain without touching the network: `go env` says whether a go.work is in force,
 * `go work edit -json` and `go mod edit -json` print the directives as written. (`go list -m all` would
 * give the same answer but may download module metadata, and a dev loop must not wait on a proxy.)
 * Only the main modules' replace directives count: the go command ignores those of dependencies.
 */
import path from 'node:path';
import { HotwatchError } from '../errors.js';
import { runGo } from './go-command.js';

export interface LocalModule {
  /** Absolute directory of the module (its go.mod is there, or will be). */
  dir: string;
  /** Why the build uses it, for a person: "main module", "go.work use", "replace target of example.com/lib". */
  why: string;
}

export interface ModuleLayout {
  /** The go.work in force, or undefined in single-module mode. */
  workspace: string | undefined;
  /** The root's go.mod, or undefined (a workspace root without one). */
  gomod: string | undefined;
  /** Every local module the build uses, the root's own first, without repeats. */
  modules: LocalModule[];
  /** The module cache (GOMODCACHE): a module there is never watched (a replace may point into it). */
  modcache: string | undefined;
}

interface GoModJson {
  Module?: { Path: string };
  Replace?: Array<{ Old: { Path: string }; New: { Path: string; Version?: string } }> | null;
}
interface GoWorkJson {
  Use?: Array<{ DiskPath: string }> | null;
  Replace?: GoModJson['Replace'];
}

async function goJson<T>(args: string[], cwd: string, signal: AbortSignal, env: NodeJS.ProcessEnv): Promise<T> {
  const stdout = await runGo(args, {
    cwd,
    signal,
    env,
    timeoutMs: 30_000,
    maxBuffer: 16 << 20,
    code: 'NO_GO_MODULE',
    exitCode: 2,
    detailLines: 2,
  });
  try {
    return JSON.parse(stdout) as T;
  } catch (e) {
    throw new HotwatchError('INTERNAL', `\`go ${args.join(' ')}\` printed no JSON: ${String(e)}`, { cause: e, exitCode: 1 });
  }
}

/** A replace whose target is a directory (`./x`, `../x`, `/abs`), not a module version. */
const isLocalPath = (p: string): boolean => p.startsWith('./') || p.startsWith('../') || path.isAbsolute(p) || p === '.' || p === '..';

/** The modules that `go build` in `root` compiles from the local disk, and why each one. */
export async function localModules(
  root: string,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
  /** `-modfile`: the module file go reads instead of go.mod (its replace lines are the build's). */
  modfile?: string,
): Promise<ModuleLayout> {
  const facts = await goJson<{ GOWORK?: string; GOMOD?: string; GOMODCACHE?: string }>(
    ['env', '-json', 'GOWORK', 'GOMOD', 'GOMODCACHE'],
    root,
    signal,
    env,
  );
  const workspace = facts.GOWORK && facts.GOWORK !== 'off' ? facts.GOWORK : undefined;
  const gomod = facts.GOMOD && facts.GOMOD !== '/dev/null' && facts.GOMOD !== 'NUL' ? facts.GOMOD : undefined;
  const found = new Map<string, LocalModule>();
  const add = (dir: string, why: string): void => {
    if (!found.has(dir)) found.set(dir, { dir, why });
  };
  const addReplaces = (replaces: GoModJson['Replace'], baseDir: string): void => {
    for (const r of replaces ?? []) {
      if (isLocalPath(r.New.Path)) add(path.resolve(baseDir, r.New.Path), `replace target of ${r.Old.Path}`);
    }
  };
  if (gomod) add(path.dirname(gomod), 'main module');
  if (workspace) {
    const work = await goJson<GoWorkJson>(['work', 'edit', '-json', workspace], root, signal, env);
    const workDir = path.dirname(workspace);
    const used = (work.Use ?? []).map((u) => path.resolve(workDir, u.DiskPath));
    for (const dir of used) add(dir, `go.work use (${path.relative(workDir, dir) || '.'})`);
    addReplaces(work.Replace, workDir);
    // In a workspace, every used module's own replace directives apply too.
    for (const dir of used) addReplaces((await modFile(dir, signal, env))?.Replace, dir);
  } else if (gomod) {
    addReplaces((await goJson<GoModJson>(['mod', 'edit', '-json', modfile ?? gomod], root, signal, env)).Replace, path.dirname(gomod));
  }
  return { workspace, gomod, modules: [...found.values()], modcache: facts.GOMODCACHE || undefined };
}

/** A used module's go.mod as JSON, or undefined when it has none (go reports that on its own at build). */
async function modFile(dir: string, signal: AbortSignal, env: NodeJS.ProcessEnv): Promise<GoModJson | undefined> {
  try {
    return await goJson<GoModJson>(['mod', 'edit', '-json', path.join(dir, 'go.mod')], dir, signal, env);
  } catch (e) {
    if (signal.aborted) throw e;
    return undefined;
  }
}

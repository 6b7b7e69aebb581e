/**
 * Toolchain checks: `go` on PATH and its version, the module (`go env GOMOD`), the main package that
 * would be built, the output directory writable, the configured port free (and who holds it).
 * Every external call is bounded by `timeoutMs` and the caller's AbortSignal.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { packageNameInDir, parsePackageClause } from '../os/go-source.js';
import { findOnPath } from '../os/on-path.js';
import { isPortFree, portHolders } from '../os/ports.js';
import { descendsFrom } from '../os/ancestry.js';
import { rootHolder } from '../root-lock.js';
import type { Check, ToolchainFacts } from './report-schema.js';

export { findOnPath };

/** Run a command, resolve its stdout; reject with a message naming the command on error or timeout. */
function run(
  file: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; signal: AbortSignal },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs, signal: opts.signal, maxBuffer: 1 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const why = (err as { killed?: boolean }).killed ? `timed out after ${opts.timeoutMs} ms` : stderr.trim() || err.message;
          reject(new Error(`\`${path.basename(file)} ${args.join(' ')}\` failed: ${why}`));
        } else resolve(stdout);
      },
    );
  });
}

// Moved to src/os/go-source.ts (hotwatch init reads it too, and may not import the doctor); re-exported for the doctor's callers.
export { packageNameInDir, parsePackageClause };

/** The nearest existing directory at or above `p`. */
function existingAncestor(p: string): string {
  let d = p;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/**
 * Where Go installs usually put `go`, in order: the go.dev tarball, distro packages (/usr/lib/go,
 * Debian's /usr/lib/go-1.NN), `go install golang.org/dl/goX` SDKs (~/sdk/goX), Homebrew, snap.
 * `~` is the home directory; a `*` in the name before `/bin` matches any suffix (newest version first).
 */
export const GO_INSTALL_DIRS = [
  '/usr/local/go/bin',
  '/usr/lib/go/bin',
  '/usr/lib/go-*/bin',
  '~/sdk/go*/bin',
  '/opt/homebrew/bin',
  '/home/linuxbrew/.linuxbrew/bin',
  '/snap/bin',
];

/** The directories a GO_INSTALL_DIRS pattern names (newest version first). */
function expandInstallDir(pattern: string, home: string | undefined): string[] {
  if (pattern.startsWith('~') && !home) return [];
  const p = pattern.startsWith('~') ? path.join(home!, pattern.slice(1)) : pattern;
  const m = /^(.*)\/([^/]*)\*\/bin$/.exec(p);
  if (!m) return [p];
  let names: string[] = [];
  try {
    names = fs.readdirSync(m[1]!).filter((n) => n.startsWith(m[2]!));
  } catch {
    // no such directory
  }
  return names.sort((a, b) => b.localeCompare(a, 'en', { numeric: true })).map((n) => path.join(m[1]!, n, 'bin'));
}

/** The first directory named by `dirs` (see GO_INSTALL_DIRS) that holds an executable `go`. */
export function findGoInstall(home: string | undefined, dirs: readonly string[] = GO_INSTALL_DIRS): string | undefined {
  for (const pattern of dirs) for (const dir of expandInstallDir(pattern, home)) if (findOnPath('go', dir)) return dir;
  return undefined;
}

/** The fix for `go` missing from PATH: the install found on this machine, or how to install Go. */
export function goMissingFix(home: string | undefined, dirs?: readonly string[]): Check['fix'] {
  const found = findGoInstall(home, dirs);
  if (found) {
    return {
      text: `Go is installed in ${found} but that directory is not on PATH: add it (in your shell profile, or build.env.PATH in watcher.config.yaml).`,
      commands: [`export PATH="$PATH:${found}"`],
    };
  }
  return {
    text: 'Go is not installed in any usual place: install it from https://go.dev/dl/ (or your package manager: apt install golang-go, brew install go), then put its bin directory on PATH.',
  };
}

export interface ToolchainResult {
  facts: ToolchainFacts;
  checks: Check[];
}

export async function toolchainChecks(s: Settings, opts: { signal: AbortSignal; timeoutMs?: number }): Promise<ToolchainResult> {
  const ctx: CheckContext = {
    s,
    env: { ...process.env, ...s.build.env },
    timeoutMs: opts.timeoutMs ?? 10_000,
    signal: opts.signal,
    // With build.cmd set, go may not be needed: its absence is information, not a failure.
    missing: s.build.cmd !== undefined ? 'info' : 'fail',
  };
  const facts: ToolchainFacts = { go: {}, package: s.build.package, outputDir: path.dirname(s.build.output) };
  const goPath = findOnPath('go', ctx.env.PATH);
  facts.go.path = goPath;
  const checks = [
    ...(await goChecks(ctx, goPath, facts)),
    await packageCheck(ctx, goPath, facts),
    outputCheck(facts.outputDir, s.root, s.build.output),
  ];
  if (s.run.port !== undefined) checks.push(await portCheck(s, facts));
  return { facts, checks: checks.filter((c): c is Check => c !== undefined) };
}

interface CheckContext {
  s: Settings;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal: AbortSignal;
  missing: 'info' | 'fail';
}

/** `go` on PATH and its version; the module (or workspace) the root is in. */
async function goChecks(ctx: CheckContext, goPath: string | undefined, facts: ToolchainFacts): Promise<Check[]> {
  const { s, env, missing } = ctx;
  if (!goPath) {
    const detail = `\`go\` is not on PATH${missing === 'info' ? ' (build.cmd is set, so it may not be needed)' : ''}; searched: ${env.PATH || '(PATH is empty)'}`;
    return [{ id: 'go.found', title: 'Go toolchain', status: missing, detail, fix: goMissingFix(env.HOME) }];
  }
  const o = { cwd: s.root, env, timeoutMs: ctx.timeoutMs, signal: ctx.signal };
  const [version, layout] = await Promise.allSettled([run(goPath, ['version'], o), run(goPath, ['env', 'GOMOD', 'GOWORK'], o)]);
  const checks: Check[] = [];
  if (version.status === 'fulfilled') {
    facts.go.version = version.value.trim();
    checks.push({ id: 'go.found', title: 'Go toolchain', status: 'ok', detail: `${goPath}: ${facts.go.version}` });
  } else {
    checks.push({
      id: 'go.found',
      title: 'Go toolchain',
      status: 'fail',
      detail: `${goPath} does not run: ${String((version.reason as Error).message)}`,
      fix: { text: 'Reinstall Go from https://go.dev/dl/.' },
    });
  }
  if (layout.status === 'rejected')
    return [...checks, { id: 'go.module', title: 'Go module', status: 'warn', detail: (layout.reason as Error).message }];
  const [gomod = '', gowork = ''] = layout.value.split('\n').map((l) => l.trim());
  return [...checks, moduleCheck(s.root, gomod, gowork, missing, facts)];
}

/** The root is in a module, or at the root of a go.work workspace (then the package names what to build). */
function moduleCheck(root: string, gomod: string, gowork: string, missing: 'info' | 'fail', facts: ToolchainFacts): Check {
  if (gomod && gomod !== '/dev/null' && gomod !== 'NUL') {
    facts.gomod = gomod;
    return { id: 'go.module', title: 'Go module', status: 'ok', detail: gomod };
  }
  if (gowork && gowork !== 'off')
    return {
      id: 'go.module',
      title: 'Go module',
      status: 'ok',
      detail: `workspace ${gowork} (the root has no go.mod of its own: build.package names what to build)`,
    };
  return {
    id: 'go.module',
    title: 'Go module',
    status: missing,
    detail: `${root} is not inside a Go module or workspace (go env GOMOD printed "${gomod}")`,
    fix: { text: `Create one in ${root}, or point --root at your module.`, commands: [`cd '${root}' && go mod init example.com/app`] },
  };
}

/** build.package names one main package. */
async function packageCheck(ctx: CheckContext, goPath: string | undefined, facts: ToolchainFacts): Promise<Check | undefined> {
  const { s } = ctx;
  const title = 'Main package';
  if (s.build.cmd !== undefined)
    return {
      id: 'go.package',
      title,
      status: 'info',
      detail: `build.cmd is set: hotwatch runs \`${s.build.cmd}\` and then ${s.build.output}`,
    };
  if (s.build.package.includes('...')) {
    return {
      id: 'go.package',
      title,
      status: 'fail',
      detail: `build.package "${s.build.package}" names several packages; go build -o needs one main package`,
      fix: { text: 'Set build.package to one main package, e.g. ./cmd/server.' },
    };
  }
  if (s.build.package.startsWith('.') || path.isAbsolute(s.build.package)) return packageDirCheck(s, facts);
  if (!goPath) return undefined;
  try {
    const name = (
      await run(goPath, ['list', '-f', '{{.Name}}', s.build.package], {
        cwd: s.root,
        env: ctx.env,
        timeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
      })
    ).trim();
    facts.packageName = name;
    return name === 'main'
      ? { id: 'go.package', title, status: 'ok', detail: `${s.build.package}: package main` }
      : {
          id: 'go.package',
          title,
          status: 'fail',
          detail: `${s.build.package} is package ${name}, not main`,
          fix: { text: 'Set build.package to a main package.' },
        };
  } catch (e) {
    return {
      id: 'go.package',
      title,
      status: 'fail',
      detail: (e as Error).message,
      fix: { text: 'Set build.package to a main package, e.g. ./cmd/server.' },
    };
  }
}

/** A package given as a directory: its package clause, read without the toolchain. */
function packageDirCheck(s: Settings, facts: ToolchainFacts): Check {
  const dir = path.resolve(s.root, s.build.package);
  const { name, files } = packageNameInDir(dir);
  facts.packageName = name;
  const rel = path.relative(s.root, dir) || '.';
  if (name === 'main') return { id: 'go.package', title: 'Main package', status: 'ok', detail: `${rel}: package main (${files} files)` };
  return {
    id: 'go.package',
    title: 'Main package',
    status: 'fail',
    detail:
      files === 0
        ? `${dir} has no Go files (build.package "${s.build.package}")`
        : `${rel} is package ${name ?? '(unreadable)'}, not main: go build -o writes no runnable binary`,
    fix: { text: 'Set build.package to the directory of your main package (watcher.config.yaml):\nbuild:\n  package: ./cmd/server' },
  };
}

/** The output directory is writable (or can be created). */
function outputCheck(outDir: string, root: string, output: string): Check {
  const probe = existingAncestor(outDir);
  const untrusted = untrustedOutput(root, output);
  if (untrusted)
    return {
      id: 'build.output',
      title: 'Output directory',
      status: 'fail',
      detail: `${untrusted.path} ${untrusted.why}: hotwatch run refuses to build there`,
      fix: {
        text: "Remove it (it is not hotwatch's to replace), or point build.output elsewhere",
        commands: [`ls -ld '${untrusted.path}'`],
      },
    };
  try {
    fs.accessSync(probe, fs.constants.W_OK);
    if (!fs.statSync(probe).isDirectory()) throw Object.assign(new Error(`${probe} is not a directory`), { code: 'ENOTDIR' });
    return {
      id: 'build.output',
      title: 'Output directory',
      status: 'ok',
      detail: `${outDir} is writable${probe !== outDir ? ` (will be created under ${probe})` : ''}`,
    };
  } catch (e) {
    return {
      id: 'build.output',
      title: 'Output directory',
      status: 'fail',
      detail: `${outDir} is not writable: ${(e as Error).message}`,
      fix: {
        text: 'Point build.output at a writable path (watcher.config.yaml), or fix the permissions:\nbuild:\n  output: .hotwatch/bin/app',
        commands: [`mkdir -p '${outDir}' && chown "$(id -u)" '${outDir}'`],
      },
    };
  }
}

async function portCheck(s: Settings, facts: ToolchainFacts): Promise<Check> {
  const port = s.run.port!;
  const title = `Port ${port}`;
  const holders = portHolders(port);
  let free: boolean | undefined = holders.length > 0 ? false : undefined;
  let probeError: string | undefined;
  if (free === undefined) {
    try {
      free = await isPortFree(port);
    } catch (e) {
      probeError = (e as Error).message;
    }
  }
  facts.port = { port, free, holders };
  if (free) return { id: 'run.port', title, status: 'ok', detail: `port ${port} (run.port) is free` };
  if (free === undefined)
    return { id: 'run.port', title, status: 'warn', detail: `could not tell whether port ${port} is free: ${probeError}` };
  const known = holders.filter((h) => h.pid > 0);
  const who =
    holders.length > 0 ? holders.map((h) => (h.pid > 0 ? `pid ${h.pid} (${h.cmd})` : h.cmd)).join(', ') : 'a process this user cannot see';
  // The app of the hotwatch already running on this root holds it: not a stranger to stop (the claim check says that one).
  const runner = known.length > 0 ? await rootHolder(s.root).catch(() => undefined) : undefined;
  if (typeof runner === 'number' && runner !== process.pid) {
    const whose = known.every((h) => descendsFrom(h.pid, runner))
      ? 'the app of the hotwatch already running on this root'
      : 'while a hotwatch already runs on this root (its app may have left it there)';
    return {
      id: 'run.port',
      title,
      status: 'info',
      detail: `port ${port} (run.port) is in use by ${who}, ${whose} (pid ${runner}): see "One hotwatch per root"`,
    };
  }
  return {
    id: 'run.port',
    title,
    status: 'fail',
    detail: `port ${port} (run.port) is in use by ${who}: the app could not listen on it`,
    fix:
      known.length > 0
        ? {
            text: `Stop it, or change run.port in ${s.configFile ?? 'watcher.config.yaml'}.`,
            commands: [`kill ${known.map((h) => h.pid).join(' ')}`],
          }
        : {
            text: `Find the holder and stop it, or change run.port in ${s.configFile ?? 'watcher.config.yaml'}.`,
            commands: [`sudo ss -ltnp 'sport = :${port}'`],
          },
  };
}

/**
 * What `hotwatch run` would refuse on the way to the output (output-path.ts, state-file.ts): under the
 * root's `.hotwatch/`, a level that is a symlink or another user's; the output itself when it is not a
 * regular file of yours (outside `.hotwatch/`, run never removes it). Doctor said "writable" over both.
 */
function untrustedOutput(root: string, output: string): { path: string; why: string } | undefined {
  const uid = process.geteuid?.();
  const own = path.join(root, '.hotwatch');
  const rel = path.relative(own, output);
  const levels =
    rel.startsWith('..') || path.isAbsolute(rel)
      ? []
      : [
          own,
          ...rel
            .split(path.sep)
            .slice(0, -1)
            .map((_, i, a) => path.join(own, ...a.slice(0, i + 1))),
        ];
  for (const p of [...levels, ...(levels.length === 0 ? [output] : [])]) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return undefined; // not there yet: run creates it
    }
    if (st.isSymbolicLink()) return { path: p, why: `is a symbolic link (to ${fs.readlinkSync(p)})` };
    if (uid !== undefined && st.uid !== uid) return { path: p, why: `is owned by uid ${st.uid}, not by you (uid ${uid})` };
    if (p === output && !st.isFile()) return { path: p, why: 'is not a regular file' };
  }
  return undefined;
}

/**
 * Checks that end `hotwatch run` with exit 2 before anything starts: a missing Go toolchain, no Go
 * module, a build.package that is missing or not a main package, a port already in use. Each throws one
 * HotwatchError with the fix (and the config position of the value, when the file sets it).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { configPosition } from './config/load.js';
import type { Settings } from './config/settings.js';
import { noexecMountOf } from './os/mounts.js';
import { HotwatchError } from './errors.js';
import { isPortFree, portHolders } from './os/ports.js';
import { alreadyRunning, rootHolder } from './root-lock.js';
import { findOnPath, packageNameInDir, parsePackageClause } from './diagnostics/toolchain.js';
import { projectKind } from './init/gowork.js';
import { createFilter } from './watch/tree/filter.js';
import { leftoverAppPids } from './state-file.js';
import { userOutputRefusal } from './supervisor/output-path.js';
import { buildTags, compiledHere, tagsFromFlags } from './os/go-constraints.js';

function findUp(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** `./cmd/server` or an absolute path, not an import path (`example.com/app/cmd/server`). */
const isLocalPackage = (pkg: string): boolean => pkg.startsWith('.') || path.isAbsolute(pkg);

/**
 * `cmd/api` without `./`: go reads it as an import path (the standard library's cmd/api, whose files
 * it then excludes), not the directory under the root the user meant; the build would fail with an error
 * about the Go installation. An import path of the user's own has a domain (`example.com/app/cmd/api`).
 */
function checkLocalLookingImportPath(s: Settings, where: string | undefined): void {
  const pkg = s.build.package;
  if (isLocalPackage(pkg) || pkg.split('/')[0]!.includes('.')) return;
  const dir = path.join(s.root, pkg);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return;
  throw new HotwatchError('CONFIG_INVALID', `build.package ${pkg}: go reads this as an import path, not the directory ${dir}`, {
    hint: `write it as a directory: build.package: ./${pkg} (or --package ./${pkg})`,
    ...(where ? { where } : {}),
  });
}

/**
 * The directory an import path of this module names (`example.com/app/cmd/api` in module example.com/app),
 * or undefined: a typo there is a directory that does not exist, not a module to `go get` as go would say.
 */
function dirInOwnModule(pkg: string, goMod: string | undefined): string | undefined {
  if (goMod === undefined) return undefined;
  let mod: string | undefined;
  try {
    mod = /^\s*module\s+"?([^\s"]+)"?/m.exec(fs.readFileSync(goMod, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
  if (mod === undefined || (pkg !== mod && !pkg.startsWith(`${mod}/`))) return undefined;
  return path.join(path.dirname(goMod), pkg.slice(mod.length));
}

/** build.cmd starts with `go` (after VAR=value assignments): it needs the toolchain like the default build. */
const runsGo = (cmd: string): boolean => /^\s*(?:[A-Za-z_]\w*=\S*\s+)*(?:exec\s+)?go(?:\s|$)/.test(cmd);

/** Bounds of the main-package check: `go list` of one package (10-30 ms warm), the scan when it is not main. */
const GO_LIST_TIMEOUT_MS = 5000;
const SCAN_BUDGET_MS = 2000;
const SCAN_MAX = 5;

/** build.package as `go list -find` sees it (build env, -tags); undefined when go cannot tell (the build will say). */
function listPackage(
  go: string,
  s: Settings,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
): Promise<{ name: string; files: number; dir: string; error: string } | undefined> {
  const tags = s.build.flags.filter((f, i, all) => /^--?tags(=|$)/.test(f) || /^--?tags$/.test(all[i - 1] ?? ''));
  const format = '{{.Name}}|{{len .GoFiles}}|{{.Dir}}|{{with .Error}}{{.Err}}{{end}}';
  return new Promise((resolve) => {
    execFile(
      go,
      ['list', '-find', '-e', ...tags, '-f', format, s.build.package],
      {
        cwd: s.root,
        env,
        timeout: GO_LIST_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        encoding: 'utf8',
        maxBuffer: 1 << 20,
        ...(signal ? { signal } : {}),
      },
      (err, stdout) => {
        const m = /^([^|\n]*)\|(\d+)\|([^|\n]*)\|([\s\S]*)$/.exec(stdout.trim());
        resolve(err || !m ? undefined : { name: m[1]!, files: Number(m[2]), dir: m[3]!, error: m[4]!.trim() });
      },
    );
  });
}

const head = Buffer.alloc(8192);
function readHead(file: string): string | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      return head.subarray(0, fs.readSync(fd, head, 0, head.length, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * The modules of the root's go.work, absolute (init's reading of it: gowork.ts): go builds their packages
 * from the workspace root, so their main packages are the root's to run. None when the build sets
 * GOWORK=off (go then ignores the file), or without a go.work.
 */
function workspaceModules(s: Settings): string[] {
  if ((s.build.env.GOWORK ?? process.env.GOWORK) === 'off' || !fs.existsSync(path.join(s.root, 'go.work'))) return [];
  const project = projectKind(s.root);
  return project.kind === 'workspace' ? project.uses.map((u) => path.resolve(s.root, u)) : [];
}

/**
 * Directories under the root that hold a main package (`./cmd/server`), shallow ones first, at most `max`
 * within `budgetMs` (a 10,000-directory tree takes well under that; `go list ./...` there takes 8 s).
 * Go's rules (no testdata, vendor, `.`/`_` directories, nested modules other than the go.work's own) plus
 * the watch excludes; one package clause read per directory, `//go:build ignore` programs skipped.
 */
export function findMainPackages(
  s: Settings,
  budgetMs = SCAN_BUDGET_MS,
  max = SCAN_MAX,
): { found: string[]; complete: boolean; nested: string[] } {
  const filter = createFilter(s.watch);
  const workspace = workspaceModules(s);
  const tags = buildTags({ ...process.env, ...s.build.env }, tagsFromFlags(s.build.flags));
  const deadline = performance.now() + budgetMs;
  const found: string[] = [];
  const nested: string[] = [];
  const queue = [s.root];
  for (let i = 0; i < queue.length; i++) {
    if (found.length >= max || performance.now() >= deadline) return { found, complete: false, nested };
    const dir = queue[i]!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch {
      continue;
    }
    if (dir !== s.root && !workspace.includes(dir) && entries.some((e) => e.name === 'go.mod')) {
      // Another module: not this build's, but a program there is named in the fix (run hotwatch there).
      if (mainAt(dir, entries, tags)) nested.push(`./${path.relative(s.root, dir)}`);
      continue;
    }
    let pkg: string | undefined;
    for (const e of entries) {
      if (e.isDirectory()) {
        if (/^[._]/.test(e.name) || e.name === 'testdata' || e.name === 'vendor') continue;
        const sub = `${dir}${path.sep}${e.name}`;
        if (!filter.isExcludedDir(sub)) queue.push(sub);
      } else if (pkg === undefined && e.name.endsWith('.go') && !e.name.endsWith('_test.go') && e.isFile()) {
        const text = readHead(`${dir}${path.sep}${e.name}`);
        const name = text === undefined || !compiledHere(e.name, text, tags) ? undefined : parsePackageClause(text);
        if (name !== undefined) pkg = name;
      }
    }
    if (pkg === 'main') found.push(dir === s.root ? '.' : `./${path.relative(s.root, dir)}`);
  }
  return { found, complete: true, nested };
}

/** Whether `dir` (its `entries`) holds a package main go compiles here. */
function mainAt(dir: string, entries: fs.Dirent[], tags: ReadonlySet<string>): boolean {
  return entries.some((e) => {
    if (!e.isFile() || !e.name.endsWith('.go') || e.name.endsWith('_test.go')) return false;
    const text = readHead(`${dir}${path.sep}${e.name}`);
    return text !== undefined && compiledHere(e.name, text, tags) && parsePackageClause(text) === 'main';
  });
}

/** Zero-config on the `cmd/server` layout (nothing or a library at the root): exit 2 naming the main packages. */
async function checkMainPackage(
  go: string,
  s: Settings,
  env: NodeJS.ProcessEnv,
  where: string | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (s.build.package.includes('...')) return;
  // Fast path (< 1 ms): a local directory with a `package main` file. Otherwise go decides (~10-30 ms), so
  // build tags and GOOS in build.env are honoured before hotwatch refuses to start.
  const fast = isLocalPackage(s.build.package) ? packageNameInDir(path.resolve(s.root, s.build.package)) : undefined;
  if (fast?.name === 'main') return;
  // go did not answer in time (a loaded machine, a cold cache): no file of the directory says package
  // main, so it is a library all the same (it went on to build an archive, "not executable: chmod +x").
  const guessed = fast?.name !== undefined && fast.files > 0 ? { name: fast.name, files: fast.files, dir: '', error: '' } : undefined;
  const p = (await listPackage(go, s, env, signal)) ?? guessed;
  if (!p || p.name === 'main') return;
  const dir = p.dir || path.resolve(s.root, s.build.package);
  let what: string;
  if (p.name !== '' && p.files > 0) what = `${dir} is package ${p.name} (a library), not package main`;
  else if (p.name !== '') what = `${dir} holds only _test.go files`;
  else if (/no Go files|build constraints exclude/.test(p.error)) what = p.error;
  else return; // go cannot load it (a missing module...): the build prints go's own error
  throw new HotwatchError(
    'CONFIG_INVALID',
    `build.package ${JSON.stringify(s.build.package)}: ${what}: there is no program to build and run`,
    {
      hint: mainPackageFix(s, findMainPackages(s)),
      ...(where ? { where } : {}),
    },
  );
}

/**
 * The fix for a build.package that is no program: the main packages found, and how to name one: in the
 * config file when there is one; without one (zero-config), on the command line or in a config written by init.
 */
function mainPackageFix(s: Settings, { found, complete, nested }: { found: string[]; complete: boolean; nested: string[] }): string {
  const file = s.configFile ? path.basename(s.configFile) : 'watcher.config.yaml';
  if (found.length === 0 && nested.length > 0)
    return `the programs here are in modules of their own (${nested.join(', ')}): run hotwatch in one: cd ${nested[0]} && hotwatch run`;
  if (found.length === 0)
    return `no main package (package main with func main) found under ${s.root}${complete ? '' : ' (search stopped early)'}: add one and set build.package to it in ${file}, or set build.cmd`;
  const list = `main packages under the root: ${found.join(', ')}${complete ? '' : ', ...'}`;
  if (s.configFile) return `set build.package: ${found[0]} in ${file} (${list})`;
  const several = found.length > 1 || !complete;
  return (
    `${several ? 'name the one to run' : 'run it'}: hotwatch run --package ${found[0]}, or write a config that names it: ` +
    `hotwatch init --main ${found[0]}${several ? ' (or hotwatch init --all: every one, as apps)' : ''} (${list})`
  );
}

/**
 * `signal`: hotwatch is told to stop while starting: the one child it may wait on (`go list`) is killed.
 * `ports` false: a config reload's check (the ports are the running app's own by then).
 */
export async function preflight(
  s: Settings,
  signal?: AbortSignal,
  { ports = true }: { ports?: boolean } = {},
): Promise<{ goBinary: string | undefined; goMod: string | undefined }> {
  if (s.apps?.length) return (await Promise.all(s.apps.map((a) => preflightApp(s, a, signal, ports))))[0]!;
  let goBinary: string | undefined;
  let goMod: string | undefined;
  const env = { ...process.env, ...s.build.env };
  const custom = s.build.cmd !== undefined || s.exec !== undefined;
  checkCommands(s, env.PATH);
  // A custom build.cmd need not use Go at all (a Makefile, bazel, a copy): `go` is required only when it runs it.
  if (!custom || (s.build.cmd !== undefined && runsGo(s.build.cmd))) {
    goBinary = findOnPath('go', env.PATH);
    if (!goBinary) {
      const where = custom ? configPosition(s, ['build', 'cmd']) : undefined;
      throw new HotwatchError(
        'GO_MISSING',
        custom ? 'build.cmd: runs `go`, but the Go toolchain is not on PATH' : 'the Go toolchain (`go`) is not on PATH',
        {
          hint: `install Go (https://go.dev/dl/) or add its bin directory to PATH; searched: ${env.PATH || '(PATH is empty)'}`,
          ...(where ? { where } : {}),
        },
      );
    }
  }
  if (!custom) {
    goMod = findUp(s.root, 'go.mod');
    // A go.work workspace root has no go.mod of its own: go builds the package it is told (./app).
    if (!goMod && !(env.GOWORK !== 'off' && findUp(s.root, 'go.work'))) {
      throw new HotwatchError('NO_GO_MODULE', `no go.mod in ${s.root} or any parent: this is not a Go module`, {
        hint: `run \`go mod init example.com/app\` in ${s.root}, or point --root at your module`,
      });
    }
    const pkgDir = path.resolve(s.root, s.build.package);
    const where = configPosition(s, ['build', 'package']);
    const ownDir = isLocalPackage(s.build.package) ? pkgDir : dirInOwnModule(s.build.package, goMod);
    if (ownDir !== undefined && !s.build.package.includes('...') && !fs.existsSync(ownDir)) {
      throw new HotwatchError('CONFIG_INVALID', `build.package ${s.build.package}: ${ownDir} does not exist`, {
        hint: mainPackageFix(s, findMainPackages(s)),
        ...(where ? { where } : {}),
      });
    }
    checkLocalLookingImportPath(s, where);
    await checkMainPackage(goBinary!, s, env, where, signal);
  }
  const refused = userOutputRefusal(s.root, s.build.output);
  if (refused) {
    const where = configPosition(s, ['build', 'output']);
    throw new HotwatchError('CONFIG_INVALID', refused.message, { hint: refused.hint, ...(where ? { where } : {}) });
  }
  checkOutputExecutable(s);
  if (ports && s.run.port !== undefined) await checkRunPort(s, s.run.port);
  if (ports && s.proxy.enabled) await checkProxyPorts(s);
  return { goBinary, goMod };
}

/**
 * build.output on a noexec mount (a dev container's volume, the tree bind-mounted noexec): every start
 * would fail with EACCES, so the run is refused before anything starts. Not in exec mode (no output).
 */
function checkOutputExecutable(s: Settings): void {
  if (s.exec) return;
  const mount = noexecMountOf(s.build.output);
  if (!mount) return;
  const where = configPosition(s, ['build', 'output']);
  throw new HotwatchError('CONFIG_INVALID', `build.output ${s.build.output}: ${mount} is mounted noexec, where the built app cannot run`, {
    hint: "set build.output to a path on a filesystem mounted without noexec (`findmnt -T DIR` shows a directory's mount options), or remount it without noexec",
    ...(where ? { where } : {}),
  });
}

/** run.port must be free, but for the app a SIGKILLed hotwatch left there (the claim stops it). */
async function checkRunPort(s: Settings, port: number): Promise<void> {
  const portAt = configPosition(s, ['run', 'port']);
  const all = portHolders(port);
  if (all.length > 0) await refuseIfHotwatchRuns(s.root);
  // The app a killed hotwatch left on the port is stopped by the claim (state-file.ts), not refused.
  const leftover = all.length > 0 ? leftoverAppPids(s.root) : new Set<number>();
  const holders = all.filter((h) => !leftover.has(h.pid));
  if (holders.length > 0 || (all.length === 0 && !(await isPortFree(port)))) {
    const who =
      holders.length > 0 ? holders.map((h) => `pid ${h.pid} (${h.cmd})`).join(', ') : 'a process hotwatch cannot see (another user?)';
    throw new HotwatchError('PORT_IN_USE', `port ${port} (run.port) is already in use by ${who}`, {
      hint:
        holders.length > 0
          ? `stop it (kill ${holders[0]!.pid}) or change run.port`
          : `find it with \`ss -ltnp 'sport = :${port}'\`, or change run.port`,
      ...(portAt ? { where: portAt } : {}),
    });
  }
}

/** One app of `apps:` checked as a run of it alone would be; its problems named under apps.NAME. */
async function preflightApp(
  s: Settings,
  a: NonNullable<Settings['apps']>[number],
  signal: AbortSignal | undefined,
  ports: boolean,
): ReturnType<typeof preflight> {
  try {
    return await preflight({ ...s, build: a.build, run: a.run, apps: undefined }, signal, { ports });
  } catch (e) {
    if (!(e instanceof HotwatchError)) throw e;
    const key = e.code === 'PORT_IN_USE' ? 'port' : 'package';
    const where = e.where ?? configPosition(s, ['apps', a.name, key]);
    const message = `apps.${a.name}: ${e.message.replace(/^build\.package /, 'package ').replace(/\(run\.port\)/, '(port)')}`;
    // The fix names this app's keys, not the top-level ones a single-app run would set.
    const hint = e.hint?.replace(/\bbuild\.package\b/g, `apps.${a.name}.package`).replace(/\brun\.port\b/g, `apps.${a.name}.port`);
    throw new HotwatchError(e.code, message, {
      ...(hint ? { hint } : {}),
      ...(where ? { where } : {}),
      exitCode: e.exitCode,
      cause: e,
    });
  }
}

/** The exec command and each build step's program. */
function checkCommands(s: Settings, PATH: string | undefined): void {
  if (s.exec) checkCommand(s.run.binary, 'hotwatch exec', s.run.cwd, PATH);
  for (const [i, step] of s.build.steps.entries()) {
    const at = configPosition(s, ['build', 'steps', i, 'run']);
    checkCommand(step.run[0]!, `build.steps[${i}].run ${step.run.join(' ')}`, s.root, PATH, at);
  }
}

/** A command hotwatch runs (ad-hoc mode, a build step) must be found now, not at the first change. */
function checkCommand(file: string, what: string, cwd: string, PATH: string | undefined, where?: string): void {
  const at = where ? { where } : {};
  if (file.includes('/')) {
    const abs = path.resolve(cwd, file);
    try {
      fs.accessSync(abs, fs.constants.X_OK);
      if (fs.statSync(abs).isFile()) return;
    } catch {
      // said below
    }
    throw new HotwatchError('COMMAND_MISSING', `${what}: ${abs} is not an executable file`, {
      hint: `check the path (relative paths start from ${cwd}), and chmod +x it`,
      ...at,
    });
  }
  if (findOnPath(file, PATH)) return;
  throw new HotwatchError('COMMAND_MISSING', `${what}: \`${file}\` is not on PATH`, {
    hint: `install it, or give its path; searched: ${PATH || '(PATH is empty)'}`,
    ...at,
  });
}

/**
 * A port in use while a hotwatch already runs on this root (held by its proxy, its app, or a worker its app
 * daemonized): the second `hotwatch run` is told that, as the claim on the root would (exit 2 naming it),
 * never to kill the holder. Our own pid answers when the remembered first build took the lock already.
 */
async function refuseIfHotwatchRuns(root: string): Promise<void> {
  const runner = await rootHolder(root).catch(() => undefined);
  if (typeof runner !== 'number' || runner === process.pid) return;
  throw alreadyRunning(runner, root);
}

/** The proxy's port must be free (its holder named otherwise), and not the app's (--app-port is checked here). */
async function checkProxyPorts(s: Settings): Promise<void> {
  const { port, appPort, address } = s.proxy;
  const at = configPosition(s, ['proxy', 'port']);
  if (appPort !== 0 && appPort === port) {
    throw new HotwatchError('CONFIG_INVALID', `proxy.appPort ${appPort} is proxy.port too: the proxy listens there, so the app cannot`, {
      hint: 'give the app another port (--app-port), or leave it out: each start then gets a free port',
    });
  }
  if (s.run.port !== undefined && s.run.port === port) {
    const where = configPosition(s, ['run', 'port']);
    throw new HotwatchError('CONFIG_INVALID', `run.port ${port} is proxy.port too: the proxy listens there, so the app cannot`, {
      hint: `give the proxy another port (--proxy-port, proxy.port), or drop run.port (--port): behind the proxy the app listens on the port it is given in $${s.proxy.appPortEnv}${appPort !== 0 ? ` (proxy.appPort ${appPort})` : ''}`,
      ...(where ? { where } : {}),
    });
  }
  if (port === 0) return;
  const holders = portHolders(port);
  if (holders.length > 0) await refuseIfHotwatchRuns(s.root);
  if (holders.length > 0 || !(await isPortFree(port))) {
    const who =
      holders.length > 0 ? holders.map((h) => `pid ${h.pid} (${h.cmd})`).join(', ') : 'a process hotwatch cannot see (another user?)';
    throw new HotwatchError('PORT_IN_USE', `port ${port} (proxy.port, on ${address}) is already in use by ${who}`, {
      hint:
        holders.length > 0
          ? `stop it (kill ${holders[0]!.pid}) or choose another port with --proxy-port`
          : `find it with \`ss -ltnp 'sport = :${port}'\`, or choose another port with --proxy-port`,
      ...(at ? { where: at } : {}),
    });
  }
}

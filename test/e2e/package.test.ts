/**
 * The npm package, end to end (issue 12): packed from a clean tree (the repository's files copied into
 * a temp dir, no dist/: `npm pack` must build what it ships, through prepack), installed into a temp
 * prefix with `npm install -g`, and run from there with nothing of the repository reachable: no
 * node_modules anywhere on its path or in NODE_PATH, no symlink or path into the repo, cwd outside it,
 * a fresh helper cache. Then `hotwatch --version`, `--help`, `doctor`, and `run` through an edit, a failed
 * build, a fix and Ctrl-C; and `npx ./hotwatch-X.tgz`. One pack, one install.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, freePort, goMain, httpGet, startHotwatch, writeGoApp, type Hotwatch } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string; size: number }>;
}

let tmp: ReturnType<typeof makeTmpDir>;
let pack: PackResult;
let tarball: string;
let prefix: string;
let installed: string;
let bin: string;
/** The environment of everything run from the install: only node's and go's directories besides the system's. */
let env: NodeJS.ProcessEnv;
const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const realRepo = fs.realpathSync(REPO);
const realModules = fs.realpathSync(path.join(REPO, 'node_modules'));

function which(cmd: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} is not on PATH`);
  return fs.realpathSync(r.stdout.trim());
}

/** The files a clean clone has: tracked and untracked-but-not-ignored (the worktree's own state), minus node_modules. */
function cleanTree(dest: string): void {
  const out = execFileSync('git', ['-C', REPO, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' });
  for (const rel of out.split('\0')) {
    if (rel === '' || rel === 'node_modules' || rel.startsWith('node_modules/')) continue;
    const from = path.join(REPO, rel);
    if (!fs.existsSync(from)) continue; // deleted in the worktree
    fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, rel));
    fs.chmodSync(path.join(dest, rel), fs.statSync(from).mode);
  }
}

/** Every path under `dir` (lstat: symlinks are not followed). */
function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? [p, ...walk(p)] : [p];
  });
}

const run = (args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}) =>
  spawnSync(args[0]!, args.slice(1), { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });

beforeAll(() => {
  tmp = makeTmpDir('hotwatch-package-');
  const src = path.join(tmp.dir, 'src');
  cleanTree(src);
  expect(fs.existsSync(path.join(src, 'dist')), 'the clean tree has no dist/').toBe(false);
  // The build tools (tsc, esbuild) and what the bundle is built from; the package itself will not have them.
  fs.symlinkSync(realModules, path.join(src, 'node_modules'));

  const npmEnv = {
    ...process.env,
    npm_config_cache: path.join(tmp.dir, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  const out = path.join(tmp.dir, 'out');
  fs.mkdirSync(out);
  const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', out], {
    cwd: src,
    env: npmEnv,
    encoding: 'utf8',
    timeout: 180_000,
  });
  expect(packed.status, `npm pack failed\n${packed.stderr}`).toBe(0);
  pack = (JSON.parse(packed.stdout) as PackResult[])[0]!;
  tarball = path.join(out, pack.filename);

  prefix = path.join(tmp.dir, 'prefix');
  const inst = spawnSync('npm', ['install', '-g', '--offline', '--prefix', prefix, tarball], {
    cwd: tmp.dir,
    env: npmEnv,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(inst.status, `npm install -g failed\n${inst.stderr}`).toBe(0);
  installed = path.join(prefix, 'lib', 'node_modules', 'hotwatch');
  bin = path.join(prefix, 'bin', 'hotwatch');

  const home = path.join(tmp.dir, 'home');
  fs.mkdirSync(home);
  env = {
    PATH: [path.dirname(which('node')), path.dirname(which('go')), '/usr/bin', '/bin'].join(':'),
    // A fresh HOME (no ~/.node_modules, ~/.node_libraries); the Go build cache stays the user's (a cold one
    // costs a minute, and is not what is tested here).
    HOME: home,
    GOCACHE: execFileSync('go', ['env', 'GOCACHE'], { encoding: 'utf8' }).trim(),
    GOPATH: execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(),
    HOTWATCH_CACHE_DIR: path.join(tmp.dir, 'helper-cache'), // the helper is built from the installed Go source
    NO_COLOR: '1',
  };
}, 240_000);

afterAll(() => tmp?.cleanup());

describe('the package', () => {
  it("ships only what runs: the bundle without source maps, bin, the two helpers' Go source, schemas, the example, README, LICENSE", () => {
    const files = pack.files.map((f) => f.path).sort();
    const allowed = [
      /^bin\/hotwatch\.js$/,
      /^dist\/bundle\/[\w-]+\.c?js$/,
      /^dist\/bundle\/THIRD-PARTY-LICENSES\.txt$/,
      /^schema\/[\w.-]+\.json$/,
      /^src\/(watch\/native|service)\/helper\/(main\.go|go\.mod)$/,
      /^(README\.md|LICENSE|package\.json|watcher\.config\.yaml)$/,
    ];
    expect(files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    for (const f of [
      'bin/hotwatch.js',
      'dist/bundle/main.js',
      'dist/bundle/worker.js',
      'dist/bundle/heap.js',
      'dist/bundle/remembered-build.cjs',
      'src/watch/native/helper/main.go',
      'src/watch/native/helper/go.mod',
      'src/service/helper/main.go',
      'src/service/helper/go.mod',
      'schema/watcher.config.schema.json',
      'schema/doctor.schema.json',
      'watcher.config.yaml',
      'README.md',
      'LICENSE',
    ]) {
      expect(files, f).toContain(f);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies ?? {}, 'the bundle carries every runtime dependency').toEqual({});
    process.stdout.write(`package: ${pack.filename} ${pack.size} bytes, ${pack.entryCount} files, unpacked ${pack.unpackedSize} bytes\n`);
  });

  it('installs nothing else, and nothing under the install points into the repository', () => {
    expect(fs.readdirSync(path.join(prefix, 'lib', 'node_modules'))).toEqual(['hotwatch']);
    expect(fs.existsSync(path.join(installed, 'node_modules'))).toBe(false);
    // No node_modules on the way up from the install but the prefix's own, which holds only hotwatch:
    // a module the bundle left out could not be found anywhere.
    for (let dir = installed; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const nm = path.join(dir, 'node_modules');
      if (nm !== path.join(prefix, 'lib', 'node_modules')) expect(fs.existsSync(nm), nm).toBe(false);
    }
    expect(env.NODE_PATH).toBeUndefined();
    const entries = walk(prefix);
    let bytes = 0;
    for (const p of entries) {
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) {
        const target = fs.realpathSync(p);
        expect(target.startsWith(`${prefix}/`), `${p} → ${target}`).toBe(true);
      } else if (st.isFile()) {
        bytes += st.size;
        const text = fs.readFileSync(p, 'latin1');
        for (const forbidden of [realRepo, realModules, path.join(tmp.dir, 'src')])
          expect(text.includes(forbidden), `${p} names ${forbidden}`).toBe(false);
      }
    }
    process.stdout.write(`install: ${entries.filter((p) => fs.lstatSync(p).isFile()).length} files, ${bytes} bytes under ${prefix}\n`);
  });

  it('hotwatch --version and --help from the install (the reference files are the installed ones)', () => {
    const v = run([bin, '--version'], tmp.dir);
    expect(v.stderr).toBe('');
    expect(v.stdout).toBe(`hotwatch ${version}\n`);
    const h = run([bin, 'run', '--help'], tmp.dir);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain(`README       ${path.join(installed, 'README.md')}\n`);
    expect(h.stdout).toContain(`JSON Schema  ${path.join(installed, 'schema/watcher.config.schema.json')}\n`);
    expect(fs.existsSync(path.join(installed, 'schema/watcher.config.schema.json'))).toBe(true);
  });

  it('npx ./hotwatch-X.tgz runs the packed package', () => {
    const r = run(['npx', '--yes', '--offline', `./${pack.filename}`, '--version'], path.dirname(tarball), {
      npm_config_cache: path.join(tmp.dir, 'npx-cache'),
      npm_config_update_notifier: 'false',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`hotwatch ${version}\n`);
  });

  describe('on a Go module', () => {
    let mod: string;
    let port: number;
    let hw: Hotwatch | undefined;
    beforeAll(async () => {
      mod = path.join(tmp.dir, 'mod');
      fs.mkdirSync(mod);
      writeGoApp(mod, 'v1');
      port = await freePort();
    });
    afterAll(async () => {
      if (hw) await hw.stop('SIGKILL');
    });
    const serves = (v: string) =>
      waitFor(async () => (await httpGet(port)) === `v=${v}`, { description: `the app serves v=${v}`, timeoutMs: 60_000 });

    it('hotwatch doctor: watching will work here, exit 0', () => {
      const r = run([bin, 'doctor'], mod);
      expect(r.stdout, r.stderr).toMatch(/^✓ watching will work here \(/m);
      expect(r.status).toBe(0);
    });

    it('hotwatch run: an edit is served, a failed build keeps the old version, the fix is served, Ctrl-C exits 0', async () => {
      hw = startHotwatch([], { cwd: mod, command: [bin], env: { ...env, PORT: String(port) } });
      await serves('v1');
      // The native watcher's helper was built from the installed package's Go source, into the fresh cache
      // (the first build is spawned first: on a loaded machine it can serve before the helper is built).
      await hw.waitForLog((l) => l.event === 'watch.ready', 'watching is ready');
      expect(fs.readdirSync(env.HOTWATCH_CACHE_DIR!).some((f) => f.startsWith('hotwatch-inotify-'))).toBe(true);

      fs.writeFileSync(path.join(mod, 'main.go'), goMain('v2'));
      await serves('v2');

      const mark = hw.logs.length;
      fs.writeFileSync(path.join(mod, 'main.go'), goMain('v3').replace('func main() {', 'func main() {\n\tthis is not go'));
      await hw.waitForLog((l) => l.event === 'build.failed', 'the broken build fails', { from: mark });
      expect(await httpGet(port)).toBe('v=v2');

      fs.writeFileSync(path.join(mod, 'main.go'), goMain('v4'));
      await serves('v4');

      const r = await hw.stop('SIGINT');
      hw = undefined;
      expect(r).toEqual({ code: 0, signal: null });
      expect(await httpGet(port)).toBeUndefined();
    }, 120_000);

    it('hotwatch run again with the same flags: the remembered first build (dist/bundle/remembered-build.cjs) is spawned and served', async () => {
      hw = startHotwatch(['--log-level', 'debug'], { cwd: mod, command: [bin], env: { ...env, PORT: String(port) } });
      await serves('v4');
      expect(await hw.stop('SIGINT')).toEqual({ code: 0, signal: null });
      fs.writeFileSync(path.join(mod, 'main.go'), goMain('v5'));
      hw = startHotwatch(['--log-level', 'debug'], { cwd: mod, command: [bin], env: { ...env, PORT: String(port) } });
      await serves('v5');
      await hw.waitForLog((l) => l.event === 'build.remembered', 'the first build came from the plan the run before kept');
      expect(fs.readdirSync(path.join(env.HOTWATCH_CACHE_DIR!, 'first-builds')).some((f) => f.endsWith('.json'))).toBe(true);
      const r = await hw.stop('SIGINT');
      hw = undefined;
      expect(r).toEqual({ code: 0, signal: null });
      fs.writeFileSync(path.join(mod, 'main.go'), goMain('v4')); // as the next test expects it
    }, 120_000);

    it('the other code paths load from the bundle too: the poll backend (chokidar) and pretty logs (pino-pretty)', async () => {
      const child = spawn(bin, ['run', '--poll', '--log-format', 'pretty'], {
        cwd: mod,
        env: { ...env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await serves('v4');
        await waitFor(() => /serving on http/.test(err), { description: `a pretty "app listening" line\n${err}`, timeoutMs: 30_000 });
        // The first build runs while the watches are armed: a quick one can serve before polling is ready.
        await waitFor(() => /watching 1 directory \(poll: /.test(err), {
          description: `the poll backend's watching line\n${err}`,
          timeoutMs: 30_000,
        });
      } finally {
        child.kill('SIGINT');
      }
      expect(await exited, err).toBe(0);
      expect(err).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
    }, 90_000);
  });
});

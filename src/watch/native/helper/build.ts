/**
 * Finds, or builds once, hotwatch-inotify: the small Go program (src/watch/inotify-helper/main.go) that
 * holds the native watcher's inotify watches outside V8. Measured on 10,001 directories: 4.5 MB RSS for
 * the helper against ~32 MB for 10,001 fs.watch handles in the watcher thread; and it sees IN_Q_OVERFLOW,
 * which fs.watch drops. Go is on every machine hotwatch runs on (it builds Go), so the helper is built
 * with the user's own toolchain (stdlib only, no network; about 0.4 s) into a cache keyed by the source's
 * hash, and checked to start. Anything in the way (not Linux, no go, a failed build, a cache dir that
 * cannot execute) is a reason, and the watcher falls back to fs.watch, saying so.
 * Run as a script (`node dist/watch/native/helper/build.js`), it builds the helper ahead of time.
 */
import { execFile, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type HelperBinary = { path: string } | { unavailable: string };

/** Where the Go source lives, relative to the package root (the same in a clone and in the package). */
const HELPER_SOURCE = path.join('src', 'watch', 'native', 'helper');

/**
 * The Go source, found from this module wherever it runs: src/watch/native/helper/ (tests), tsc's
 * dist/watch/native/helper/ or the bundle's dist/bundle/. The nearest directory above that holds it is
 * the package root.
 */
export function helperSourceDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, HELPER_SOURCE);
    if (fs.existsSync(path.join(candidate, 'main.go'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return path.join(path.dirname(fileURLToPath(import.meta.url)), HELPER_SOURCE); // reported as missing by the build
    dir = up;
  }
}

/** Where built helpers are kept: $HOTWATCH_CACHE_DIR, $XDG_CACHE_HOME/hotwatch or ~/.cache/hotwatch. */
export function helperCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOTWATCH_CACHE_DIR) return env.HOTWATCH_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'hotwatch');
}

const BUILD_TIMEOUT_MS = 120_000;
const memo = new Map<string, Promise<HelperBinary>>();

/**
 * The helper's path, built if needed, or why there is none. HOTWATCH_INOTIFY_HELPER=off turns it off
 * (fs.watch then holds the watches). One build per process and source.
 */
export function inotifyHelper(env: NodeJS.ProcessEnv = process.env): Promise<HelperBinary> {
  if (process.platform !== 'linux') return Promise.resolve({ unavailable: 'the inotify helper is for Linux only' });
  if (env.HOTWATCH_INOTIFY_HELPER === 'off') return Promise.resolve({ unavailable: 'turned off by HOTWATCH_INOTIFY_HELPER=off' });
  const key = helperCacheDir(env);
  let p = memo.get(key);
  if (!p) memo.set(key, (p = locateOrBuild(key, env)));
  return p;
}

async function locateOrBuild(cacheDir: string, env: NodeJS.ProcessEnv): Promise<HelperBinary> {
  const src = helperSourceDir();
  let hash: string;
  try {
    const h = crypto.createHash('sha256');
    for (const f of ['main.go', 'go.mod']) h.update(fs.readFileSync(path.join(src, f)));
    hash = h.digest('hex').slice(0, 16);
  } catch (e) {
    return { unavailable: `its source is missing at ${src} (${(e as Error).message})` };
  }
  const bin = path.join(cacheDir, `hotwatch-inotify-${hash}-${process.arch}`);
  if (!fs.existsSync(bin)) {
    const built = await build(src, bin, env);
    if (built) return { unavailable: built };
  }
  // It must start (a cache dir on a noexec mount would not).
  const probe = spawnSync(bin, ['--probe'], { timeout: 10_000 });
  if (probe.error || probe.status !== 0) {
    return { unavailable: `${bin} does not run (${probe.error?.message ?? `exit ${probe.status ?? probe.signal}`}${probe.stdout?.length ? `: ${probe.stdout.toString().trim()}` : ''})` };
  }
  return { path: bin };
}

/** Builds into a temp name, then renames (two hotwatch starting at once each build; one wins). Error text or undefined. */
function build(src: string, bin: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    fs.mkdirSync(path.dirname(bin), { recursive: true });
  } catch (e) {
    return Promise.resolve(`cannot create the cache dir ${path.dirname(bin)} (${(e as Error).message}); set HOTWATCH_CACHE_DIR`);
  }
  const tmp = `${bin}.${process.pid}.tmp`;
  const goEnv: NodeJS.ProcessEnv = { ...env, GOFLAGS: '', GOWORK: 'off', GO111MODULE: 'on', CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOOS: 'linux' };
  delete goEnv.GOARCH; // the machine's own
  return new Promise((resolve) => {
    execFile(
      'go',
      ['build', '-trimpath', '-ldflags=-s -w', '-o', tmp, '.'],
      { cwd: src, env: goEnv, timeout: BUILD_TIMEOUT_MS, maxBuffer: 1 << 20 },
      (err, _stdout, stderr) => {
        if (err) {
          fs.rmSync(tmp, { force: true });
          const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'go is not on PATH' : stderr.trim() || err.message;
          resolve(`go build of the inotify helper failed: ${why.slice(0, 500)}`);
          return;
        }
        try {
          fs.renameSync(tmp, bin);
          resolve(undefined);
        } catch (e) {
          fs.rmSync(tmp, { force: true });
          resolve(`cannot place the inotify helper at ${bin} (${(e as Error).message})`);
        }
      },
    );
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await inotifyHelper();
  if ('path' in r) process.stdout.write(`inotify helper: ${r.path}\n`);
  else process.stdout.write(`inotify helper unavailable (fs.watch will hold the watches): ${r.unavailable}\n`);
}

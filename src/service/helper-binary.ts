/**
 * Finds, or builds once, hotwatch-service (src/service/helper/main.go): the small Go program that sends
 * systemd's notify datagrams (Node 20 has no AF_UNIX datagram socket) and reaps orphans when hotwatch would
 * be PID 1. Built like hotwatch-inotify: with the user's own go (hotwatch needs it anyway; standard library
 * only, no network, ~0.4 s once) into the same cache directory, keyed by the source's hash, and checked to
 * start. Anything in the way is a reason, never an exception: the caller says it and carries on without.
 * Run as a script (`node dist/service/helper-binary.js`), it builds the helper ahead of time.
 */
import { execFile, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type ServiceHelper = { path: string } | { unavailable: string };

const SOURCE = path.join('src', 'service', 'helper');
const BUILD_TIMEOUT_MS = 120_000;

/** The Go source, found from this module wherever it runs (src/, dist/ or dist/bundle/): the nearest directory above holding it. */
export function serviceHelperSourceDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, SOURCE);
    if (fs.existsSync(path.join(candidate, 'main.go'))) return candidate;
    if (path.dirname(dir) === dir) return path.join(here, SOURCE); // reported as missing by the build
  }
}

/** The same cache as the inotify helper's: $HOTWATCH_CACHE_DIR, $XDG_CACHE_HOME/hotwatch or ~/.cache/hotwatch. */
export function serviceHelperCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOTWATCH_CACHE_DIR) return env.HOTWATCH_CACHE_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'hotwatch');
}

const memo = new Map<string, Promise<ServiceHelper>>();

/** The helper's path, built if needed, or why there is none. One build per process and cache directory. */
export function serviceHelper(env: NodeJS.ProcessEnv = process.env): Promise<ServiceHelper> {
  if (process.platform !== 'linux') return Promise.resolve({ unavailable: 'the service helper is for Linux only' });
  const key = serviceHelperCacheDir(env);
  const known = memo.get(key);
  if (known !== undefined) return known;
  const p = locateOrBuild(key, env);
  memo.set(key, p);
  return p;
}

async function locateOrBuild(cacheDir: string, env: NodeJS.ProcessEnv): Promise<ServiceHelper> {
  const src = serviceHelperSourceDir();
  let hash: string;
  try {
    const h = crypto.createHash('sha256');
    for (const f of ['main.go', 'go.mod']) h.update(fs.readFileSync(path.join(src, f)));
    hash = h.digest('hex').slice(0, 16);
  } catch (e) {
    return { unavailable: `its source is missing at ${src} (${(e as Error).message})` };
  }
  const bin = path.join(cacheDir, `hotwatch-service-${hash}-${process.arch}`);
  if (!fs.existsSync(bin)) {
    const failed = await build(src, bin, env);
    if (failed) return { unavailable: failed };
  }
  // It must start: a cache directory on a noexec mount would not.
  const probe = spawnSync(bin, ['--probe'], { timeout: 10_000 });
  if (probe.error || probe.status !== 0) {
    return { unavailable: `${bin} does not run (${probe.error?.message ?? `exit ${probe.status ?? probe.signal}`})` };
  }
  return { path: bin };
}

/** Builds into a temp name, then renames: two hotwatch starting at once each build, one wins. Error text or undefined. */
function build(src: string, bin: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    fs.mkdirSync(path.dirname(bin), { recursive: true, mode: 0o700 });
  } catch (e) {
    return Promise.resolve(`cannot create the cache dir ${path.dirname(bin)} (${(e as Error).message}); set HOTWATCH_CACHE_DIR`);
  }
  const tmp = `${bin}.${process.pid}.tmp`;
  const goEnv: NodeJS.ProcessEnv = {
    ...env,
    GOFLAGS: '',
    GOWORK: 'off',
    GO111MODULE: 'on',
    CGO_ENABLED: '0',
    GOTOOLCHAIN: 'local',
    GOOS: 'linux',
  };
  delete goEnv.GOARCH; // the machine's own
  return new Promise((resolve) => {
    execFile(
      'go',
      ['build', '-trimpath', '-ldflags=-s -w', '-o', tmp, '.'],
      { cwd: src, env: goEnv, timeout: BUILD_TIMEOUT_MS, maxBuffer: 1 << 20 },
      (err, _o, stderr) => {
        if (err) {
          fs.rmSync(tmp, { force: true });
          const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'go is not on PATH' : stderr.trim() || err.message;
          resolve(`go build of the service helper failed: ${why.slice(0, 500)}`);
          return;
        }
        try {
          fs.renameSync(tmp, bin);
          resolve(undefined);
        } catch (e) {
          fs.rmSync(tmp, { force: true });
          resolve(`cannot place the service helper at ${bin} (${(e as Error).message})`);
        }
      },
    );
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await serviceHelper();
  process.stdout.write('path' in r ? `service helper: ${r.path}\n` : `service helper unavailable: ${r.unavailable}\n`);
}

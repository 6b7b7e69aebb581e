/**
 * The small Go programs hotwatch builds with the user's own go (hotwatch needs it anyway; standard
 * library only, no network, ~0.4 s once) and runs: hotwatch-inotify (the watches) and hotwatch-service
 * (sd_notify, the PID 1 reaper). One mechanism for both, because both run as whoever runs hotwatch, root
 * included: built into a cache keyed by the source's hash and checked to start, and nothing found in the
 * cache run on trust (a helper planted under the predictable name, in a cache directory another user
 * created under /tmp, was run by root). The cache directory must be ours, not writable by group or
 * others, in parents nobody else may rename it out of (else the helper is built into a directory private
 * to us, and a notice says why); the binary must be a regular file of ours, not a symlink, not writable by
 * group or others, and match the hash recorded beside it when it was built (else it is built again). The
 * hash adds no defence against someone who may write into our directory (they could rewrite both): it
 * catches a torn or altered file, and binaries of older hotwatch versions.
 */
import { execFile, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoCode } from '../errors.js';
import { helperCacheDir, trustedDir } from './user-cache.js';
import { hashOwnFile, myUid, octal, readOwnFile, writeFileReplacing } from './safe-fs.js';

export type HelperBinary = { path: string } | { unavailable: string };

export interface GoHelperSpec {
  /** The binary's name in the cache: `<name>-<source hash>-<arch>`. */
  name: string;
  /** How messages call it: "the inotify helper". */
  label: string;
  /** Its Go source directory (main.go, go.mod). */
  sourceDir: () => string;
}

/** Something about a helper's cache a person should know: an untrusted directory, a binary rebuilt. */
export interface HelperNotice {
  level: 'info' | 'warn';
  message: string;
}
const pendingNotices: HelperNotice[] = [];
const noticeListeners = new Set<(n: HelperNotice) => void>();

/** Hears the helpers' notices (those made before anyone listened first); returns the unsubscribe. */
export function onHelperNotice(listener: (n: HelperNotice) => void): () => void {
  noticeListeners.add(listener);
  for (const n of pendingNotices.splice(0)) listener(n);
  return () => noticeListeners.delete(listener);
}

function notify(n: HelperNotice): void {
  if (noticeListeners.size === 0) pendingNotices.push(n);
  for (const l of noticeListeners) l(n);
}

/**
 * A helper's Go source, found from `moduleUrl` (the caller's import.meta.url) wherever it runs: src/
 * (tests), tsc's dist/ or the bundle's dist/bundle/. The nearest directory above that holds
 * `<relative>/main.go` is the package root.
 */
export function findSourceDir(moduleUrl: string, relative: string): string {
  const here = path.dirname(fileURLToPath(moduleUrl));
  for (let dir = here; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (fs.existsSync(path.join(candidate, 'main.go'))) return candidate;
    if (path.dirname(dir) === dir) return path.join(here, relative); // reported as missing by the build
  }
}

const BUILD_TIMEOUT_MS = 120_000;
const memo = new Map<string, Promise<HelperBinary>>();

/** The helper's path, built if needed, or why there is none. One build per process, helper and cache. */
export function goHelper(spec: GoHelperSpec, env: NodeJS.ProcessEnv = process.env): Promise<HelperBinary> {
  if (process.platform !== 'linux') return Promise.resolve({ unavailable: `${spec.label} is for Linux only` });
  const cacheDir = helperCacheDir(env);
  const key = `${spec.name}\0${cacheDir}`;
  let p = memo.get(key);
  if (!p) {
    p = locateOrBuild(spec, cacheDir, env);
    memo.set(key, p);
  }
  return p;
}

/** A directory private to us for this run: $XDG_RUNTIME_DIR/hotwatch when trusted, else a fresh one in the temp dir (removed at exit). */
function privateDir(env: NodeJS.ProcessEnv): { dir: string } | { why: string } {
  if (env.XDG_RUNTIME_DIR) {
    const t = trustedDir(path.join(env.XDG_RUNTIME_DIR, 'hotwatch'));
    if ('dir' in t) return t;
  }
  let d: string;
  try {
    d = fs.mkdtempSync(path.join(os.tmpdir(), 'hotwatch-helpers-')); // mode 0700
  } catch (e) {
    return { why: `cannot create a private directory in ${os.tmpdir()} (${errnoCode(e) ?? String(e)})` };
  }
  process.once('exit', () => fs.rmSync(d, { recursive: true, force: true }));
  const t = trustedDir(d);
  return 'dir' in t ? t : { why: `${d} ${t.why}` };
}

/** Why the binary at `bin` must not run as it is: 'missing', a reason, or undefined (it may run). */
function binaryDoubt(bin: string): { missing: true } | { why: string; level: 'info' | 'warn' } | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(bin);
  } catch (e) {
    return errnoCode(e) === 'ENOENT' ? { missing: true } : { why: `cannot be read (${errnoCode(e) ?? String(e)})`, level: 'warn' };
  }
  const uid = myUid();
  if (st.isSymbolicLink()) return { why: 'is a symlink', level: 'warn' };
  if (!st.isFile()) return { why: 'is not a regular file', level: 'warn' };
  if (uid !== undefined && st.uid !== uid) return { why: `is owned by uid ${st.uid}, not by you`, level: 'warn' };
  if (st.mode & 0o022) return { why: `is writable by group or others (mode ${octal(st.mode)})`, level: 'warn' };
  let recorded: string | undefined;
  let actual: string | undefined;
  try {
    recorded = readOwnFile(`${bin}.sha256`)?.toString('utf8').trim();
    // Hashed in pieces, not read whole (safe-fs.ts hashOwnFile: a whole read cost the run ~1.5 MB of RSS).
    actual = recorded === undefined ? undefined : hashOwnFile(bin, 'sha256');
  } catch (e) {
    return { why: `or its recorded hash cannot be trusted (${(e as Error).message})`, level: 'warn' };
  }
  if (recorded === undefined) return { why: 'has no hash recorded beside it (built by an older hotwatch)', level: 'info' };
  if (actual === undefined || actual !== recorded) return { why: 'does not match the hash recorded when hotwatch built it', level: 'warn' };
  return undefined;
}

async function locateOrBuild(spec: GoHelperSpec, cacheDir: string, env: NodeJS.ProcessEnv): Promise<HelperBinary> {
  const src = spec.sourceDir();
  let hash: string;
  try {
    const h = crypto.createHash('sha256');
    for (const f of ['main.go', 'go.mod']) h.update(fs.readFileSync(path.join(src, f)));
    hash = h.digest('hex').slice(0, 16);
  } catch (e) {
    return { unavailable: `its source is missing at ${src} (${(e as Error).message})` };
  }
  let dir: string;
  const cache = trustedDir(cacheDir);
  if ('dir' in cache) dir = cache.dir;
  else {
    const own = privateDir(env);
    if (!('dir' in own))
      return {
        unavailable: `its cache directory ${cacheDir} ${cache.why}, and ${own.why}; set HOTWATCH_CACHE_DIR to a directory only you can write`,
      };
    dir = own.dir;
    notify({
      level: 'warn',
      message: `${spec.label}'s cache directory ${cacheDir} ${cache.why}: a helper found there could be anyone's, so it is built into ${dir} (private to you) for this run instead; fix: set HOTWATCH_CACHE_DIR to a directory only you can write, or make ${cacheDir} yours alone (chown, chmod 700)`,
    });
  }
  const bin = path.join(dir, `${spec.name}-${hash}-${process.arch}`);
  const doubt = binaryDoubt(bin);
  if (doubt) {
    if ('why' in doubt) notify({ level: doubt.level, message: `the cached ${spec.label} ${bin} ${doubt.why}: not run; building it again` });
    const built = await build(spec, src, bin, env);
    if (built) return { unavailable: built };
  }
  // It must start (a cache dir on a noexec mount would not).
  const probe = spawnSync(bin, ['--probe'], { timeout: 10_000 });
  if (probe.error || probe.status !== 0) {
    return {
      unavailable: `${bin} does not run (${probe.error?.message ?? `exit ${probe.status ?? probe.signal}`}${probe.stdout?.length ? `: ${probe.stdout.toString().trim()}` : ''})`,
    };
  }
  return { path: bin };
}

/**
 * Builds into a temp name, records its hash beside it, then renames over whatever is at `bin` (a planted
 * file or link is replaced, never written through; two hotwatch starting at once each build, one wins).
 * `bin`'s directory is a trusted one (see trustedDir). Error text or undefined.
 */
function build(spec: GoHelperSpec, src: string, bin: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const tmp = `${bin}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
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
      (err, _stdout, stderr) => {
        if (err) {
          fs.rmSync(tmp, { force: true });
          const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'go is not on PATH' : stderr.trim() || err.message;
          resolve(`go build of ${spec.label} failed: ${why.slice(0, 500)}`);
          return;
        }
        try {
          fs.chmodSync(tmp, 0o755); // go wrote it 0777 & ~umask: never writable by others, whatever the umask
          // Hashed in pieces like the check that reads it back (binaryDoubt), never read whole.
          const digest = hashOwnFile(tmp, 'sha256');
          if (digest === undefined) throw new Error(`${tmp} vanished after the build`);
          writeFileReplacing(path.dirname(bin), `${path.basename(bin)}.sha256`, `${digest}\n`, 0o644);
          fs.renameSync(tmp, bin);
          resolve(undefined);
        } catch (e) {
          fs.rmSync(tmp, { force: true });
          resolve(`cannot place ${spec.label} at ${bin} (${(e as Error).message})`);
        }
      },
    );
  });
}

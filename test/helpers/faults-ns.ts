/**
 * User and mount namespaces for the fault cases. hotwatch runs INSIDE `unshare -Ur` / `unshare -Urm`
 * (kernel limits lowered there, mounts placed there); the test reaches into the same mount namespace later
 * with `nsenter -t <hotwatch pid> -U -m` (the userns owner may enter it). Verified on these machines.
 * A missing privilege FAILS the case with the reason: never a silent pass or skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export type NsKind = '-Ur' | '-Urm';

/** Single-quotes a string for sh. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function fail(what: string, r: ReturnType<typeof spawnSync>): never {
  const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}: ${String(r.stderr).trim()}`;
  throw new Error(
    `this fault case needs ${what}, which this machine refuses (${why}). ` +
      'It must run where unprivileged user+mount namespaces are allowed (root, or kernel.unprivileged_userns_clone=1 / ' +
      'no AppArmor userns restriction); it fails rather than pass without testing anything.',
  );
}

/** Throws a clear error unless `unshare <kind>` works here, including writing the userns inotify limits. */
export function requireNamespaces(kind: NsKind): void {
  const r = spawnSync(
    'unshare',
    [kind, 'sh', '-c', 'echo 1000 > /proc/sys/user/max_inotify_watches && echo 100 > /proc/sys/user/max_inotify_instances'],
    {
      encoding: 'utf8',
      timeout: 10_000,
    },
  );
  if (r.status !== 0) fail(`\`unshare ${kind}\` and writable /proc/sys/user/max_inotify_* inside it`, r);
  if (kind === '-Urm') {
    const m = spawnSync('unshare', ['-Urm', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs none "$d" && umount "$d" && rmdir "$d"'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (m.status !== 0) fail('`mount` inside `unshare -Urm`', m);
  }
}

/** Throws a clear error unless nsenter exists (util-linux). */
export function requireNsenter(): void {
  const r = spawnSync('nsenter', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) fail("nsenter (util-linux) to act inside hotwatch's mount namespace", r);
}

/**
 * A wrapper for startWrapped: `unshare <kind> sh -c '<setup>; exec "$@"'`. The setup lines run inside the
 * namespace before hotwatch (as root of the namespace); `exec` keeps hotwatch's pid = the spawned pid.
 */
export function nsWrap(kind: NsKind, setup: string[] = []): string[] {
  return ['unshare', kind, 'sh', '-c', `set -e\n${setup.join('\n')}\nexec "$@"`, 'hotwatch-ns'];
}

/** Runs a sh script inside the user + mount namespace of `pid` (bounded); returns stdout, throws with stderr. */
export function inNamespaceOf(pid: number, script: string, input?: string): string {
  try {
    return execFileSync('nsenter', ['-t', String(pid), '-U', '-m', '--preserve-credentials', 'sh', '-c', `set -e\n${script}`], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(input !== undefined ? { input } : {}),
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`nsenter -t ${pid} -U -m: ${script.slice(0, 200)} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/** Writes `text` to `file` through the namespace's view of the file system (e.g. inside a bind mount). */
export function writeInNamespaceOf(pid: number, file: string, text: string): void {
  inNamespaceOf(pid, `cat > ${shq(file)}`, text);
}

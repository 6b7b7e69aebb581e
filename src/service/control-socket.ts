/**
 * `.hotwatch/control.sock`: placed without following anything planted there, and private from birth.
 *
 * Who may connect: Node exposes no SO_PEERCRED, and /proc/net/unix lists sockets without their peers, so
 * the peer's uid cannot be read. The kernel checks instead: connect(2) on a path socket needs write
 * permission on the socket file, and this one is 0600 and ours before anyone can reach it. It is bound in
 * a fresh 0700 directory (mkdtemp), chmodded there, then renamed into place: a umask around bind would
 * also change the mode of files the watcher thread creates meanwhile (umask is per process). Root still
 * connects (it passes every permission check; it could read our memory anyway).
 *
 * Nothing is followed: `.hotwatch` is opened O_NOFOLLOW|O_DIRECTORY and must be ours; every later step
 * goes through /proc/self/fd/<that fd>/, so a directory swapped in after the check is not used. That also
 * keeps the address short: a socket path is at most 107 bytes, and a deep repository would exceed it.
 * An existing control.sock is replaced only when it is our socket and nothing answers on it (a crashed
 * hotwatch's); a symlink, a file, someone else's socket or a live one is refused, with the fix.
 *
 * Some filesystems cannot hold a socket (network and FUSE mounts, such as a Docker Desktop bind mount may
 * be). Then the socket goes to a private directory of this user in $XDG_RUNTIME_DIR or the temp
 * directory, named after the root's hash, where `hotwatch status` looks next.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HotwatchError, errnoCode } from '../errors.js';

export const CONTROL_SOCKET = 'control.sock';

const HAS_PROC_FD = process.platform === 'linux' && fs.existsSync('/proc/self/fd');
const uid = (): number | undefined => process.geteuid?.();

/** An open handle on the socket's directory, the base to reach entries in it by (the fd's /proc path on Linux), and the socket's name there. */
export interface StateDir {
  dir: string;
  fd: number;
  base: string;
  name: string;
  close(): void;
}

/** Opens `<root>/.hotwatch` without following a symlink; `create` makes it (0700) when missing. */
export function openStateDir(root: string, opts: { create: boolean }): StateDir {
  return openPrivateDir(path.join(root, '.hotwatch'), CONTROL_SOCKET, opts.create);
}

/** The directory for sockets that cannot live in .hotwatch/: private to this user, outside any project. */
export function fallbackDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR) ? env.XDG_RUNTIME_DIR : os.tmpdir();
  return path.join(base, `hotwatch-${uid() ?? 'user'}`);
}

/** Opens (or makes) the fallback directory; the socket is named after the root, so each root has its own. */
export function openFallbackDir(root: string, opts: { create: boolean }, env: NodeJS.ProcessEnv = process.env): StateDir {
  const name = `${crypto.createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 16)}.sock`;
  const sd = openPrivateDir(fallbackDir(env), name, opts.create);
  if (opts.create) fs.fchmodSync(sd.fd, 0o700); // ours (checked): in a shared temp directory nobody else may enter it
  return sd;
}

function openPrivateDir(dir: string, name: string, create: boolean): StateDir {
  if (create) {
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
  }
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      const what = fs.lstatSync(dir).isSymbolicLink() ? 'a symlink' : 'not a directory';
      throw new HotwatchError('INTERNAL', `${dir} is ${what}: refusing to place the control socket through it`, {
        hint: `remove ${dir}; hotwatch recreates it`,
      });
    }
    throw e;
  }
  const st = fs.fstatSync(fd);
  const me = uid();
  if (me !== undefined && st.uid !== me) {
    fs.closeSync(fd);
    throw new HotwatchError(
      'INTERNAL',
      `${dir} belongs to uid ${st.uid}, not to this user (uid ${me}): refusing to place the control socket in it`,
      { hint: `remove ${dir} or run hotwatch as its owner` },
    );
  }
  return { dir, fd, name, base: HAS_PROC_FD ? `/proc/self/fd/${fd}` : dir, close: () => fs.closeSync(fd) };
}

/** Resolves true when something accepts a connection at `p` (within 1 s), false when nothing does. */
export function answers(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(p);
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

/** What stands at control.sock, in words ("a FIFO", "a socket of uid 1001"). */
export function plantedKind(st: fs.Stats): string {
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isSocket()) return `a socket of uid ${st.uid}`;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  return st.isFile() ? 'a file' : 'a device';
}

/** Checks what is at control.sock now: nothing, or a stale socket of ours (removed). Anything else throws. */
async function clearStale(sd: StateDir): Promise<void> {
  const p = path.join(sd.base, sd.name);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return;
    throw e;
  }
  const shown = path.join(sd.dir, sd.name);
  const what = plantedKind(st);
  if (!st.isSocket() || (uid() !== undefined && st.uid !== uid())) {
    throw new HotwatchError('INTERNAL', `${shown} is ${what}, not a control socket of this user: refusing to replace or follow it`, {
      hint: `remove ${shown} if it is not yours to keep`,
    });
  }
  if (await answers(p)) {
    throw new HotwatchError('ALREADY_RUNNING', `${shown} answers: another hotwatch serves its status for this root`, {
      hint: 'stop it first (hotwatch status shows its pid)',
    });
  }
  fs.unlinkSync(p); // a crashed hotwatch's socket: nothing answers
}

/**
 * Binds `server` at `<dir>/<name>` of `sd` with mode 0600 (see the file's comment for how).
 * Returns the socket's inode, so close can remove it only if it is still ours.
 */
export async function bindPrivate(server: net.Server, sd: StateDir): Promise<{ ino: number }> {
  await clearStale(sd);
  const tmp = fs.mkdtempSync(path.join(sd.base, '.control-')); // 0700
  const tmpSock = path.join(tmp, 's');
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(tmpSock, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(tmpSock, 0o600);
    fs.renameSync(tmpSock, path.join(sd.base, sd.name));
    return { ino: fs.lstatSync(path.join(sd.base, sd.name)).ino };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Removes the socket if it is still the one we bound (a successor's is left alone). */
export function unlinkIfOurs(sd: StateDir, ino: number): void {
  const p = path.join(sd.base, sd.name);
  try {
    if (fs.lstatSync(p).ino === ino) fs.unlinkSync(p);
  } catch {
    // already gone
  }
}

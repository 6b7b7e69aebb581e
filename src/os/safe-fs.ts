/**
 * Writing where something else may have been first. What hotwatch finds under `<root>/.hotwatch/` may
 * have been planted: a cloned repository can hold symlinks there, another user may have created it in a
 * shared directory, a file may be left from a run under another umask. So nothing here follows a symlink
 * at the last component: a directory is opened with O_NOFOLLOW and checked through its descriptor; a file
 * is written to a fresh random name with O_CREAT|O_EXCL|O_NOFOLLOW and renamed into place (rename replaces
 * a symlink, it never writes through one); modes are set with fchmod on the descriptor, so the umask never
 * widens them. Node has no openat(): a path is looked up again after its check, which is sound only
 * because the directories checked are ours and nobody else may write into them.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../errors.js';

const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const O_DIRECTORY = fs.constants.O_DIRECTORY ?? 0;

/** `p` with its symlinks resolved, or `p` made absolute where it cannot be (gone, unreadable). */
export const realPathOr = (p: string): string => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/** Our effective uid; undefined where there is none (Windows): ownership is then not checked. */
export const myUid = (): number | undefined => process.geteuid?.();

/** What is wrong with a path hotwatch was going to use as its own. */
export type Untrusted = { kind: 'symlink'; target: string } | { kind: 'not-dir' } | { kind: 'not-file' } | { kind: 'owner'; uid: number };

export class UntrustedPathError extends Error {
  constructor(
    readonly path: string,
    readonly problem: Untrusted,
  ) {
    super(`${path} ${describeUntrusted(problem)}`);
    this.name = 'UntrustedPathError';
  }
}

export function describeUntrusted(p: Untrusted): string {
  switch (p.kind) {
    case 'symlink':
      return `is a symbolic link (to ${p.target})`;
    case 'not-dir':
      return 'is not a directory';
    case 'not-file':
      return 'is not a regular file';
    case 'owner':
      return `is owned by uid ${p.uid}, not by you (uid ${myUid()})`;
  }
}

const readlinkOr = (p: string): string => {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '?';
  }
};

/** mode & 0o7777 as "0755". */
export const octal = (mode: number): string => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

export interface OwnDir {
  created: boolean;
  /** The mode it had when it was wider than asked and writable by group or others (now fixed). */
  wasOpen?: number;
  /** The filesystem refused the mode (errno: vfat, some FUSE mounts decide modes by mount options). */
  modeNotSet?: string;
}

/** chmod errors of a filesystem whose modes come from its mount options: the mode cannot be ours to set. */
const MODE_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EROFS']);

/** fchmod, or the errno of a filesystem that does not take modes (other errors thrown). */
function fchmodOr(fd: number, mode: number): string | undefined {
  try {
    fs.fchmodSync(fd, mode);
    return undefined;
  } catch (e) {
    const code = errnoCode(e) ?? '';
    if (!MODE_UNSUPPORTED.has(code)) throw e;
    return code;
  }
}

/**
 * `dir` (its parent must exist) as a real directory of ours with exactly `mode`: created with it, or the
 * one there checked through an O_NOFOLLOW descriptor and fchmod'ed to it. Throws UntrustedPathError for a
 * symlink, a non-directory or another user's directory (nothing is changed then), errno errors as they are.
 */
export function ensureOwnDir(dir: string, mode: number): OwnDir {
  let created = false;
  try {
    fs.mkdirSync(dir, { mode });
    created = true;
  } catch (e) {
    if (errnoCode(e) !== 'EEXIST') throw e;
  }
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      const st = fs.lstatSync(dir);
      throw new UntrustedPathError(dir, st.isSymbolicLink() ? { kind: 'symlink', target: readlinkOr(dir) } : { kind: 'not-dir' });
    }
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isDirectory()) throw new UntrustedPathError(dir, { kind: 'not-dir' });
    const uid = myUid();
    if (uid !== undefined && st.uid !== uid) throw new UntrustedPathError(dir, { kind: 'owner', uid: st.uid });
    const was = st.mode & 0o7777;
    const refused = was !== mode ? fchmodOr(fd, mode) : undefined;
    if (refused) return { created, modeNotSet: refused };
    return { created, ...(!created && was & 0o022 ? { wasOpen: was } : {}) };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `data` to `dir/name` with exactly `mode`: a fresh random name beside it (O_EXCL|O_NOFOLLOW: never
 * an existing file, never through a link), then rename() over the name (which replaces whatever entry is
 * there, a symlink included, without writing through it).
 */
export function writeFileReplacing(dir: string, name: string, data: string | Buffer, mode: number): void {
  const tmp = path.join(dir, `.${name}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW, mode);
  try {
    try {
      fchmodOr(fd, mode); // open() gave it mode & ~umask already; a filesystem without modes keeps its own
      fs.writeFileSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(dir, name));
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * The content of `file` when it is a regular file of ours (opened with O_NOFOLLOW, checked on the
 * descriptor); undefined when absent; UntrustedPathError otherwise.
 */
export function readOwnFile(file: string): Buffer | undefined {
  return withOwnFile(file, (fd) => fs.readFileSync(fd));
}

/** One buffer for every hash: a file read whole into one (a 1.7 MB helper binary) raised glibc's trim threshold for the whole run. */
const HASH_CHUNK = Buffer.allocUnsafe(64 * 1024);

/**
 * The hex digest of a regular file of ours, checked as readOwnFile checks it, read in 64 KB pieces
 * through one reused buffer (no buffer the size of the file: freeing one over 128 KB makes glibc keep
 * freed memory for the rest of the process). Undefined when the file does not exist.
 */
export function hashOwnFile(file: string, algorithm: string): string | undefined {
  return withOwnFile(file, (fd) => {
    const h = crypto.createHash(algorithm);
    for (
      let got = fs.readSync(fd, HASH_CHUNK, 0, HASH_CHUNK.length, null);
      got > 0;
      got = fs.readSync(fd, HASH_CHUNK, 0, HASH_CHUNK.length, null)
    )
      h.update(HASH_CHUNK.subarray(0, got));
    return h.digest('hex');
  });
}

/** Opens `file` without following a symlink, checks it is a regular file of ours, and hands its fd to `use`. */
function withOwnFile<T>(file: string, use: (fd: number) => T): T | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new UntrustedPathError(file, { kind: 'symlink', target: readlinkOr(file) });
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new UntrustedPathError(file, { kind: 'not-file' });
    const uid = myUid();
    if (uid !== undefined && st.uid !== uid) throw new UntrustedPathError(file, { kind: 'owner', uid: st.uid });
    return use(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes `p` itself when it is a symlink (never what it points at); true when it did. */
export function unlinkIfSymlink(p: string): boolean {
  try {
    if (!fs.lstatSync(p).isSymbolicLink()) return false;
    fs.unlinkSync(p);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

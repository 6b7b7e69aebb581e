/**
 * The build's output path is replaced, never written through. `go build -o` puts its binary in place by
 * renaming a temp file, or, when its temp dir is on another filesystem, by copying into the path: through
 * a symlink planted at `.hotwatch/bin/app`, that overwrote a file outside the root, which hotwatch then
 * ran. So, before each build:
 * - when the output directory is hotwatch's own (under `<root>/.hotwatch/`, the default), each level is a
 *   real directory of ours with mode 0700 (a symlink there is removed, the link itself, and the
 *   directory created; another user's directory is refused);
 * - whatever is at the output path that is not a regular file of ours with one link (a symlink, a FIFO,
 *   another user's file, a hard link shared with a file elsewhere) is removed there: lstat + unlink, never
 *   its target. Outside `.hotwatch/` (a build.output the config names) it is refused instead, never removed.
 * After a good build the binary must be a regular file of ours, and is made not writable by group or
 * others (an umask of 000 makes go write it 0777), before it runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HotwatchError, errnoCode } from '../errors.js';
import { UntrustedPathError, describeUntrusted, ensureOwnDir, myUid, unlinkIfSymlink } from '../os/safe-fs.js';

const OWN_DIR_MODE = 0o700;

/** Where a removed link is said: the logger, or a list kept until it exists (startup/early-build.ts). */
export type OutputLog = { warn: (obj: Record<string, unknown>, msg: string) => void };

function unsafe(what: string, hint: string, cause?: unknown): HotwatchError {
  return new HotwatchError('UNSAFE_PATH', what, { hint, ...(cause === undefined ? {} : { cause }) });
}

/** Makes `output` safe for the build to write (see above). Throws HotwatchError when it cannot be. */
export function prepareOutput(root: string, output: string, log: OutputLog): void {
  try {
    if (!fs.statSync(root).isDirectory()) return; // the build reports a missing root itself
  } catch {
    return;
  }
  prepareOwnDirs(root, output, log);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(output);
  } catch {
    return; // nothing there yet
  }
  if (st.isDirectory()) return directoryAtOutput(root, output, st, log);
  const why = notOurs(st, output);
  if (why === undefined) return;
  const refused = userOutputRefusal(root, output, st, why);
  if (refused) throw refused;
  try {
    fs.unlinkSync(output);
  } catch (e) {
    throw unsafe(
      `build.output ${output} is ${why} and cannot be removed (${errnoCode(e) ?? String(e)}): the build would write through it`,
      `remove it by hand (rm ${output})`,
      e,
    );
  }
  log.warn(
    { event: 'build.output-replaced', path: output, why },
    `build.output ${output} was ${why}: removed (the link itself, not its target), so the build writes a new file`,
  );
}

/**
 * A directory where the binary goes: an empty one of ours in hotwatch's own place is removed (said);
 * anything else is refused, with what to do and how the build then starts (nothing watches .hotwatch/).
 */
function directoryAtOutput(root: string, output: string, st: fs.Stats, log: OutputLog): void {
  const uid = myUid();
  if (insideOwnDir(root, output) && (uid === undefined || st.uid === uid)) {
    try {
      fs.rmdirSync(output);
      log.warn(
        { event: 'build.output-replaced', path: output, why: 'an empty directory' },
        `build.output ${output} was an empty directory: removed`,
      );
      return;
    } catch {
      // not empty (or not ours to remove): refused below
    }
  }
  throw directoryOutput(output, ', then save any file or press r to build');
}

const directoryOutput = (output: string, then = ''): HotwatchError =>
  unsafe(
    `build.output ${output} is a directory`,
    `remove it (rm -r ${output}) or set build.output to a file path (e.g. ${path.join(output, 'app')})${then}`,
  );

/** Why what is at the output is not a regular file of ours with one link, or undefined. */
function notOurs(st: fs.Stats, output: string): string | undefined {
  const uid = myUid();
  if (st.isSymbolicLink()) return `a symlink (to ${fs.readlinkSync(output)})`;
  if (!st.isFile()) return 'not a regular file';
  if (uid !== undefined && st.uid !== uid) return `owned by uid ${st.uid}`;
  return st.nlink > 1 ? `a file with ${st.nlink} hard links` : undefined;
}

/**
 * What stands at a build.output outside `.hotwatch/` (the user's place: a `build.output: /dev/null`
 * idiom, a dotfile symlink, a socket) that hotwatch will not build over, as the error to say; undefined
 * when nothing or a file of yours is there, or the path is hotwatch's own. Never removed there (as root,
 * /dev/null was): refused, at start by the pre-flight check (exit 2), else before the build.
 */
export function userOutputRefusal(root: string, output: string, known?: fs.Stats, knownWhy?: string): HotwatchError | undefined {
  if (insideOwnDir(root, output)) return undefined;
  let st = known;
  if (!st) {
    try {
      st = fs.lstatSync(output);
    } catch {
      return undefined; // nothing there yet
    }
    if (st.isDirectory()) return directoryOutput(output);
  }
  const why = knownWhy ?? notOurs(st, output);
  if (why === undefined) return undefined;
  return unsafe(
    `build.output ${output} is ${why}: hotwatch runs the binary it builds there, and will not remove or write through what is there now`,
    st.isFile() || st.isSymbolicLink()
      ? `remove it yourself if it is yours to replace (rm ${output}), or set build.output to another file path (or leave it out: .hotwatch/bin/app)`
      : 'set build.output to a file path (or leave it out: .hotwatch/bin/app)',
  );
}

/** `output` is under `<root>/.hotwatch/`, hotwatch's own place. */
function insideOwnDir(root: string, output: string): boolean {
  const rel = path.relative(path.join(root, '.hotwatch'), output);
  return !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The directories under .hotwatch/ that lead to the output: ours, private, none of them a link. */
function prepareOwnDirs(root: string, output: string, log: OutputLog): void {
  const own = path.join(root, '.hotwatch');
  const rel = path.relative(own, path.dirname(output));
  if (rel.startsWith('..') || path.isAbsolute(rel)) return; // outside .hotwatch/: the user's own place
  let dir = own;
  for (const part of ['', ...rel.split(path.sep).filter(Boolean)]) {
    dir = path.join(dir, part);
    try {
      if (part && unlinkIfSymlink(dir))
        log.warn({ event: 'build.link-removed', path: dir }, `removed a symlink at ${dir}: the build writes there, never through a link`);
      const made = ensureOwnDir(dir, OWN_DIR_MODE);
      // Fixed here when the build is prepared before the state file's claim (startup/remembered-build.ts): said, as it says it.
      if (made.wasOpen !== undefined)
        log.warn(
          { event: 'build.dir-mode-fixed', path: dir },
          `${dir} was writable by others (mode 0${made.wasOpen.toString(8)}, an old umask?): now 0${OWN_DIR_MODE.toString(8)}; what hotwatch uses in it is checked before use`,
        );
    } catch (e) {
      if (e instanceof UntrustedPathError)
        throw unsafe(`cannot build into ${dir}: it ${describeUntrusted(e.problem)}`, `remove it (rm -rf ${dir}); hotwatch creates it`, e);
      throw unsafe(
        `cannot create the build output directory ${dir}: ${errnoCode(e) ?? String(e)}`,
        'make the directory writable or point build.output somewhere writable',
        e,
      );
    }
  }
}

/** After a good build: the binary is a regular file of ours, not writable by group or others. */
export function checkBuiltOutput(output: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(output);
  } catch {
    return; // not written (a build.cmd that writes elsewhere): the app's start says so
  }
  const uid = myUid();
  const why = st.isSymbolicLink()
    ? `is a symlink (to ${fs.readlinkSync(output)})`
    : !st.isFile()
      ? 'is not a regular file'
      : uid !== undefined && st.uid !== uid
        ? `is owned by uid ${st.uid}, not by you`
        : undefined;
  if (why)
    throw unsafe(
      `the build finished, but ${output} ${why}: not running it`,
      'build.cmd must write the binary itself at build.output (a regular file)',
    );
  if (isGoArchive(output))
    throw new HotwatchError(
      'CONFIG_INVALID',
      `the build wrote a Go archive to ${output}, not a program: the package it builds is a library, not package main`,
      {
        hint: 'point build.package (or --package) at your main package, e.g. ./cmd/<name>; go list -f \'{{if eq .Name "main"}}{{.ImportPath}}{{end}}\' ./... lists them',
      },
    );
  if (st.mode & 0o022) {
    try {
      fs.chmodSync(output, st.mode & 0o7777 & ~0o022);
    } catch {
      // a filesystem whose modes come from its mount options (vfat): not ours to set, and it is our file
    }
  }
}

/**
 * `go build -o` of a library writes its archive (`!<arch>`), mode 0644. The start-up refuses a library
 * as the build's package, but only when `go list` answers in time: on a loaded machine the archive got
 * to the start, said "not executable (EACCES): chmod +x", a wrong cause and a wrong fix.
 */
function isGoArchive(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const head = Buffer.alloc(8);
    return fs.readSync(fd, head, 0, 8, 0) === 8 && head.toString('latin1') === '!<arch>\n';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

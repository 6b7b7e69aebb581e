/**
 * Reading a file hotwatch takes as input from the tree (its config, env files, go.work, a .gitignore)
 * only when it is a regular file of a sane size. A cloned repository decides what these names are: a
 * FIFO blocks open(2) until a writer comes, and Node's synchronous calls cannot be interrupted, so Ctrl-C
 * and SIGTERM went unanswered before the first line was logged; a symlink to /dev/zero reads forever
 * (gigabytes in seconds). So the file is opened O_NONBLOCK (a FIFO's open returns at once), checked
 * through its descriptor (fstat: no window between a check and the open), and read up to `maxBytes`.
 * Symlinks are followed (`.env` → `.env.local` is common); what they lead to is checked the same way.
 */
import fs from 'node:fs';

/** The most any such input may hold: a config or env file of a megabyte is already absurd. */
export const INPUT_MAX_BYTES = 1 << 20;

const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;
const O_NOCTTY = fs.constants.O_NOCTTY ?? 0;

/** What a path is when it is not a regular file, as an error says it. */
function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * Thrown for a path that is not a regular file (`code` ENOTREGULAR, or EISDIR for a directory, as
 * readFile says it) or is larger than allowed (EFBIG). `message` says which, for "<file> <message>".
 */
export class InputFileError extends Error {
  constructor(
    readonly code: 'EISDIR' | 'ENOTREGULAR' | 'EFBIG',
    message: string,
  ) {
    super(message);
    this.name = 'InputFileError';
  }
}

function checked(fd: number, maxBytes: number): number {
  const st = fs.fstatSync(fd);
  if (st.isDirectory()) throw new InputFileError('EISDIR', 'is a directory, not a file');
  if (!st.isFile()) throw new InputFileError('ENOTREGULAR', `is ${kindOf(st)}, not a regular file`);
  if (st.size > maxBytes) throw new InputFileError('EFBIG', `is ${st.size} bytes, more than the ${maxBytes} hotwatch reads`);
  return st.size;
}

/** The bytes of `file` (see above); throws fs's errors (ENOENT, EACCES) and InputFileError. */
export function readRegularFileSync(file: string, maxBytes = INPUT_MAX_BYTES): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | O_NONBLOCK | O_NOCTTY);
  try {
    const size = checked(fd, maxBytes);
    // Up to one byte more than allowed: a file growing meanwhile is cut off, never read without end.
    const buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(size, 4096)));
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = fs.readSync(fd, buf, n, buf.length - n, null);
    if (n > maxBytes) throw new InputFileError('EFBIG', `grew past the ${maxBytes} bytes hotwatch reads`);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** readRegularFileSync as UTF-8 text. */
export function readRegularTextSync(file: string, maxBytes = INPUT_MAX_BYTES): string {
  return readRegularFileSync(file, maxBytes).toString('utf8');
}

/** The same, without blocking the event loop (a file on a slow network mount). */
export async function readRegularText(file: string, maxBytes = INPUT_MAX_BYTES): Promise<string> {
  const h = await fs.promises.open(file, fs.constants.O_RDONLY | O_NONBLOCK | O_NOCTTY);
  try {
    const size = checked(h.fd, maxBytes);
    const buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(size, 4096)));
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = (await h.read(buf, n, buf.length - n, null)).bytesRead;
    if (n > maxBytes) throw new InputFileError('EFBIG', `grew past the ${maxBytes} bytes hotwatch reads`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    await h.close();
  }
}

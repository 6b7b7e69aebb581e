/**
 * The inotify watches listed in a /proc/<pid>/fdinfo/<fd> file, counted from a reused buffer, line by line.
 *
 * The budget counts every inotify watch of the user at start (inotify.ts), and another program's fdinfo
 * can be large (an editor or another watcher holding 10,000 watches: ~900 KB). Read whole as a string
 * (`fs.readFileSync(file, 'utf8')`), node grows a native buffer to 1 MB for it (a /proc file has no size to
 * reserve) and frees it: glibc's malloc then raises its trim threshold to twice that, for the rest of the
 * process, and keeps the native memory freed later (V8's compiler zones, the first build's buffers)
 * instead of giving it back. Measured on the benchmark's 200-directory tree while other processes held
 * ~10,000 watches: 3–4 MB more RSS for the whole run (the same as with MALLOC_TRIM_THRESHOLD_ fixed).
 * Here no buffer above 64 KB is ever allocated, and no string longer than a line's start is built.
 */
import fs from 'node:fs';

/** One `inotify wd:<hex>` line per watch (wd in hex), after any leading whitespace, any case (kernels differ). */
export function isWatchLine(line: string): boolean {
  return /^inotify\s+wd:\s*[0-9a-f]+/i.test(line.trimStart());
}

const CHUNK = Buffer.allocUnsafe(64 * 1024);
/** Enough of a line to decide: its leading whitespace skipped, then "inotify", spaces, "wd:", spaces and a digit. */
const LINE_HEAD = 64;
const NEWLINE = 0x0a;

/** Watches listed in `file` (an fdinfo), or undefined when it cannot be read. */
export function watchesInFdinfo(file: string): number | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    let n = 0;
    let kept = 0; // the start of a line the previous read cut, moved to the buffer's start
    let skipping = false; // inside a line longer than the buffer, already judged on its start
    for (;;) {
      const got = fs.readSync(fd, CHUNK, kept, CHUNK.length - kept, null);
      const end = kept + got;
      let start = 0;
      for (let nl = CHUNK.indexOf(NEWLINE, start); nl !== -1 && nl < end; nl = CHUNK.indexOf(NEWLINE, start)) {
        if (skipping) skipping = false;
        else if (lineAt(start, nl)) n++;
        start = nl + 1;
      }
      if (got === 0) return start < end && !skipping && lineAt(start, end) ? n + 1 : n;
      if (start === 0 && end === CHUNK.length) {
        if (!skipping && lineAt(0, end)) n++;
        skipping = true;
        kept = 0;
        continue;
      }
      kept = end - start;
      CHUNK.copy(CHUNK, 0, start, end);
    }
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function lineAt(from: number, to: number): boolean {
  let at = from;
  while (at < to && isSpace(CHUNK[at]!)) at++;
  return isWatchLine(CHUNK.toString('latin1', at, Math.min(to, at + LINE_HEAD)));
}

/** ASCII whitespace (the kernel writes ASCII): space, tab, CR, LF, VT, FF. */
const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/**
 * A binary built for another system (GOOS=darwin or windows left set in the shell): Linux refuses it
 * (ENOEXEC), and the exec falls back to running it as a shell script (POSIX execvp), which prints `Syntax
 * error: "(" unexpected` and exits 2: said as the app's crash, at every save. Told by its first bytes.
 * Only formats that never run on Linux are named; anything else (an ELF of another architecture, which
 * binfmt may run; a script a build.cmd writes) is left to the kernel.
 */
import fs from 'node:fs';

/** What `binary` is, when it is a format Linux never runs; undefined otherwise (or elsewhere than Linux). */
export function foreignBinary(binary: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const head = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = fs.openSync(binary, 'r');
    if (fs.readSync(fd, head, 0, 4, 0) < 4) return undefined;
  } catch {
    return undefined; // missing or unreadable: the start says so
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  if (head[0] === 0x4d && head[1] === 0x5a) return 'a Windows (PE) executable';
  const magic = head.readUInt32BE(0);
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) return 'a macOS (Mach-O) executable';
  return undefined;
}

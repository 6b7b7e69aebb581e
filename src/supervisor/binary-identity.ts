/**
 * What a built binary is, cheaply: two builds with the same identity are the same program, so a build
 * whose identity equals the running app's (a checkout reverted while it built, `git stash && git stash
 * pop`) need not restart the app.
 *
 * Go builds are reproducible, and the linker records a build ID whose last part hashes the binary's
 * content: ELF binaries carry it in a `.note.go.buildid` note within the first pages, other formats as
 * `\xff Go build ID: "..."` near the start of the text. Reading 64 KiB finds it in well under a
 * millisecond. Anything else has no identity, so it is never "the same": a `build.output` that is a
 * launcher script (air's `bin = "scripts/run.sh"`) keeps its bytes while the program it starts changes,
 * and any file that is not a Go binary may load or start others. Such an app restarts after every build.
 */
import fs from 'node:fs/promises';

/** Where the Go build ID is looked for. */
const HEAD_BYTES = 64 * 1024;
/** An ELF note header: namesz 4, descsz (read), type 4 (GO BUILDID), name "Go\0\0". */
const GO_NOTE_TYPE = 4;
const GO_NOTE_NAME = Buffer.from('Go\0\0', 'latin1');
const GO_TEXT_MARKER = Buffer.from('\xff Go build ID: "', 'latin1');

/** The Go build ID in the first bytes of a binary, or undefined. */
export function goBuildId(head: Buffer): string | undefined {
  for (let at = head.indexOf(GO_NOTE_NAME); at >= 12; at = head.indexOf(GO_NOTE_NAME, at + 1)) {
    const nameSize = head.readUInt32LE(at - 12);
    const descSize = head.readUInt32LE(at - 8);
    const type = head.readUInt32LE(at - 4);
    if (nameSize !== 4 || type !== GO_NOTE_TYPE || descSize === 0 || descSize > 512) continue;
    const id = head.subarray(at + 4, at + 4 + descSize).toString('latin1');
    if (id.length === descSize && /^[\w\-/=+]+$/.test(id)) return id;
  }
  const marker = head.indexOf(GO_TEXT_MARKER);
  if (marker === -1) return undefined;
  const start = marker + GO_TEXT_MARKER.length;
  const end = head.indexOf(0x22, start); // the closing quote
  return end === -1 ? undefined : head.subarray(start, end).toString('latin1');
}

/**
 * A binary's build ID is `actionID(binary)/actionID(main.a)/contentID(main.a)/contentID(binary)`
 * (cmd/go/internal/work/buildid.go): the action IDs hash the inputs, comments included, the last part
 * hashes what the linker wrote. Two builds with the same last part are the same program: a comment-only
 * edit gave a new action ID and restarted the app though the README says it does not.
 */
const contentPart = (id: string): string => id.slice(id.lastIndexOf('/') + 1);

/** "go:<content ID>"; undefined when the file is not a Go binary or cannot be read (then never "the same"). */
export async function binaryIdentity(file: string): Promise<string | undefined> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
    const id = goBuildId(head.subarray(0, bytesRead));
    return id ? `go:${contentPart(id)}` : undefined;
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Text hotwatch writes to a terminal that may carry what someone planted in the tree: a file name, a
 * config value, go's output quoting them. Control characters (C0 but tab, DEL, C1) would let it move
 * the cursor, erase lines, set the window title or write the clipboard (OSC 52); the Unicode line and
 * paragraph separators would break a line where none shows; the bidirectional controls (U+202A–U+202E,
 * U+2066–U+2069, U+200E/U+200F, U+061C) reorder what is shown, so a name reads as another ("Trojan
 * Source"). Each is shown as its escape instead (`\x1b`, `\u202e`).
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** Whether `text` holds a character that escapeUnsafe() would escape (a newline counts). */
export function hasUnsafe(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text);
}

/** `c` as an escape a person can read: `\x1b`, `\u202e`. */
export function escapeChar(c: string): string {
  const n = c.charCodeAt(0);
  return n > 0xff ? `\\u${n.toString(16).padStart(4, '0')}` : `\\x${n.toString(16).padStart(2, '0')}`;
}

/**
 * `text` with every unsafe character escaped; `keep(c, at)` may keep one as it is (a report's own line
 * breaks). A carriage return shows as `\r`, a newline not kept as `\n`.
 */
export function escapeUnsafe(text: string, keep: (c: string, at: number) => boolean = () => false): string {
  return text.replace(UNSAFE, (c, at: number) => {
    if (keep(c, at)) return c;
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    return escapeChar(c);
  });
}

/** A multi-line report for a terminal (status, doctor, config, init): its line breaks kept, every other unsafe character escaped. */
export function terminalText(text: string): string {
  return escapeUnsafe(text, (c) => c === '\n');
}

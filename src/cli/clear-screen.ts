/**
 * --clear (build.clear): the screen is cleared before each build, so what is on it is this cycle's. Only
 * on a terminal: in a pipe or a log file the escape codes would be noise.
 */
import type { Settings } from '../config/settings.js';

/** Clears the screen and its scrollback, and puts the cursor home (the `c` key does the same). */
export const CLEAR_SCREEN = '\u001b[2J\u001b[3J\u001b[H';

/** The runtime's beforeBuild when build.clear is set and `stdout` is a terminal; nothing otherwise. */
export function clearScreenBeforeBuilds(s: Settings, stdout: NodeJS.WritableStream): { beforeBuild?: () => void } {
  if (!s.build.clear || (stdout as NodeJS.WriteStream).isTTY !== true) return {};
  return { beforeBuild: () => stdout.write(CLEAR_SCREEN) };
}

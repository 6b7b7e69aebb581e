/** Bad input (a HotwatchError) ends a command with its one message and exit code; anything else is a bug and propagates. */
import { isHotwatchError } from '../errors.js';
import { terminalText } from '../log/terminal-text.js';

export function userErrorExit(e: unknown, io: { stderr: NodeJS.WritableStream }): number {
  if (!isHotwatchError(e)) throw e;
  io.stderr.write(`hotwatch: ${terminalText(e.format())}\n`);
  return e.exitCode;
}

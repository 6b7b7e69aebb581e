/**
 * dotenv files for the app (run.envFiles), parsed by Node's own util.parseEnv (Node >= 20.12).
 * Later files override earlier ones. A missing or unreadable file, or a line that is not KEY=VALUE
 * (util.parseEnv would silently glue it into the next key), is a HotwatchError naming the file and the fix.
 */
import { parseEnv } from 'node:util';
import { HotwatchError, errnoCode } from '../errors.js';
import { InputFileError, readRegularTextSync } from '../os/regular-file.js';

const VALID_KEY = /^[^\s=#"'`]+$/;

function readEnvFile(file: string): string {
  try {
    return readRegularTextSync(file);
  } catch (e) {
    const code = errnoCode(e);
    const why =
      e instanceof InputFileError
        ? e.message
        : code === 'ENOENT'
          ? 'does not exist'
          : code === 'EACCES'
            ? 'is not readable (permission denied)'
            : `cannot be read (${code ?? String(e)})`;
    const hint =
      code === 'EACCES'
        ? `give your user read permission: chmod u+r ${file}`
        : code === 'ENOTREGULAR' || code === 'EFBIG'
          ? 'make it a regular file of KEY=VALUE lines (hotwatch reads it at each start of the app), or remove it from run.envFiles in watcher.config.yaml'
          : 'create it, or remove it from run.envFiles in watcher.config.yaml (paths are relative to root)';
    throw new HotwatchError('CONFIG_INVALID', `env file ${file} ${why}`, { hint, cause: e });
  }
}

/**
 * 1-based number of the first line that is neither blank, a comment, KEY=VALUE, nor inside a quoted
 * multi-line value; 0 when all lines are fine. util.parseEnv drops such lines or glues them into the
 * next key without a word.
 */
export function firstBadLine(text: string): number {
  const lines = text.split(/\r?\n/);
  let openQuote: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (openQuote !== undefined) {
      if (line.includes(openQuote)) openQuote = undefined;
      continue;
    }
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const m = /^(?:export\s+)?([^=]*)=\s*(.*)$/.exec(t);
    if (!m || !VALID_KEY.test(m[1]!.trim())) return i + 1;
    const value = m[2]!;
    const q = value[0];
    if ((q === '"' || q === "'" || q === '`') && value.indexOf(q, 1) === -1) openQuote = q;
  }
  return 0;
}

/** The variables of one file; throws on a line that is not KEY=VALUE. */
export function parseEnvFile(file: string): Record<string, string> {
  const text = readEnvFile(file);
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const lineNo = text.slice(0, nul).split('\n').length;
    const line = text.split(/\r?\n/)[lineNo - 1]!.trim();
    throw new HotwatchError('CONFIG_INVALID', `${JSON.stringify(line)} holds a NUL byte, which no environment variable can carry`, {
      where: `${file}:${lineNo}:1`,
      hint: 'remove it from the line',
    });
  }
  const bad = firstBadLine(text);
  if (bad > 0) {
    const line = text.split(/\r?\n/)[bad - 1]!.trim();
    throw new HotwatchError('CONFIG_INVALID', `${JSON.stringify(line)} is not a KEY=VALUE line`, {
      where: `${file}:${bad}:1`,
      hint: 'write KEY=VALUE (a name without spaces), or start the line with # to make it a comment',
    });
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseEnv(text))) if (value !== undefined) out[key] = value;
  return out;
}

/** All files merged in order: a later file overrides an earlier one. */
export function loadEnvFiles(paths: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of paths) Object.assign(out, parseEnvFile(file));
  return out;
}

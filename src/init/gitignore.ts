/**
 * `.hotwatch/` in the repo's .gitignore: hotwatch keeps its state and, by default, the binary there.
 * Created when missing, never duplicated (any spelling git treats the same counts as present).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readRegularTextSync } from '../os/regular-file.js';

export const HOTWATCH_DIR_ENTRY = '.hotwatch/';

/** Lines that already ignore .hotwatch at the repo root. */
const SAME = new Set([
  '.hotwatch',
  '.hotwatch/',
  '/.hotwatch',
  '/.hotwatch/',
  '.hotwatch/*',
  '/.hotwatch/*',
  '.hotwatch/**',
  '/.hotwatch/**',
]);

export type GitignoreChange = 'created' | 'added' | 'present';

export function ensureGitignored(root: string): { file: string; change: GitignoreChange } {
  const file = path.join(root, '.gitignore');
  let text: string;
  try {
    text = readRegularTextSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    fs.writeFileSync(file, `# hotwatch's state and build output\n${HOTWATCH_DIR_ENTRY}\n`);
    return { file, change: 'created' };
  }
  if (text.split(/\r?\n/).some((l) => SAME.has(l.trim()))) return { file, change: 'present' };
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  fs.appendFileSync(file, `${sep}${HOTWATCH_DIR_ENTRY}\n`);
  return { file, change: 'added' };
}

/**
 * A spawn whose working directory is gone fails with ENOENT, and node words it as the program's
 * (`spawn go ENOENT`): read as "go is not installed" after the root's parent was renamed or the root
 * deleted. Which of the two it was is told by looking at the directory.
 */
import fs from 'node:fs';

/** What a start failure really was when its working directory no longer exists; undefined otherwise. */
export function missingCwd(code: string | undefined, cwd: string | undefined): string | undefined {
  if (code !== 'ENOENT' || cwd === undefined) return undefined;
  let isDir = false;
  try {
    isDir = fs.statSync(cwd).isDirectory();
  } catch {
    isDir = false;
  }
  return isDir ? undefined : `its working directory ${cwd} no longer exists (deleted, or moved with a parent renamed)`;
}

/**
 * An extra root's watchdog keeps its sentinels in `<module>/.hotwatch/watchdog/` (they must lie in the
 * watched tree to prove its events arrive) and removes them, and that directory, on close. The
 * `.hotwatch/` above it is removed too when this run created it and it is empty, so a module hotwatch
 * only watched is left as it was found (no stray directory in another repository's `git status`).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Call before arming `root`; the returned function, after its watcher closed. */
export function leaveAsFound(root: string): () => void {
  const own = path.join(root, '.hotwatch');
  if (fs.existsSync(own)) return () => {};
  return () => {
    try {
      fs.rmdirSync(own); // only when empty: never anything of the user's
    } catch {
      // not empty, already gone, or not ours to remove: left as it is
    }
  };
}

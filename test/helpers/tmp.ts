/** Real temp dirs, never inside the repo. HOTWATCH_KEEP_TMP=1 keeps them for debugging. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function makeTmpDir(prefix = 'hotwatch-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  return {
    dir,
    cleanup: () => {
      if (process.env.HOTWATCH_KEEP_TMP === '1') {
        process.stderr.write(`kept temp dir ${dir}\n`);
        return;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

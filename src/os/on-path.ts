/** Where a program is found on PATH: the start-up checks (diagnostics/toolchain.ts) and the first build from the defaults (startup/default-plan.ts). */
import fs from 'node:fs';
import path from 'node:path';

/** The first executable named `name` on PATH, or undefined. */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

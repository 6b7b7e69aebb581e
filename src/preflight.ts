/**
 * Checks that end `hotwatch run` with exit 2 before anything starts: a missing Go toolchain, no Go
 * module, a missing main package, a port already in use. Each throws one HotwatchError with the fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from './config/settings.js';
import { HotwatchError } from './errors.js';
import { isPortFree, portHolders } from './diagnostics/ports.js';

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

function findGoMod(from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const p = path.join(dir, 'go.mod');
    if (fs.existsSync(p)) return p;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export async function preflight(s: Settings): Promise<{ goBinary: string | undefined; goMod: string | undefined }> {
  let goBinary: string | undefined;
  let goMod: string | undefined;
  if (s.build.cmd === undefined) {
    goBinary = findOnPath('go', { ...process.env, ...s.build.env }.PATH);
    if (!goBinary) {
      throw new HotwatchError('GO_MISSING', 'the Go toolchain (`go`) is not on PATH', {
        hint: `install Go (https://go.dev/dl/) or add its bin directory to PATH; searched: ${process.env.PATH || '(PATH is empty)'}`,
      });
    }
    goMod = findGoMod(s.root);
    if (!goMod) {
      throw new HotwatchError('NO_GO_MODULE', `no go.mod in ${s.root} or any parent: this is not a Go module`, {
        hint: `run \`go mod init example.com/app\` in ${s.root}, or point --root at your module`,
      });
    }
    const pkgDir = path.resolve(s.root, s.build.package);
    if (!s.build.package.includes('...') && !fs.existsSync(pkgDir)) {
      throw new HotwatchError('CONFIG_INVALID', `build.package ${s.build.package}: ${pkgDir} does not exist`, {
        hint: 'set build.package to the directory of your main package, e.g. ./cmd/server',
      });
    }
  }
  if (s.run.port !== undefined) {
    const holders = portHolders(s.run.port);
    if (holders.length > 0 || !(await isPortFree(s.run.port))) {
      const who = holders.length > 0 ? holders.map((h) => `pid ${h.pid} (${h.cmd})`).join(', ') : 'a process hotwatch cannot see (another user?)';
      throw new HotwatchError('PORT_IN_USE', `port ${s.run.port} (run.port) is already in use by ${who}`, {
        hint: holders.length > 0 ? `stop it (kill ${holders[0]!.pid}) or change run.port` : `find it with \`ss -ltnp 'sport = :${s.run.port}'\`, or change run.port`,
      });
    }
  }
  return { goBinary, goMod };
}

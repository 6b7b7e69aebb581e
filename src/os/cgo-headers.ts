/**
 * C headers a cgo package includes from another directory (`#cgo CFLAGS: -I${SRCDIR}/include`, a common
 * layout). go's build cache keys a cgo package on the files of its own directory only: after an edit of
 * such a header, `go build` reuses the stale object and writes the same binary (checked with go 1.26: the
 * edited `#define` reached the binary only with `go build -a`). So hotwatch watches those directories
 * (os/go-embeds.ts reads them from `go list`'s CgoCFLAGS, CgoCPPFLAGS and CgoCXXFLAGS), and each build
 * carries a digest of their headers in CGO_CPPFLAGS (`-DHOTWATCH_CGO_HEADERS=<digest>`), which go does
 * key on: an edited header recompiles the cgo packages, an unchanged set is a cache hit.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runGo } from './go-command.js';

/** What a C compiler's include flags name: -I, -isystem, -iquote, -idirafter (joined or as the next word). */
const INCLUDE_FLAG = /^-(I|isystem|iquote|idirafter)(.*)$/;

/** The header files' extensions (C, C++, and included fragments). */
export const HEADER_EXTENSIONS = ['.h', '.hh', '.hpp', '.hxx', '.inc'];

/** The include directories a package's cgo flags name, absolute (relative ones are the package directory's), its own left out. */
export function includeDirsOf(flags: readonly string[], pkgDir: string): string[] {
  const dirs: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const m = INCLUDE_FLAG.exec(flags[i]!);
    if (!m) continue;
    const value = m[2] !== '' ? m[2]! : flags[++i];
    if (value === undefined || value === '') continue;
    const dir = path.resolve(pkgDir, value);
    if (dir !== pkgDir && !dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

/** Files read for a digest at most: an include path of /usr/include is not hashed whole at every build. */
const MAX_FILES = 5000;

/**
 * A digest of the headers under `dirs` (names and contents; symlinks not followed, at most MAX_FILES),
 * 16 hex digits; the same tree gives the same digest, in any order of the dirs.
 */
export function headerDigest(dirs: readonly string[]): string {
  const hash = createHash('sha256');
  let files = 0;
  for (const top of [...dirs].sort()) {
    const queue = [top];
    while (queue.length > 0 && files < MAX_FILES) {
      const dir = queue.shift()!;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
      } catch {
        hash.update(`${dir}\0unreadable\0`);
        continue;
      }
      for (const e of entries) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) queue.push(p);
        else if (e.isFile() && HEADER_EXTENSIONS.includes(path.extname(e.name).toLowerCase()) && ++files <= MAX_FILES) {
          hash.update(`${p}\0`);
          try {
            hash.update(fs.readFileSync(p));
          } catch {
            hash.update('\0gone\0');
          }
        }
      }
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The include directories outside their packages that the build's cgo packages name (set by the watch
 * layer from each `go list` answer), and the environment each build gets for them.
 */
export class CgoHeaderDirs {
  private dirs: string[] = [];
  /** CGO_CPPFLAGS as go sees it without ours (`go env`: a `go env -w` value counts), asked once. */
  private goValue: Promise<string> | undefined;

  /** The directories now; true when they changed to a non-empty set (the builds so far did not key on them). */
  set(dirs: readonly string[]): boolean {
    const next = [...new Set(dirs)].sort();
    const changed = next.join('\0') !== this.dirs.join('\0');
    this.dirs = next;
    return changed && next.length > 0;
  }

  get known(): readonly string[] {
    return this.dirs;
  }

  /** The variables a build adds to `env` (none without such directories): CGO_CPPFLAGS with the digest. */
  async envFor(env: NodeJS.ProcessEnv, cwd: string, signal: AbortSignal): Promise<Record<string, string>> {
    if (this.dirs.length === 0) return {};
    if (env.CGO_CPPFLAGS === undefined) this.goValue ??= goEnvValue('CGO_CPPFLAGS', cwd, env, signal);
    const own = env.CGO_CPPFLAGS ?? (await this.goValue!);
    return { CGO_CPPFLAGS: `${own} -DHOTWATCH_CGO_HEADERS=${headerDigest(this.dirs)}`.trim() };
  }
}

/** `go env NAME`; '' when go cannot say (the build then reports go's own error). */
async function goEnvValue(name: string, cwd: string, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<string> {
  try {
    const out = await runGo(['env', name], {
      cwd,
      env,
      signal,
      timeoutMs: 30_000,
      maxBuffer: 1 << 20,
      code: 'GO_LIST_FAILED',
      detailLines: 2,
    });
    return out.trim();
  } catch {
    return '';
  }
}

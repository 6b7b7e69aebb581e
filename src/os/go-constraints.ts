/**
 * Whether go would compile a file here, from what it says without asking go (init and the start-up's
 * search for main packages read a few bytes per directory; a `go list` of the whole tree takes seconds):
 * its `//go:build` line and its name's `_GOOS`/`_GOARCH` suffix, for this machine's GOOS and GOARCH (or
 * those of `env`), with the release tags, `gc`, `unix` and `cgo` as go sets them and the `-tags` given.
 * A program for another system (`//go:build windows`, `svc_windows.go`) is then not a main package here.
 */
import { platform, arch } from 'node:process';

const GOOS_OF: Record<string, string> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  netbsd: 'netbsd',
  aix: 'aix',
  sunos: 'solaris',
  android: 'android',
};
const GOARCH_OF: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  ia32: '386',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};
const KNOWN_OS = new Set([
  'aix',
  'android',
  'darwin',
  'dragonfly',
  'freebsd',
  'hurd',
  'illumos',
  'ios',
  'js',
  'linux',
  'nacl',
  'netbsd',
  'openbsd',
  'plan9',
  'solaris',
  'wasip1',
  'windows',
  'zos',
]);
const KNOWN_ARCH = new Set([
  '386',
  'amd64',
  'amd64p32',
  'arm',
  'arm64',
  'arm64be',
  'armbe',
  'loong64',
  'mips',
  'mips64',
  'mips64le',
  'mips64p32',
  'mips64p32le',
  'mipsle',
  'ppc',
  'ppc64',
  'ppc64le',
  'riscv',
  'riscv64',
  's390',
  's390x',
  'sparc',
  'sparc64',
  'wasm',
]);
/** The systems go counts as `unix`: every known one but these. */
const NOT_UNIX = new Set(['js', 'nacl', 'plan9', 'wasip1', 'windows', 'zos']);
const UNIX = new Set([...KNOWN_OS].filter((os) => !NOT_UNIX.has(os)));

/** The tags a build here satisfies (GOOS, GOARCH, unix, gc, cgo unless CGO_ENABLED=0, and `extra`). */
export function buildTags(env: NodeJS.ProcessEnv = process.env, extra: readonly string[] = []): Set<string> {
  const goos = env.GOOS || GOOS_OF[platform] || platform;
  const goarch = env.GOARCH || GOARCH_OF[arch] || arch;
  const tags = new Set([goos, goarch, 'gc', ...extra]);
  if (UNIX.has(goos)) tags.add('unix');
  if (env.CGO_ENABLED !== '0') tags.add('cgo');
  if (goos === 'android') tags.add('linux');
  if (goos === 'illumos') tags.add('solaris');
  if (goos === 'ios') tags.add('darwin');
  return tags;
}

/** The tags of go build flags (`-tags=a,b`, `-tags a,b`, the last one wins as in go). */
export function tagsFromFlags(flags: readonly string[]): string[] {
  let tags: string[] = [];
  flags.forEach((f, i) => {
    const m = /^--?tags(?:=(.*))?$/.exec(f);
    if (m) tags = (m[1] ?? flags[i + 1] ?? '').split(/[\s,]+/).filter(Boolean);
  });
  return tags;
}

/** Evaluates a `//go:build` expression (||, &&, !, parentheses); go1.N release tags are always true. */
export function satisfies(expr: string, tags: ReadonlySet<string>): boolean {
  const tokens = expr.match(/\|\||&&|!|\(|\)|[\w.]+/g) ?? [];
  let at = 0;
  const has = (t: string): boolean => /^go1\.\d+$/.test(t) || tags.has(t);
  const or = (): boolean => {
    let v = and();
    while (tokens[at] === '||') {
      at++;
      v = and() || v;
    }
    return v;
  };
  const and = (): boolean => {
    let v = not();
    while (tokens[at] === '&&') {
      at++;
      v = not() && v;
    }
    return v;
  };
  const not = (): boolean => {
    if (tokens[at] === '!') {
      at++;
      return !not();
    }
    if (tokens[at] === '(') {
      at++;
      const v = or();
      if (tokens[at] === ')') at++;
      return v;
    }
    const t = tokens[at++];
    return t !== undefined && has(t);
  };
  return or();
}

/** Whether go compiles `name` (a .go file) with text `head` here: its name's suffixes and its //go:build line. */
export function compiledHere(name: string, head: string, tags: ReadonlySet<string>): boolean {
  const parts = name.replace(/\.go$/, '').split('_');
  const last = parts.at(-1)!;
  const before = parts.at(-2);
  if (parts.length >= 3 && KNOWN_OS.has(before!) && KNOWN_ARCH.has(last) && !(tags.has(before!) && tags.has(last))) return false;
  if (parts.length >= 2 && KNOWN_OS.has(last) && !tags.has(last)) return false;
  if (parts.length >= 2 && KNOWN_ARCH.has(last) && !(before !== undefined && KNOWN_OS.has(before)) && !tags.has(last)) return false;
  const end = head.search(/^package\s/m);
  const line = /^\/\/go:build\s+(.+)$/m.exec(end >= 0 ? head.slice(0, end) : head);
  return line === null || satisfies(line[1]!, tags);
}

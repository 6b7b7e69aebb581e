/**
 * One way to ask the Go toolchain something (`go list`, `go env`, `go mod edit -json`...): run `go` without
 * a shell, bounded in time and output, and turn a failure into a HotwatchError that quotes go's own first
 * lines (go prints a heading such as "go: errors parsing go.mod:" and then the place: both are kept).
 */
import path from 'node:path';
import { execFile } from 'node:child_process';
import { HotwatchError, type ErrorCode } from '../errors.js';

export interface GoCommand {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  maxBuffer: number;
  /** The error's code and exit code when go fails. */
  code: ErrorCode;
  exitCode?: 1 | 2;
  /** How many of go's stderr lines the message quotes. */
  detailLines: number;
  /** The command as the message shows it (default: every argument). */
  shown?: string;
  killSignal?: NodeJS.Signals;
}

/** go's stdout, or a HotwatchError naming the command, where it ran and go's first lines. */
export function runGo(args: readonly string[], c: GoCommand): Promise<string> {
  const opts = { cwd: c.cwd, env: c.env, signal: c.signal, timeout: c.timeoutMs, maxBuffer: c.maxBuffer, encoding: 'utf8' as const };
  return new Promise((resolve, reject) => {
    execFile('go', [...args], c.killSignal ? { ...opts, killSignal: c.killSignal } : opts, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const detail = String(stderr || err.message)
        .trim()
        .split('\n')
        .slice(0, c.detailLines)
        .join(' ');
      const shown = c.shown ?? `go ${args.join(' ')}`;
      const exit = c.exitCode === undefined ? {} : { exitCode: c.exitCode };
      reject(new HotwatchError(c.code, `\`${shown}\` in ${c.cwd} failed: ${detail}`, { cause: err, ...exit }));
    });
  });
}

/** The go build flags that change what `go list` sees: -tags, -mod and -modfile, in either form (-tags x, -tags=x). */
export function listFlags(flags: readonly string[]): string[] {
  const out: string[] = [];
  flags.forEach((f, i) => {
    if (/^--?(tags|mod|modfile)=/.test(f)) out.push(f);
    else if (/^--?(tags|mod|modfile)$/.test(f) && flags[i + 1] !== undefined) out.push(f, flags[i + 1]!);
  });
  return out;
}

/**
 * The module file go reads instead of go.mod (`-modfile=go.dev.mod` in the build's flags, else in GOFLAGS),
 * absolute (go resolves it from where it runs, `cwd`); undefined when go reads go.mod. Dev-only `replace
 * ../lib` lines are kept out of the committed go.mod this way: the watch set must follow that file.
 */
export function modfileOf(flags: readonly string[], env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const from = (list: readonly string[]): string | undefined => {
    for (let i = 0; i < list.length; i++) {
      const m = /^--?modfile(?:=(.*))?$/.exec(list[i]!);
      if (m) return m[1] ?? list[i + 1];
    }
    return undefined;
  };
  const file = from(flags) ?? from((env.GOFLAGS ?? '').split(/\s+/).filter(Boolean));
  return file ? path.resolve(cwd, file) : undefined;
}

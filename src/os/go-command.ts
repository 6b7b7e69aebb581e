/**
 * One way to ask the Go toolchain something (`go list`, `go env`, `go mod edit -json`...): run `go` without
 * a shell, bounded in time and output, and turn a failure into a HotwatchError that quotes go's own first
 * lines (go prints a heading such as "go: errors parsing go.mod:" and then the place: both are kept).
 */
import path from 'node:path';
import { spawn } from 'node:child_process';
import { HotwatchError, type ErrorCode } from '../errors.js';
import { missingCwd } from './missing-cwd.js';

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

/**
 * go's stdout, or a HotwatchError naming the command, where it ran and go's first lines. go runs in a
 * process group of its own, and a cancel, the timeout or too much output ends the whole group: go runs
 * the C compiler (cgo), `pkg-config`, a toolexec or (`go run`) a program, which a kill of go alone would
 * leave running. (execFile cannot: it does not pass `detached` on to spawn.)
 */
export function runGo(args: readonly string[], c: GoCommand): Promise<string> {
  const shown = c.shown ?? `go ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('go', [...args], { cwd: c.cwd, env: c.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = new BoundedText(c.maxBuffer);
    const err = new BoundedText(c.maxBuffer);
    let ended: string | undefined;
    const endGroup = (why: string): void => {
      ended ??= why;
      // Only while go itself has not ended: its pid is then still its group's, never another's.
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, c.killSignal ?? 'SIGTERM');
      } catch {
        // The group is gone already: nothing left to end.
      }
    };
    const onAbort = (): void => endGroup('cancelled');
    const timer = setTimeout(() => endGroup(`no answer in ${c.timeoutMs} ms`), c.timeoutMs);
    if (c.signal?.aborted) onAbort();
    c.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => out.add(d) || endGroup(`more than ${c.maxBuffer} bytes of output`));
    child.stderr.on('data', (d: Buffer) => err.add(d) || endGroup(`more than ${c.maxBuffer} bytes of output`));
    const settle = (failure: string | undefined, cause?: unknown): void => {
      clearTimeout(timer);
      c.signal?.removeEventListener('abort', onAbort);
      if (failure === undefined) return resolve(out.text);
      const said = err.text.trim();
      const lines = ended ? [ended, ...(said ? said.split('\n') : [])] : (said || failure).split('\n');
      const detail = lines.slice(0, c.detailLines).join(' ');
      const exit = c.exitCode === undefined ? {} : { exitCode: c.exitCode };
      reject(new HotwatchError(c.code, `\`${shown}\` in ${c.cwd} failed: ${detail}`, { cause: cause ?? new Error(failure), ...exit }));
    };
    child.on('error', (e: NodeJS.ErrnoException) => settle(missingCwd(e.code, c.cwd) ?? e.message, e));
    child.on('close', (code, signal) => {
      if (ended) settle(ended);
      else if (code === 0) settle(undefined);
      else settle(signal ? `killed by ${signal}` : `exit status ${code}`);
    });
  });
}

/** A process's output as text, up to a limit: add() answers false once the limit is passed. */
class BoundedText {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  add(d: Buffer): boolean {
    this.size += d.length;
    if (this.size > this.limit) return false;
    this.chunks.push(d);
    return true;
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** go build's flags that take the next argument as their value (`-ldflags "-s -w"`: the value may hold spaces). */
const GO_VALUE_FLAGS = new Set(
  'C o p asmflags buildmode compiler coverpkg covermode exec gccgoflags gcflags installsuffix ldflags mod modfile overlay pgo pkgdir tags toolexec'.split(
    ' ',
  ),
);

/** Whether `word` is a go build flag whose value is the next word (`-o`, `--tags`; not `-o=x`). */
export function takesNextValue(word: string): boolean {
  const m = /^--?([A-Za-z][\w.-]*)$/.exec(word);
  return m !== null && GO_VALUE_FLAGS.has(m[1]!);
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

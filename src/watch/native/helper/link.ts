/**
 * The watcher thread's end of hotwatch-inotify (main.go beside this file): a child process that
 * holds the inotify instance and its watches outside V8, and forwards the kernel's events, IN_Q_OVERFLOW
 * included. Lines both ways (protocol in main.go). Ids are ours; the helper keeps id ↔ watch descriptor
 * only. An add's failure arrives before the answer to the next barrier, so `barrier()` settles a batch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { KeptFiles } from '../../tree/filter.js';
import { type DirListing, escapeField, unescapeField, type WatchCount } from './wire.js';

export interface HelperHandlers {
  event(id: number, mask: number, name: string | null): void;
  /** The kernel dropped the watch (its directory was deleted or unmounted). */
  gone(id: number): void;
  /** The kernel's event queue overflowed: events were lost. */
  overflow(): void;
  /** An add failed (errno name, e.g. ENOSPC). Reported before the barrier that follows the add. */
  failed(id: number, errno: string): void;
  /** A list (`list`): the watch is made, and the directory read (or not: `unreadable`). Before the next barrier's answer. */
  listed(id: number, listing: DirListing): void;
  unreadable(id: number, errno: string): void;
  /** The helper cannot watch at all (inotify_init1 failed: errno name) or died: nothing is watched. */
  died(why: string, errno: string | undefined): void;
}

/** inotify masks the engine reads (linux/inotify.h). */
const IN = {
  MODIFY: 0x2,
  CLOSE_WRITE: 0x8,
  CREATE: 0x100,
  DELETE: 0x200,
  MOVED_FROM: 0x40,
  MOVED_TO: 0x80,
  ISDIR: 0x40000000,
} as const;
/**
 * A file's write as its newest event left it: done (true: closed, or renamed into place), under way
 * ('writing': written, not closed yet), maybe being replaced (false: created, deleted, moved away), or
 * unknown (undefined: fs.watch never says).
 */
export type WriteState = boolean | 'writing' | undefined;

export const RENAMED_MASK = IN.CREATE | IN.DELETE | IN.MOVED_FROM | IN.MOVED_TO;

/**
 * The entry's write after an event of this mask (see WriteState): true when a writer closed it
 * (IN_CLOSE_WRITE) or it was renamed into place whole (IN_MOVED_TO, an atomic save); 'writing' when it
 * was written and not closed (IN_MODIFY: a writer has it open, and its IN_CLOSE_WRITE is to come), or
 * created as a file (IN_CREATE: open(O_CREAT) made it, and its creator holds it: `go run ./gen >
 * new_gen.go` creates it empty and writes it a second later; built at the create, the empty file failed
 * the build); false while a replacement may be under way (deleted or moved away: an editor's save often
 * moves the old file away first); undefined when the event says nothing about it (IN_ATTRIB alone).
 */
export function writeComplete(mask: number): WriteState {
  if (mask & (IN.CLOSE_WRITE | IN.MOVED_TO)) return true;
  if (mask & IN.MODIFY) return 'writing';
  if (mask & IN.CREATE && !(mask & IN.ISDIR)) return 'writing';
  if (mask & (IN.CREATE | IN.DELETE | IN.MOVED_FROM)) return false;
  return undefined;
}

/** `k`'s field: each extension as 'e' + it, each name as 'n' + it, escaped, '/'-separated (never in a name). */
const keptFilesField = (k: KeptFiles): string =>
  [...k.extensions.map((e) => `e${e}`), ...k.names.map((n) => `n${n}`)].map(escapeField).join('/');

export class HelperLink {
  readonly pid: number | undefined;
  private readonly child: ChildProcess;
  private buf = '';
  private queued: string[] = [];
  private flushScheduled = false;
  private seq = 0;
  private readonly barriers = new Map<number, () => void>();
  private closed = false;
  private stderrTail = '';
  private readonly exit: Promise<void>;
  /** count() calls waiting, answered in order. */
  private readonly counts: Array<(n: WatchCount | undefined) => void> = [];
  /** The regular files the helper's listings keep, as last told (undefined: every one, its start). */
  private keepSent: KeptFiles | undefined;

  constructor(
    binPath: string,
    private readonly handlers: HelperHandlers,
  ) {
    this.child = spawn(binPath, ['--parent', String(process.pid)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.pid = this.child.pid;
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => (this.stderrTail = (this.stderrTail + chunk).slice(-500)));
    this.child.stdin!.on('error', () => undefined); // EPIPE after the helper died: the 'exit' below reports it
    this.child.on('error', (e) => this.die(`cannot run the inotify helper ${binPath}: ${e.message}`, undefined));
    this.exit = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.on('exit', (code, signal) => {
      const tail = this.stderrTail.trim();
      this.die(`the inotify helper (pid ${this.pid}) exited (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}`, undefined);
    });
  }

  add(id: number, dir: string): void {
    this.write(`a ${id} ${escapeField(dir)}\n`);
  }

  /**
   * Watches `dir`, then reads it: answered with `listed`, `unreadable` or `failed` (the watch). `keep`:
   * the only regular files the listing needs to name (the helper is told once per change of rules).
   */
  list(id: number, dir: string, keep?: KeptFiles): void {
    if (keep !== this.keepSent) {
      this.keepSent = keep;
      this.write(keep ? `k ${keptFilesField(keep)}\n` : 'k\n');
    }
    this.write(`l ${id} ${escapeField(dir)}\n`);
  }

  /**
   * The watches the kernel holds for the helper's instance, counted by the helper (its fdinfo table,
   * ~25 ms of kernel time for 10,000, on its own core), with what the count cost it; undefined when it
   * cannot tell or is gone.
   */
  count(): Promise<WatchCount | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.counts.push(resolve);
      this.write('c\n');
      this.flush();
    });
  }

  remove(id: number): void {
    this.write(`r ${id}\n`);
  }

  /** Resolves once the helper has done every earlier add and remove; rejects after `timeoutMs`. */
  barrier(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the inotify helper is gone'));
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.barriers.delete(seq);
        reject(new Error(`the inotify helper (pid ${this.pid}) did not answer within ${timeoutMs}ms`));
      }, timeoutMs);
      this.barriers.set(seq, () => {
        clearTimeout(timer);
        resolve();
      });
      this.write(`s ${seq}\n`);
    });
  }

  /** Resolves once the helper has exited and been reaped (or after `timeoutMs`). */
  async exited(timeoutMs: number): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exit, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin!.end();
    this.child.kill('SIGKILL');
    // A helper closed while it did not answer (stopped, hung) leaves no barrier's timer behind.
    for (const done of this.barriers.values()) done();
    this.barriers.clear();
    for (const answer of this.counts.splice(0)) answer(undefined);
  }

  /** Lines are batched per tick: arming 10,000 dirs is one write, not 10,000. */
  private write(line: string): void {
    if (this.closed) return;
    this.queued.push(line);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** What is queued, to the helper now (a count must not wait for the work its caller does meanwhile). */
  private flush(): void {
    this.flushScheduled = false;
    if (this.queued.length === 0 || this.closed) return;
    const text = this.queued.join('');
    this.queued = [];
    this.child.stdin!.write(text);
  }

  private onData(chunk: string): void {
    // The chunk itself when no line was left over (nearly always): arming sends ~1.5 MB of listings, and
    // a concatenation would copy each 64 KB chunk once more.
    const text = this.buf === '' ? chunk : this.buf + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.buf = start === text.length ? '' : text.slice(start);
  }

  private line(l: string): void {
    switch (l[0]) {
      case 'e': {
        const a = l.indexOf(' ', 2);
        const b = l.indexOf(' ', a + 1);
        const name = l.slice(b + 1);
        this.handlers.event(Number(l.slice(2, a)), parseInt(l.slice(a + 1, b), 16), name === '' ? null : unescapeField(name));
        return;
      }
      case 'g':
        this.handlers.gone(Number(l.slice(2)));
        return;
      case 'o':
        this.handlers.overflow();
        return;
      case 'd': {
        // d <id> <dev> <ino> <birth s> <birth ns> <entries>
        let at = 2;
        const field = (): string => {
          const sp = l.indexOf(' ', at);
          const f = l.slice(at, sp);
          at = sp + 1;
          return f;
        };
        const id = Number(field());
        const dev = Number(field());
        const ino = Number(field());
        const birthS = Number(field());
        const birthNs = Number(field());
        // As node computes birthtimeMs from the same two numbers, so identities compare equal.
        this.handlers.listed(id, { dev, ino, birthtimeMs: birthS * 1e3 + birthNs / 1e6, entries: l.slice(at) });
        return;
      }
      case 'w': {
        const [, id, errno] = l.split(' ');
        this.handlers.unreadable(Number(id), errno ?? 'EIO');
        return;
      }
      case 'x': {
        const [, id, errno] = l.split(' ');
        this.handlers.failed(Number(id), errno ?? 'EIO');
        return;
      }
      case 'c':
      case 's':
        this.answered(l);
        return;
      case 'f': {
        const sp = l.indexOf(' ', 2);
        this.die(`the inotify helper cannot watch: ${unescapeField(l.slice(sp + 1))}`, l.slice(2, sp));
        return;
      }
      default:
        this.die(`the inotify helper said something unexpected: ${JSON.stringify(l.slice(0, 100))}`, undefined);
    }
  }

  /** An answer to a request: a count (`c <n> <µs>`, `c -`) or a barrier (`s <seq>`). */
  private answered(l: string): void {
    if (l[0] === 'c') {
      const [watches, micros] = l.slice(2).split(' ').map(Number);
      this.counts.shift()?.(
        Number.isInteger(watches) && Number.isFinite(micros) ? { watches: watches!, costMs: micros! / 1000 } : undefined,
      );
      return;
    }
    const n = Number(l.slice(2));
    const done = this.barriers.get(n);
    this.barriers.delete(n);
    done?.();
  }

  private die(why: string, errno: string | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.child.kill('SIGKILL');
    for (const done of this.barriers.values()) done(); // the died handler tells why; nobody waits forever
    this.barriers.clear();
    for (const answer of this.counts.splice(0)) answer(undefined);
    this.handlers.died(why, errno);
  }
}

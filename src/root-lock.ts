/**
 * One hotwatch per root: an exclusive lock, taken in one atomic step, held for the life of the process,
 * and released by the kernel when the process dies (SIGKILL and the OOM killer included).
 *
 * Why this lock. Node has no flock(). A pid file (or state.json) read and then rewritten is the race this
 * replaces: two hotwatch both read "free", both write, both run. A lock file created with O_EXCL is
 * atomic but outlives a crash, and telling a stale one from a live one is that same race again. A lock
 * held by a small child (flock(1)) needs a tool that macOS lacks. A listening unix socket is atomic
 * (bind() fails with EADDRINUSE for the second process) and the kernel closes it when its owner dies.
 *
 * Linux: the socket is bound in the abstract namespace (a name, no file: nothing is left behind to go
 * stale, nothing is written to the root, no path length limit). The name comes from the root directory's
 * identity, its device and inode, not its spelling: the same directory reached through a symlink or a
 * bind mount is one root. The holder answers a connection with its pid, so the second hotwatch can name
 * it. Limits, said here: abstract names belong to the network namespace (two containers with their own
 * networks on one bind-mounted root do not see each other's lock), and any local user may bind a name
 * first; they can only keep hotwatch from starting on that root, and the message then says the holder
 * did not answer.
 * Elsewhere (macOS): the same, as a socket file in the user's own temp directory ($TMPDIR is per user on
 * macOS). bind() creates it atomically; a file left by a dead hotwatch refuses connections and is removed
 * and bound again. Two hotwatch that find the same dead file in the same few milliseconds can both take
 * over: weaker than Linux, and only after a crash.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HotwatchError, errnoCode } from './errors.js';
import { readCmdline } from './os/procfs.js';

export interface HeldLock {
  /** Where the lock lives: `@hotwatch-root-…` (abstract) or a socket file's path. */
  name: string;
  release: () => void;
}
export interface Refused {
  name: string;
  /** The holder's pid, as it answered (undefined when it did not answer in time). */
  pid: number | undefined;
  /**
   * The holder runs in another PID namespace (another container on a bind-mounted root): its pid is
   * that namespace's, not one `kill` here could reach. Its host name, as it said it.
   */
  elsewhere?: string;
}
/** The lock could not be taken for another reason than a holder: running unlocked is said, not hidden. */
export interface Unavailable {
  name: string;
  why: string;
}

export interface LockOptions {
  /** Abstract namespace (default: on Linux). Off: a socket file in `dir`. */
  abstract?: boolean;
  /** Directory of the socket file (default os.tmpdir()). */
  dir?: string;
  /** How long the holder has to say its pid (default 2 s). */
  askTimeoutMs?: number;
  /** Taken now or not at all: a name in use is "held" without asking its holder (the remembered first build). */
  noRetry?: boolean;
}

export function lockName(root: string, o: LockOptions = {}): { name: string; address: string } {
  const st = fs.statSync(root);
  const id = `hotwatch-root-${st.dev}-${st.ino}`;
  const abstract = o.abstract ?? process.platform === 'linux';
  if (abstract) return { name: `@${id}`, address: `\0${id}` };
  const file = path.join(o.dir ?? os.tmpdir(), `${id}.sock`);
  return { name: file, address: file };
}

function listen(address: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((c) => {
      c.on('error', () => undefined); // a client that went away: nothing to do
      c.end(`${JSON.stringify({ pid: process.pid, pidns: PID_NS, host: os.hostname() })}\n`);
    });
    server.once('error', reject);
    server.listen({ path: address, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', () => undefined); // accept errors (EMFILE...) must not kill hotwatch; the lock stays held
      server.unref(); // the lock never keeps hotwatch alive by itself
      resolve(server);
    });
  });
}

/** This process's PID namespace (`pid:[4026531836]`), or '' where there is none to read. */
const PID_NS = ((): string => {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
})();

type Answer = { pid: number; elsewhere?: string };

/** Connects to the holder: its pid, 'refused' (a socket file left by a dead process), or undefined (no answer). */
function ask(address: string, timeoutMs: number): Promise<Answer | 'refused' | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const c = net.connect({ path: address });
    const done = (v: Answer | 'refused' | undefined): void => {
      clearTimeout(timer);
      c.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    c.on('data', (d) => {
      text += String(d);
      if (text.includes('\n')) {
        let said: { pid?: unknown; pidns?: unknown; host?: unknown } = {};
        try {
          said = JSON.parse(text.slice(0, text.indexOf('\n'))) as typeof said;
        } catch {
          said = {}; // not a hotwatch answering: the holder stays unnamed
        }
        const pid = Number(said.pid);
        const other = typeof said.pidns === 'string' && said.pidns !== '' && PID_NS !== '' && said.pidns !== PID_NS;
        const host = typeof said.host === 'string' ? said.host : 'another host name';
        done(Number.isInteger(pid) && pid > 0 ? { pid, ...(other ? { elsewhere: host } : {}) } : undefined);
      }
    });
    c.on('end', () => done(undefined));
    c.on('error', (e) => done(['ECONNREFUSED', 'ENOENT'].includes(errnoCode(e) ?? '') ? 'refused' : undefined));
  });
}

/**
 * Who holds the lock on `root`, without taking it (hotwatch doctor): the holder's pid, 'unnamed' (held,
 * but the holder did not say its pid), or undefined (nobody: `hotwatch run` would get it).
 */
export async function rootHolder(root: string, o: LockOptions = {}): Promise<number | 'unnamed' | undefined> {
  const answer = await ask(lockName(root, o).address, o.askTimeoutMs ?? 2000);
  return answer === 'refused' ? undefined : (answer?.pid ?? 'unnamed');
}

/** How often a lock that is taken but gives no answer is tried again (50 ms apart) before it counts as held. */
const NO_ANSWER_RETRIES = 20;
/** A dying holder's connection ends at once; a live one that does not answer runs into the ask's timeout. */
const QUICK_ANSWER_MS = 500;

/** Takes the lock on `root` (an existing directory), or says who holds it, or why there is none. */
export async function lockRoot(root: string, o: LockOptions = {}): Promise<HeldLock | Refused | Unavailable> {
  let name: string;
  let address: string;
  try {
    ({ name, address } = lockName(root, o));
  } catch (e) {
    return { name: root, why: `cannot read the root (${errnoCode(e) ?? String(e)})` };
  }
  const isFile = !address.startsWith('\0');
  let removedStale = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const server = await listen(address);
      let released = false;
      return {
        name,
        release: () => {
          if (released) return;
          released = true;
          server.close();
          if (isFile) fs.rmSync(address, { force: true });
        },
      };
    } catch (e) {
      if (errnoCode(e) !== 'EADDRINUSE') return { name, why: `${errnoCode(e) ?? String(e)}` };
      if (o.noRetry) return { name, pid: undefined };
    }
    const askedAt = performance.now();
    const answer = await ask(address, o.askTimeoutMs ?? 2000);
    if (typeof answer === 'object')
      return { name, pid: answer.pid, ...(answer.elsewhere !== undefined ? { elsewhere: answer.elsewhere } : {}) };
    // No answer: a holder killed a moment ago still holds the name until its last thread is gone (its
    // main thread shows as a zombie first); that lasts milliseconds. Asked again before calling it held.
    // A holder that stays silent until the ask times out is alive and not a hotwatch: no retry for it.
    // Refused on an abstract name is that same dying holder: its listener is closed, the name not yet freed
    // (seen in root-lock.test.ts, ~1 in 6 runs: "held" right after the holder's SIGKILL). Asked again too.
    if (answer === undefined || (answer === 'refused' && !isFile)) {
      if (attempt >= NO_ANSWER_RETRIES || performance.now() - askedAt > QUICK_ANSWER_MS) return { name, pid: undefined };
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    // Nobody listens: a socket file left by a hotwatch that died (an abstract name cannot be left behind).
    if (!isFile || removedStale) return { name, pid: undefined };
    fs.rmSync(address, { force: true });
    removedStale = true;
  }
}

/**
 * The one message for a root another hotwatch (pid) runs on: the lock's holder, or the one its state names.
 * `elsewhere`: it runs in another PID namespace (another container on this bind-mounted tree, with that
 * host name): its pid is not one to kill from here, and two services on one tree want one hotwatch.
 */
export function alreadyRunning(pid: number, root: string, elsewhere?: string): HotwatchError {
  if (elsewhere !== undefined)
    return new HotwatchError(
      'ALREADY_RUNNING',
      `another hotwatch is already running on ${root}, in another PID namespace (a container, host ${elsewhere}, where its pid is ${pid})`,
      {
        hint: 'stop that one (in its own container), or run both programs from one hotwatch: `hotwatch init --all` writes them as apps: of one config',
      },
    );
  return new HotwatchError('ALREADY_RUNNING', `another hotwatch (pid ${pid}: ${readCmdline(pid)}) is already running on ${root}`, {
    hint: `stop it first (Ctrl-C in its terminal, or kill ${pid})`,
  });
}

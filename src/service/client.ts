/**
 * Reads a running hotwatch's status over `<root>/.hotwatch/control.sock` (for `hotwatch status`). Reaches
 * the socket through the opened `.hotwatch` directory like the server does: no symlink followed, no
 * 107-byte path limit.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { readStat } from '../os/procfs.js';
import { rootHolder } from '../root-lock.js';
import { readStateOf } from '../state-file.js';
import { errnoCode } from '../errors.js';
import { CONTROL_SOCKET, fallbackDir, openFallbackDir, openStateDir, plantedKind, type StateDir } from './control-socket.js';
import type { StatusSnapshot } from './status.js';

export type StatusReply =
  | { kind: 'ok'; snapshot: StatusSnapshot }
  /** No hotwatch answers for this root; `why` says what was found instead; `runningPid`: one runs all the same (its socket is gone). */
  | { kind: 'none'; why: string; runningPid?: number };

const isSocket = (p: string): boolean => {
  try {
    return fs.lstatSync(p).isSocket();
  } catch {
    return false;
  }
};

/** The fallback socket of `root` (where it goes when .hotwatch/ cannot hold one), as a path to show. */
const fallbackPath = (root: string): string | undefined => {
  try {
    const sd = openFallbackDir(root, { create: false });
    sd.close();
    return path.join(sd.dir, sd.name);
  } catch {
    return undefined;
  }
};

/** The nearest directory at or above `from` for which a control socket exists; undefined when none does. */
export function findRunningRoot(from: string): string | undefined {
  const hasFallbacks = fs.existsSync(fallbackDir());
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (isSocket(path.join(dir, '.hotwatch', CONTROL_SOCKET))) return dir;
    const fb = hasFallbacks ? fallbackPath(dir) : undefined;
    if (fb && isSocket(fb)) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The root a control command asks: --root as given, else the nearest running hotwatch's, else `cwd`. */
export function controlRoot(given: string | undefined, cwd: string): string {
  return given !== undefined ? path.resolve(cwd, given) : (findRunningRoot(cwd) ?? path.resolve(cwd));
}

function request(socketPath: string, method: string, urlPath: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** One request to the control socket of the hotwatch running for `root`: its answer, or why none came. */
export type ControlReply = { kind: 'ok'; status: number; body: string } | { kind: 'none'; why: string; runningPid?: number };

/**
 * No socket answers: the lock on the root says whether a hotwatch runs there all the same (its socket was
 * removed, by `git clean -fdx` or with the root, and is placed again within 15 s): "no hotwatch runs" only
 * when none does.
 */
export async function askControl(root: string, method: string, urlPath: string, timeoutMs = 3000): Promise<ControlReply> {
  // A stopped hotwatch (Ctrl-Z, SIGSTOP) takes the connection into its backlog and never answers: a
  // reload waited its whole 2 minutes, then said none runs.
  const stopped = stoppedHotwatch(root);
  if (stopped !== undefined)
    return {
      kind: 'none',
      runningPid: stopped,
      why: `a hotwatch runs in ${root} (pid ${stopped}), but it is stopped (Ctrl-Z, or SIGSTOP): it answers once continued (fg in its shell, or kill -CONT ${stopped})`,
    };
  const r = await askSocket(root, method, urlPath, timeoutMs);
  if (r.kind === 'ok') return r;
  const holder = await rootHolder(root, { askTimeoutMs: 1000 }).catch(() => undefined);
  if (typeof holder !== 'number') return r;
  const planted = plantedAtSocket(root);
  return {
    kind: 'none',
    runningPid: holder,
    why: planted
      ? `a hotwatch runs in ${root} (pid ${holder}), but ${planted.path} is ${planted.what}, not its status socket: it will not replace or follow that; remove it (rm -r ${planted.path}) and it places its socket within 15 s`
      : `a hotwatch runs in ${root} (pid ${holder}), but its status socket is gone (git clean, or the root replaced?): it places it again within 15 s; ask again then`,
  };
}

/**
 * The pid of the hotwatch that recorded .hotwatch/state.json when that process is stopped now (state T):
 * the same pid and start time as recorded, and its command hotwatch's (node), so a reused pid is not it.
 */
function stoppedHotwatch(root: string): number | undefined {
  let pid: number | undefined;
  let startTime: number | undefined;
  try {
    const state = readStateOf(root) as { hotwatch?: { pid?: unknown; startTime?: unknown } } | null | undefined;
    pid = typeof state?.hotwatch?.pid === 'number' ? state.hotwatch.pid : undefined;
    startTime = typeof state?.hotwatch?.startTime === 'number' ? state.hotwatch.startTime : undefined;
  } catch {
    return undefined;
  }
  if (pid === undefined) return undefined;
  const stat = readStat(pid);
  if (!stat || stat.startTime !== startTime || !/^[Tt]$/.test(stat.state)) return undefined;
  return pid;
}

/** What stands at .hotwatch/control.sock that is no socket of this user (the running hotwatch refused it). */
function plantedAtSocket(root: string): { path: string; what: string } | undefined {
  const p = path.join(root, '.hotwatch', CONTROL_SOCKET);
  try {
    const st = fs.lstatSync(p);
    const mine = st.isSocket() && (process.geteuid === undefined || st.uid === process.geteuid());
    return mine ? undefined : { path: p, what: plantedKind(st) };
  } catch {
    return undefined;
  }
}

async function askSocket(root: string, method: string, urlPath: string, timeoutMs: number): Promise<ControlReply> {
  let sd: StateDir;
  try {
    sd = openStateDir(root, { create: false });
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') return { kind: 'none', why: `cannot read ${path.join(root, '.hotwatch')}: ${(e as Error).message}` };
    // --root pointing nowhere is a typo to say as such, not "no hotwatch runs" there.
    const none = fs.existsSync(root) ? `no hotwatch runs in ${root} (no .hotwatch/ there)` : `${root} does not exist (check --root)`;
    return (await viaFallback(root, method, urlPath, timeoutMs)) ?? { kind: 'none', why: none };
  }
  const first = await ask(sd, root, method, urlPath, timeoutMs);
  if (first.kind === 'ok' || !first.absent) return first;
  return (await viaFallback(root, method, urlPath, timeoutMs)) ?? first;
}

export async function fetchStatus(root: string, timeoutMs = 3000): Promise<StatusReply> {
  const r = await askControl(root, 'GET', '/status', timeoutMs);
  if (r.kind === 'none') return r;
  if (r.status !== 200) return { kind: 'none', why: `the status socket answered ${r.status}: ${r.body.slice(0, 200)}` };
  return { kind: 'ok', snapshot: JSON.parse(r.body) as StatusSnapshot };
}

/** The socket a hotwatch placed outside .hotwatch/ (that filesystem could not hold one); undefined when there is none. */
async function viaFallback(root: string, method: string, urlPath: string, timeoutMs: number): Promise<ControlReply | undefined> {
  let sd: StateDir;
  try {
    sd = openFallbackDir(root, { create: false });
  } catch {
    return undefined;
  }
  const r = await ask(sd, root, method, urlPath, timeoutMs);
  return r.kind === 'none' && r.absent ? undefined : r;
}

/** One request on the socket of `sd`; `absent` when no socket is there at all. Closes `sd`. */
async function ask(
  sd: StateDir,
  root: string,
  method: string,
  urlPath: string,
  timeoutMs: number,
): Promise<ControlReply & { absent?: boolean }> {
  const shown = path.join(sd.dir, sd.name);
  try {
    const { status, body } = await request(path.join(sd.base, sd.name), method, urlPath, timeoutMs);
    return { kind: 'ok', status, body };
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') return { kind: 'none', why: `no hotwatch runs in ${root} (no ${shown})`, absent: true };
    if (code === 'ECONNREFUSED')
      return { kind: 'none', why: `no hotwatch runs in ${root} (${shown} is left from one that ended: nothing answers)` };
    if (code === 'EACCES')
      return {
        kind: 'none',
        why: `cannot reach ${shown}: permission denied (the socket is private to the user running hotwatch)`,
      };
    return { kind: 'none', why: `cannot reach ${shown}: ${(e as Error).message}` };
  } finally {
    sd.close();
  }
}

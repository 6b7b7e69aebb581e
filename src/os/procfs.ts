/**
 * Small readers of Linux /proc: process identity, the process tree, environment markers, socket inodes
 * and the TCP tables. Parsers are pure and exported (tested on captured samples). Readers never throw:
 * a process that vanished, a file we may not read, or a system without /proc gives an empty answer
 * ([] / undefined / "unknown"), so callers on macOS degrade instead of crashing.
 */
import fs from 'node:fs';
import os from 'node:os';

export const hasProcfs = (): boolean => fs.existsSync('/proc/self/stat');

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z, T, X, ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** The foreground process group of its controlling terminal (-1: none). */
  tpgid?: number;
  /** Clock ticks since boot: with the pid, it identifies a process across pid reuse. */
  startTime: number;
}

/** Parses /proc/PID/stat. comm may contain spaces and parentheses: split at the last ")". */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const num = (field: number): number => Number(rest[field - 3]);
  const stat: ProcStat = {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: num(4),
    pgrp: num(5),
    session: num(6),
    tpgid: num(8),
    startTime: num(22),
  };
  return Number.isInteger(stat.pid) && Number.isInteger(stat.ppid) ? stat : undefined;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function readStat(pid: number): ProcStat | undefined {
  const text = readText(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseStat(text);
}

/** Exists and is not a zombie. Without /proc, falls back to kill(pid, 0). */
export function isRunning(pid: number): boolean {
  if (!hasProcfs()) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  const st = readStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
}

/** All numeric entries of /proc ([] without /proc). */
export function listPids(): number[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const n of names) if (/^\d+$/.test(n)) pids.push(Number(n));
  return pids;
}

/** Stats of every running (non-zombie) process we can read. */
export function runningStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of listPids()) {
    const st = readStat(pid);
    if (st && st.state !== 'Z' && st.state !== 'X') out.push(st);
  }
  return out;
}

/** The command line joined by spaces, else the comm name, else "unknown". */
export function readCmdline(pid: number): string {
  const raw = readText(`/proc/${pid}/cmdline`);
  const cmd = raw
    ?.split('\0')
    .filter((s) => s.length > 0)
    .join(' ');
  if (cmd) return cmd;
  const comm = readStat(pid)?.comm;
  return comm ? `[${comm}]` : 'unknown';
}

/** Direct children: /proc/PID/task/* /children when the kernel has it, else a scan of ppid fields. */
export function childrenOf(pid: number): number[] {
  const taskDir = `/proc/${pid}/task`;
  let tids: string[] | undefined;
  try {
    tids = fs.readdirSync(taskDir);
  } catch {
    return [];
  }
  const found = new Set<number>();
  let supported = true;
  for (const tid of tids) {
    const text = readText(`${taskDir}/${tid}/children`);
    if (text === undefined) {
      supported = false;
      break;
    }
    for (const s of text.split(' ')) if (s.trim()) found.add(Number(s));
  }
  if (!supported) {
    for (const st of runningStats()) if (st.ppid === pid) found.add(st.pid);
  }
  return [...found].filter((c) => isRunning(c));
}

/** Every running descendant (breadth first, cycle-safe). */
export function descendantsOf(pid: number): number[] {
  const seen = new Set<number>([pid]);
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    for (const c of childrenOf(p)) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** Running members of process group `pgid`. */
export function pidsInGroup(pgid: number): number[] {
  return runningStats()
    .filter((st) => st.pgrp === pgid)
    .map((st) => st.pid);
}

/** Faster than any real machine hands out pids (processes and threads) for long. */
const MAX_PIDS_PER_SECOND = 2_000;

/**
 * How long the pid counter surely cannot go all the way round: pid_max pids (32,768 on many machines,
 * 4,194,304 with systemd's default) at MAX_PIDS_PER_SECOND, at most a minute. 16 s at pid_max 32,768.
 */
export function wrapSafeMs(): number {
  // pid_max is set at boot (or by an admin, rarely): read once, not on every build and stop.
  if (pidMax === undefined) {
    const max = Number(readText('/proc/sys/kernel/pid_max'));
    pidMax = Number.isInteger(max) && max > 0 ? max : 32_768;
  }
  return Math.min(60_000, (pidMax / MAX_PIDS_PER_SECOND) * 1000);
}
let pidMax: number | undefined;

/** The pid our pid namespace handed out last (/proc/sys/kernel/ns_last_pid), when readable. */
export function lastPid(): number | undefined {
  const n = Number(readText('/proc/sys/kernel/ns_last_pid'));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Running processes of our uid whose initial environment holds KEY=VALUE (finds setsid escapees).
 * `bornAfter`: only processes created after the one that handed out that pid can matter, and pids are
 * handed out in increasing order until they wrap at pid_max: while ns_last_pid is still at or above it
 * (no wrap), only higher pids are read. A caller may pass it only within wrapSafeMs() of that pid's
 * birth (a full turn of the counter would go unseen): each environ read costs, and a busy desktop has
 * hundreds of processes.
 */
export function pidsWithEnv(key: string, value: string, bornAfter?: number): number[] {
  const needle = `\0${key}=${value}\0`;
  const last = bornAfter === undefined ? undefined : lastPid();
  const from = bornAfter !== undefined && last !== undefined && last >= bornAfter ? bornAfter : 0;
  return ownPidsWhose((env) => `\0${env}`.includes(needle), from);
}

/**
 * Running processes of our uid, from pid FROM up, whose initial environment (and pid) MATCH: the one scan
 * of every process both marker searches share (each environ read costs; a desktop has hundreds).
 */
function ownPidsWhose(match: (environ: string, pid: number) => boolean, from = 0): number[] {
  const uid = process.getuid?.();
  const out: number[] = [];
  for (const pid of listPids()) {
    if (pid < from) continue;
    if (uid !== undefined && processUid(pid) !== uid) continue;
    const env = readText(`/proc/${pid}/environ`);
    if (env !== undefined && match(env, pid) && isRunning(pid)) out.push(pid);
  }
  return out;
}

/**
 * Whether PID's initial environment holds KEY=VALUE: true or false, or undefined when it cannot be read
 * (gone, or another user's process).
 */
export function carriesEnv(pid: number, key: string, value: string): boolean | undefined {
  const env = readText(`/proc/${pid}/environ`);
  return env === undefined ? undefined : valueIn(env, key) === value;
}

/**
 * Running processes of our uid whose initial environment has KEY (any value) and whose working directory
 * is `dir` (a real path): a build of a hotwatch of that root (its marker, its cwd; not one of a hotwatch of
 * a directory under it, which may well be running).
 */
export function pidsWithEnvKeyIn(key: string, dir: string): number[] {
  return ownPidsWhose((env, pid) => valueIn(env, key) !== undefined && cwdOf(pid) === dir);
}

/** PID's working directory, undefined when it is gone or another user's. */
function cwdOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** The value of KEY in PID's initial environment; undefined when it has none or it cannot be read. */
export function envValue(pid: number, key: string): string | undefined {
  const env = readText(`/proc/${pid}/environ`);
  return env === undefined ? undefined : valueIn(env, key);
}

/** KEY's value in a NUL-separated environ block, undefined when it has none. */
function valueIn(environ: string, key: string): string | undefined {
  const at = `\0${environ}`.indexOf(`\0${key}=`);
  if (at < 0) return undefined;
  const start = at + key.length + 1;
  const end = environ.indexOf('\0', start);
  return environ.slice(start, end < 0 ? undefined : end);
}

/** The uid owning PID (its /proc entry), undefined when it is gone or there is no /proc. */
export function processUid(pid: number): number | undefined {
  try {
    return fs.statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

/** Inodes of the sockets PID holds open (readlink /proc/PID/fd/* = "socket:[N]"). */
export function socketInodesOf(pid: number): number[] {
  const dir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`${dir}/${fd}`));
      if (m) out.push(Number(m[1]));
    } catch {
      // fd closed between readdir and readlink
    }
  }
  return out;
}

export interface TcpSocket {
  family: 4 | 6;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Kernel state number: 0x0A = LISTEN, 0x01 = ESTABLISHED. */
  state: number;
  listening: boolean;
  uid: number;
  inode: number;
}

export const TCP_LISTEN = 0x0a;
/** Before Linux 4.4 a listener's half-open connections were listed right after it. */
const TCP_SYN_RECV = 0x03;

/** Hex words of /proc/net/tcp are in host byte order: reverse each 4-byte word on little-endian hosts. */
function wordBytes(hex: string, littleEndian: boolean): number[] {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word: number[] = [];
    for (let i = 0; i < 8; i += 2) word.push(parseInt(hex.slice(w + i, w + i + 2), 16));
    bytes.push(...(littleEndian ? word.reverse() : word));
  }
  return bytes;
}

function formatV6(bytes: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  // Compress the longest run (>= 2) of zero groups.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function decodeAddress(hex: string, littleEndian = os.endianness() === 'LE'): string {
  const bytes = wordBytes(hex, littleEndian);
  return hex.length === 8 ? bytes.join('.') : formatV6(bytes);
}

/** One row of /proc/net/tcp{,6}; undefined for the header and bad lines. */
function parseTcpRow(line: string, littleEndian: boolean): TcpSocket | undefined {
  const f = line.trim().split(/\s+/);
  if (f.length < 10 || !/^\d+:$/.test(f[0] ?? '')) return undefined;
  const [localHex, localPortHex] = (f[1] ?? '').split(':');
  const [remHex, remPortHex] = (f[2] ?? '').split(':');
  if (!localHex || !localPortHex || !remHex || !remPortHex) return undefined;
  const state = parseInt(f[3] ?? '', 16);
  return {
    family: localHex.length === 8 ? 4 : 6,
    localAddress: decodeAddress(localHex, littleEndian),
    localPort: parseInt(localPortHex, 16),
    remoteAddress: decodeAddress(remHex, littleEndian),
    remotePort: parseInt(remPortHex, 16),
    state,
    listening: state === TCP_LISTEN,
    uid: Number(f[7]),
    inode: Number(f[9]),
  };
}

/** Parses the text of /proc/net/tcp or /proc/net/tcp6 (header line skipped, bad lines ignored). */
export function parseProcNetTcp(text: string, littleEndian = os.endianness() === 'LE'): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const line of text.split('\n')) {
    const row = parseTcpRow(line, littleEndian);
    if (row) out.push(row);
  }
  return out;
}

/**
 * Adds the LISTEN rows of `lines` to `out` up to the first row in another state, and says whether it
 * came: the kernel lists a table's listening sockets before all others (tcp_seq_start walks the
 * listening hash, then the established one); before Linux 4.4 each listener's SYN_RECV rows followed it.
 */
export function leadingListeners(lines: string[], out: TcpSocket[], littleEndian = os.endianness() === 'LE'): boolean {
  for (const line of lines) {
    const row = parseTcpRow(line, littleEndian);
    if (!row) continue;
    if (row.listening) out.push(row);
    else if (row.state !== TCP_SYN_RECV) return true;
  }
  return false;
}

const LISTEN_CHUNK = 16 * 1024;
const listenBuf = Buffer.allocUnsafe(LISTEN_CHUNK);

/** The LISTEN rows of one table, read a chunk at a time until the first row in another state. */
function readListeners(file: string): TcpSocket[] {
  const out: TcpSocket[] = [];
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return out;
  }
  try {
    let carry = '';
    for (;;) {
      const n = fs.readSync(fd, listenBuf, 0, LISTEN_CHUNK, null);
      const lines = (carry + listenBuf.toString('latin1', 0, n)).split('\n');
      carry = n === 0 ? '' : (lines.pop() ?? '');
      if (leadingListeners(lines, out) || n === 0) return out;
    }
  } catch {
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The listening sockets of tcp + tcp6 ([] without /proc), without reading the rest of the tables: on a
 * machine that serves many short connections they hold thousands of TIME_WAIT rows (measured: 3,500 of
 * them made each full read cost ~15 ms of CPU, run after every app start).
 */
export function readListeningSockets(): TcpSocket[] {
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap(readListeners);
}

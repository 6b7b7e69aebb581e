/**
 * An app that daemonizes: its leader forks a process that leaves the group (setsid) and exits, and that
 * process serves. Every process of an app carries the app's environment marker, so "the app still runs"
 * means "a process with its marker still runs": the job keeps it as the running app, a restart and a
 * shutdown stop it, and "nothing left running" is said only once no process with a marker of this
 * session is left. A process without the marker is never signalled here.
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import { listeningPortsOf } from '../os/ports.js';
import { carriesEnv, descendantsOf, hasProcfs, isRunning, listPids, pidsWithEnv, readCmdline } from '../os/procfs.js';
import { pollUntil, type EnvMarker, type TreeProcess } from './kill-tree.js';

/** How often a daemonized app is checked for being gone. */
const DAEMON_POLL_MS = 1000;
/** How long the report waits for a daemon to listen, so the line can name its ports. */
const LISTEN_WAIT_MS = 3000;

/** The processes still carrying `marker` other than `leader`: what is left of the app after its leader exited. */
export function markedProcesses(marker: EnvMarker, leader: number): number[] {
  return hasProcfs() ? pidsWithEnv(marker.key, marker.value).filter((p) => p !== leader) : [];
}

/**
 * Says once that the app daemonized: its pids and, once they listen (a few seconds at most), its ports.
 * Not said when no process carries the marker by then (it exited, or replaced its environment: the app's
 * end is said instead, appEnded).
 */
export async function reportDaemonized(
  log: Logger,
  leader: number,
  found: number[],
  marker: EnvMarker,
  signal: AbortSignal,
): Promise<void> {
  let ports: number[] = [];
  // The ones found still marked, each looked at alone (not a scan of every process's environment per look).
  const marked = (): number[] => found.filter((p) => carriesEnv(p, marker.key, marker.value) === true && isRunning(p));
  let pids = marked();
  const deadline = performance.now() + LISTEN_WAIT_MS;
  while (!signal.aborted && performance.now() < deadline && pids.length > 0) {
    ports = listeningPortsOf([...pids, ...pids.flatMap((p) => descendantsOf(p))]);
    if (ports.length > 0) break;
    await sleep(100);
    pids = marked();
  }
  if (pids.length === 0 || signal.aborted) return;
  const who = pids.map((p) => `pid ${p} (${readCmdline(p)})`).join(', ');
  const holds = ports.length > 0 ? ` holds ${ports.map((p) => `:${p}`).join(', ')}` : ' keeps running';
  log.warn(
    { event: 'app.daemonized', leader, pids, ports },
    `the app daemonized: ${who}${holds} (its leader, pid ${leader}, exited): it counts as the running app; a restart or Ctrl-C stops it`,
  );
}

/** Resolves once no process with `marker` is left (checked each second), or when `signal` aborts. */
export async function daemonGone(marker: EnvMarker, leader: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && markedProcesses(marker, leader).length > 0) {
    await sleep(DAEMON_POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}

/**
 * The graceful part of a daemonized app's stop (its leader is gone): the stop signal to each marked
 * process (only those: a process without the marker is never signalled), then the grace period, cut
 * short by `cut`. What is still running then is the sweep's (terminateTree, by marker). Returns the
 * processes that were signalled.
 */
export async function stopDaemons(
  marker: EnvMarker,
  leader: number,
  stopSignal: NodeJS.Signals,
  graceMs: number,
  cut: AbortSignal,
): Promise<TreeProcess[]> {
  const pids = markedProcesses(marker, leader);
  if (pids.length === 0) return [];
  const signalled = pids.map((pid) => ({ pid, cmd: readCmdline(pid) }));
  for (const pid of pids) {
    try {
      process.kill(pid, stopSignal);
    } catch {
      // gone meanwhile
    }
  }
  const gone = (): boolean => cut.aborted || !pids.some(isRunning);
  await pollUntil(gone, graceMs, 20);
  return signalled;
}

/** Processes still running that carry the marker of one of `values` (one pass over /proc). */
export function processesWithMarkers(key: string, values: ReadonlySet<string>): TreeProcess[] {
  if (!hasProcfs() || values.size === 0) return [];
  const prefix = `${key}=`;
  const out: TreeProcess[] = [];
  for (const pid of listPids()) {
    let env: string;
    try {
      env = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue; // gone, or not ours
    }
    const found = env.split('\0').find((v) => v.startsWith(prefix));
    if (found && values.has(found.slice(prefix.length)) && isRunning(pid)) out.push({ pid, cmd: readCmdline(pid) });
  }
  return out;
}

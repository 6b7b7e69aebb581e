/**
 * Ends a whole process tree that was started in its own process group (spawn with detached: true):
 * signal the group, wait (bounded) for the leader and the group, SIGKILL the group, then SIGKILL every
 * remaining process we knew of (descendants snapshotted before signalling, and processes carrying the
 * environment marker: setsid escapees that were reparented away). Every wait is bounded; processes that
 * survive everything are returned and logged, never hidden. Shared by builds and the app process.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import { descendantsOf, hasProcfs, pidsInGroup, pidsWithEnv, readCmdline, readStat } from '../os/procfs.js';

export interface EnvMarker {
  key: string;
  value: string;
}

export interface TreeProcess {
  pid: number;
  cmd: string;
}

/** A process seen in the tree; startTime guards against pid reuse before we signal it. */
export interface KnownProcess extends TreeProcess {
  startTime: number;
}

export interface TerminateOptions {
  /** The group id = the leader's pid. */
  pgid: number;
  /** True once the leader's exit has been observed (ChildProcess 'exit'). */
  leaderExited: () => boolean;
  /** Resolves when the leader exits: ends a poll early so a prompt exit is seen at once. */
  leaderExit?: Promise<unknown>;
  marker?: EnvMarker | undefined;
  signal: NodeJS.Signals;
  graceMs: number;
  /** Aborted: the grace period ends at once (SIGKILL follows). */
  cut?: AbortSignal;
  /** Bound on waiting for SIGKILLed processes to disappear (default 5 s). */
  killWaitMs?: number;
  log: Logger;
  /** A snapshotTree() taken just before (saves a scan); taken here when absent. */
  known?: KnownProcess[];
  /**
   * `known` already holds every marked process up to this pid (a full scan moments ago, see
   * AppProcess.prescan): the post-grace marker scan reads only processes born since (see pidsWithEnv).
   */
  markerBornAfter?: number;
}

export interface TerminateResult {
  /** Leader and group were gone within graceMs, without SIGKILL to the group. */
  graceful: boolean;
  /** Processes outside the group that were still running and got SIGKILL from the sweep. */
  swept: TreeProcess[];
  /** Processes outside the group (setsid workers) that got the stop signal once the group was gone. */
  escaped: TreeProcess[];
  /** Still running after every bound (uninterruptible sleep, not ours to kill): reported, not hidden. */
  survivors: TreeProcess[];
}

const POLL_MS = 10;

export interface SnapshotOptions {
  /** Processes carrying this environment marker are roots too (a scan of every process's environment). */
  marker?: EnvMarker | undefined;
  /** Read the environment only of processes born after this pid (see pidsWithEnv). */
  markerBornAfter?: number | undefined;
  /** More roots whose descendants count. */
  moreRoots?: Iterable<number>;
  /**
   * The group's members as roots (a read of every process's stat). Off where they are known otherwise:
   * members carry the marker, and a prescan listed them.
   */
  group?: boolean;
}

/**
 * The leader's group, its descendants, the marked processes and their descendants, as of now.
 * Reading every /proc entry costs a few ms per pass on a busy machine, so the group is scanned only
 * while it has members, and the environment-marker scan only when a marker is given: the cheap
 * pre-signal snapshot (descendants of the leader) passes none, the post-grace sweep passes it.
 */
export function snapshotTree(pgid: number, o: SnapshotOptions = {}): KnownProcess[] {
  if (!hasProcfs()) return [];
  const roots = new Set<number>([pgid, ...(o.moreRoots ?? [])]);
  if ((o.group ?? true) && groupHasMembers(pgid)) for (const p of pidsInGroup(pgid)) roots.add(p);
  if (o.marker) for (const p of pidsWithEnv(o.marker.key, o.marker.value, o.markerBornAfter)) roots.add(p);
  const all = new Set<number>(roots);
  for (const r of roots) for (const d of descendantsOf(r)) all.add(d);
  const out: KnownProcess[] = [];
  for (const pid of all) {
    const st = readStat(pid);
    if (st && st.state !== 'Z' && st.state !== 'X') out.push({ pid, startTime: st.startTime, cmd: readCmdline(pid) });
  }
  return out;
}

/** Still the same process (pid not reused) and not a zombie. */
export function stillRunning(k: KnownProcess): boolean {
  const st = readStat(k.pid);
  return st !== undefined && st.startTime === k.startTime && st.state !== 'Z' && st.state !== 'X';
}

/** kill(-pgid, 0): one syscall; true also for zombie-only groups (see groupAlive). */
function groupHasMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    // ESRCH: no process left in the group. EPERM: members exist but are not ours.
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // kill(0) also answers for zombies (an init that reaps slowly keeps them around): ask /proc.
  return hasProcfs() ? pidsInGroup(pgid).length > 0 : true;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals, log: Logger): void {
  try {
    process.kill(-pgid, signal);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH') {
      log.warn({ event: 'tree.signal_failed', pgid, signal, code }, `could not send ${signal} to process group ${pgid}: ${String(e)}`);
    }
  }
}

/** Polls `cond` until it holds or `timeoutMs` elapses; true when it held. `wake` cuts one wait short. */
export async function pollUntil(cond: () => boolean, timeoutMs: number, intervalMs = POLL_MS, wake?: Promise<unknown>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let pendingWake = wake?.then(() => {
    pendingWake = undefined;
  });
  for (;;) {
    if (cond()) return true;
    if (Date.now() >= deadline) return false;
    const nap = new AbortController();
    const ms = Math.min(intervalMs, Math.max(1, deadline - Date.now()));
    await Promise.race([sleep(ms, undefined, { signal: nap.signal }).catch(() => undefined), pendingWake ?? new Promise(() => {})]);
    nap.abort();
  }
}

export async function terminateTree(o: TerminateOptions): Promise<TerminateResult> {
  const started = Date.now();
  const known = new KnownProcesses(o.known ?? snapshotTree(o.pgid, { marker: o.marker }));
  const groupDone = (): boolean => o.leaderExited() && !groupAlive(o.pgid);
  const graceful = groupDone() || (await signalAndWait(o, groupDone));
  // Children forked during the grace period, and escapees, before their parents vanish from the tree:
  // the children of every process known so far too (one may have cleared the marker from its env).
  known.add(snapshotTree(o.pgid, { marker: o.marker, markerBornAfter: o.markerBornAfter, moreRoots: known.running().map((k) => k.pid) }));
  if (!graceful) signalGroup(o.pgid, 'SIGKILL', o.log);
  const escaped = graceful ? await stopEscapees(known, o, o.graceMs - (Date.now() - started)) : [];
  const swept = sweep(known, o, graceful);
  await waitUntilGone(known, o, groupDone);
  const survivors = reportSurvivors(known, o);
  const shown = (l: KnownProcess[]): TreeProcess[] => l.map(({ pid, cmd }) => ({ pid, cmd }));
  return { graceful, swept: shown(swept), escaped: shown(escaped), survivors: shown(survivors) };
}

/**
 * The group went away within its grace period: the processes that left it (setsid workers) get the stop
 * signal too, and what is left of the grace period, before the sweep's SIGKILL. A worker that flushes a
 * queue or a database file on SIGTERM lost that work at every save. Returns those signalled.
 */
async function stopEscapees(known: KnownProcesses, o: TerminateOptions, leftMs: number): Promise<KnownProcess[]> {
  const escaped = known.running().filter((k) => k.pid !== o.pgid && readStat(k.pid)?.pgrp !== o.pgid);
  for (const k of escaped) {
    try {
      process.kill(k.pid, o.signal);
    } catch {
      // gone meanwhile
    }
  }
  if (escaped.length > 0) await pollUntil(() => o.cut?.aborted === true || !escaped.some(stillRunning), Math.max(0, leftMs), POLL_MS);
  return escaped;
}

/** Every process seen in the tree, by pid; a pid seen again with another start time is the newer process. */
class KnownProcesses {
  private readonly byPid = new Map<number, KnownProcess>();

  constructor(list: KnownProcess[]) {
    this.add(list);
  }

  add(list: KnownProcess[]): void {
    for (const k of list) if (!this.byPid.has(k.pid) || this.byPid.get(k.pid)?.startTime !== k.startTime) this.byPid.set(k.pid, k);
  }

  all(): KnownProcess[] {
    return [...this.byPid.values()];
  }

  running(): KnownProcess[] {
    return this.all().filter(stillRunning);
  }
}

/**
 * The stop signal to the group, then the grace period: until the group is gone, or the cut (a second
 * Ctrl-C) ends it. True when the group went away within it, on its own.
 */
async function signalAndWait(o: TerminateOptions, groupDone: () => boolean): Promise<boolean> {
  signalGroup(o.pgid, o.signal, o.log);
  const cut = o.cut;
  const cutNow = cut ? new Promise<void>((r) => (cut.aborted ? r() : cut.addEventListener('abort', () => r(), { once: true }))) : undefined;
  const wake = cutNow !== undefined && o.leaderExit !== undefined ? Promise.race([o.leaderExit, cutNow]) : (cutNow ?? o.leaderExit);
  await pollUntil(() => groupDone() || cut?.aborted === true, o.graceMs, POLL_MS, wake);
  return groupDone() && !cut?.aborted;
}

/** SIGKILL to every known process still running outside what the group's SIGKILL reaches; returns them. */
function sweep(known: KnownProcesses, o: TerminateOptions, graceful: boolean): KnownProcess[] {
  const swept: KnownProcess[] = [];
  for (const k of known.all()) {
    if (k.pid === o.pgid || !stillRunning(k)) continue;
    if (readStat(k.pid)?.pgrp === o.pgid && !graceful) continue; // the group SIGKILL covers it
    try {
      process.kill(k.pid, 'SIGKILL');
      swept.push(k);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') {
        o.log.warn({ event: 'tree.sweep_failed', pid: k.pid, cmd: k.cmd }, `could not SIGKILL pid ${k.pid} (${k.cmd}): ${String(e)}`);
      }
    }
  }
  return swept;
}

/** Waits (bounded) for the group and every known process to disappear. */
async function waitUntilGone(known: KnownProcesses, o: TerminateOptions, groupDone: () => boolean): Promise<void> {
  const killWaitMs = o.killWaitMs ?? 5_000;
  const everythingGone = (): boolean => groupDone() && known.all().every((k) => k.pid === o.pgid || !stillRunning(k));
  if (!(await pollUntil(everythingGone, killWaitMs, POLL_MS, o.leaderExit))) {
    // Last resort for anything that joined the group late.
    signalGroup(o.pgid, 'SIGKILL', o.log);
    await pollUntil(everythingGone, Math.min(1_000, killWaitMs));
  }
}

/** What is still running after every bound: logged with the likely cause, never hidden. */
function reportSurvivors(known: KnownProcesses, o: TerminateOptions): KnownProcess[] {
  const survivors = known.all().filter((k) => (k.pid === o.pgid ? !o.leaderExited() : stillRunning(k)));
  for (const pid of hasProcfs() ? pidsInGroup(o.pgid) : []) {
    if (!survivors.some((s) => s.pid === pid)) survivors.push({ pid, startTime: 0, cmd: readCmdline(pid) });
  }
  if (survivors.length > 0) {
    o.log.error(
      {
        event: 'tree.survivors',
        pgid: o.pgid,
        survivors: survivors.map(({ pid, cmd }) => ({ pid, cmd })),
        hint: 'they may be in uninterruptible sleep (state D, e.g. a hung NFS/FUSE mount) or owned by another user; kill them by hand',
      },
      `${survivors.length} process(es) of group ${o.pgid} still running after SIGKILL: ${survivors.map((s) => `${s.pid} (${s.cmd})`).join(', ')}`,
    );
  }
  return survivors;
}

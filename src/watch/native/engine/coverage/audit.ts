/**
 * The coverage audit's measurement, inside the worker: the `inotify wd:` lines of the inotify helper's
 * fds, or (fs.watch) of this thread's own inotify fd (found as the one fd that appeared while the tree
 * was armed), against the distinct
 * directories it believes armed. Re-read when due (auditMinMs, stretched to 1000× a read's cost so it
 * stays under 0.1% CPU), when forced, or soon after new directories were armed. A read's cost is the least
 * of the last COST_READINGS reads' wall times: one read descheduled on a busy machine (a 0.2 ms read
 * taking 20 ms) had put off the next audit by 20 s, and lost watches went unnoticed that long.
 * On a tree quiet for QUIET_AFTER_MS (issue 19: idle costs nothing measurable), each full count doubles
 * that wait, up to QUIET_STRETCH_MAX times: on 10,000 directories a count costs ~25 ms, every 30 s that
 * was 0.08% of a core by itself; where a count is that costly, a quiet tree's wait is at least
 * QUIET_COST_FACTOR times its cost (up to the same cap) from the first quiet count on. Any event (`activity`) or a short count brings the base wait back, and
 * the first change after a quiet spell asks for a count at once (the heartbeat's ping, worker-slot.ts).
 */
import { inotifyFdsOfSelf, watchesOfFd, watchesOfProcess } from '../../../../os/inotify-fds.js';
import { QUIET_AFTER_MS } from '../../../pace/quiet-pace.js';
import type { WatchNotice } from '../../../types.js';
import type { WatchCount } from '../../helper/wire.js';

/** How many recent reads the cost is the least of. */
export const COST_READINGS = 5;
/** The most a quiet tree stretches the wait between two counts (30 s → 4 min by default). */
export const QUIET_STRETCH_MAX = 8;
/**
 * On a quiet tree the wait is also at least this many times a count's cost (a share of 0.01% of a core),
 * up to the same 8× cap: reading the kernel's table of 10,000 watches costs 25–50 ms of kernel time (a
 * spinlock and a file handle per watch, measured with perf), so a big tree's first quiet count, 30 s after
 * a save, was most of an idle minute's budget; its wait now goes to the cap at once. A small tree's count
 * (well under a millisecond) is not affected.
 */
export const QUIET_COST_FACTOR = 10_000;

/**
 * Directories from which a count read off the thread (readOffThread) pays: 10,000 watches cost the kernel
 * ~25 ms to list, 200 well under one, less than a round trip to the helper on a loaded machine.
 */
export const OFF_THREAD_AUDIT_DIRS = 2000;

/** Said when the fs.watch backend cannot tell its own inotify fd. */
export const AUDIT_OFF: WatchNotice = {
  level: 'warn',
  code: 'AUDIT_OFF',
  message:
    "cannot tell this watcher's own inotify instance in /proc/self/fd: the count of watches actually held is not audited (sentinels, the coverage sweep and the heartbeat still run)",
};

export interface AuditReading {
  inodes: number;
  watches: number | undefined;
  /** Measured now (else: the last reading). */
  fresh: boolean;
}

export class WatchAudit {
  private fdsBefore: Set<number> | undefined;
  private ownFd: number | undefined;
  private pid: number | undefined;
  private offThread: (() => Promise<WatchCount | undefined>) | undefined;
  private lastAt = Number.NEGATIVE_INFINITY;
  /** Wall times of the last COST_READINGS reads. */
  private readonly costs: number[] = [];
  private soon = false;
  /** requestSoon() calls so far (directories armed): readOffThread tells whether its count may lag. */
  private armings = 0;
  private last: { inodes: number; watches: number | undefined } = { inodes: 0, watches: undefined };
  private stretch = 1;
  private lastActivityAt: number;

  constructor(
    private readonly minMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.lastActivityAt = clock();
  }

  /** When the next unforced reading is due (ms, on `clock`). */
  get dueAt(): number {
    const cost = this.costs.length > 0 ? Math.min(...this.costs) : 0;
    const base = Math.max(this.minMs, cost * 1000);
    const wait = base * this.stretch;
    if (this.clock() - this.lastActivityAt < QUIET_AFTER_MS) return this.lastAt + wait;
    return this.lastAt + Math.max(wait, Math.min(base * QUIET_STRETCH_MAX, cost * QUIET_COST_FACTOR));
  }

  /** An event in the tree: the base wait again. */
  activity(now: number): void {
    this.stretch = 1;
    this.lastActivityAt = now;
  }

  /** The watches are held by this process (the inotify helper): count its inotify fds (`offThread`: it counts them itself). */
  useProcess(pid: number | undefined, offThread?: () => Promise<WatchCount | undefined>): void {
    this.pid = pid;
    this.offThread = offThread;
    this.costs.length = 0; // another process's table: its reads cost what they cost
  }

  /** Call before the first fs.watch of this thread... */
  beforeArming(): void {
    this.fdsBefore = inotifyFdsOfSelf();
  }

  /** ...and after it: the one new inotify fd is this thread's. false when it cannot be told (no audit). */
  afterArming(): boolean {
    const after = inotifyFdsOfSelf();
    const before = this.fdsBefore;
    const mine = before && after ? [...after].filter((fd) => !before.has(fd)) : [];
    if (mine.length === 1) this.ownFd = mine[0];
    return this.ownFd !== undefined;
  }

  /** New directories were armed: count again at the next reading. */
  requestSoon(): void {
    this.soon = true;
    this.armings++;
  }

  read(inodes: () => number, force: boolean): AuditReading {
    const now = this.clock();
    const fresh = force || this.soon || now >= this.dueAt;
    if (fresh) {
      this.record(inodes(), this.count(), now);
      this.recordCost(this.clock() - now);
    }
    return { ...this.last, fresh };
  }

  /**
   * A forced reading whose kernel count is read off this thread (by the helper, on its own core): the
   * caller works meanwhile. Counted here instead when the helper cannot tell, or when directories were
   * armed while it counted (its count would lag the inodes: a false shortfall). Its wall time, waits
   * included, is not a cost; the helper's own time reading the table is. Without it, the audits after
   * the start-up's count (read off this thread) went at the base pace: on 10,000 directories a 25–50 ms
   * count 30 s after every start, most of a quiet minute's budget (issue 19).
   */
  async readOffThread(inodes: () => number): Promise<AuditReading> {
    const now = this.clock();
    const armings = this.armings;
    const counted = this.offThread ? await this.offThread() : undefined;
    let watches = counted?.watches;
    if (watches === undefined || this.armings !== armings) watches = this.count();
    else this.recordCost(counted!.costMs);
    this.record(inodes(), watches, now);
    return { ...this.last, fresh: true };
  }

  private recordCost(ms: number): void {
    this.costs.push(ms);
    if (this.costs.length > COST_READINGS) this.costs.shift();
  }

  private count(): number | undefined {
    return this.pid !== undefined ? watchesOfProcess(this.pid) : this.ownFd === undefined ? undefined : watchesOfFd(this.ownFd);
  }

  private record(inodes: number, watches: number | undefined, now: number): void {
    this.soon = false;
    this.last = { inodes, watches };
    this.lastAt = now;
    if (watches === undefined || watches < inodes) this.stretch = 1;
    else if (now - this.lastActivityAt >= QUIET_AFTER_MS) this.stretch = Math.min(this.stretch * 2, QUIET_STRETCH_MAX);
  }
}

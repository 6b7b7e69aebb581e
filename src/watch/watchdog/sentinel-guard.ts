/**
 * The watchdog's sentinel policy: which targets exist (the root's `.hotwatch/watchdog/`, each distinct
 * native mount under the root), when a round of sentinels goes out, and what a missing echo means:
 *   - a ping owed for more than two ping intervals as well → 'heartbeat-timeout' (hung thread);
 *   - otherwise 'sentinel-timeout' (that scope is deaf), unless native/liveness.ts says to wait or ask first.
 * It also proves a re-armed scope (one round trip) and restarts a recovered scope's cycle. Turned off
 * (watchdog.enabled: false), it writes nothing and proves nothing: recovery then trusts the re-arm.
 * The rounds' pace (issue 19): every half interval while the tree is busy and for QUIET_AFTER_MS after
 * the last change; then the first clean round (every echo back) sets the wait to QUIET_MAX_MS. Any
 * change or anomaly (`wake`) brings the base pace back, and the first after a quiet spell a round at
 * once. An echo is always due within `interval` of its write, whatever the pace.
 */
import fs from 'node:fs';
import path from 'node:path';
import { classifyFs, mountsUnder, type MountEntry } from '../../os/mounts.js';
import type { WatchControl } from '../backend.js';
import { echoVerdict } from '../native/liveness.js';
import type { DeafCause } from '../types.js';
import { QUIET_MAX_MS, QuietPace } from '../pace/quiet-pace.js';
import { DUE_SLACK_MS, WakeTimer } from '../pace/wake-timer.js';
import type { HealthLog } from './health-log.js';
import type { ScopeRecord } from './recovery-policy.js';
import { ensureSentinelDir, type SentinelFiles } from './sentinel-files.js';

const ARM_SENTINEL_MS = 5000;

/** A loss a missing echo reveals. */
export interface SentinelLoss {
  key: string;
  scope: 'root' | 'mount' | 'watcher';
  cause: DeafCause;
  detail: string;
}

export class SentinelGuard {
  /** The root's sentinel directory, once created (removed on close if empty). */
  private dir: string | undefined;
  /** The reason last warned, by the directory a sentinel cannot be written in (the root, a mount). */
  private readonly warned = new Map<string, string>();
  /** The watcher whose native backend carries the sentinels (set once it exists). */
  private watcher: WatchControl | undefined;
  private readonly pace: QuietPace;
  /** When the next round of sentinels goes out (performance.now() ms). */
  private nextRoundAt = 0;
  /** The watchdog's one timer (drive, schedule). */
  private timer: WakeTimer | undefined;
  /** A recovery under way at the last schedule; when the current wake was asked for (later than now if it came early). */
  private recovering = false;
  private wakePlannedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly root: string,
    private readonly intervalMs: number,
    private readonly files: SentinelFiles,
    private readonly log: HealthLog,
    private readonly enabled: boolean,
    private readonly signal: AbortSignal,
  ) {
    this.pace = QuietPace.standard(this.tickMs(), performance.now());
  }

  attach(watcher: WatchControl): void {
    this.watcher = watcher;
  }

  /** How many targets get sentinels (the root, each native mount). */
  get targets(): number {
    return this.files.targets().length;
  }

  /** A sentinel file's event came back from the watcher; the last of a round makes it a clean one. */
  seen(file: string): void {
    this.files.seen(file);
    const now = performance.now();
    if (!this.files.targets().every((t) => this.files.pendingAge(t.path, now) === undefined)) return;
    this.pace.clean(now);
    // Nothing left to judge: the wake set for the echoes' deadline is not needed (it was one more per round).
    if (this.timer && this.timer.dueAt < this.nextRoundAt - DUE_SLACK_MS) this.schedule(this.recovering);
  }

  /** The base pace, half the interval: a loss is found within 1.5 intervals of it (the goal is 2). */
  tickMs(): number {
    return Math.max(50, this.intervalMs / 2);
  }

  /** The wait between two rounds now (ms): the base pace, or longer on a quiet tree. */
  get roundEveryMs(): number {
    return this.pace.everyMs;
  }

  /** The watchdog's wake-ups from now on: `tick` runs whenever something is due (then call schedule). */
  drive(tick: (plannedAt: number) => void): void {
    this.timer = new WakeTimer((plannedAt) => {
      this.wakePlannedAt = plannedAt;
      tick(plannedAt);
    });
    this.schedule(false);
  }

  /**
   * The next wake: the next round, or an echo to judge (with sentinels off or not native: none), the
   * base pace while `recovering`, and at least every QUIET_MAX_MS (the snapshot is kept current then).
   */
  schedule(recovering: boolean): void {
    this.recovering = recovering;
    const now = performance.now();
    let due = now + QUIET_MAX_MS;
    if (recovering) due = Math.min(due, now + this.tickMs());
    if (this.enabled && this.watcher?.backend() === 'native') {
      due = Math.min(due, this.nextRoundAt);
      for (const t of this.files.targets()) {
        const age = this.files.pendingAge(t.path, now);
        // An echo overdue but not judged yet (its scope recovering, the watcher busy): looked at again at the base pace.
        if (age !== undefined)
          due = Math.min(due, Math.max(now - age + this.firstLookMs(), age >= this.judgeAfterMs() ? now + this.tickMs() : 0));
      }
    }
    this.timer?.set(Math.max(now, due), now);
  }

  /** A change in the tree, or an anomaly: the base pace again; after a quiet spell, a round at once. */
  wake(): void {
    const now = performance.now();
    if (this.pace.wake(now)) {
      this.nextRoundAt = now;
      this.timer?.set(now, now);
    } else this.timer?.atMost(now + this.tickMs(), now);
  }

  /** Creates `.hotwatch/watchdog` (no watch yet); false when off, or with one warning when impossible. */
  prepare(): boolean {
    if (!this.enabled) return false;
    try {
      this.dir = ensureSentinelDir(this.root);
      return true;
    } catch (e) {
      this.warn(this.root, String(e));
      return false;
    }
  }

  /** (Re)creates the root's sentinel dir and has the native watcher watch it; false when impossible. */
  async armRoot(): Promise<boolean> {
    if (!this.enabled || this.watcher?.backend() !== 'native') return false;
    try {
      this.dir = ensureSentinelDir(this.root);
      if (!(await this.watcher.armSentinel(this.dir, ARM_SENTINEL_MS))) return false;
      this.files.add({ scope: 'root', path: this.root, dir: this.dir });
      this.warned.delete(this.root);
      return true;
    } catch (e) {
      if (!this.signal.aborted) this.warn(this.root, String(e));
      return false;
    }
  }

  /** One target per distinct native mount strictly under the root (not excluded). */
  addMounts(realRoot: string, mounts: MountEntry[], excluded: (p: string) => boolean): void {
    if (!this.enabled) return;
    for (const m of mountsUnder(realRoot, mounts)) {
      if (m.mountPoint === realRoot || classifyFs(m.fsType).events !== 'native') continue;
      const p = path.join(this.root, path.relative(realRoot, m.mountPoint));
      if (!excluded(p)) this.files.add({ scope: 'mount', path: p, dir: p });
    }
  }

  /** The watch lists changed (a config reload): no sentinel in a mount they now exclude, one in a mount they now reach. */
  reconcileMounts(realRoot: string, mounts: MountEntry[], excluded: (p: string) => boolean): void {
    for (const m of mountsUnder(realRoot, mounts)) {
      const p = path.join(this.root, path.relative(realRoot, m.mountPoint));
      if (m.mountPoint !== realRoot && excluded(p)) this.files.remove(p);
    }
    if (this.watcher?.backend() === 'native') this.addMounts(realRoot, mounts, excluded);
  }

  /** A mount changed at `p`: its sentinel is dropped, and comes back when a native mount is there now. */
  mountChanged(p: string, now: MountEntry | undefined): void {
    this.files.remove(p);
    if (this.enabled && now && classifyFs(now.fsType).events === 'native' && this.watcher?.backend() === 'native') {
      this.files.add({ scope: 'mount', path: p, dir: p });
    }
  }

  /** Each wake: a round of sentinels when due (or this wake, asked for then, came early, shared), the overdue ones judged. */
  judge(now: number, healthy: (key: string) => boolean, lose: (l: SentinelLoss) => void): void {
    if (!this.enabled || this.watcher?.backend() !== 'native') return;
    const round = Math.max(now, this.wakePlannedAt) + DUE_SLACK_MS >= this.nextRoundAt;
    this.wakePlannedAt = Number.NEGATIVE_INFINITY;
    if (round) {
      this.nextRoundAt = now + this.pace.everyMs;
      if (this.pace.quiet) this.watcher.pingNow(); // on a quiet tree the heartbeat rides the same wake-up (busy, it pings every second anyway)
    }
    for (const t of this.files.targets()) {
      if (!healthy(t.path) || (t.scope === 'mount' && !healthy(this.root))) continue;
      const age = this.files.pendingAge(t.path, now);
      if (age === undefined) {
        if (round) this.send(t.scope, t.path);
        continue;
      }
      if (age + DUE_SLACK_MS < this.judgeAfterMs()) continue; // judged one interval (less a margin) after the write
      this.pace.wake(now); // an overdue echo is an anomaly: the base pace until the tree is quiet again (no round now: judged below)
      const live = this.watcher.liveness();
      const verdict = echoVerdict(live, age, this.intervalMs);
      if (verdict === 'ask') this.watcher.pingNow(); // silent, but not asked since: the next look decides
      if (verdict === 'hung') {
        const detail = `the native watcher has not answered a ping for ${Math.round(live?.owedMs ?? 0)}ms and the sentinel in ${t.dir} did not come back within ${this.intervalMs}ms: it is hung; restarting it`;
        lose({ key: this.root, scope: 'watcher', cause: 'heartbeat-timeout', detail });
      } else if (verdict === 'deaf') {
        const what = t.scope === 'root' ? 'the watch on the tree' : `the mount ${t.path}`;
        lose({
          key: t.path,
          scope: t.scope,
          cause: 'sentinel-timeout',
          detail: `the sentinel written in ${t.dir} did not come back as an event within ${this.intervalMs}ms: ${what} is deaf; re-arming`,
        });
      }
    }
  }

  /** A sentinel round trip through a re-armed scope's watch; true where the scope has no sentinel. */
  async prove(rec: ScopeRecord): Promise<boolean> {
    if (!this.enabled || this.watcher?.backend() !== 'native') return true;
    const target = rec.scope === 'mount' ? rec.path : this.root;
    if (rec.scope !== 'mount' && !(await this.armRoot())) return true; // no sentinel possible here
    if (!this.files.has(target)) return true;
    return this.files.roundTrip(target, 2 * this.intervalMs);
  }

  /** A recovered scope: its sentinel armed anew (a replaced root has a new dir) and judged afresh. */
  async resume(rec: ScopeRecord, roundTripNow: boolean): Promise<void> {
    if (!this.enabled) return;
    if (rec.scope !== 'mount') await this.armRoot();
    const target = rec.scope === 'mount' ? rec.path : this.root;
    if (roundTripNow) this.files.write(target);
    else this.files.reset(target);
  }

  /** Epoch ms of the last echo of `key`'s sentinel (else the root's): the watch was live then. */
  lastOkEpoch(key: string): number | undefined {
    return this.files.lastOkEpoch(key) ?? this.files.lastOkEpoch(this.root);
  }

  /** This process was stalled: no pending round trip can be judged. */
  voidPending(): void {
    this.files.voidPending();
  }

  /** Every sentinel file removed, and the sentinel directory when it is empty (a file of someone else's there is left alone). */
  close(): void {
    this.timer?.cancel();
    const kept = this.files.close(); // sentinel files it could not remove (a read-only .hotwatch/): said with the directory
    if (!this.dir) return;
    try {
      fs.rmdirSync(this.dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (kept.length > 0 || (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST'))
        this.log.say('warn', 'SENTINEL_DIR', this.dir, `could not remove ${[...kept, this.dir].join(', ')} on exit: ${code ?? String(e)}`);
    }
  }

  /** An echo's first look: at its deadline less a margin while busy; quiet, at the deadline: the heartbeat's look shares it. */
  private firstLookMs(): number {
    return this.pace.quiet ? this.intervalMs : this.judgeAfterMs();
  }

  /** How old an unanswered sentinel is when judged (ms). */
  private judgeAfterMs(): number {
    return this.intervalMs - this.tickMs() / 4;
  }

  private send(scope: 'root' | 'mount', p: string): void {
    const r = this.files.write(p);
    if (r === 'missing' && scope === 'root') void this.armRoot();
    else if (r === 'unwritable') this.warn(p, this.files.lastError(p)!);
    else if (r === 'written' && this.warned.has(p)) this.resumed(p);
  }

  /** Sentinels go out again in `p` after a warning: said once. */
  private resumed(p: string): void {
    this.warned.delete(p);
    this.log.say('info', 'SENTINEL_ON', p, `sentinels are written again in ${p}: deafness is found within ${this.intervalMs}ms again`);
  }

  /** One warning per directory and distinct reason (never once per tick, nor each time another directory's sentinel works). */
  private warn(p: string, why: string): void {
    if (this.warned.get(p) === why) return;
    this.warned.set(p, why);
    this.log.say(
      'warn',
      'SENTINEL_OFF',
      p,
      `no sentinel in ${p}: ${why}; deafness is then found by the heartbeat and the coverage audit only`,
    );
  }
}

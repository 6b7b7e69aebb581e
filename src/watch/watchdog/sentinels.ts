/**
 * The watchdog's sentinel policy: which targets exist (the root's `.hotwatch/watchdog/`, each distinct
 * native mount under the root), when a sentinel goes out (every tick, once the last one came back), and
 * what a missing echo means:
 *   - the watcher thread silent for more than two pings as well → 'heartbeat-timeout' (hung thread);
 *   - the thread busy resolving a burst → wait (bounded: 10 intervals), the echo is queued behind it;
 *   - otherwise → 'sentinel-timeout': that scope is deaf.
 */
import path from 'node:path';
import type { WatchdogSettings, WatchSettings } from '../../config/settings.js';
import type { WatchControl } from '../backend.js';
import { createFilter } from '../tree/filter.js';
import type { DeafCause } from '../types.js';
import type { HealthLog } from './health-log.js';
import { classifyFs, mountsUnder, type MountEntry } from '../../os/mounts.js';
import type { Recovery } from './policy.js';
import { ensureSentinelDir, type Sentinels } from './sentinel-files.js';

const ARM_SENTINEL_MS = 5000;

export interface GuardContext {
  root: string;
  settings: WatchSettings;
  watchdog: WatchdogSettings;
  sentinels: Sentinels;
  recovery: Recovery;
  hl: HealthLog;
  watcher(): WatchControl | undefined;
  /** A loss found here: logged and recovered by the watchdog. */
  lose(key: string, scope: 'root' | 'mount' | 'watcher', cause: DeafCause, detail: string): void;
  signal: AbortSignal;
}

export class SentinelGuard {
  /** The root's sentinel directory, once created (removed on close if empty). */
  dir: string | undefined;
  private warned: string | undefined;

  constructor(private readonly c: GuardContext) {}

  /** Ticks at half the interval: a loss is found within 1.5 intervals of it (the goal is 2). */
  tickMs(): number {
    return Math.max(50, this.c.watchdog.intervalMs / 2);
  }

  /** Creates `.hotwatch/watchdog` (no watch yet); false with one warning when impossible. */
  prepare(): boolean {
    try {
      this.dir = ensureSentinelDir(this.c.root);
      return true;
    } catch (e) {
      this.warn(String(e));
      return false;
    }
  }

  /** (Re)creates the root's sentinel dir and has the native watcher watch it; false when impossible. */
  async armRoot(): Promise<boolean> {
    const n = this.c.watcher()?.native();
    if (!n) return false;
    try {
      this.dir = ensureSentinelDir(this.c.root);
      await n.armSentinel(this.dir, ARM_SENTINEL_MS);
      this.c.sentinels.add({ scope: 'root', path: this.c.root, dir: this.dir });
      this.warned = undefined;
      return true;
    } catch (e) {
      if (!this.c.signal.aborted) this.warn(String(e));
      return false;
    }
  }

  /** One target per distinct native mount strictly under the root (not excluded). */
  addMounts(realRoot: string, mounts: MountEntry[]): void {
    const filter = createFilter(this.c.settings);
    for (const m of mountsUnder(realRoot, mounts)) {
      if (m.mountPoint === realRoot || classifyFs(m.fsType).events !== 'native') continue;
      const p = path.join(this.c.root, path.relative(realRoot, m.mountPoint));
      if (!filter.isExcludedDir(p)) this.c.sentinels.add({ scope: 'mount', path: p, dir: p });
    }
  }

  /** Every tick: send sentinels, judge the overdue ones. */
  judge(now: number): void {
    const interval = this.c.watchdog.intervalMs;
    const { sentinels, recovery, root } = this.c;
    for (const t of sentinels.targets()) {
      if (!recovery.healthy(t.path) || (t.scope === 'mount' && !recovery.healthy(root))) continue;
      const age = sentinels.pendingAge(t.path, now);
      if (age === undefined) {
        const r = sentinels.write(t.path);
        if (r === 'missing' && t.scope === 'root') void this.armRoot();
        else if (r === 'unwritable') this.warn(sentinels.lastError(t.path)!);
        else if (r === 'written' && this.warned !== undefined) this.resumed();
        continue;
      }
      if (age < interval - this.tickMs() / 4) continue; // judged on the first tick one interval after the write
      const live = this.c.watcher()?.native()?.liveness();
      if (live && live.silentMs > 2 * live.pingMs) {
        this.c.lose(
          root,
          'watcher',
          'heartbeat-timeout',
          `the native watcher thread has not answered for ${Math.round(live.silentMs)}ms and the sentinel in ${t.dir} did not come back within ${interval}ms: the thread is hung; restarting it`,
        );
      } else if (live && !live.idle && age < 10 * interval) {
        continue; // busy resolving a burst: the echo is queued behind it
      } else {
        const what = t.scope === 'root' ? 'the watch on the tree' : `the mount ${t.path}`;
        this.c.lose(t.path, t.scope, 'sentinel-timeout', `the sentinel written in ${t.dir} did not come back as an event within ${interval}ms: ${what} is deaf; re-arming`);
      }
    }
  }

  /** Sentinels go out again after a warning: said once. */
  private resumed(): void {
    this.warned = undefined;
    this.c.hl.info({ event: 'watch.notice', code: 'SENTINEL_ON', path: this.c.root }, `sentinels are written again in ${this.c.root}: deafness is found within ${this.c.watchdog.intervalMs}ms again`);
  }

  /** One warning per distinct reason (never once per tick). */
  private warn(why: string): void {
    if (this.warned === why) return;
    this.warned = why;
    this.c.hl.warn(
      { event: 'watch.notice', code: 'SENTINEL_OFF', path: this.c.root },
      `no sentinel in ${this.c.root}: ${why}; deafness is then found by the heartbeat and the coverage audit only`,
    );
  }
}

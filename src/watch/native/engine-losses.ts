/**
 * The native engine's own losses and re-arms, as notices with a health tag (health.ts): the root
 * deleted, replaced or back (checked with RootGuard), and a suspected kernel-queue overflow (a storm or a
 * stall). Each loss is reported once; its re-arm is reported when the flush that completes it is done.
 */
import type { DirId } from './dir-watches.js';
import type { DeafCause } from '../types.js';
import { RootGuard } from './root-guard.js';
import type { WatchNotice } from '../types.js';

export interface LossHost {
  notice(n: WatchNotice): void;
  rescan(reason: string): void;
  /** (dev, ino) of the root as watched now. */
  rootInode(): DirId | undefined;
  /** Drop every watch (the root is gone or another directory now). */
  closeAll(): void;
  /** Queue the root for arming (the next flush arms it and reports its files). */
  armRoot(): void;
  /** Also post a RescanEvent after a root re-arm (false when the watchdog diffs a snapshot). */
  rescanOnRearm: boolean;
}

export class EngineLosses {
  private readonly guard: RootGuard;
  /** The cause of a root re-arm under way, reported as re-armed once the root is watched again. */
  private rootCause: DeafCause | undefined;
  private rootArming = false;
  private overflowPending = false;

  constructor(
    private readonly root: string,
    private readonly host: LossHost,
  ) {
    this.guard = new RootGuard(root, () => host.rootInode());
  }

  get arming(): boolean {
    return this.rootArming;
  }

  /**
   * One storm: a loss reported once, re-armed once the reconcile is done. Unsupervised, a RescanEvent
   * rebuilds everything; supervised, the watchdog diffs its snapshot after the reconcile instead (so a
   * storm of unchanged content does not rebuild twice).
   */
  overflow(reason: string): void {
    if (this.host.rescanOnRearm) this.host.rescan(reason);
    this.overflowPending = true;
    this.host.notice({
      level: 'info', // the watchdog logs it as watch.deaf at warn
      code: 'OVERFLOW_SUSPECTED',
      path: this.root,
      message: this.host.rescanOnRearm
        ? `${reason}; every watched directory is re-checked once the burst is over, and the next build runs without content dedupe`
        : `${reason}; every watched directory is re-checked once the burst is over, then files changed since the last sentinel round trip are rebuilt`,
      health: { kind: 'deaf', scope: 'root', cause: 'overflow-suspected', selfHealing: true },
    });
  }

  /** The root deleted, or replaced by another directory (rm -rf + mkdir): re-arm it when it is back. */
  checkRoot(): void {
    if (this.rootArming) return; // a re-arm is under way
    const v = this.guard.check();
    if (v === 'ok' || v === 'still-gone') return;
    this.host.closeAll();
    if (v === 'gone') {
      this.rootCause = 'root-missing';
      this.host.notice({
        level: 'error',
        code: 'ROOT_GONE',
        path: this.root,
        message: `the watched root ${this.root} was deleted: nothing is watched until it is back`,
        hint: 'recreate the directory (hotwatch re-arms by itself) or restart hotwatch with the right --root',
        health: { kind: 'deaf', scope: 'root', cause: 'root-missing', selfHealing: true },
      });
      return;
    }
    const back = v === 'back';
    this.rootCause = back ? (this.rootCause ?? 'root-missing') : 'root-replaced';
    this.rootArming = true;
    this.host.notice({
      level: back ? 'info' : 'error',
      code: 'ROOT_REPLACED',
      path: this.root,
      message: `the watched root ${this.root} ${back ? 'is back' : 'was replaced by another directory'}: re-arming every watch`,
      ...(back ? {} : { health: { kind: 'deaf', scope: 'root', cause: 'root-replaced', selfHealing: true } as const }),
    });
    this.host.armRoot();
    if (this.host.rescanOnRearm) this.host.rescan(`the watched root ${this.root} was replaced`);
  }

  /** After a flush: report the re-arms it completed (root watched again, storm reconciled). */
  afterFlush(s: { rootWatched: boolean; dirs: number; reconciled: boolean; inStorm: boolean }): void {
    if (this.rootArming) {
      this.rootArming = false;
      const cause = this.rootCause;
      this.rootCause = undefined;
      // Not watched: it vanished again meanwhile, and the next check says so.
      if (s.rootWatched && cause) {
        this.host.notice({
          level: 'info',
          code: 'ROOT_REARMED',
          path: this.root,
          message: `the watched root ${this.root} is watched again (${s.dirs} directories)`,
          health: { kind: 'rearmed', scope: 'root', cause, dirs: s.dirs },
        });
      }
    }
    if (this.overflowPending && s.reconciled && !s.inStorm) {
      this.overflowPending = false;
      this.host.notice({
        level: 'info',
        code: 'OVERFLOW_RECONCILED',
        path: this.root,
        message: `every watched directory re-checked after the burst (${s.dirs} watched)`,
        health: { kind: 'rearmed', scope: 'root', cause: 'overflow-suspected', dirs: s.dirs },
      });
    }
  }
}

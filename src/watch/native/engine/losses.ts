/**
 * The native engine's own losses and re-arms, as notices with a HealthReport (types.ts): the root
 * deleted, replaced or back (checked with RootGuard), and a kernel-queue overflow (seen, or suspected
 * from a storm or a stall). Each loss is reported once; its re-arm is reported when the flush that
 * completes it is done. What changed meanwhile is the watchdog's to find (its snapshot diff).
 */
import type { DirId } from './dir-watches.js';
import type { DeafCause, WatchNotice } from '../../types.js';
import { RootGuard } from './root-guard.js';
import { errnoCode } from '../../../errors.js';

export interface LossHost {
  notice(n: WatchNotice): void;
  /** (dev, ino) of the root as watched now. */
  rootInode(): DirId | undefined;
  /** Drop every watch (the root is gone or another directory now). */
  closeAll(): void;
  /** Queue the root for arming (the next flush arms it and reports its files). */
  armRoot(): void;
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
   * One storm: a loss reported once, re-armed once the reconcile is done; the watchdog then diffs its
   * snapshot (so a storm of unchanged content does not rebuild).
   */
  overflow(reason: string): void {
    this.overflowPending = true;
    this.host.notice({
      level: 'info', // the watchdog logs it as watch.deaf at warn
      code: 'OVERFLOW_SUSPECTED',
      path: this.root,
      message: `${reason}; every watched directory is re-checked once the burst is over, then files changed since the last sentinel round trip are rebuilt`,
      health: { kind: 'deaf', scope: 'root', cause: 'overflow-suspected', selfHealing: true },
    });
  }

  /**
   * The kernel's own IN_Q_OVERFLOW (the helper saw it): said each time (service mode counts it as dropped
   * events: the kernel does not say how many), and a loss once per storm (`reason` is undefined when this
   * storm was already reported, e.g. from the stall that filled the queue).
   */
  kernelOverflow(reason: string | undefined): void {
    this.host.notice({
      level: 'info',
      code: 'QUEUE_OVERFLOW',
      path: this.root,
      message: 'the kernel event queue overflowed (IN_Q_OVERFLOW): events were dropped; the tree is re-checked',
    });
    if (reason) this.overflow(reason);
  }

  /** The root deleted, or replaced by another directory (rm -rf + mkdir): re-arm it when it is back. True when all is well. */
  checkRoot(): boolean {
    if (this.rootArming) return false; // a re-arm is under way
    const v = this.guard.check();
    if (v === 'ok') return true;
    if (v === 'still-gone') return false;
    this.host.closeAll();
    if (v === 'gone') {
      this.rootCause = 'root-missing';
      const moved = this.guard.movedTo;
      if (moved) {
        this.host.notice({
          level: 'error',
          code: 'ROOT_GONE',
          path: this.root,
          message: `the watched root ${this.root} was moved to ${moved} (the same directory, renamed with a parent?): hotwatch watches, builds and runs by the old path, so nothing is watched or built; the app keeps serving its last build`,
          hint: `restart hotwatch where the project is now: cd ${moved} && hotwatch run (or move it back: hotwatch re-arms by itself)`,
          health: { kind: 'deaf', scope: 'root', cause: 'root-missing', selfHealing: true },
        });
        return false;
      }
      this.host.notice({
        level: 'error',
        code: 'ROOT_GONE',
        path: this.root,
        message: `the watched root ${this.root} was deleted: nothing is watched until it is back`,
        hint: 'recreate the directory (hotwatch re-arms by itself) or restart hotwatch with the right --root',
        health: { kind: 'deaf', scope: 'root', cause: 'root-missing', selfHealing: true },
      });
      return false;
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
    return false;
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

  /** A watch failed (fs.watch's error event): said; the engine drops it with what is below and arms it again. Returns the reason. */
  watchFailed(dir: string, err: Error): string {
    const why = errnoCode(err) ?? err.message;
    this.host.notice({
      level: 'warn',
      code: 'WATCH_ERROR',
      path: dir,
      message: `the watch on ${dir} failed (${why}): re-arming it`,
      health: { kind: 'deaf', scope: 'dir', cause: 'backend-error', selfHealing: true },
    });
    return why;
  }
}

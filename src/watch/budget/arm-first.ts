/**
 * The watchdog's start: the tree is armed first, in one walk that also lists the relevant files (the
 * snapshot's seed) and counts the directories for the inotify budget. The budget used to come from a scan
 * of the whole tree before arming, which then walked it again: on 10,001 directories and 100,000 files
 * that scan was most of the time to ready. The usage is read before this process holds a watch (its own
 * are not a shortage). When the count does not fit, or a kernel limit stops the arming, what was armed is
 * closed, and the tree is scanned and the watcher made again as the budget's verdict says (poll part or
 * all of it, or refuse): as before, only later.
 */
import type { WatchControl } from '../backend.js';
import type { WatcherReady } from '../types.js';
import { limitCause } from './limits.js';
import { readUsage, type BudgetVerdict, type InotifyUsage } from './gate.js';

export interface ArmFirstHost {
  readonly signal: AbortSignal;
  /** watchdog.enabled: the budget is judged (and logged). */
  readonly budgeted: boolean;
  /** The watcher, made as `budget` says; `onStartFiles` is given the files its first arming read and the dirs it armed. */
  create(budget: BudgetVerdict | undefined, onStartFiles?: (files: string[], dirs: string[]) => void): WatchControl;
  /** The budget judged on the armed count (logged) when it fits; undefined when it does not (nothing logged). */
  fitting(dirs: number, usage: InotifyUsage | undefined): BudgetVerdict | undefined;
  /** A scan of the tree: the snapshot seeded, and with `usage` the budget judged on it, logged (a refusal throws). */
  scan(usage: InotifyUsage | undefined): Promise<BudgetVerdict | undefined>;
  seed(files: string[], dirs: string[]): void;
}

export interface Started {
  w: WatchControl;
  ready: WatcherReady;
  budget: BudgetVerdict | undefined;
}

export async function armFirst(h: ArmFirstHost): Promise<Started> {
  const usage = h.budgeted ? readUsage() : undefined;
  let listing: { files: string[]; dirs: string[] } | undefined;
  const first = h.create(undefined, (files, dirs) => {
    listing = { files, dirs };
  });
  const armed = await first.ready.catch((e: unknown) => {
    if (!limitCause(e) || h.signal.aborted) throw e;
    return e as Error & { hint?: string };
  });
  if (!(armed instanceof Error)) {
    const budget = h.budgeted ? h.fitting(armed.dirs, usage) : undefined;
    if (budget || !h.budgeted) {
      if (listing) h.seed(listing.files, listing.dirs);
      else await h.scan(undefined); // a poll backend lists no files
      return { w: first, ready: armed, budget };
    }
  } else if (!h.budgeted) {
    const ready = await first.fallBackToPoll(`native watching cannot start: ${armed.message}`, limitCause(armed), armed.hint);
    await h.scan(undefined);
    return { w: first, ready, budget: undefined };
  }
  await first.close();
  const budget = await h.scan(usage);
  const w = h.create(budget);
  const ready = await w.ready.catch((e: unknown) => {
    const cause = limitCause(e);
    if (!cause || h.signal.aborted) throw e;
    const err = e as Error & { hint?: string };
    return w.fallBackToPoll(`native watching cannot start: ${err.message}`, cause, err.hint);
  });
  return { w, ready, budget };
}

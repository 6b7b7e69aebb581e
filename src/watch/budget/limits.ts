/**
 * The two kernel limits that stop inotify, explained with their fix (the same sysctl fix and suggested
 * value `hotwatch doctor` prints: os/sysctl.ts). Never "too many open files" alone: EMFILE/ENFILE from
 * the helper's inotify_init1 (or fs.watch's first watch) means no inotify instance could be created.
 */
import os from 'node:os';
import { HotwatchError, isHotwatchError } from '../../errors.js';
import { effectiveInstanceLimit, effectiveWatchLimit, inotifyUsageByUser, readInotifyLimits } from '../../os/inotify.js';
import { inotifyLimitHint, suggestedInstanceLimit, suggestedWatchLimit } from '../../os/sysctl.js';

function uid(): number | undefined {
  try {
    return os.userInfo().uid;
  } catch {
    return undefined;
  }
}

/** The watch limit (max_user_watches or the user namespace's max_inotify_watches) is used up. */
export function watchLimitError(needed: number, cause?: unknown, atLeast = false): HotwatchError {
  const limits = readInotifyLimits();
  const limit = effectiveWatchLimit(limits);
  const u = uid();
  const used = u === undefined ? undefined : inotifyUsageByUser(u, { topN: 3 });
  const top = used?.top
    .filter((c) => c.watches > 0)
    .map((c) => `pid ${c.pid} ${c.cmd.slice(0, 60)}: ${c.watches}`)
    .join(', ');
  const msg =
    `inotify watch limit reached: this repo needs ${atLeast ? 'more than ' : ''}${needed} watches (one per directory) but the limit is ` +
    `${limit ?? 'unknown'}${used?.watches ? ` and this user's processes already hold ${used.watches}` : ''}` +
    `${top ? ` (${top})` : ''}; watching natively would leave directories silently unwatched`;
  const fix = inotifyLimitHint(
    'watches',
    { fs: limits.maxUserWatches, ns: limits.userNs.maxInotifyWatches },
    (used?.watches ?? 0) + needed,
    suggestedWatchLimit(used?.watches ?? 0, needed),
  );
  const hint = `${fix.hint}; or exclude more directories (watch.excludeDirs)`;
  return new HotwatchError('WATCH_LIMIT', msg, { hint, cause, exitCode: 1 });
}

/** No inotify instance could be created (EMFILE/ENFILE from inotify_init1). */
export function instanceLimitError(cause?: unknown): HotwatchError {
  const limits = readInotifyLimits();
  const limit = effectiveInstanceLimit(limits);
  const u = uid();
  const used = u === undefined ? undefined : inotifyUsageByUser(u, { topN: 3 });
  const top = used?.top
    .filter((c) => c.instances > 0)
    .map((c) => `pid ${c.pid} ${c.cmd.slice(0, 60)}: ${c.instances}`)
    .join(', ');
  const fix = inotifyLimitHint(
    'instances',
    { fs: limits.maxUserInstances, ns: limits.userNs.maxInotifyInstances },
    (used?.instances ?? 0) + 1,
    suggestedInstanceLimit(used?.instances ?? 0),
  );
  const msg =
    `cannot create an inotify instance: the inotify instance limit (${fix.binds}) is reached` +
    ` (limit ${limit ?? 'unknown'}${used ? `, ${used.instances} held by this user's processes` : ''}` +
    `${top ? `: ${top}` : ''}). This is not the open-files limit`;
  const hint = `${fix.hint}; or stop a process that holds many instances`;
  return new HotwatchError('INSTANCE_LIMIT', msg, { hint, cause, exitCode: 1 });
}

/** The cause a kernel-limit error stands for; undefined when `e` is not one of the two errors above. */
export function limitCause(e: unknown): 'watch-limit' | 'instance-limit' | undefined {
  if (!isHotwatchError(e)) return undefined;
  return e.code === 'WATCH_LIMIT' ? 'watch-limit' : e.code === 'INSTANCE_LIMIT' ? 'instance-limit' : undefined;
}

/** The notice code of a limit error, named after the errno a person searches for. */
export function limitNoticeCode(cause: 'watch-limit' | 'instance-limit'): 'ENOSPC' | 'EMFILE' {
  return cause === 'watch-limit' ? 'ENOSPC' : 'EMFILE';
}

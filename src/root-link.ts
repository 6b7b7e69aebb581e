/**
 * A root given as a symlink (`hotwatch run --root app`, app -> checkout-a) is resolved once, at start:
 * re-pointed later (`ln -sfn checkout-b app`, a deploy-style switch of worktrees), hotwatch kept watching
 * and serving checkout-a, in silence, while the developer edited checkout-b. The link is read again every
 * CHECK_MS (only for a root given so: one readlink), and a new target is said at warn, once per target,
 * with the fix.
 */
import type { Logger } from './log/logger.js';
import { realPathOr } from './os/safe-fs.js';

const CHECK_MS = 10_000;

export function followRootLink(givenAs: string, watched: string, log: Logger, signal: AbortSignal): void {
  let said = watched;
  const timer = setInterval(() => {
    const now = realPathOr(givenAs);
    if (now === said) return;
    said = now;
    if (now === watched) {
      log.info(
        { event: 'root.link-back', root: givenAs, target: now },
        `${givenAs} names ${watched} again: the directory hotwatch watches`,
      );
      return;
    }
    log.warn(
      { event: 'root.link-moved', root: givenAs, target: now, watched, hint: 'restart hotwatch to follow it' },
      `${givenAs} now names ${now}, but hotwatch watches ${watched} (where it led at start): edits in ${now} are NOT seen; fix: restart hotwatch (Ctrl-C, then run it again) to follow the link`,
    );
  }, CHECK_MS);
  timer.unref();
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

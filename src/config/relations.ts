/**
 * Checks between keys that zod checks one at a time: a quiet window longer than the cap it lives under,
 * a backoff whose cap is below its start. Each names the key the file sets (file:line:col), and the
 * other side with its value ("1s, the default" when the file leaves it out). Exit 2, like any config error.
 */
import { HotwatchError } from '../errors.js';
import { parseDuration } from './duration.js';
import type { Config } from './schema.js';
import type { ConfigPath } from './yaml-position.js';

type Locate = (path: ConfigPath) => string | undefined;

/** `small` must not be longer than `big` (both durations); `only`: check only when the file sets `small`. */
function atMost(cfg: Config, locate: Locate, small: [string, string], big: [string, string], why: string, only = false): void {
  const value = (p: [string, string]): string => (cfg as unknown as Record<string, Record<string, string>>)[p[0]]![p[1]]!;
  const [s, b] = [value(small), value(big)];
  if (parseDuration(s)! <= parseDuration(b)!) return;
  const [smallAt, bigAt] = [locate(small), locate(big)];
  if (only && smallAt === undefined) return;
  // Point at the key the file sets; when it sets both, at `small`.
  const [at, other, where] = smallAt !== undefined ? [small, big, smallAt] : [big, small, bigAt];
  const name = (p: [string, string]): string => p.join('.');
  const shown = (p: [string, string]): string => `${value(p)}${locate(p) === undefined ? ', the default' : ''}`;
  const message =
    at === small
      ? `${name(small)}: ${s} is longer than ${name(big)} (${shown(big)}): ${why}`
      : `${name(big)}: ${b} is shorter than ${name(small)} (${shown(small)}): ${why}`;
  throw new HotwatchError('CONFIG_INVALID', message, {
    ...(where !== undefined ? { where } : {}),
    hint: `make ${name(small)} at most ${name(big)}: e.g. set ${name(at)}: ${value(other)}, or also set ${name(other)}: ${value(at)}`,
  });
}

export function checkRelations(cfg: Config, locate: Locate): void {
  atMost(cfg, locate, ['debounce', 'quiet'], ['debounce', 'maxWait'], 'maxWait is the longest a batch waits, so it caps the quiet window');
  // loneQuiet defaults to 15ms: only a value the file sets is refused (a smaller quiet caps the default).
  atMost(cfg, locate, ['debounce', 'loneQuiet'], ['debounce', 'quiet'], 'a lone save would wait longer than a burst (loneQuiet is capped at quiet)', true);
  atMost(cfg, locate, ['debounce', 'settledQuiet'], ['debounce', 'loneQuiet'], 'a save known complete would wait longer than one that is not (settledQuiet is capped at loneQuiet)', true);
  atMost(cfg, locate, ['run', 'backoffInitial'], ['run', 'backoffMax'], 'backoffMax caps every restart delay, the first one included');
}

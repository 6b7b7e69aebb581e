/**
 * What makes a watch glob "bad". picomatch never rejects a pattern by default: an unclosed brace such as
 * "**\/*.{go,tmpl" silently compiles to a regex that matches nothing (/$^/), and an unclosed "[" or "("
 * silently becomes a literal character. Both are typos that would make a rule silently do nothing, so
 * here a glob is bad when (measured with picomatch 4.0.7):
 * - it is empty;
 * - picomatch with `strictBrackets` reports an unbalanced [ ], { } or ( );
 * - it compiles to the never-matching regex;
 * - it can never match a path relative to the root (absolute, or climbing out with "..").
 */
import picomatch from 'picomatch';

export interface GlobProblem {
  /** What is wrong, e.g. `bad glob "{a,b": "{" is never closed`. */
  message: string;
  /** The fix. */
  fix: string;
}

const NEVER = String(/$^/);
const OPENERS: Record<string, string> = { ']': '[', '}': '{', ')': '(' };
const CLOSERS: Record<string, string> = { '[': ']', '{': '}', '(': ')' };

export function globProblem(glob: string): GlobProblem | undefined {
  const q = JSON.stringify(glob);
  if (glob.trim() === '') return { message: 'an empty glob matches nothing', fix: 'remove it, or write a pattern such as "**/*.go"' };
  let strictError: string | undefined;
  try {
    picomatch.makeRe(glob, { strictBrackets: true });
  } catch (e) {
    strictError = e instanceof Error ? e.message : String(e);
  }
  if (strictError !== undefined) {
    const m = /Missing (closing|opening): "(.)"/.exec(strictError);
    if (m?.[1] === 'closing') {
      const open = OPENERS[m[2]!] ?? m[2]!;
      return {
        message: `bad glob ${q}: "${open}" is never closed`,
        fix: `close it with "${m[2]}", or escape it as \\${open} to match a literal "${open}"`,
      };
    }
    if (m?.[1] === 'opening') {
      const open = m[2]!;
      const close = CLOSERS[open] ?? open;
      return {
        message: `bad glob ${q}: "${close}" has no opening "${open}"`,
        fix: `escape it as \\${close} to match a literal "${close}", or add the missing "${open}"`,
      };
    }
    return { message: `bad glob ${q}: ${strictError}`, fix: 'see https://github.com/micromatch/picomatch#globbing-features' };
  }
  if (String(picomatch.makeRe(glob)) === NEVER) {
    return {
      message: `bad glob ${q}: it can never match anything`,
      fix: 'look for a trailing backslash or an unbalanced bracket; escape special characters with \\',
    };
  }
  if (glob.startsWith('/')) {
    return {
      message: `bad glob ${q}: globs match paths relative to the root, so an absolute pattern never matches`,
      fix: `write it relative to the root, e.g. ${JSON.stringify(glob.replace(/^\/+/, ''))}`,
    };
  }
  if (/(^|\/)\.\.(\/|$)/.test(glob)) {
    return {
      message: `bad glob ${q}: ".." climbs out of the root, so the pattern never matches`,
      fix: 'write it relative to the root, without ".."',
    };
  }
  return undefined;
}

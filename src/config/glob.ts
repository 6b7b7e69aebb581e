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
import { yamlQuote } from './yaml-quote.js';

export interface GlobProblem {
  /** What is wrong, e.g. `bad glob "{a,b": "{" is never closed`. */
  message: string;
  /** The fix in words (used when none of `alternatives` is accepted by the whole config). */
  fix: string;
  /**
   * Concrete fixes, each a glob that passes these checks (or null: remove the glob), with its text:
   * `close it: "{a,b}"`. The config loader offers only those the whole config accepts.
   */
  alternatives: GlobAlternative[];
}

export interface GlobAlternative {
  text: string;
  value: string | null;
}

/** Index of the first unmatched `open` (closer missing) or `close` (opener missing), escapes skipped. */
function unmatched(glob: string, open: string, close: string, which: 'open' | 'close'): number {
  const stack: number[] = [];
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '\\') {
      i++;
      continue;
    }
    if (glob[i] === open) stack.push(i);
    else if (glob[i] === close) {
      if (stack.length === 0) {
        if (which === 'close') return i;
      } else stack.pop();
    }
  }
  return which === 'open' && stack.length > 0 ? stack[0]! : -1;
}

/** Keep the candidates that are good globs themselves. */
const good = (alts: GlobAlternative[]): GlobAlternative[] => alts.filter((a) => a.value === null || globProblem(a.value) === undefined);

const NEVER = String(/$^/);
const OPENERS: Record<string, string> = { ']': '[', '}': '{', ')': '(' };
const CLOSERS: Record<string, string> = { '[': ']', '{': '}', '(': ')' };

export function globProblem(glob: string): GlobProblem | undefined {
  if (glob.trim() === '') {
    return {
      message: 'an empty glob matches nothing',
      fix: 'remove it, or write a pattern such as "**/*.go"',
      alternatives: [{ text: 'remove it, or write a pattern such as "**/*.go"', value: null }],
    };
  }
  let strictError: string | undefined;
  try {
    picomatch.makeRe(glob, { strictBrackets: true });
  } catch (e) {
    strictError = e instanceof Error ? e.message : String(e);
  }
  if (strictError !== undefined) return bracketProblem(glob, strictError);
  return matchProblem(glob);
}

/** A bracket, brace or parenthesis opened and never closed, or closed and never opened. */
function bracketProblem(glob: string, strictError: string): GlobProblem {
  const q = JSON.stringify(glob);
  const m = /Missing (closing|opening): "(.)"/.exec(strictError);
  if (m?.[1] === 'closing') {
    const close = m[2]!;
    const open = OPENERS[close] ?? close;
    const at = unmatched(glob, open, close, 'open');
    return {
      message: `bad glob ${q}: "${open}" is never closed`,
      fix: `close it with "${close}", or escape it as \\${open} to match a literal "${open}"`,
      alternatives: good([
        { text: `close it: ${yamlQuote(glob + close)}`, value: glob + close },
        ...(at < 0
          ? []
          : [
              {
                text: `escape it to match a literal "${open}": ${yamlQuote(`${glob.slice(0, at)}\\${glob.slice(at)}`)}`,
                value: `${glob.slice(0, at)}\\${glob.slice(at)}`,
              },
            ]),
      ]),
    };
  }
  if (m?.[1] === 'opening') {
    const open = m[2]!;
    const close = CLOSERS[open] ?? open;
    const at = unmatched(glob, open, close, 'close');
    return {
      message: `bad glob ${q}: "${close}" has no opening "${open}"`,
      fix: `escape it as \\${close} to match a literal "${close}", or add the missing "${open}"`,
      alternatives:
        at < 0
          ? []
          : good([
              {
                text: `escape it to match a literal "${close}": ${yamlQuote(`${glob.slice(0, at)}\\${glob.slice(at)}`)}`,
                value: `${glob.slice(0, at)}\\${glob.slice(at)}`,
              },
              {
                text: `remove the "${close}": ${yamlQuote(glob.slice(0, at) + glob.slice(at + 1))}`,
                value: glob.slice(0, at) + glob.slice(at + 1),
              },
            ]),
    };
  }
  return {
    message: `bad glob ${q}: ${strictError}`,
    fix: 'see https://github.com/micromatch/picomatch#globbing-features',
    alternatives: [],
  };
}

/** A well-formed glob that still cannot match a path under the root. */
function matchProblem(glob: string): GlobProblem | undefined {
  const q = JSON.stringify(glob);
  if (String(picomatch.makeRe(glob)) === NEVER) {
    const trimmed = glob.replace(/\\+$/, '');
    return {
      message: `bad glob ${q}: it can never match anything`,
      fix: 'look for a trailing backslash or an unbalanced bracket; escape special characters with \\',
      alternatives:
        trimmed !== glob && trimmed !== '' ? good([{ text: `drop the trailing backslash: ${yamlQuote(trimmed)}`, value: trimmed }]) : [],
    };
  }
  if (glob.startsWith('/')) {
    const relative = glob.replace(/^\/+/, '');
    return {
      message: `bad glob ${q}: globs match paths relative to the root, so an absolute pattern never matches`,
      fix: 'write it relative to the root',
      alternatives: relative === '' ? [] : good([{ text: `write it relative to the root: ${yamlQuote(relative)}`, value: relative }]),
    };
  }
  if (/(^|\/)\.\.(\/|$)/.test(glob)) {
    return {
      message: `bad glob ${q}: ".." climbs out of the root, so the pattern never matches`,
      fix: 'write it relative to the root, without ".."',
      alternatives: [{ text: 'remove it: only files under the root are watched (to watch that directory, make it the root)', value: null }],
    };
  }
  return undefined;
}

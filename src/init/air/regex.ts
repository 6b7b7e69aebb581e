/**
 * air's exclude_regex (Go regular expressions matched anywhere in a file's path) as hotwatch globs
 * (matched against the whole path from the root, a directory matched being skipped). Only the simple
 * shapes convert: literal text, `\.`-escaped dots, `.*`, and a trailing `$`. The converted glob matches
 * the same files, with two deliberate readings noted where they apply: an unescaped `.` before letters
 * ("_test.go") is read as the literal dot its author meant, and `.*` does not cross a `/`.
 * Anything else (alternation, classes, groups, `^`, `+`, `?`) is left to the person, with the reason.
 */

export type RegexGlob = { glob: string } | { reason: string };

/** One segment's regex text → glob text, or undefined when it is not one of the simple shapes. */
function segment(re: string): string | undefined {
  let out = '';
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === '\\') {
      const next = re[++i];
      if (next === undefined || !/[.\-_/]/.test(next)) return undefined;
      out += next;
    } else if (c === '.' && re[i + 1] === '*') {
      out += '*';
      i++;
    } else if (c === '.') {
      // "_test.go": an unescaped dot between a name and an extension is meant as a dot.
      if (!/[A-Za-z0-9]/.test(re[i + 1] ?? '')) return undefined;
      out += '.';
    } else if (/[A-Za-z0-9_-]/.test(c)) out += c;
    else return undefined;
  }
  return out;
}

/** Collapse runs of `*` inside one segment (`**` there would mean nothing more). */
const tidy = (seg: string): string => seg.replace(/\*{2,}/g, '*');

export function regexToGlob(re: string): RegexGlob {
  if (/^_test\\?\.go\$?$/.test(re)) return { glob: '**/*_test.go' };
  if (re.startsWith('^'))
    return { reason: 'anchored with ^ (air matches the absolute path, so this is rarely what it seems): write the glob by hand' };
  const anchored = re.endsWith('$') && !re.endsWith('\\$');
  const body = anchored ? re.slice(0, -1) : re;
  const segs = body.split('/').map(segment);
  if (body === '' || segs.some((p) => p === undefined)) {
    return {
      reason:
        'not a simple pattern (only literal text, \\. and .* with an optional trailing $ convert): write it as a glob in watch.exclude',
    };
  }
  const parts = segs as string[];
  const end = (seg: string): string => tidy(`${seg}${anchored ? '' : '*'}`);
  if (parts.length === 1) return { glob: `**/${tidy(`*${end(parts[0]!)}`)}` };
  // "gen/": the text before a "/" ends a directory name (matched anywhere), the text after it starts the next part.
  const first = parts[0] === '' ? [] : [tidy(`*${parts[0]}`)];
  const last = parts[parts.length - 1] === '' ? '**' : end(parts[parts.length - 1]!);
  return { glob: ['**', ...first, ...parts.slice(1, -1), last].join('/') };
}

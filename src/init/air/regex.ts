/**
 * air's exclude_regex (Go regular expressions matched anywhere in a file's path) as hotwatch globs
 * (matched against the whole path from the root, a directory matched being skipped). Only the simple
 * shapes convert: literal text, `\.`-escaped dots, `.*`, and a trailing `$`. The converted globs match
 * the same files, with one deliberate reading: an unescaped `.` before letters ("_test.go") is read as the
 * literal dot its author meant. A `.*` crosses `/` as in the regex: `gen/.*\.go$` excludes the .go files
 * below a gen directory at any depth, as air did (`readings`).
 * Anything else (alternation, classes, groups, `^`, `+`, `?`, more than two `.*` inside a name) is left to the
 * person, with the reason.
 */

export type RegexGlob = { globs: string[] } | { reason: string };

/** Where a `.*` stood in a segment, until it is read as one level or across directories (`readings`). */
const ANY = '\u0000';
const MAX_INNER_ANY = 2;

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
      out += ANY;
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

/** Collapse runs of `*` (and `.*`) inside one segment (`**` there would mean nothing more). */
const tidy = (seg: string): string => seg.replace(/[*\0]*\0[*\0]*/g, ANY).replace(/\*{2,}/g, '*');

/**
 * The globs for a glob whose `.*`s are still marked: a `.*` at a segment's start or end reads across
 * directories in one glob (a globstar beside it); at the pattern's start or end it needs none (a globstar
 * leads every glob, and an excluded directory takes its tree); inside a segment's text it takes two globs,
 * one level and across. Undefined past MAX_INNER_ANY of those.
 */
function readings(marked: string): string[] | undefined {
  const parts = marked
    .replace(/^\*\*\/\0/, '**/*')
    .replace(/\0$/, '*')
    .replace(/\/\0/g, '/**/*')
    .replace(/\0\//g, '*/**/')
    .split(ANY);
  if (parts.length - 1 > MAX_INNER_ANY) return undefined;
  let globs = [parts[0]!];
  for (const next of parts.slice(1)) globs = globs.flatMap((g) => [`${g}*${next}`, `${g}*/**/*${next}`]);
  return globs;
}

export function regexToGlob(re: string): RegexGlob {
  const glob = oneGlob(re);
  if (!('glob' in glob)) return glob;
  const globs = readings(glob.glob);
  return globs
    ? { globs }
    : { reason: `more than ${MAX_INNER_ANY} .* inside names (each may or may not cross a directory): write the globs by hand` };
}

function oneGlob(re: string): { glob: string } | { reason: string } {
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

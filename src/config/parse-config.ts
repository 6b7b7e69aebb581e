/**
 * Text of watcher.config.yaml → validated Config, or ONE HotwatchError (exit 2) listing every problem
 * (at most 10, in file order), each formatted `<file>:<line>:<col> <dotted.key>: <what>` with a `fix:`
 * line where there is one; then the checks between keys (relations.ts). A YAML syntax error is reported
 * alone (what follows it cannot be read reliably). Every concrete fix is applied to the config before it
 * is offered and kept only when the config accepts it (verify()), so no suggested fix is itself refused.
 * An empty file (or one holding only comments) means all defaults. A key with no value (`build:` whose
 * children are all commented out, `cmd:`) keeps its default.
 */
import { isMap, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { HotwatchError } from '../errors.js';
import { ConfigSchema, type Config } from './schema.js';
import { configErrorMap, problemsFromIssues, showValue, type ConfigEdit, type ConfigProblem, type FixAlternative } from './issues.js';
import { allSchemaPaths, schemaKeysAt } from './schema-keys.js';
import { nulProblems } from './nul-bytes.js';
import { relationProblems } from './relations.js';
import { formatPath, pathOfKeyAt, positionOf, type ConfigPath } from './yaml-position.js';

export interface ParsedConfig {
  config: Config;
  /** `file:line:col` of the value at `path`, or undefined when the file does not set it. */
  locate(path: ConfigPath): string | undefined;
}

/** Fixes for the YAML syntax errors people actually make (yaml's error codes). */
const SYNTAX_HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  BAD_INDENT: 'align keys of one mapping at the same column and indent children with spaces',
  BLOCK_AS_IMPLICIT_KEY: 'put a nested key on its own indented line, or quote a value that contains ": "',
  MISSING_CHAR: 'close the quote or bracket opened before this point',
  MULTIPLE_DOCS: 'keep a single document: remove the second "---"',
  BAD_SCALAR_START: 'quote the value',
  UNEXPECTED_TOKEN: 'check the indentation and quote values that contain special characters',
};

/**
 * The opening bracket left unclosed before `end` (yaml reports it where the file or the block ended, and
 * calls it an indentation problem): its offset, or undefined. Quotes and comments are skipped.
 */
function unclosedBracket(text: string, end: number, close: string): number | undefined {
  const open = close === ']' ? '[' : '{';
  const stack: number[] = [];
  let quote = '';
  for (let i = 0; i < Math.min(end, text.length); i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    else if (c === '[' || c === '{') stack.push(c === open ? i : -1);
    else if (c === ']' || c === '}') stack.pop();
  }
  const at = stack.filter((o) => o >= 0).pop();
  return at;
}

/**
 * The quote left unclosed before `end` (yaml reports it where the file ended): its offset, or undefined.
 * A quote opens a scalar only where a value starts (after `: `, `- `, `[`, `{`, `,` or indentation), so
 * the apostrophe of `don't` is not one; `''` inside single quotes and `\"` inside double ones are escapes.
 */
function unclosedQuote(text: string, end: number): number | undefined {
  let open: number | undefined;
  for (let i = 0; i < Math.min(end, text.length); i++) {
    const c = text[i]!;
    if (open !== undefined) {
      const q = text[open]!;
      if (q === '"' && c === '\\') i++;
      else if (q === "'" && c === "'" && text[i + 1] === "'") i++;
      else if (c === q) open = undefined;
    } else if ((c === '"' || c === "'") && /(^|[:\-[{,]\s*|\n\s*|^\s*)$/.test(text.slice(Math.max(0, i - 40), i))) open = i;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
  }
  return open;
}

function syntaxError(doc: Document, lc: LineCounter, shown: string, err: YAMLError, text: string): HotwatchError {
  const quoteAt = err.code === 'MISSING_CHAR' && /quote/i.test(err.message) ? unclosedQuote(text, err.pos[0]) : undefined;
  if (quoteAt !== undefined) {
    const at = lc.linePos(quoteAt);
    const q = text[quoteAt]!;
    return new HotwatchError('CONFIG_PARSE', `invalid YAML: the ${q} opened here is never closed`, {
      where: `${shown}:${at.line}:${at.col}`,
      hint: `close it with ${q} at the end of the value`,
    });
  }
  const close = err.code === 'BAD_INDENT' ? /end with a ([\]}])$/.exec(err.message)?.[1] : undefined;
  const opened = close ? unclosedBracket(text, err.pos[0], close) : undefined;
  if (close && opened !== undefined) {
    const at = lc.linePos(opened);
    return new HotwatchError('CONFIG_PARSE', `invalid YAML: the ${close === ']' ? '[' : '{'} opened here is never closed`, {
      where: `${shown}:${at.line}:${at.col}`,
      hint: `close it with ${close} (or write ${close === ']' ? 'the list as indented "- item" lines' : 'its keys as indented "key: value" lines'})`,
    });
  }
  const offset = err.pos[0];
  const { line, col } = lc.linePos(offset);
  const where = `${shown}:${line}:${col}`;
  if (err.code === 'DUPLICATE_KEY') {
    const path = pathOfKeyAt(doc, offset);
    if (path) {
      const first = positionOf(doc, lc, path, 'key');
      const firstLine = first.offset !== offset ? ` (first set at line ${first.line})` : '';
      // A section given twice holds settings in both: keeping one would lose the other's.
      const section = isMap(doc.getIn(path, true));
      return new HotwatchError('CONFIG_PARSE', `${formatPath(path)}: key given twice${firstLine}`, {
        where,
        hint: section ? `merge the two ${formatPath(path)}: sections into one` : 'keep only one of them',
      });
    }
  }
  const hint = SYNTAX_HINTS[err.code];
  const what = err.code === 'MULTIPLE_DOCS' ? 'the file holds more than one YAML document' : err.message;
  return new HotwatchError('CONFIG_PARSE', `invalid YAML: ${what}`, hint ? { where, hint } : { where });
}

/**
 * toJS throws on an alias to an anchor that does not exist (pointed at), and on aliases that multiply
 * past yaml's limit (an "alias bomb": each alias expands to the anchor's whole value): pointed at the
 * first alias, with its own fix.
 */
function aliasError(doc: Document, lc: LineCounter, shown: string, e: unknown): HotwatchError {
  const message = e instanceof Error ? e.message : String(e);
  if (/excessive alias count/i.test(message)) {
    let first = 0;
    visit(doc, {
      Alias(_, node) {
        first = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const at = lc.linePos(first);
    return new HotwatchError('CONFIG_PARSE', 'invalid YAML: its aliases (*name) expand to more values than a config can hold', {
      where: `${shown}:${at.line}:${at.col}`,
      hint: 'write the values out instead of aliasing lists of aliases; a config needs few aliases, if any',
      cause: e,
    });
  }
  let offset = 0;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined && node.range) {
        offset = node.range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  const { line, col } = lc.linePos(offset);
  return new HotwatchError('CONFIG_PARSE', `invalid YAML: ${message}`, {
    where: `${shown}:${line}:${col}`,
    hint: 'define the anchor (&name) before using the alias (*name)',
    cause: e,
  });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Drop keys without a value in the top level and in each section, so they keep their defaults. */
function dropEmptyKeys(js: unknown): unknown {
  if (!isPlainObject(js)) return js;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(js)) {
    if (v === null) continue;
    if (isPlainObject(v)) out[k] = Object.fromEntries(Object.entries(v).filter(([, inner]) => inner !== null));
    else out[k] = v;
  }
  return out;
}

/** The problems of a config given as plain data (schema first; the relations once the schema passes). */
function validate(input: unknown): { config?: Config; problems: ConfigProblem[]; schemaFailed?: true } {
  const nul = nulProblems(input);
  if (nul.length > 0) return { problems: nul, schemaFailed: true };
  const result = ConfigSchema.safeParse(input, { error: configErrorMap, reportInput: true });
  if (!result.success)
    return { problems: problemsFromIssues(result.error.issues, schemaKeysAt, allSchemaPaths(), input), schemaFailed: true };
  const relations = relationProblems(result.data, (p) => hasIn(input, p));
  return relations.length > 0 ? { problems: relations } : { config: result.data, problems: [] };
}

/**
 * The checks between keys, on the file without the keys the schema refused: said beside those, so fixing
 * them does not bring a second round of errors (two apps on one port, behind a typo elsewhere). A check
 * that involves a refused key is left out (it would judge a default the file does not mean).
 */
function relationsBeside(input: unknown, schemaProblems: readonly ConfigProblem[]): ConfigProblem[] {
  const refused = schemaProblems.map((p) => owners(p)[0]!);
  const pruned = applyEdits(
    structuredClone(input),
    refused.map((path) => ({ path, remove: true as const })),
  );
  const result = ConfigSchema.safeParse(pruned, { error: configErrorMap });
  if (!result.success) return [];
  return relationProblems(result.data, (p) => hasIn(pruned, p)).filter(
    (r) => !owners(r).some((o) => refused.some((k) => overlaps(o, k))) && !refused.some((k) => overlaps(k, r.path)),
  );
}

function hasIn(v: unknown, path: ConfigPath): boolean {
  let node = v;
  for (const seg of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, seg)) return false;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return true;
}

function getIn(v: unknown, path: ConfigPath): unknown {
  return path.reduce<unknown>(
    (node, seg) => (node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[seg] : undefined),
    v,
  );
}

function removeIn(root: unknown, path: ConfigPath): void {
  const parent = getIn(root, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else if (parent !== null && typeof parent === 'object') delete (parent as Record<string | number, unknown>)[last];
}

function setIn(root: Record<string, unknown>, path: ConfigPath, value: unknown): Record<string, unknown> {
  if (path.length === 0) return value as Record<string, unknown>;
  let node: Record<string | number, unknown> = root;
  for (const seg of path.slice(0, -1)) {
    const next = node[seg];
    if (next === null || typeof next !== 'object') node[seg] = {};
    node = node[seg] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]!] = value;
  return root;
}

/** `input` with `edits` applied (a copy). Exported for tests that apply fixes the same way. */
export function applyEdits(input: unknown, edits: readonly ConfigEdit[]): unknown {
  let out = (structuredClone(input) ?? {}) as Record<string, unknown>;
  for (const e of edits) {
    if ('moveTo' in e) {
      const value = 'set' in e ? e.set : getIn(out, e.path);
      removeIn(out, e.path);
      out = setIn(out, e.moveTo, value);
    } else if ('remove' in e) removeIn(out, e.path);
    else out = setIn(out, e.path, e.set);
  }
  return out;
}

/** The keys a problem is about, as deep as a key of a section (a bad list item counts for its whole list). */
function owners(p: ConfigProblem): ConfigPath[] {
  return [p.anchor === 'key' ? p.path : p.path.slice(0, 2), ...(p.related ?? [])];
}

const within = (a: ConfigPath, b: ConfigPath): boolean => a.length <= b.length && a.every((seg, i) => seg === b[i]);
const overlaps = (a: ConfigPath, b: ConfigPath): boolean => within(a, b) || within(b, a);

/**
 * Whether the config accepts `alt`, the fix for `problem`: applied to the file with the keys of the
 * other problems removed (so their mistakes neither hide nor cause a refusal), nothing is wrong with the
 * keys it edits, beyond the other problems that were on those same keys.
 */
function accepts(input: unknown, all: readonly ConfigProblem[], problem: ConfigProblem, alt: FixAlternative): boolean {
  const edited = alt.edits.flatMap((e) => ('moveTo' in e ? [e.path, e.moveTo] : [e.path])).map((e) => e.slice(0, 2));
  const touches = (p: ConfigProblem) => owners(p).some((o) => edited.some((e) => overlaps(o, e)));
  const others = all.filter((p) => p !== problem);
  const kept = others.filter(touches);
  let base = structuredClone(input);
  for (const p of others) if (!kept.includes(p)) base = applyEdits(base, [{ path: owners(p)[0]!, remove: true }]);
  const after = validate(applyEdits(base, alt.edits)).problems;
  return after.filter(touches).length <= kept.length;
}

/** The problem as it is said: its accepted alternatives in the hint (or in the message, `finish`). */
function finish(input: unknown, all: readonly ConfigProblem[], p: ConfigProblem): { message: string; hint: string | undefined } {
  const alts = p.alternatives ?? [];
  const accepted: FixAlternative[] = [];
  for (const alt of alts) {
    if (!accepts(input, all, p, alt)) continue;
    accepted.push(alt);
    if (p.pick === 'first') break;
  }
  const move = alts[0]?.edits[0];
  if (move !== undefined && 'moveTo' in move) return finishMove(input, all, p, move, accepted.length > 0);
  if (p.finish) return p.finish(accepted);
  return { message: p.message, hint: accepted.length > 0 ? accepted.map((a) => a.text).join(', or ') : p.hint };
}

/**
 * An unknown key with a did-you-mean: the key is the fix when its value is accepted there. When it is
 * not (`max_wait: 2`), the fix is the key with the value's own accepted fix (`write it as
 * debounce.maxWait: "2s"`), or else what is wrong with the value there.
 */
function finishMove(
  input: unknown,
  all: readonly ConfigProblem[],
  p: ConfigProblem,
  move: ConfigEdit & { moveTo: ConfigPath },
  ok: boolean,
): { message: string; hint: string | undefined } {
  if (ok) return { message: p.message, hint: p.hint };
  const moved = applyEdits(input, [move]);
  const there = validate(moved).problems.filter((q) => within(move.moveTo, q.path));
  for (const q of there) {
    for (const alt of q.alternatives ?? []) {
      const set =
        alt.edits.length === 1 && 'set' in alt.edits[0]! && !('moveTo' in alt.edits[0]) && within(move.moveTo, alt.edits[0].path)
          ? alt.edits[0]
          : undefined;
      if (set === undefined || set.path.length !== move.moveTo.length) continue;
      const combined: FixAlternative = {
        text: `write it as ${formatPath(move.moveTo)}: ${showValue(set.set)}`,
        edits: [{ path: move.path, moveTo: move.moveTo, set: set.set }],
      };
      if (accepts(input, all, p, combined)) return { message: p.message, hint: combined.text };
    }
  }
  const why = there[0]?.message.replace(/^[^:]+: /, '');
  return { message: p.message, hint: why === undefined ? p.hint : `as ${formatPath(move.moveTo)} its value is refused too: ${why}` };
}

/** How many problems one error lists. */
export const MAX_PROBLEMS = 10;

/**
 * Parse and validate. `shown` is how the file is named in messages (relative to cwd when inside it).
 */
export function parseConfigText(text: string, shown: string): ParsedConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const yamlProblems = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
  if (yamlProblems[0]) throw syntaxError(doc, lc, shown, yamlProblems[0], text);

  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw aliasError(doc, lc, shown, e);
  }
  const input = dropEmptyKeys(js ?? {});

  const locate = (path: ConfigPath): string | undefined => {
    if (!doc.hasIn(path)) return undefined;
    const { line, col } = positionOf(doc, lc, path, 'value');
    return `${shown}:${line}:${col}`;
  };

  const checked = validate(input);
  const { config } = checked;
  if (config) return { config, locate };
  const problems = checked.schemaFailed ? [...checked.problems, ...relationsBeside(input, checked.problems)] : checked.problems;
  if (problems.length === 0) throw new HotwatchError('INTERNAL', `config validation failed without an issue (${shown})`);

  const placed = problems
    .map((problem) => ({ problem, pos: positionOf(doc, lc, problem.path, problem.anchor) }))
    .sort((a, b) => a.pos.offset - b.pos.offset);
  const errors = placed.slice(0, MAX_PROBLEMS).map(({ problem, pos }) => {
    const { message, hint } = finish(input, problems, problem);
    return new HotwatchError('CONFIG_INVALID', message, { where: `${shown}:${pos.line}:${pos.col}`, ...(hint ? { hint } : {}) });
  });
  throw HotwatchError.together(errors, shown, placed.length);
}

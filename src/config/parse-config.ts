/**
 * Text of watcher.config.yaml → validated Config, or ONE HotwatchError (exit 2) for the first problem by
 * position, formatted `<file>:<line>:<col> <dotted.key>: <what>` with a `fix:` line where there is one;
 * then the checks between keys (relations.ts).
 * An empty file (or one holding only comments) means all defaults. A key with no value (`build:` whose
 * children are all commented out, `cmd:`) keeps its default.
 */
import { LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { HotwatchError } from '../errors.js';
import { ConfigSchema, type Config } from './schema.js';
import { configErrorMap, problemsFromIssues, type ConfigProblem } from './issues.js';
import { allSchemaPaths, schemaKeysAt } from './schema-keys.js';
import { checkRelations } from './relations.js';
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

function syntaxError(doc: Document, lc: LineCounter, shown: string, err: YAMLError): HotwatchError {
  const offset = err.pos[0];
  const { line, col } = lc.linePos(offset);
  const where = `${shown}:${line}:${col}`;
  if (err.code === 'DUPLICATE_KEY') {
    const path = pathOfKeyAt(doc, offset);
    if (path) {
      const first = positionOf(doc, lc, path, 'key');
      const firstLine = first.offset !== offset ? ` (first set at line ${first.line})` : '';
      return new HotwatchError('CONFIG_PARSE', `${formatPath(path)}: key given twice${firstLine}`, {
        where,
        hint: 'keep only one of them',
      });
    }
  }
  const hint = SYNTAX_HINTS[err.code];
  const what = err.code === 'MULTIPLE_DOCS' ? 'the file holds more than one YAML document' : err.message;
  return new HotwatchError('CONFIG_PARSE', `invalid YAML: ${what}`, hint ? { where, hint } : { where });
}

/** An alias to an anchor that does not exist makes toJS throw; point at the alias. */
function aliasError(doc: Document, lc: LineCounter, shown: string, e: unknown): HotwatchError {
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
  return new HotwatchError('CONFIG_PARSE', `invalid YAML: ${e instanceof Error ? e.message : String(e)}`, {
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

/**
 * Parse and validate. `shown` is how the file is named in messages (relative to cwd when inside it).
 */
export function parseConfigText(text: string, shown: string): ParsedConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const yamlProblems = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
  if (yamlProblems[0]) throw syntaxError(doc, lc, shown, yamlProblems[0]);

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

  const result = ConfigSchema.safeParse(input, { error: configErrorMap, reportInput: true });
  if (result.success) {
    checkRelations(result.data, locate);
    return { config: result.data, locate };
  }

  const problems = problemsFromIssues(result.error.issues, schemaKeysAt, allSchemaPaths());
  let first: { problem: ConfigProblem; line: number; col: number; offset: number } | undefined;
  for (const problem of problems) {
    const pos = positionOf(doc, lc, problem.path, problem.anchor);
    if (!first || pos.offset < first.offset) first = { problem, ...pos };
  }
  if (!first) throw new HotwatchError('INTERNAL', `config validation failed without an issue (${shown})`);
  const { problem } = first;
  throw new HotwatchError('CONFIG_INVALID', problem.message, {
    where: `${shown}:${first.line}:${first.col}`,
    ...(problem.hint ? { hint: problem.hint } : {}),
  });
}

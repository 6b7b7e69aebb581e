/**
 * The effective configuration as YAML a person can paste into watcher.config.yaml (`hotwatch config`):
 * every key of the schema in its order, each value in YAML flow style followed by a comment saying where
 * it comes from (default, file:line:col, or the flag). Keys without a value are commented out. Pure.
 */
import { Document, visit } from 'yaml';
import { hasUnsafe } from '../log/terminal-text.js';
import type { Config } from './schema.js';
import { schemaKeysAt } from './schema-keys.js';
import type { SourceOf, ValueSource } from './load.js';

/**
 * One YAML value on one line: `[go, tmpl]`, `"**\/*_test.go"`, `{}`, `5s`. A string holding a character a
 * terminal must not get raw (log/terminal-text.ts) is double-quoted: the caller's escaping of it
 * (`\u202e`) is then still the same value when pasted back.
 */
export function yamlValue(v: unknown): string {
  const doc = new Document(v);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && hasUnsafe(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trimEnd();
}

function describe(src: ValueSource): string {
  switch (src.kind) {
    case 'default':
      return 'default';
    case 'file':
      return src.where;
    case 'flag':
      return `flag ${src.flag}`;
    case 'derived':
      return `= ${src.from} (${src.why})`;
  }
}

/** What an unset key means (keys that have no default value). */
const UNSET: Record<string, string> = {
  $schema: 'not set',
  'build.cmd': 'not set: go build -o <output> <package>',
  'run.cwd': 'not set: the app runs in root',
  'run.port': 'not set: no port is checked',
  apps: 'not set: one app (build: and run:)',
};

export interface PrintOptions {
  /** Absolute root of the module (a header line). */
  root: string;
  /** The config file as shown to the user, or undefined in zero-config mode. */
  configFile: string | undefined;
}

export function printConfig(config: Config, sourceOf: SourceOf, opts: PrintOptions): string {
  const rows: Array<{ text: string; comment: string }> = [];
  const section = (path: string[], value: unknown, indent: string): void => {
    for (const key of schemaKeysAt(path) ?? []) {
      const p = [...path, key];
      const v = (value as Record<string, unknown>)[key];
      const sub = schemaKeysAt(p);
      if (sub !== undefined) {
        rows.push({ text: `${indent}${key}:`, comment: '' });
        section(p, v, `${indent}  `);
      } else if (v === undefined) {
        rows.push({ text: `${indent}# ${key}:`, comment: UNSET[p.join('.')] ?? 'not set' });
      } else {
        rows.push({ text: `${indent}${key}: ${yamlValue(v)}`, comment: describe(sourceOf(p)) });
      }
    }
  };
  section([], config, '');
  const width = Math.min(56, Math.max(...rows.filter((r) => r.comment).map((r) => r.text.length)));
  const header = [
    '# The configuration `hotwatch run` would use here (hotwatch config).',
    `# root: ${opts.root}`,
    `# config file: ${opts.configFile ?? 'none (zero config: every value is a default)'}`,
    '# After each value, where it comes from: default, the config file (file:line:col), or a flag.',
    '',
  ];
  const body = rows.map((r) => (r.comment ? `${r.text.padEnd(width)}  # ${r.comment}` : r.text));
  return `${[...header, ...body].join('\n')}\n`;
}

/**
 * Writes watcher.config.yaml FROM the config schema: every key in schema order, its description (and
 * its choices) as a comment, its default shown commented out, and only the values `hotwatch init`
 * decided written active. Nothing here names a key or a default by hand, so a key added to, renamed in
 * or dropped from src/config/schema.ts shows up here without an edit (and a value for a key the schema
 * no longer has is an internal error, not a silently dropped line).
 */
import { stringify } from 'yaml';
import { HotwatchError } from '../errors.js';
import { ConfigSchema, configJsonSchema } from '../config/schema.js';

export interface ConfigDraft {
  /** Values to write active, by dotted key ('build.package'); a value equal to the default is shown as the default. */
  values: Record<string, unknown>;
  /** Why a key has its value: comment lines written above it, after the schema's description. */
  notes: Record<string, string[]>;
  /** Comment lines at the top of the file, after the schema line. */
  header: string[];
}

interface SchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, SchemaNode>;
}

const WIDTH = 100;

/** The comment lines for `text`, wrapped at WIDTH (a long word stays whole; a "- " item hangs). */
export function commentLines(text: string, indent: string): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    const hang = para.startsWith('- ') ? '  ' : '';
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && indent.length + 2 + line.length + 1 + word.length > WIDTH) {
        out.push(`${indent}# ${line}`);
        line = `${hang}${word}`;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line ? `${indent}# ${line}` : `${indent}#`);
  }
  return out;
}

/** One value as YAML on one line: flow collections, quoted only where YAML needs it. */
export function yamlValue(v: unknown): string {
  return stringify(v, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trimEnd();
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A map (apps:) as indented block YAML: one app per paragraph reads better than one flow line. */
function blockLines(v: Record<string, unknown>, indent: string): string[] {
  return stringify(v, { lineWidth: 0 })
    .trimEnd()
    .split('\n')
    .map((l) => `${indent}${l}`);
}

/** A value the default already gives is shown as the default (commented out), not written. */
const sameAsDefault = (value: unknown, def: unknown): boolean => JSON.stringify(value) === JSON.stringify(def);

/** The zod description of a section (the JSON Schema drops it under `.prefault({})`). */
function sectionDescription(key: string, node: SchemaNode): string | undefined {
  const field = (ConfigSchema.shape as Record<string, { description?: string; def?: { innerType?: { description?: string } } }>)[key];
  return node.description ?? field?.description ?? field?.def?.innerType?.description;
}

function describe(node: SchemaNode): string {
  const text = node.description ?? '';
  const choices = node.enum ? `One of: ${node.enum.join(', ')}.` : '';
  return [text, choices].filter(Boolean).join(' ');
}

/** The lines of one leaf key. `commented`: the whole section is commented out. */
function keyLines(path: string, key: string, node: SchemaNode, draft: ConfigDraft, indent: string, commented: boolean): string[] {
  const lines: string[] = [];
  const about = describe(node);
  if (about) lines.push(...commentLines(about, indent));
  for (const note of draft.notes[path] ?? []) lines.push(...commentLines(note, indent));
  const set = path in draft.values && !sameAsDefault(draft.values[path], node.default);
  const value = draft.values[path];
  if (set && isMap(value)) lines.push(`${indent}${key}:`, ...blockLines(value, `${indent}  `));
  else if (set) lines.push(`${indent}${key}: ${yamlValue(value)}`);
  else {
    // Uncommenting means deleting "# ": in a commented-out section the key keeps its indentation after it.
    const shown = node.default === undefined ? `${key}:` : `${key}: ${yamlValue(node.default)}`;
    lines.push(commented ? `# ${indent}${shown}` : `${indent}# ${shown}`);
  }
  return lines;
}

function activeIn(prefix: string, props: Record<string, SchemaNode>, draft: ConfigDraft): boolean {
  return Object.entries(props).some(([k, n]) => {
    const p = `${prefix}.${k}`;
    return p in draft.values && !sameAsDefault(draft.values[p], n.default);
  });
}

function sectionLines(key: string, node: SchemaNode, draft: ConfigDraft): string[] {
  const props = node.properties ?? {};
  const active = activeIn(key, props, draft);
  const lines = ['', ...commentLines(sectionDescription(key, node) ?? key, '')];
  for (const note of draft.notes[key] ?? []) lines.push(...commentLines(note, ''));
  lines.push(active ? `${key}:` : `# ${key}:`);
  for (const [k, child] of Object.entries(props)) lines.push(...keyLines(`${key}.${k}`, k, child, draft, '  ', !active));
  return lines;
}

/** Every dotted key the schema has (sections and their keys). */
function schemaKeys(root: SchemaNode): Set<string> {
  const keys = new Set<string>();
  for (const [k, n] of Object.entries(root.properties ?? {})) {
    keys.add(k);
    for (const c of Object.keys(n.properties ?? {})) keys.add(`${k}.${c}`);
  }
  return keys;
}

/** The whole file. `schemaRef`: path or URL of the JSON Schema for the editor's modeline. */
export function renderConfig(draft: ConfigDraft, schemaRef: string): string {
  const root = configJsonSchema() as SchemaNode;
  const known = schemaKeys(root);
  for (const k of [...Object.keys(draft.values), ...Object.keys(draft.notes)]) {
    if (!known.has(k))
      throw new HotwatchError(
        'INTERNAL',
        `hotwatch init: the config schema has no key ${k} (src/init is out of date with src/config/schema.ts)`,
      );
  }
  const lines = [`# yaml-language-server: $schema=${schemaRef}`, '#', ...draft.header.flatMap((h) => commentLines(h, ''))];
  for (const [key, node] of Object.entries(root.properties ?? {})) {
    if (key === '$schema') continue; // the modeline above says it
    if (node.properties) lines.push(...sectionLines(key, node, draft));
    else lines.push('', ...keyLines(key, key, node, draft, '', false));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The zod schema is the single source of truth: the committed JSON Schema and the commented example
 * watcher.config.yaml at the repo top must match it exactly.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, emitSchema, schemaText } from '../../src/config/emit-schema.js';
import { parseConfigText } from '../../src/config/parse-config.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { allSchemaPaths } from '../../src/config/schema-keys.js';
import { makeTmpDir } from '../helpers/tmp.js';

const EXAMPLE = fileURLToPath(new URL('../../watcher.config.yaml', import.meta.url));

/**
 * Dotted key paths in a YAML file, active or commented out (`# port: 8080` at the key's indentation),
 * nested by indentation. Explanatory comments never start with `word:`.
 */
function examplePaths(text: string): { active: string[]; commented: string[] } {
  const active: string[] = [];
  const commented: string[] = [];
  const stack: Array<{ indent: number; key: string }> = [];
  for (const line of text.split('\n')) {
    const m = /^(\s*)(#\s?)?([$A-Za-z][A-Za-z0-9]*):(\s|$)/.exec(line);
    if (!m) continue;
    const indent = m[1]!.length;
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const p = [...stack.map((s) => s.key), m[3]!].join('.');
    (m[2] ? commented : active).push(p);
    if (!m[2]) stack.push({ indent, key: m[3]! });
  }
  return { active, commented };
}

describe('schema drift', () => {
  it('schema/watcher.config.schema.json is what the zod schema generates (else run `npm run schema`)', () => {
    expect(fs.existsSync(SCHEMA_FILE), `${SCHEMA_FILE} is missing: run npm run schema`).toBe(true);
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaText());
  });

  it('emitSchema writes exactly schemaText()', () => {
    const tmp = makeTmpDir('hotwatch-schema-');
    try {
      const file = emitSchema(`${tmp.dir}/out/schema.json`);
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { properties: Record<string, unknown>; additionalProperties: unknown };
      expect(fs.readFileSync(file, 'utf8')).toBe(schemaText());
      expect(Object.keys(json.properties)).toEqual([
        '$schema',
        'root',
        'watch',
        'build',
        'run',
        'debounce',
        'log',
        'watchdog',
        'proxy',
        'service',
        'apps',
      ]);
      expect(json.additionalProperties).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });

  it('watcher.config.yaml names every schema key and no other', () => {
    const { active, commented } = examplePaths(fs.readFileSync(EXAMPLE, 'utf8'));
    const inFile = [...active, ...commented].sort();
    expect(new Set(inFile).size, `a key appears twice: ${inFile.join(', ')}`).toBe(inFile.length);
    expect(inFile).toEqual([...allSchemaPaths()].sort());
  });

  it('watcher.config.yaml validates, sets every default, and comments out only keys without a default', () => {
    const text = fs.readFileSync(EXAMPLE, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./schema/watcher.config.schema.json');
    const { config } = parseConfigText(text, 'watcher.config.yaml');
    const defaults = ConfigSchema.parse({});
    expect(config).toEqual(defaults);
    const { commented } = examplePaths(text);
    for (const p of commented) {
      const value = p.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], defaults);
      expect(value, `${p} is commented out but has a default`).toBeUndefined();
    }
  });

  it('every key in the example has a comment line right above it', () => {
    const lines = fs.readFileSync(EXAMPLE, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/^\s*[$A-Za-z][A-Za-z0-9]*:(\s|$)/.test(line) && !/^\s*(watch|build|run|debounce|log):\s*$/.test(line)) {
        expect(lines[i - 1], `line ${i + 1} (${line.trim()}) has no comment above it`).toMatch(/^\s*#/);
      }
    });
  });
});

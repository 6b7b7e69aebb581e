/**
 * The keys the config accepts, read from the generated JSON Schema (so they can never drift from the
 * zod schema): the keys valid at one level (for did-you-mean) and every dotted key path (for the
 * drift test of watcher.config.yaml and cross-level suggestions).
 */
import { configJsonSchema } from './schema.js';
import type { ConfigPath } from './yaml-position.js';

interface JsonSchemaNode {
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  /** A mapping by name (apps:): every value has this shape. */
  additionalProperties?: JsonSchemaNode | boolean;
}

let cached: JsonSchemaNode | undefined;
/** Generated once: the schema is fixed, and fixes are checked by validating many times (parse-config.ts). */
const root = (): JsonSchemaNode => (cached ??= configJsonSchema() as JsonSchemaNode);

/** Keys of the object at `path` (array indexes are skipped), or undefined when it is not a fixed-key object. */
export function schemaKeysAt(path: ConfigPath): readonly string[] | undefined {
  let node: JsonSchemaNode | undefined = root();
  for (const seg of path) {
    if (!node) return undefined;
    const byName: JsonSchemaNode | undefined = typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
    node = typeof seg === 'number' ? node.items : (node.properties?.[seg] ?? byName);
  }
  return node?.properties ? Object.keys(node.properties) : undefined;
}

/** Every key path, parents before children: `root`, `watch`, `watch.include`, ... */
export function allSchemaPaths(): string[] {
  const out: string[] = [];
  const walk = (node: JsonSchemaNode, prefix: string): void => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const p = prefix ? `${prefix}.${key}` : key;
      out.push(p);
      walk(child, p);
    }
  };
  walk(root(), '');
  return out;
}

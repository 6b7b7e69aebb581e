/**
 * Positions in a parsed YAML document: where the key or the value at a config path starts, as a
 * 1-based line:column (yaml's CST ranges through a LineCounter). Used to point error messages at the
 * exact spot: at the key for unknown keys, at the value for wrong values.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigPath } from './config-path.js';

export type { ConfigPath };
export { formatPath } from './config-path.js';

export interface Position {
  line: number;
  col: number;
  /** Character offset in the file (to order several issues). */
  offset: number;
}

/** The value node at `path` and the key node that names it (undefined when the path does not exist). */
function nodesAt(doc: Document, path: ConfigPath): { key: Node | undefined; value: Node | undefined } | undefined {
  let key: Node | undefined;
  let value: unknown = doc.contents;
  for (const seg of path) {
    if (isMap(value)) {
      const pair = value.items.find((p) => isPair(p) && (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) return undefined;
      key = pair.key as Node;
      value = pair.value;
    } else if (isSeq(value) && typeof seg === 'number') {
      key = undefined;
      value = value.items[seg];
      if (value === undefined) return undefined;
    } else {
      return undefined;
    }
  }
  return { key, value: (value ?? undefined) as Node | undefined };
}

/**
 * Where `path` starts in the file. `anchor: 'key'` points at the key (unknown keys), 'value' at the value
 * (falling back to the key when the value is empty). A path that does not exist in the file (for example
 * a default) resolves to its nearest existing ancestor; the empty document resolves to 1:1.
 */
export function positionOf(doc: Document, lc: LineCounter, path: ConfigPath, anchor: 'key' | 'value'): Position {
  for (let n = path.length; n >= 0; n--) {
    const found = nodesAt(doc, path.slice(0, n));
    if (!found) continue;
    const exact = n === path.length;
    const node = exact && anchor === 'key' ? (found.key ?? found.value) : (found.value ?? found.key);
    const offset = node?.range?.[0];
    if (offset === undefined) continue;
    const { line, col } = lc.linePos(offset);
    return { line, col, offset };
  }
  return { line: 1, col: 1, offset: 0 };
}

/** The config path of the deepest key whose node starts at `offset` (to name a duplicate key). */
export function pathOfKeyAt(doc: Document, offset: number): ConfigPath | undefined {
  const walk = (node: unknown, prefix: ConfigPath): ConfigPath | undefined => {
    if (isMap(node)) {
      for (const p of node.items) {
        const keyName = isScalar(p.key) ? String(p.key.value) : String(p.key);
        const here = [...prefix, keyName];
        if ((p.key as Node | null)?.range?.[0] === offset) return here;
        const deeper = walk(p.value, here);
        if (deeper) return deeper;
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const deeper = walk(node.items[i], [...prefix, i]);
        if (deeper) return deeper;
      }
    }
    return undefined;
  };
  return walk(doc.contents, []);
}

/** Generated trees for watcher tests: `dirs` directories (fan-out `width`), `filesPerDir` .go files each. */
import fs from 'node:fs';
import path from 'node:path';
import { defaultWatchSettings, type WatchSettings } from '../../src/config/settings.js';

export function makeTree(root: string, opts: { dirs: number; filesPerDir?: number; width?: number; prefix?: string }): string[] {
  const width = opts.width ?? 10;
  const prefix = opts.prefix ?? 'd';
  const made: string[] = [];
  const queue: string[] = [root];
  let count = 0;
  while (count < opts.dirs && queue.length > 0) {
    const parent = queue.shift()!;
    for (let i = 0; i < width && count < opts.dirs; i++) {
      const d = path.join(parent, `${prefix}${i}`);
      fs.mkdirSync(d, { recursive: true });
      for (let f = 0; f < (opts.filesPerDir ?? 0); f++) fs.writeFileSync(path.join(d, `f${f}.go`), 'package x\n');
      made.push(d);
      queue.push(d);
      count++;
    }
  }
  return made;
}

/** WatchSettings with the schema's defaults for a temp root (one source: the schema), polling at 100 ms. */
export function watchSettings(root: string, over: Partial<WatchSettings> = {}): WatchSettings {
  return { ...defaultWatchSettings(root), pollIntervalMs: 100, ...over };
}

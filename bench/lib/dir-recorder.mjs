/**
 * A raw event recorder: one non-recursive fs.watch per directory (the shape of hotwatch's native
 * backend, without its filtering or debouncing), every callback timestamped with performance.now().
 * Directories created later are watched as they appear. Used to measure how bursts are spread in time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sleep } from './wait.mjs';

const RELEVANT_EXT = new Set(['.go', '.tmpl', '.tpl', '.html']);

/** hotwatch's default relevance: these extensions or go.mod/go.sum, never *_test.go. */
export function isRelevant(file) {
  const base = path.basename(file);
  if (base.endsWith('_test.go')) return false;
  return base === 'go.mod' || base === 'go.sum' || RELEVANT_EXT.has(path.extname(base));
}

export function startRecorder(root, { excludeDirs = ['.git'] } = {}) {
  const events = [];
  const watchers = new Map();
  const errors = [];
  const add = (dir) => {
    if (watchers.has(dir)) return;
    try {
      const w = fs.watch(dir, { persistent: false }, (type, name) => {
        const t = performance.now();
        const file = name ? path.join(dir, name.toString()) : dir;
        events.push({ t, type, file });
        if (type === 'rename' && name) {
          try {
            if (fs.lstatSync(file).isDirectory() && !excludeDirs.includes(path.basename(file))) walk(file);
          } catch {
            // gone again: nothing to watch
          }
        }
      });
      w.on('error', (e) => {
        errors.push(`${dir}: ${e.code ?? e}`);
        watchers.delete(dir);
      });
      watchers.set(dir, w);
    } catch (e) {
      errors.push(`${dir}: ${e.code ?? e}`);
    }
  };
  const walk = (dir) => {
    add(dir);
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory() && !excludeDirs.includes(e.name)) walk(path.join(dir, e.name));
  };
  walk(root);
  return {
    events,
    errors,
    get dirs() {
      return watchers.size;
    },
    /**
     * Resolves once no event arrived for `quietMs`, counted from the last event or from the call,
     * whichever is later (events of a synchronous action are delivered after it). Bounded by `timeoutMs`.
     */
    async settle({ quietMs = 300, timeoutMs = 30_000 } = {}) {
      const since = performance.now();
      const deadline = since + timeoutMs;
      for (;;) {
        const last = Math.max(since, events.length ? events[events.length - 1].t : 0);
        const now = performance.now();
        if (now - last >= quietMs) return;
        if (now > deadline) throw new Error(`events still arriving after ${timeoutMs} ms`);
        await sleep(Math.max(5, quietMs - (now - last)));
      }
    },
    close() {
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

/**
 * Watcher.reconcile (a config reload changed the watch lists), in-process on real temp trees and the real
 * kernel (the native worker runs from dist/: `npm run build` first): the watches are reconciled with the
 * new lists, not re-armed. A directory newly excluded loses its watch and its events; one newly reached
 * is armed (with what is below it) and reports edits; an extension added makes its files relevant in the
 * directories already watched; the watches elsewhere are the same ones (no event lost there meanwhile),
 * and the watchdog's sentinels still come back (no false loss after it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../src/pipeline/events.js';
import type { WatchSettings } from '../../src/config/settings.js';
import { createWatchdog } from '../../src/watch/watchdog/watchdog.js';
import type { Watcher } from '../../src/watch/types.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { watchSettings } from '../helpers/watch-tree.js';

let tmp: { dir: string; cleanup: () => void };
let root: string;
let w: Watcher | undefined;

beforeEach(() => {
  tmp = makeTmpDir('hotwatch-reconcile-');
  root = path.join(tmp.dir, 'mod');
  for (const d of ['pkg', 'gen/deep', 'vendor/x']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'main.go'), 'package main\n');
  fs.writeFileSync(path.join(root, 'pkg', 'a.go'), 'package pkg\n');
  fs.writeFileSync(path.join(root, 'gen', 'deep', 'g.go'), 'package deep\n');
  fs.writeFileSync(path.join(root, 'vendor', 'x', 'v.go'), 'package x\n');
});
afterEach(async () => {
  await w?.close();
  w = undefined;
  tmp.cleanup();
});

function start(settings: WatchSettings) {
  const lines: { level: number; event?: string; msg: string }[] = [];
  const events: WatchEvent[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  w = createWatchdog({
    settings,
    watchdog: { enabled: true, intervalMs: 200, auditIntervalMs: 30_000, overBudget: 'poll' },
    onEvent: (e) => events.push(e),
    log,
    signal: new AbortController().signal,
    env: {},
  });
  const changed = () => new Set(events.flatMap((e) => (e.kind === 'change' ? [e.path] : [])));
  return { w, lines, events, changed };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Watcher.reconcile (native)', () => {
  it('drops the watches of a newly excluded dir, arms a newly reached one, and applies a new extension; no re-arm', async () => {
    const base = watchSettings(root);
    // vendor is excluded by default; gen is watched.
    const h = start(base);
    const ready = await h.w.ready;
    expect(ready.backend).toBe('native');
    const before = h.w.stats?.()?.dirs ?? 0;

    const next: WatchSettings = {
      ...base,
      excludeDirs: [...base.excludeDirs.filter((d) => d !== 'vendor'), 'gen'],
      extensions: [...base.extensions, '.txt'],
    };
    const report = await h.w.reconcile!(next);
    // gen and gen/deep dropped; vendor and vendor/x armed.
    expect(report).toMatchObject({ how: 'reconciled', removed: 2, added: 2 });
    expect(h.w.stats?.()?.dirs).toBe(before);

    const at = h.events.length;
    fs.writeFileSync(path.join(root, 'gen', 'deep', 'g.go'), 'package deep\n// 2\n');
    fs.writeFileSync(path.join(root, 'vendor', 'x', 'v.go'), 'package x\n// 2\n');
    fs.mkdirSync(path.join(root, 'vendor', 'x', 'new'));
    await sleep(300);
    fs.writeFileSync(path.join(root, 'vendor', 'x', 'new', 'n.go'), 'package new\n');
    fs.writeFileSync(path.join(root, 'pkg', 'notes.txt'), 'now relevant\n');
    await waitFor(() => ['vendor/x/v.go', 'vendor/x/new/n.go', 'pkg/notes.txt'].every((p) => h.changed().has(path.join(root, p))), {
      description: `events for the newly reached files (got ${[...h.changed()].join(', ')})`,
      timeoutMs: 10_000,
    });
    await sleep(500);
    expect(h.changed().has(path.join(root, 'gen', 'deep', 'g.go'))).toBe(false);
    expect(h.events.slice(at).filter((e) => e.kind === 'rescan')).toEqual([]);
    // No loss and no re-arm: the sentinels keep coming back.
    await sleep(1000);
    expect(h.lines.filter((l) => l.event === 'watch.deaf' || l.event === 'watch.rearmed')).toEqual([]);
  }, 60_000);
});

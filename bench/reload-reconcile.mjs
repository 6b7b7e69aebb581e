#!/usr/bin/env node
/**
 * A config reload that changes the watch lists: the native watcher's reconcile (watches kept, the
 * excluded subtree dropped, the newly reached one armed; half the tree moved, then 50 directories) against a full re-arm of the same tree (what a
 * reload without reconcile would cost: a new worker and helper arming every directory again). Real kernel,
 * in-process watchdog from dist/ (`npm run build` first); a tree of --dirs directories in two halves, the
 * reload moving the exclude from one half to the other. Prints JSON (medians of --rounds).
 *   node bench/reload-reconcile.mjs [--dirs 4000] [--rounds 5]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { defaultWatchSettings } from '../dist/config/settings.js';
import { createWatchdog } from '../dist/watch/watchdog/watchdog.js';

const { values } = parseArgs({ options: { dirs: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '5' } } });
const dirs = Number(values.dirs);
const rounds = Number(values.rounds);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hotwatch-bench-reconcile-'));
for (const half of ['a', 'b'])
  for (let i = 0; i < dirs / 2; i++) {
    const d = path.join(root, half, `d${Math.floor(i / 50)}`, `e${i}`);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'x.go'), 'package x\n');
  }
const base = defaultWatchSettings(root);
const lists = (excluded) => ({ ...base, exclude: [...base.exclude, `${excluded}/**`] });
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

const w = createWatchdog({
  settings: lists('a'),
  watchdog: { enabled: true, intervalMs: 1000, auditIntervalMs: 30_000, overBudget: 'poll' },
  onEvent: () => {},
  log: pino({ level: 'silent' }),
  signal: new AbortController().signal,
  env: {},
});
const ready = await w.ready;
const reconcile = [];
let last;
for (let r = 0; r < rounds; r++) {
  const t = performance.now();
  last = await w.reconcile(lists(r % 2 === 0 ? 'b' : 'a'));
  reconcile.push(performance.now() - t);
}
// A small change, as most reloads are: the exclude moves between two subtrees of 50 directories.
const small = [];
let lastSmall;
for (let r = 0; r < rounds; r++) {
  const t = performance.now();
  lastSmall = await w.reconcile(lists(r % 2 === 0 ? 'a/d0' : 'a/d1'));
  small.push(performance.now() - t);
}
// A full re-arm of the same tree, through the watchdog's own control (closes the worker and helper, arms all).
const rearm = [];
for (let r = 0; r < rounds; r++) {
  const t = performance.now();
  await w.watcher.rearm(120_000);
  rearm.push(performance.now() - t);
}
await w.close();
fs.rmSync(root, { recursive: true, force: true });
console.log(
  JSON.stringify(
    {
      dirs: ready.dirs,
      half: { ...last, ms: Math.round(median(reconcile)) },
      small: { ...lastSmall, ms: Math.round(median(small)) },
      fullRearmMs: Math.round(median(rearm)),
      rounds,
      node: process.version,
      cpus: os.cpus().length,
    },
    null,
    2,
  ),
);

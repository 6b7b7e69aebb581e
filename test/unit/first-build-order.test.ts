/**
 * When the first build starts (startup/first-build.ts): while the watches are armed by default; after
 * watching is ready with build steps, in ad-hoc mode and with watchdog.overBudget: refuse. Settings come
 * from real config files through loadSettings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { applyExec } from '../../src/config/exec.js';
import { FirstBuild, firstBuildOrder } from '../../src/startup/first-build.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-first-order-');
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/x\n\ngo 1.22\n');
});
afterEach(() => tmp.cleanup());

const withConfig = async (yaml?: string) => {
  if (yaml !== undefined) fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), yaml);
  return loadSettings({ cwd: tmp.dir, isTTY: false });
};

describe('firstBuildOrder', () => {
  it('zero-config and a plain config: while arming', async () => {
    expect(firstBuildOrder(await withConfig())).toEqual({ whileArming: true });
    expect(firstBuildOrder(await withConfig('build:\n  package: ./cmd/api\n'))).toEqual({ whileArming: true });
  });

  it('build steps: after watching is ready (their own writes are told apart by the watcher)', async () => {
    const s = await withConfig('build:\n  steps:\n    - run: [go, generate, ./...]\n');
    expect(firstBuildOrder(s)).toMatchObject({ whileArming: false, why: expect.stringMatching(/steps/) });
  });

  it('watchdog.overBudget: refuse: after watching is ready (the budget decides whether hotwatch starts)', async () => {
    const s = await withConfig('watchdog:\n  overBudget: refuse\n');
    expect(firstBuildOrder(s)).toMatchObject({ whileArming: false, why: expect.stringMatching(/overBudget/) });
  });

  it('ad-hoc mode: after watching is ready', async () => {
    const s = applyExec(await withConfig(), { command: ['go', 'test', './...'], watch: [] });
    expect(firstBuildOrder(s)).toMatchObject({ whileArming: false, why: expect.stringMatching(/exec/) });
  });
});

describe('FirstBuild', () => {
  it('while arming: settled only once done() is called; the start time is recorded', async () => {
    const first = new FirstBuild({ whileArming: true });
    let settled = false;
    void first.settled.then(() => (settled = true));
    const before = Date.now();
    expect(first.start(() => 42)).toBe(42);
    expect(first.startedAt).toBeGreaterThanOrEqual(before);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    first.done();
    await first.settled;
  });

  it('after watching is ready: settled at once', async () => {
    const first = new FirstBuild({ whileArming: false, why: 'test' });
    await first.settled;
    expect(first.startedAt).toBeUndefined();
  });
});

/**
 * Issue 14 (10): a root given through a symlink (--root, or `root:` in the config) is resolved to the
 * directory itself: the watcher never follows symlinks, and took the link for "not a directory".
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
let real: string;
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-root-link-');
  real = path.join(tmp.dir, 'real');
  fs.mkdirSync(real);
  fs.writeFileSync(path.join(real, 'go.mod'), 'module example.com/x\n\ngo 1.22\n');
  fs.mkdirSync(path.join(tmp.dir, 'elsewhere'));
  fs.symlinkSync(real, path.join(tmp.dir, 'elsewhere', 'link'));
});
afterEach(() => tmp.cleanup());

describe('the root resolves symlinks', () => {
  it('--root LINK: every path of the settings is under the real directory', async () => {
    const s = await loadSettings({ cwd: path.join(tmp.dir, 'elsewhere'), rootFlag: 'link', isTTY: false });
    expect(s.root).toBe(real);
    expect(s.watch.root).toBe(real);
    expect(s.build.root).toBe(real);
    expect(s.build.output).toBe(path.join(real, '.hotwatch/bin/app'));
    expect(s.run.cwd).toBe(real);
  });

  it('root: LINK in the config file', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'elsewhere', 'watcher.config.yaml'), 'root: ./link\nrun:\n  cwd: .\n');
    const s = await loadSettings({ cwd: path.join(tmp.dir, 'elsewhere'), isTTY: false });
    expect(s.root).toBe(real);
    expect(s.watch.root).toBe(real);
    expect(s.run.cwd).toBe(real);
  });

  it('a symlinked current directory as the root', async () => {
    const s = await loadSettings({ cwd: path.join(tmp.dir, 'elsewhere', 'link'), isTTY: false });
    expect(s.root).toBe(real);
  });
});

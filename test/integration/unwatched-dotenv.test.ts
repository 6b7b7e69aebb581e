/**
 * A `.env` at the root that nothing watches (the app loads it itself, as godotenv does): said once at
 * start with the setting that restarts the app on its edits; not said once run.envFiles names it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { watchedSettings } from '../../src/apps/watching.js';
import { sayUnwatchedDotenv } from '../../src/startup/unwatched-dotenv.js';
import { captureLog } from '../helpers/log-capture.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir>;
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-dotenv-');
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/d\n\ngo 1.22\n');
  fs.writeFileSync(path.join(tmp.dir, 'main.go'), 'package main\n\nfunc main() {}\n');
  fs.writeFileSync(path.join(tmp.dir, '.env'), 'FEATURE=off\n');
});
afterEach(() => tmp.cleanup());

const said = async (): Promise<Array<Record<string, unknown>>> => {
  const s = await loadSettings({ cwd: tmp.dir, isTTY: false });
  const logs = captureLog();
  sayUnwatchedDotenv(s, watchedSettings(s).watch, logs.log);
  return logs.events('watch.dotenv-unwatched');
};

describe('a .env at the root', () => {
  it('unwatched (zero config): said at info, with run.envFiles as the way', async () => {
    const [line] = await said();
    expect(line).toMatchObject({ level: 30, file: path.join(tmp.dir, '.env') });
    expect(String(line!.msg)).toContain(
      'run.envFiles: [.env] in watcher.config.yaml gives it to the app and restarts the app at each edit',
    );
  });

  it('named in run.envFiles, or included by a glob: nothing to say', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'run:\n  envFiles: [.env]\n');
    expect(await said()).toEqual([]);
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'watch:\n  include: [".env"]\n');
    expect(await said()).toEqual([]);
  });
});

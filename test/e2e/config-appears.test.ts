/**
 * A config file that comes and goes while hotwatch runs, through the real `hotwatch run` with no config
 * at start (zero-config): real go builds, real files, the real `hotwatch init`.
 *   - written while it runs: applied by the reload ("is read from now on"), and its later edits too;
 *     deleted: the defaults again, said at warn;
 *   - invalid when it appears: rejected with file:line:col, the defaults keep running; fixed: applied;
 *   - `hotwatch init` in another terminal while it runs: written, then applied, and an edit of it applies.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { httpGet, runCli, type Hotwatch, type LogLine } from '../helpers/hotwatch.js';
import { isAlive, waitFor } from '../helpers/wait.js';
import { ARGS_TAG_MAIN, startListening } from '../helpers/reload-app.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A module with its main package at the root and no config file. */
function project(): string {
  const tmp = makeTmpDir('hotwatch-config-appears-');
  cleanups.push(tmp.cleanup);
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
  fs.writeFileSync(path.join(tmp.dir, 'main.go'), ARGS_TAG_MAIN);
  return tmp.dir;
}

async function start(dir: string): Promise<{ hw: Hotwatch; port: number; pid: number }> {
  const started = await startListening(dir, cleanups);
  expect(started.hw.stderr()).toMatch(/no config file \(defaults\)/);
  return started;
}

/** Runs `change` and waits for the reload (or rejection) it causes, from the log index before it. */
async function reloadAfter(hw: Hotwatch, change: () => void, event = 'config.reloaded'): Promise<LogLine> {
  const from = hw.logs.length;
  change();
  return hw.waitForLog((l) => l.event === event, `${event} after the change of the config file`, { from });
}

const serves = (port: number, want: string, description: string) =>
  waitFor(async () => (await httpGet(port)) === want, { description: `${description} (want ${JSON.stringify(want)})`, timeoutMs: 30_000 });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a config file that appears or goes while a zero-config hotwatch runs (e2e)', () => {
  it('written: applied like an edit (read from now on), then its edits apply live; deleted: back to the defaults, at warn', async () => {
    const dir = project();
    const config = path.join(dir, 'watcher.config.yaml');
    const { hw, port, pid } = await start(dir);
    expect(await httpGet(port)).toBe('args=[] tag=');

    const from = hw.logs.length;
    const appeared = await reloadAfter(hw, () => fs.writeFileSync(config, 'run:\n  env:\n    TAG: first\n'));
    expect(appeared).toMatchObject({ level: 30, configFile: 'appeared', file: config, trigger: 'config file changed' });
    expect(appeared.changes).toMatchObject({ run: ['run.env'], build: [], watch: [], restart: [] });
    expect(appeared.msg).toBe(`config reloaded (config file changed): ${config} is read from now on: run.env: restarting the app`);
    await serves(port, 'args=[] tag=first', 'the config that appeared applies');
    expect(isAlive(pid)).toBe(false);
    // A run setting: the app restarted with the binary it had; the config file itself never builds.
    expect(hw.events('build.start', from)).toEqual([]);

    const edited = await reloadAfter(hw, () => fs.writeFileSync(config, 'run:\n  args: ["two"]\n  env:\n    TAG: second\n'));
    expect(edited.configFile).toBeUndefined();
    expect(edited.changes).toMatchObject({ run: ['run.args', 'run.env'] });
    await serves(port, 'args=[two] tag=second', 'a later edit of it applies');

    const gone = await reloadAfter(hw, () => fs.rmSync(config));
    expect(gone).toMatchObject({ level: 40, configFile: 'gone', file: config });
    expect(gone.msg).toMatch(/is gone: back to the defaults, as a run without a config file .*: run\.args, run\.env: restarting the app/);
    await serves(port, 'args=[] tag=', 'the defaults run again');

    // And it can come back.
    const again = await reloadAfter(hw, () => fs.writeFileSync(config, 'run:\n  env:\n    TAG: back\n'));
    expect(again.configFile).toBe('appeared');
    await serves(port, 'args=[] tag=back', 'the config written again applies');
    expect(hw.events('build.start', from)).toEqual([]);
  }, 120_000);

  it('invalid when it appears: rejected at error with file:line:col, the defaults keep running (same app); fixed, it applies', async () => {
    const dir = project();
    const config = path.join(dir, 'watcher.config.yaml');
    const { hw, port, pid } = await start(dir);
    const from = hw.logs.length;
    const rejected = await reloadAfter(hw, () => fs.writeFileSync(config, 'run:\n  argz: ["x"]\n'), 'config.reload-rejected');
    expect(rejected.level).toBe(50);
    expect(String(rejected.error)).toMatch(/^watcher\.config\.yaml:2:3 run\.argz: unknown key/);
    expect(rejected.msg).toMatch(/rejected, the running config is kept/);
    await sleep(1000);
    expect(hw.events('app.start', from)).toEqual([]);
    expect(isAlive(pid)).toBe(true);
    expect(await httpGet(port)).toBe('args=[] tag=');

    const fixed = await reloadAfter(hw, () => fs.writeFileSync(config, 'run:\n  args: ["x"]\n'));
    expect(fixed.configFile).toBe('appeared');
    await serves(port, 'args=[x] tag=', 'the fixed config applies');
  }, 120_000);

  it('`hotwatch init` while it runs: writes the config (exit 0), which is applied; an edit of it then applies', async () => {
    const dir = project();
    const config = path.join(dir, 'watcher.config.yaml');
    const { hw, port } = await start(dir);
    const from = hw.logs.length;
    const init = await runCli(['init'], { cwd: dir, timeoutMs: 30_000 });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/wrote watcher\.config\.yaml/);
    const appeared = await hw.waitForLog((l) => l.event === 'config.reloaded', 'the config init wrote is applied', { from });
    expect(appeared).toMatchObject({ configFile: 'appeared', file: config });
    // init sets nothing this repo needs beyond the defaults (its main package is the root).
    expect(appeared.msg).toMatch(/is read from now on: no setting changed$/);

    // init's file has every key commented out: a run: section added to it applies.
    expect(fs.readFileSync(config, 'utf8')).not.toMatch(/^run:/m);
    await reloadAfter(hw, () => fs.appendFileSync(config, '\nrun:\n  env:\n    TAG: init\n'));
    await serves(port, 'args=[] tag=init', 'the edit of the config init wrote applies');
  }, 120_000);

  it('written as watcher.config.yml: said at warn (not applied, never built), with the rename; renamed: applied', async () => {
    const dir = project();
    const yml = path.join(dir, 'watcher.config.yml');
    const { hw, port } = await start(dir);
    const from = hw.logs.length;
    fs.writeFileSync(yml, 'run:\n  env:\n    TAG: yml\n');
    const said = await hw.waitForLog((l) => l.event === 'config.misnamed', 'the .yml is named', { from });
    expect(said).toMatchObject({ level: 40, file: yml });
    expect(said.msg).toBe(
      'watcher.config.yml was written, but hotwatch reads watcher.config.yaml, not .yml: it is NOT applied; rename it (mv watcher.config.yml watcher.config.yaml) and it is applied at once',
    );
    await sleep(1000);
    expect(await httpGet(port)).toBe('args=[] tag=');
    expect(hw.events('build.start', from)).toEqual([]);
    const renamed = await reloadAfter(hw, () => fs.renameSync(yml, path.join(dir, 'watcher.config.yaml')));
    expect(renamed.configFile).toBe('appeared');
    await serves(port, 'args=[] tag=yml', 'the renamed config applies');
    expect(hw.events('config.misnamed', from)).toHaveLength(1);
  });
});

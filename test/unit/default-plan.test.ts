/**
 * The defaults' first build (src/startup/default-plan.ts) against the one the start-up derives from the
 * real flags and settings (parseRunFlags, loadSettings, buildCommand, EarlyBuild's conditions), on real
 * module directories: the same program, arguments, root and output for every argv it accepts, so the
 * defaults written twice cannot drift apart unseen. And undefined wherever a config or a flag could
 * change the build.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FORMATS, LEVELS, parseRunFlags } from '../../src/cli/run-flags.js';
import { loadSettings } from '../../src/config/load.js';
import { firstBuildOrder } from '../../src/startup/first-build.js';
import { defaultPlan } from '../../src/startup/default-plan.js';
import { buildCommand } from '../../src/supervisor/build.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { writeMainModule } from '../helpers/main-module.js';

let tmp: ReturnType<typeof makeTmpDir>;
let mod: string;

beforeEach(() => {
  tmp = makeTmpDir();
  mod = writeMainModule(tmp.dir);
});
afterEach(() => tmp.cleanup());

/** The plan the start-up itself would keep for this argv here (the settings, as `hotwatch run` loads them). */
async function derived(argv: string[], cwd: string) {
  const flags = parseRunFlags('run', argv, cwd);
  const s = await loadSettings({ cwd, isTTY: false, ...flags.load });
  expect(s.apps, 'one app: the early build applies').toBeUndefined();
  expect(firstBuildOrder(s).whileArming, 'the first build may run while arming').toBe(true);
  const { file, args } = buildCommand(s.build);
  return { root: s.root, output: s.build.output, file, args, buildEnv: s.build.env };
}

describe('the first build from the defaults', () => {
  it('takes exactly the log levels and formats the flag parser takes (any other is an exit 2: nothing spawned)', () => {
    for (const level of LEVELS) expect(defaultPlan({ argv: ['--log-level', level], cwd: mod, env: process.env }), level).toBeDefined();
    for (const format of FORMATS)
      expect(defaultPlan({ argv: [`--log-format=${format}`], cwd: mod, env: process.env }), format).toBeDefined();
  });

  for (const [name, argv, at] of [
    ['no flag, in the module', [], 'mod'],
    ['log flags, both spellings', ['--log-level', 'debug', '--log-format=json'], 'mod'],
    ['app arguments after --', ['--', '-port', '8080', '--package', 'x'], 'mod'],
    ['--root from outside', ['--root', 'mod'], '.'],
    ['--root=DIR through a symlink', ['--root=link'], '.'],
  ] as const) {
    it(`${name}: the build the start-up derives from the settings`, async () => {
      fs.symlinkSync(mod, path.join(tmp.dir, 'link'));
      const cwd = at === 'mod' ? mod : tmp.dir;
      const plan = defaultPlan({ argv: [...argv], cwd, env: process.env });
      expect(plan).toBeDefined();
      const { inputs: _inputs, rootAs, ...spawn } = plan!;
      expect(spawn).toEqual(await derived([...argv], cwd));
      expect(fs.realpathSync(rootAs), 'the root as given leads to the root').toBe(spawn.root);
    });
  }

  it('a config file, even an empty one (or the .yml hotwatch refuses): none', () => {
    fs.writeFileSync(path.join(mod, 'watcher.config.yaml'), '');
    expect(defaultPlan({ argv: [], cwd: mod, env: process.env })).toBeUndefined();
    fs.rmSync(path.join(mod, 'watcher.config.yaml'));
    fs.writeFileSync(path.join(mod, 'watcher.config.yml'), '');
    expect(defaultPlan({ argv: [], cwd: mod, env: process.env })).toBeUndefined();
  });

  it('a flag that may change the build, an app name, --config, no main package at the root, or no go.mod: none', () => {
    for (const argv of [
      ['--package', './cmd/x'],
      ['--config', 'x.yaml'],
      ['--exec'],
      ['api'],
      ['--poll'],
      ['--root'],
      ['--root='],
      ['--root', '--poll'],
      ['--log-level', 'bogus'],
      ['--log-level='],
      ['--log-level', '--poll'],
      ['--log-level', '--', '--root', '/elsewhere'],
      ['--root', '.', '--root', '/elsewhere'],
    ]) {
      expect(defaultPlan({ argv, cwd: mod, env: process.env }), argv.join(' ')).toBeUndefined();
    }
    fs.writeFileSync(path.join(mod, 'main.go'), 'package lib\n');
    expect(defaultPlan({ argv: [], cwd: mod, env: process.env }), 'a library at the root (cmd/server layout)').toBeUndefined();
    fs.rmSync(path.join(mod, 'main.go'));
    expect(defaultPlan({ argv: [], cwd: mod, env: process.env }), 'no Go file at the root').toBeUndefined();
    fs.writeFileSync(path.join(mod, 'main.go'), 'package main\n\nfunc main() {}\n');
    expect(defaultPlan({ argv: [], cwd: mod, env: { PATH: tmp.dir } }), 'no go on PATH').toBeUndefined();
    fs.rmSync(path.join(mod, 'go.mod'));
    expect(defaultPlan({ argv: [], cwd: mod, env: process.env })).toBeUndefined();
    expect(defaultPlan({ argv: ['--root', 'nowhere'], cwd: tmp.dir, env: process.env })).toBeUndefined();
  });
});

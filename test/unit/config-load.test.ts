/**
 * loadSettings: discovery (--config, --root, cwd, zero-config), path resolution, CLI overrides, root
 * and env-file checks, cancellation and the time bound. Real files, real permissions, a real FIFO.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings, type LoadOptions, displayPath } from '../../src/config/load.js';
import { HotwatchError } from '../../src/errors.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-load-');
});
afterEach(() => tmp.cleanup());

const write = (rel: string, text: string): string => {
  const file = path.join(tmp.dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
};
const mkdir = (rel: string): string => {
  const dir = path.join(tmp.dir, rel);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
};
async function failure(opts: LoadOptions): Promise<HotwatchError> {
  const e = await loadSettings(opts).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HotwatchError)) throw new Error(`expected a HotwatchError, got ${String(e)}`);
  return e;
}

describe('discovery and resolution', () => {
  it('zero-config: no file means all defaults, root = cwd', async () => {
    const s = await loadSettings({ cwd: tmp.dir, isTTY: false });
    expect(s.configFile).toBeUndefined();
    expect(s.root).toBe(tmp.dir);
    expect(s.build.output).toBe(path.join(tmp.dir, '.hotwatch/bin/app'));
    expect(s.watch.outputDir).toBe(path.join(tmp.dir, '.hotwatch/bin'));
    expect(s.run.binary).toBe(s.build.output);
    expect(s.run.cwd).toBe(tmp.dir);
    expect(s.build.timeoutMs).toBe(300_000);
    expect(s.run.gracePeriodMs).toBe(5000);
    expect(s.watch.extensions).toEqual(['.go', '.tmpl', '.tpl', '.html', '.s', '.sx', '.syso']);
    expect(s.log).toEqual({ format: 'json', level: 'info' });
    expect((await loadSettings({ cwd: tmp.dir, isTTY: true })).log.format).toBe('pretty');
  });

  it('zero-config with --root: root relative to cwd', async () => {
    const mod = mkdir('mod');
    const s = await loadSettings({ cwd: tmp.dir, rootFlag: 'mod', isTTY: false });
    expect(s.configFile).toBeUndefined();
    expect(s.root).toBe(mod);
  });

  it('finds watcher.config.yaml in cwd', async () => {
    const file = write('watcher.config.yaml', 'debounce:\n  quiet: 120ms\n');
    const s = await loadSettings({ cwd: tmp.dir, isTTY: false });
    expect(s.configFile).toBe(file);
    expect(s.debounce.quietMs).toBe(120);
  });

  it('with --root, finds watcher.config.yaml in the root, not in cwd', async () => {
    write('watcher.config.yaml', 'debounce:\n  quiet: 999ms\n');
    const file = write('mod/watcher.config.yaml', 'debounce:\n  quiet: 75ms\n');
    const s = await loadSettings({ cwd: tmp.dir, rootFlag: 'mod', isTTY: false });
    expect(s.configFile).toBe(file);
    expect(s.root).toBe(path.join(tmp.dir, 'mod'));
    expect(s.debounce.quietMs).toBe(75);
  });

  it('relative paths in a file resolve against its directory; --config is relative to cwd', async () => {
    mkdir('mod/cmd');
    mkdir('mod/cache');
    write('mod/.env', 'A=1\n');
    const file = write(
      'conf/hw.yaml',
      'root: ../mod\nbuild:\n  output: out/api\nrun:\n  cwd: cmd\n  envFiles: [.env]\nwatch:\n  includeMounts: [cache]\n',
    );
    const cwd = mkdir('elsewhere');
    const s = await loadSettings({ cwd, configPath: '../conf/hw.yaml', isTTY: false });
    const mod = path.join(tmp.dir, 'mod');
    expect(s.configFile).toBe(file);
    expect(s.root).toBe(mod);
    expect(s.build.output).toBe(path.join(mod, 'out/api'));
    expect(s.watch.outputDir).toBe(path.join(mod, 'out'));
    expect(s.run.cwd).toBe(path.join(mod, 'cmd'));
    expect(s.run.envFiles).toEqual([path.join(mod, '.env')]);
    expect(s.watch.includeMounts).toEqual([path.join(mod, 'cache')]);
  });

  it('--root overrides the file root (relative to cwd, not to the file)', async () => {
    mkdir('a');
    const b = mkdir('b');
    write('watcher.config.yaml', 'root: a\n');
    const s = await loadSettings({ cwd: tmp.dir, configPath: 'watcher.config.yaml', rootFlag: 'b', isTTY: false });
    expect(s.root).toBe(b);
  });

  it('CLI flags override file values; absent flags leave them alone', async () => {
    write('watcher.config.yaml', 'log:\n  format: pretty\n  level: warn\nwatch:\n  backend: native\nrun:\n  args: [-port, "8080"]\n');
    const same = await loadSettings({ cwd: tmp.dir, isTTY: false, overrides: { log: {}, watch: {}, run: {} } });
    expect(same.log).toEqual({ format: 'pretty', level: 'warn' });
    expect(same.watch.backend).toBe('native');
    expect(same.run.args).toEqual(['-port', '8080']);
    const s = await loadSettings({
      cwd: tmp.dir,
      isTTY: false,
      overrides: { log: { format: 'json', level: 'debug' }, watch: { backend: 'poll' }, run: { args: ['-v'] } },
    });
    expect(s.log).toEqual({ format: 'json', level: 'debug' });
    expect(s.watch.backend).toBe('poll');
    expect(s.run.args).toEqual(['-v']);
    const none = await loadSettings({ cwd: tmp.dir, isTTY: false, overrides: { run: { args: [] } } });
    expect(none.run.args).toEqual([]);
  });

  it('a key without a value, or a section whose keys are all commented out, keeps its defaults', async () => {
    write('watcher.config.yaml', 'build:\n  # cmd: make\nrun:\n  cwd:\n  gracePeriod: 2s\n');
    const s = await loadSettings({ cwd: tmp.dir, isTTY: false });
    expect(s.build.cmd).toBeUndefined();
    expect(s.run.cwd).toBe(tmp.dir);
    expect(s.run.gracePeriodMs).toBe(2000);
  });

  it('watcher.config.yml is not silently ignored', async () => {
    write('watcher.config.yml', 'root: .\n');
    const e = await failure({ cwd: tmp.dir, isTTY: false });
    expect(e.code).toBe('CONFIG_NOT_FOUND');
    expect(e.format()).toBe(
      'watcher.config.yml: hotwatch reads watcher.config.yaml, not .yml\n  fix: rename it to watcher.config.yaml, or pass --config watcher.config.yml',
    );
    const s = await loadSettings({ cwd: tmp.dir, configPath: 'watcher.config.yml', isTTY: false });
    expect(s.configFile).toBe(path.join(tmp.dir, 'watcher.config.yml'));
  });
});

describe('root checks', () => {
  it('--root that does not exist', async () => {
    const e = await failure({ cwd: tmp.dir, rootFlag: 'nope', isTTY: false });
    expect(e.code).toBe('ROOT_UNREADABLE');
    expect(e.exitCode).toBe(2);
    expect(e.format()).toBe(
      `--root nope: ${path.join(tmp.dir, 'nope')} does not exist\n  fix: pass the directory of your Go module (the one holding go.mod)`,
    );
  });

  it('root from the file that is a file, not a directory: points at the value', async () => {
    write('main.go', 'package main\n');
    write('watcher.config.yaml', '# hotwatch\nroot: main.go\n');
    const e = await failure({ cwd: tmp.dir, isTTY: false });
    expect(e.code).toBe('ROOT_UNREADABLE');
    expect(e.format()).toBe(
      `watcher.config.yaml:2:7 root: ${path.join(tmp.dir, 'main.go')} is not a directory\n` +
        '  fix: set root in watcher.config.yaml (relative to its directory) to the directory of your Go module',
    );
  });

  it('root and config file without permission (a real EACCES, inside unshare -Ur)', async () => {
    const dist = fileURLToPath(new URL('../../dist/config/load.js', import.meta.url));
    if (!fs.existsSync(dist)) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test builds first)');
    fs.chmodSync(tmp.dir, 0o755);
    const locked = mkdir('locked');
    fs.chownSync(locked, 12345, 12345);
    fs.chmodSync(locked, 0o000);
    const conf = write('conf.yaml', 'root: .\n');
    fs.chownSync(conf, 12345, 12345);
    fs.chmodSync(conf, 0o000);
    const script = `
      import { loadSettings } from ${JSON.stringify(dist)};
      const out = [];
      for (const opts of [{ rootFlag: 'locked' }, { configPath: 'conf.yaml' }]) {
        try { await loadSettings({ cwd: ${JSON.stringify(tmp.dir)}, isTTY: false, ...opts }); out.push('loaded'); }
        catch (e) { out.push({ code: e.code, exitCode: e.exitCode, text: e.format() }); }
      }
      process.stdout.write(JSON.stringify(out));`;
    const { stdout } = await promisify(execFile)('unshare', ['-Ur', process.execPath, '--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    const [root, config] = JSON.parse(stdout) as Array<{ code: string; exitCode: number; text: string }>;
    expect(root).toEqual({
      code: 'ROOT_UNREADABLE',
      exitCode: 2,
      text: `--root locked: ${locked} is not readable (permission denied)\n  fix: give your user read and search permission: chmod u+rx ${locked}`,
    });
    expect(config).toEqual({
      code: 'CONFIG_NOT_FOUND',
      exitCode: 2,
      text: `--config conf.yaml: cannot be read (EACCES)\n  fix: give your user read permission: chmod u+r ${conf}`,
    });
  });
});

describe('env files, cancellation, time bound', () => {
  it('a missing env file is reported at its place in the config', async () => {
    write('watcher.config.yaml', 'run:\n  envFiles:\n    - .env\n    - .env.local\n');
    write('.env', 'A=1\n');
    const e = await failure({ cwd: tmp.dir, isTTY: false });
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.format()).toBe(
      `watcher.config.yaml:4:7 run.envFiles[1]: env file ${path.join(tmp.dir, '.env.local')} does not exist\n` +
        '  fix: create it, or remove it from run.envFiles in watcher.config.yaml (paths are relative to root)',
    );
  });

  it('run.cwd that does not exist, or is a file, is reported at its place in the config', async () => {
    write('watcher.config.yaml', 'run:\n  cwd: srv\n');
    const e = await failure({ cwd: tmp.dir, isTTY: false });
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.exitCode).toBe(2);
    expect(e.format()).toBe(
      `watcher.config.yaml:2:8 run.cwd: ${path.join(tmp.dir, 'srv')} does not exist\n` +
        '  fix: create it, or set run.cwd to an existing directory (relative to root)',
    );
    write('srv', 'a file\n');
    expect((await failure({ cwd: tmp.dir, isTTY: false })).format()).toMatch(
      /^watcher\.config\.yaml:2:8 run\.cwd: .*srv is a file, not a directory\n {2}fix: set run\.cwd to a directory \(relative to root\)$/,
    );
    fs.rmSync(path.join(tmp.dir, 'srv'));
    mkdir('srv');
    expect((await loadSettings({ cwd: tmp.dir, isTTY: false })).run.cwd).toBe(path.join(tmp.dir, 'srv'));
  });

  it('a watch.includeMounts path that does not exist is reported at its place in the config', async () => {
    mkdir('cache');
    write('watcher.config.yaml', 'watch:\n  includeMounts:\n    - cache\n    - scratch\n');
    const e = await failure({ cwd: tmp.dir, isTTY: false });
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.format()).toBe(
      `watcher.config.yaml:4:7 watch.includeMounts[1]: ${path.join(tmp.dir, 'scratch')} does not exist\n` +
        '  fix: mount it before starting hotwatch, or remove it from watch.includeMounts (paths are relative to root)',
    );
  });

  it('paths the config names that are missing are reported together', async () => {
    write('watcher.config.yaml', 'run:\n  cwd: srv\n  envFiles: [.env]\nwatch:\n  includeMounts: [scratch]\n');
    const e = await failure({ cwd: tmp.dir, isTTY: false });
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('watcher.config.yaml: 3 problems');
    expect(e.problems.map((p) => p.where)).toEqual(['watcher.config.yaml:2:8', 'watcher.config.yaml:5:19', 'watcher.config.yaml:3:14']);
    expect(
      e
        .format()
        .split('\n')
        .filter((l) => l.startsWith('  fix: ')),
    ).toHaveLength(3);
  });

  it('a malformed env file is reported at its own line', async () => {
    write('watcher.config.yaml', 'run:\n  envFiles: [.env]\n');
    const env = write('.env', 'A=1\n# ok\nDATABASE URL=postgres://x\n');
    const e = await failure({ cwd: tmp.dir, isTTY: false });
    expect(e.format()).toBe(
      `${env}:3:1 "DATABASE URL=postgres://x" is not a KEY=VALUE line\n` +
        '  fix: write KEY=VALUE (a name without spaces), or start the line with # to make it a comment',
    );
  });

  it('an aborted signal stops loading with its reason', async () => {
    const ac = new AbortController();
    ac.abort(new Error('shutting down'));
    await expect(loadSettings({ cwd: tmp.dir, isTTY: false, signal: ac.signal })).rejects.toThrow('shutting down');
  });

  it('a config that is a FIFO (its read never answered) is refused at once, naming the file', async () => {
    const fifo = path.join(tmp.dir, 'watcher.config.yaml');
    await promisify(execFile)('mkfifo', [fifo]);
    const t0 = performance.now();
    const e = await failure({ cwd: tmp.dir, isTTY: false, fsTimeoutMs: 10_000 });
    expect(performance.now() - t0, 'not waiting for a writer, nor for the bound').toBeLessThan(5000);
    expect(e.code).toBe('CONFIG_NOT_FOUND');
    expect(e.format()).toBe(
      `watcher.config.yaml: is a named pipe (FIFO), not a regular file\n  fix: make it a regular file (ls -l ${fifo})`,
    );
  });
});

describe('displayPath', () => {
  it('relative inside cwd, absolute outside it, and absolute when cwd is / (a container WORKDIR: src/x would read as relative)', () => {
    expect(displayPath('/work/app/main.go', '/work/app')).toBe('main.go');
    expect(displayPath('/other/x.go', '/work/app')).toBe('/other/x.go');
    expect(displayPath('/src/main.go', '/')).toBe('/src/main.go');
  });
});

/**
 * `hotwatch init --from-air` end to end: an air-configured app converted by the built CLI runs the same
 * app under `hotwatch run` (real go build, real HTTP), its variables and arguments from air's run line;
 * what cannot be converted is on stderr and in the file; a bad .air.toml writes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { validateConfigJson } from '../helpers/config-json-schema.js';
import { freePort, goMain, httpGet, runCli, startHotwatch } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A Go app answering "v=<version>" on $PORT, with `.air.toml` holding `air`. */
function airApp(air: string, main = goMain('air-v1')): string {
  const t = makeTmpDir('hotwatch-air-e2e-');
  cleanups.push(t.cleanup);
  fs.writeFileSync(path.join(t.dir, 'go.mod'), 'module example.com/airapp\n\ngo 1.22\n');
  fs.writeFileSync(path.join(t.dir, 'main.go'), main);
  fs.writeFileSync(path.join(t.dir, '.air.toml'), air);
  return t.dir;
}

const configText = (dir: string): string => fs.readFileSync(path.join(dir, 'watcher.config.yaml'), 'utf8');

/** `hotwatch run` in `dir`; PORT in its own environment is wrong on purpose: the app's comes from the config. */
async function runUntil(dir: string, port: number, body: string, args: string[] = []) {
  const hw = startHotwatch(args, { cwd: dir, env: { PORT: '1' } });
  cleanups.push(async () => expect((await hw.stop()).code, hw.stderr().slice(-2000)).toBe(0));
  await waitFor(async () => (await httpGet(port)) === body, {
    description: `the app serves ${body}\n${hw.stderr().slice(-3000)}`,
    timeoutMs: 60_000,
  });
  return hw;
}

describe('hotwatch init --from-air (e2e)', () => {
  it("a converted air config runs the same app: full_bin's PORT reaches it, edits reload, the rest is reported", async () => {
    const port = await freePort();
    const dir = airApp(`root = "."
tmp_dir = "tmp"

[build]
  cmd = "go build -o ./tmp/main ."
  bin = "./tmp/main"
  full_bin = "PORT=${port} ./tmp/main"
  include_ext = ["go", "tpl", "tmpl", "html"]
  exclude_dir = ["assets", "tmp", "vendor"]
  exclude_regex = ["_test\\\\.go"]
  delay = 1000
  send_interrupt = true
  kill_delay = 500
  stop_on_error = false

[color]
  main = "magenta"

[misc]
  clean_on_exit = true
`);
    const plain = await runCli(['init', '--main', '.'], { cwd: dir });
    expect(plain.stdout).toContain('.air.toml: not used; `hotwatch init --from-air --force` converts it instead');
    const r = await runCli(['init', '--from-air', '--force'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('converted 12 of 14 settings of .air.toml');
    expect(r.stderr).toBe(
      'hotwatch: 2 air settings not converted (also listed at the top of watcher.config.yaml):\n' +
        "  color.main: hotwatch's colours are fixed (NO_COLOR=1 or --log-format json turns them off)\n" +
        "  misc.clean_on_exit: hotwatch keeps .hotwatch/ (its state and the last binary, git-ignored) when it exits, so the next start finds a crashed run's app\n",
    );
    expect(configText(dir)).toMatch(/^# Not converted \(2\):\n# - color\.main: /m);
    expect(validateConfigJson(parseYaml(configText(dir)))).toEqual([]);
    const s = await loadSettings({ cwd: dir, isTTY: false });
    expect([s.run.env, s.run.stopSignal, s.run.gracePeriodMs, s.build.package]).toEqual([{ PORT: String(port) }, 'SIGINT', 500, '.']);

    const hw = await runUntil(dir, port, 'v=air-v1');
    const mark = hw.logs.length;
    fs.writeFileSync(path.join(dir, 'main.go'), goMain('air-v2'));
    await waitFor(async () => (await httpGet(port)) === 'v=air-v2', { description: 'the edit serves', timeoutMs: 60_000 });
    expect(hw.events('build.start', mark).length).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(path.join(dir, '.hotwatch/bin/app')), 'built where hotwatch builds, not tmp/').toBe(true);
  }, 120_000);

  it('a build command that is not a plain go build is kept whole, and its binary is what runs', async () => {
    const port = await freePort();
    const dir = airApp(`[build]
  cmd = "go build -o ./tmp/server . && echo built by the air cmd"
  entrypoint = ["./tmp/server", "--verbose"]
  full_bin = "PORT=${port} ./tmp/server"
`);
    const r = await runCli(['init', '--from-air', '.air.toml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const s = await loadSettings({ cwd: dir, isTTY: false });
    expect([s.build.cmd, s.build.output]).toEqual([
      'go build -o ./tmp/server . && echo built by the air cmd',
      path.join(dir, 'tmp/server'),
    ]);
    expect(configText(dir)).toContain("air ignored entrypoint's arguments (--verbose) because full_bin was set");
    // A good build's output is logged at debug only (it is shown at info only when the build fails).
    const hw = await runUntil(dir, port, 'v=air-v1', ['--log-level', 'debug']);
    expect(hw.events('build.output').some((l) => String(l.line).includes('built by the air cmd'))).toBe(true);
  }, 90_000);

  it('a bad .air.toml, a missing one, or --main beside it: exit 2 with where and the fix, nothing written', async () => {
    const dir = airApp('root = "."\n[build]\n  cmd = "go build -o ./tmp/main .\n');
    const bad = await runCli(['init', '--from-air'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^hotwatch: \.air\.toml:3:\d+ invalid TOML: [^\n]+\n {2}fix: fix the TOML syntax there/);
    fs.writeFileSync(path.join(dir, '.air.toml'), '[build]\n  delay = "1s"\n');
    const typed = await runCli(['init', '--from-air'], { cwd: dir });
    expect(typed.stderr).toMatch(/^hotwatch: \.air\.toml:2 build\.delay: air reads this as a whole number[^\n]*\n {2}fix: write delay as/);
    const missing = await runCli(['init', '--from-air', 'air/.air.toml'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--from-air air/.air.toml: no such file\n  fix: pass the path of your air config');
    const both = await runCli(['init', '--from-air', '--main', '.'], { cwd: dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--main cannot be combined with --from-air');
    expect(fs.existsSync(path.join(dir, 'watcher.config.yaml'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.gitignore'))).toBe(false);
  });
});

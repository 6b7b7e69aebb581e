/**
 * Every config error class → ONE HotwatchError, exit 2, formatted exactly
 * `<file>:<line>:<col> <dotted.key>: <what>` (+ `  fix: ...`). Real files in temp dirs, real loadSettings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { HotwatchError } from '../../src/errors.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-config-');
});
afterEach(() => tmp.cleanup());

/** Write watcher.config.yaml in the temp dir, load from there, return the error. */
async function errorFor(text: string): Promise<HotwatchError> {
  fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), text);
  const e = await loadSettings({ cwd: tmp.dir, isTTY: false }).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HotwatchError)) throw new Error(`expected a HotwatchError, got ${String(e)}`);
  expect(e.exitCode).toBe(2);
  return e;
}

describe('config errors: one message, file:line:col key: what', () => {
  it('YAML syntax error, at the position the yaml library reports', async () => {
    const e = await errorFor('build:\n  cmd: go build: x\n');
    expect(e.code).toBe('CONFIG_PARSE');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:8 invalid YAML: Nested mappings are not allowed in compact mappings\n' +
        '  fix: put a nested key on its own indented line, or quote a value that contains ": "',
    );
  });

  it('a NUL byte in any value or key (no argument, env variable or path can carry it) is said at its line, before the app is spawned', async () => {
    const e = await errorFor('run:\n  env:\n    T_A: "x\\0y"\n  args: ["--x=\\u0000"]\nwatch:\n  exclude: ["a\\x00b"]\n');
    expect(e.format()).toBe(
      [
        'watcher.config.yaml: 3 problems',
        'watcher.config.yaml:3:10 run.env.T_A: the value holds a NUL byte, which no path, command, argument or environment variable can carry',
        '  fix: remove it (in a double-quoted string, "\\0" and "\\x00" write one)',
        'watcher.config.yaml:4:10 run.args[0]: the value holds a NUL byte, which no path, command, argument or environment variable can carry',
        '  fix: remove it (in a double-quoted string, "\\0" and "\\x00" write one)',
        'watcher.config.yaml:6:13 watch.exclude[0]: the value holds a NUL byte, which no path, command, argument or environment variable can carry',
        '  fix: remove it (in a double-quoted string, "\\0" and "\\x00" write one)',
      ].join('\n'),
    );
  });

  it('tab indentation', async () => {
    const e = await errorFor('build:\n\tcmd: x\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:1 invalid YAML: Tabs are not allowed as indentation\n  fix: indent with spaces, not tabs',
    );
  });

  it('a key given twice names the key and both lines; a section given twice is to be merged', async () => {
    const e = await errorFor('build:\n  cmd: a\n  cmd: b\n');
    expect(e.format()).toBe('watcher.config.yaml:3:3 build.cmd: key given twice (first set at line 2)\n  fix: keep only one of them');
    const twice = await errorFor('build:\n  package: ./cmd/api\nrun:\n  port: 8080\nbuild:\n  flags: [-race]\n');
    expect(twice.format()).toBe(
      'watcher.config.yaml:5:1 build: key given twice (first set at line 1)\n  fix: merge the two build: sections into one',
    );
  });

  it('an alias to no anchor, and an alias bomb: each pointed at, each with its own fix', async () => {
    const missing = await errorFor('build:\n  flags: *nope\n');
    expect(missing.format()).toMatch(
      /^watcher\.config\.yaml:2:10 invalid YAML: .*\n {2}fix: define the anchor \(&name\) before using the alias \(\*name\)$/,
    );
    const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [n, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
      ['g', 'f'],
    ])
      rows.push(`${n}: &${n} [${Array(9).fill(`*${prev}`).join(',')}]`);
    const bomb = await errorFor(`${rows.join('\n')}\n`);
    expect(bomb.format()).toBe(
      'watcher.config.yaml:2:8 invalid YAML: its aliases (*name) expand to more values than a config can hold\n  fix: write the values out instead of aliasing lists of aliases; a config needs few aliases, if any',
    );
  });

  it('-o in build.flags (go would write elsewhere, every build "not written"): refused at its place, the fix naming build.output', async () => {
    const e = await errorFor('build:\n  flags: ["-trimpath", "-o", "bin/server"]\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:24 build.flags[1]: "-o" sets go\'s output: hotwatch passes -o build.output itself and runs that file, so go would write elsewhere and every build fail\n  fix: remove it and "bin/server", and set build.output: bin/server',
    );
    const joined = await errorFor('build:\n  flags: ["-o=bin/server"]\n');
    expect(joined.format()).toContain('fix: remove it, and set build.output: bin/server');
  });

  it('a go flag and its value in one item ("-tags dev"): one word to go, refused at its place with both ways to write it', async () => {
    const e = await errorFor('build:\n  flags: ["-race", "-tags dev"]\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:20 build.flags[1]: "-tags dev" is one argument to go, a flag and its value in one word (go would fail every build: "flag provided but not defined")\n  fix: write "-tags=dev", or two items: "-tags", "dev"',
    );
    const ok = await loadSettings({ cwd: tmp.dir, isTTY: false }).catch((x: unknown) => x);
    expect(ok).toBeInstanceOf(HotwatchError);
    // The value of the flag before it may hold spaces: ["-ldflags", "-s -w"] is two arguments, as meant.
    fs.writeFileSync(
      path.join(tmp.dir, 'watcher.config.yaml'),
      'build:\n  flags: ["-ldflags=-s -w", "-tags", "dev", "-gcflags", "-N -l"]\n',
    );
    expect((await loadSettings({ cwd: tmp.dir, isTTY: false })).build.flags).toEqual([
      '-ldflags=-s -w',
      '-tags',
      'dev',
      '-gcflags',
      '-N -l',
    ]);
  });

  it('a build.cmd that writes its binary elsewhere (-o ./tmp/main) with build.output left at its default: refused with the fix', async () => {
    const e = await errorFor('build:\n  cmd: go build -o ./tmp/main .\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:8 build.cmd writes ./tmp/main (its -o), but hotwatch runs build.output (.hotwatch/bin/app, the default): the app would never start\n  fix: set build.output: tmp/main',
    );
    for (const ok of [
      'build:\n  cmd: go build -o ./tmp/main .\n  output: tmp/main\n',
      "build:\n  cmd: 'go build -o /tmp/gen ./gen && /tmp/gen && go build -o .hotwatch/bin/app .'\n",
      'build:\n  cmd: make build\n',
    ]) {
      fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), ok);
      await expect(loadSettings({ cwd: tmp.dir, isTTY: false })).resolves.toBeDefined();
    }
  });

  it("go build's flags and air's keys written as keys: the key that does it, with the value, never an edit-distance guess that go refuses", async () => {
    const fmt = async (text: string) => (await errorFor(text)).format();
    expect(await fmt('build:\n  ldflags: "-s -w"\n')).toBe(
      'watcher.config.yaml:2:3 build.ldflags: unknown key: go build\'s -ldflags flag goes in build.flags\n  fix: write it as build.flags: ["-ldflags=-s -w"]',
    );
    expect(await fmt('build:\n  flags: [-race]\n  tags: [dev, e2e]\n')).toMatch(
      /fix: write it as build\.flags: \["-race", "-tags=dev,e2e"\]$/,
    );
    expect(await fmt('build:\n  kill_delay: 500\n')).toBe(
      'watcher.config.yaml:2:3 build.kill_delay: unknown key: air\'s key; hotwatch\'s is run.gracePeriod\n  fix: write it as run.gracePeriod: "500ms"',
    );
    expect(await fmt('build:\n  send_interrupt: true\n')).toMatch(
      /hotwatch's is run\.stopSignal: SIGINT\n {2}fix: a whole \.air\.toml converts with `hotwatch init --from-air`$/,
    );
    // A step's cmd: is its run:, not the build.cmd a search by name finds.
    expect(await fmt('build:\n  steps:\n    - cmd: [go, generate, ./...]\n')).toContain(
      "build.steps[0].cmd: unknown key: a step's command is its run: (a list: [go, generate, ./...])\n  fix: write it as build.steps[0].run",
    );
    // The fixes given work when applied.
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'build:\n  flags: ["-ldflags=-s -w"]\nrun:\n  gracePeriod: "500ms"\n');
    expect((await loadSettings({ cwd: tmp.dir, isTTY: false })).build.flags).toEqual(['-ldflags=-s -w']);
  });

  it('more than one YAML document', async () => {
    const e = await errorFor('root: .\n---\nroot: x\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:1 invalid YAML: the file holds more than one YAML document\n  fix: keep a single document: remove the second "---"',
    );
  });

  it('unknown key: points at the key, suggests the closest valid key at that level', async () => {
    const e = await errorFor('root: .\nbuild:\n  output: bin/app\n  cmnd: go build\n');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.format()).toBe('watcher.config.yaml:4:3 build.cmnd: unknown key (did you mean build.cmd?)');
  });

  it('unknown key with snake_case finds the camelCase key', async () => {
    const e = await errorFor('debounce:\n  max_wait: 2s\n');
    expect(e.format()).toBe('watcher.config.yaml:2:3 debounce.max_wait: unknown key (did you mean debounce.maxWait?)');
  });

  it('unknown key at the wrong level suggests where it belongs', async () => {
    const e = await errorFor('timeout: 5s\n');
    expect(e.format()).toBe('watcher.config.yaml:1:1 timeout: unknown key (did you mean build.timeout?)');
  });

  it('unknown key with nothing close: no suggestion, the valid keys as the fix', async () => {
    const e = await errorFor('run:\n  zzyzx: 1\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:3 run.zzyzx: unknown key\n' +
        '  fix: valid keys in run: args, env, envFiles, cwd, port, stopSignal, gracePeriod, onCrash, backoffInitial, backoffMax, backoffReset',
    );
  });

  it('wrong type: points at the value', async () => {
    const e = await errorFor('run:\n  port: "abc"\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:9 run.port: expected a number, got a string ("abc")\n  fix: write a whole number, without quotes: e.g. port: 8080',
    );
  });

  it('wrong type in a list element, with the fix', async () => {
    const e = await errorFor('run:\n  args: [-port, 8080]\n');
    expect(e.format()).toBe('watcher.config.yaml:2:17 run.args[1]: expected a string, got a number (8080)\n  fix: quote it: "8080"');
  });

  it('a string where a list is expected', async () => {
    const e = await errorFor('watch:\n  include: go.work\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:12 watch.include: expected a list, got a string ("go.work")\n  fix: write a list: ["go.work"]',
    );
  });

  it('bad enum value lists the valid ones', async () => {
    const e = await errorFor('log:\n  level: verbose\n');
    expect(e.format()).toBe('watcher.config.yaml:2:10 log.level: "verbose" is not one of trace, debug, info, warn, error');
  });

  it('bad enum value close to a valid one suggests it', async () => {
    const e = await errorFor('build:\n  onFailure: keep-runing\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:14 build.onFailure: "keep-runing" is not one of keep-running, stop (did you mean "keep-running"?)',
    );
  });

  it('a signal without SIG, and a value in the wrong case, get a suggestion', async () => {
    const e = await errorFor('run:\n  stopSignal: int\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:15 run.stopSignal: "int" is not one of SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGKILL (did you mean "SIGINT"?)',
    );
    const e2 = await errorFor('log:\n  level: INFO\n');
    expect(e2.format()).toBe(
      'watcher.config.yaml:2:10 log.level: "INFO" is not one of trace, debug, info, warn, error (did you mean "info"?)',
    );
  });

  it('a duration longer than Node timers keep (a 1000h backoff fired after 1 ms: a hot loop) is refused', async () => {
    const e = await errorFor('run:\n  backoffInitial: 1000h\n  backoffMax: 1000h\n');
    expect(e.format()).toContain(
      'watcher.config.yaml:2:19 run.backoffInitial: "1000h" is longer than hotwatch can wait (Node\'s timers end at 2^31-1 ms, about 24.8 days)',
    );
    expect(e.format()).toContain('fix: write "596h" (the longest wait)');
  });

  it('an unclosed [ or { is pointed at where it opens, not at the end of the file', async () => {
    const list = await errorFor('run:\n  gracePeriod: 5s\n  args: [a, b\n');
    expect(list.format()).toBe(
      'watcher.config.yaml:3:9 invalid YAML: the [ opened here is never closed\n  fix: close it with ] (or write the list as indented "- item" lines)',
    );
    const map = await errorFor('run:\n  env: {A: "x]", B: 1\nbuild:\n  flags: [-v]\n');
    expect(map.format()).toBe(
      'watcher.config.yaml:2:8 invalid YAML: the { opened here is never closed\n  fix: close it with } (or write its keys as indented "key: value" lines)',
    );
  });

  it("an unclosed quote is pointed at where it opens (not at the file's end); an apostrophe inside a word is not a quote", async () => {
    const dq = await errorFor('run:\n  cwd: "srv\n  port: 8080\nbuild:\n  package: .\n');
    expect(dq.format()).toBe(
      'watcher.config.yaml:2:8 invalid YAML: the " opened here is never closed\n  fix: close it with " at the end of the value',
    );
    const sq = await errorFor("run:\n  env:\n    MSG: don't\n    X: 'it''s\n");
    expect(sq.format()).toBe(
      "watcher.config.yaml:4:8 invalid YAML: the ' opened here is never closed\n  fix: close it with ' at the end of the value",
    );
  });

  it('checks between keys are said beside the schema errors (not a second round once those are fixed), unless they involve a refused key', async () => {
    const apps = await errorFor('log:\n  level: loud\napps:\n  a:\n    package: .\n    port: 9001\n  b:\n    package: .\n    port: 9001\n');
    expect(apps.format()).toBe(
      'watcher.config.yaml: 2 problems\n' +
        'watcher.config.yaml:2:10 log.level: "loud" is not one of trace, debug, info, warn, error\n' +
        'watcher.config.yaml:9:11 apps.a and apps.b both listen on port 9001: the second could never start\n' +
        '  fix: give apps.b.port another port',
    );
    // maxWait against a quiet the file got wrong: judging it against quiet's default would say something the file does not mean.
    const debounce = await errorFor('debounce:\n  quiet: 2x\n  maxWait: 10ms\n');
    expect(debounce.format()).not.toContain('maxWait');
  });

  it('a number or a boolean given as text gets the fix, not only what is wrong', async () => {
    expect((await errorFor('run:\n  port: "abc"\n')).format()).toContain('fix: write a whole number, without quotes: e.g. port: 8080');
    expect((await errorFor('watchdog:\n  enabled: "yes"\n')).format()).toContain(
      'fix: write true or false, without quotes: e.g. enabled: true',
    );
  });

  it('bare-number duration says to add a unit', async () => {
    const e = await errorFor('debounce:\n  quiet: 300\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:10 debounce.quiet: a bare number is not a duration: add a unit, e.g. "300ms" for milliseconds (units: ms, s, m, h)',
    );
    // A small number is more often meant in seconds: both are said, seconds first (each one the config accepts).
    const grace = await errorFor('run:\n  gracePeriod: 5\n');
    expect(grace.format()).toBe(
      'watcher.config.yaml:2:16 run.gracePeriod: a bare number is not a duration: add a unit, e.g. "5s" for seconds or "5ms" for milliseconds (units: ms, s, m, h)',
    );
  });

  it('malformed duration: the fix is the duration it most likely means, else the grammar', async () => {
    const e = await errorFor('build:\n  timeout: 5 sec\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:12 build.timeout: "5 sec" is not a duration\n  fix: write "5s" (a number with a unit ms, s, m or h)',
    );
    const e2 = await errorFor('build:\n  timeout: soon\n');
    expect(e2.format()).toBe(
      'watcher.config.yaml:2:12 build.timeout: "soon" is not a duration\n  fix: write a number with a unit ms, s, m or h, e.g. "300ms", "5s" or "1m30s"',
    );
  });

  it('bad glob: an unclosed brace (picomatch would silently match nothing)', async () => {
    const e = await errorFor('watch:\n  exclude:\n    - "**/*_test.go"\n    - "**/*.{go,tmpl"\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:4:7 watch.exclude[1]: bad glob "**/*.{go,tmpl": "{" is never closed\n' +
        '  fix: close it: "**/*.{go,tmpl}", or escape it to match a literal "{": \'**/*.\\{go,tmpl\'',
    );
  });

  it('bad glob: an unclosed bracket', async () => {
    const e = await errorFor('watch:\n  include: ["web/[a-z.html"]\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:13 watch.include[0]: bad glob "web/[a-z.html": "[" is never closed\n' +
        '  fix: close it: "web/[a-z.html]", or escape it to match a literal "[": \'web/\\[a-z.html\'',
    );
  });

  it('a top level that is not a mapping', async () => {
    const e = await errorFor('- root: .\n- build: {}\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:1:1 (top level): expected a mapping (key: value lines), got a list\n  fix: write key: value lines at the top level, e.g. "root: ."',
    );
  });

  it('a section that is not a mapping', async () => {
    const e = await errorFor('build: go build ./cmd/api\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:1:8 build: expected a mapping (key: value lines), got a string ("go build ./cmd/api")\n  fix: indent key: value lines under build',
    );
  });

  it('several problems: all reported together, in file order, each with file:line:col', async () => {
    const e = await errorFor('log:\n  level: loud\nbuild:\n  cmnd: x\nrun:\n  port: x\n');
    expect(e.format()).toBe(
      'watcher.config.yaml: 3 problems\n' +
        'watcher.config.yaml:2:10 log.level: "loud" is not one of trace, debug, info, warn, error\n' +
        'watcher.config.yaml:4:3 build.cmnd: unknown key (did you mean build.cmd?)\n' +
        'watcher.config.yaml:6:9 run.port: expected a number, got a string ("x")\n' +
        '  fix: write a whole number, without quotes: e.g. port: 8080',
    );
    const e2 = await errorFor('run:\n  port: x\nbuild:\n  cmnd: x\n');
    expect(e2.format().split('\n')[1]).toBe('watcher.config.yaml:2:9 run.port: expected a number, got a string ("x")');
  });

  it('missing --config file', async () => {
    const e = await loadSettings({ cwd: tmp.dir, configPath: 'conf/nope.yaml', isTTY: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HotwatchError);
    const err = e as HotwatchError;
    expect(err.code).toBe('CONFIG_NOT_FOUND');
    expect(err.exitCode).toBe(2);
    expect(err.format()).toBe(
      `--config conf/nope.yaml: no such file (${path.join(tmp.dir, 'conf/nope.yaml')})\n` +
        '  fix: check the path (relative to the current directory), or leave out --config to use watcher.config.yaml in the root',
    );
  });

  it('--config naming a directory', async () => {
    fs.mkdirSync(path.join(tmp.dir, 'conf'));
    const e = (await loadSettings({ cwd: tmp.dir, configPath: 'conf', isTTY: false }).catch((x: unknown) => x)) as HotwatchError;
    expect(e.format()).toBe(
      '--config conf: is a directory, not a file\n  fix: pass the file itself, e.g. --config conf/watcher.config.yaml',
    );
  });

  it('an empty file, or one with only comments, is all defaults, not an error', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), '');
    const a = await loadSettings({ cwd: tmp.dir, isTTY: false });
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), '# nothing yet\n---\n');
    const b = await loadSettings({ cwd: tmp.dir, isTTY: false });
    expect(a.configFile).toBe(path.join(tmp.dir, 'watcher.config.yaml'));
    expect(a.debounce).toEqual({ quietMs: 50, loneQuietMs: 15, settledQuietMs: 5, maxWaitMs: 1000 });
    expect(b).toEqual(a);
  });

  it('a file outside cwd is shown with its absolute path', async () => {
    const other = makeTmpDir('hotwatch-config-other-');
    try {
      const file = path.join(other.dir, 'hw.yaml');
      fs.writeFileSync(file, 'build:\n  cmnd: x\n');
      const e = (await loadSettings({ cwd: tmp.dir, configPath: file, isTTY: false }).catch((x: unknown) => x)) as HotwatchError;
      expect(e.format()).toBe(`${file}:2:3 build.cmnd: unknown key (did you mean build.cmd?)`);
    } finally {
      other.cleanup();
    }
  });
});

describe('keys that depend on each other, and durations that cannot be zero', () => {
  it('debounce.quiet longer than maxWait (the default) points at quiet (it crashed the runtime with a RangeError)', async () => {
    const e = await errorFor('debounce:\n  quiet: 2s\n');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:10 debounce.quiet: 2s is longer than debounce.maxWait (1s, the default): maxWait is the longest a batch waits, so it caps the quiet window\n' +
        '  fix: make debounce.quiet at most debounce.maxWait: e.g. set debounce.quiet: 1s, or also set debounce.maxWait: 2s',
    );
  });

  it('a maxWait shorter than the default quiet points at maxWait', async () => {
    const e = await errorFor('# timing\ndebounce:\n  maxWait: 20ms\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:3:12 debounce.maxWait: 20ms is shorter than debounce.quiet (50ms, the default): maxWait is the longest a batch waits, so it caps the quiet window\n' +
        '  fix: make debounce.quiet at most debounce.maxWait: e.g. set debounce.maxWait: 50ms, or also set debounce.quiet: 20ms',
    );
  });

  it('a loneQuiet set longer than quiet is refused; the default loneQuiet under a small quiet is not', async () => {
    // "also set debounce.quiet: 3s" is not offered: quiet 3s would be longer than maxWait (1s, the default).
    const e = await errorFor('debounce:\n  loneQuiet: 3s\n  quiet: 100ms\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:14 debounce.loneQuiet: 3s is longer than debounce.quiet (100ms): a lone save would wait longer than a burst (loneQuiet is capped at quiet)\n' +
        '  fix: make debounce.loneQuiet at most debounce.quiet: e.g. set debounce.loneQuiet: 100ms',
    );
    const both = await errorFor('debounce:\n  loneQuiet: 300ms\n  quiet: 100ms\n');
    expect(both.hint).toBe(
      'make debounce.loneQuiet at most debounce.quiet: e.g. set debounce.loneQuiet: 100ms, or also set debounce.quiet: 300ms',
    );
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'debounce:\n  quiet: 10ms\n  maxWait: 10ms\n');
    expect((await loadSettings({ cwd: tmp.dir, isTTY: false })).debounce).toEqual({
      quietMs: 10,
      loneQuietMs: 15,
      settledQuietMs: 5,
      maxWaitMs: 10,
    });
  });

  it('a file that sets loneQuiet but not settledQuiet gets no settled fast path; both set, both kept', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'debounce:\n  loneQuiet: 30ms\n');
    expect((await loadSettings({ cwd: tmp.dir, isTTY: false })).debounce).toMatchObject({ loneQuietMs: 30, settledQuietMs: 30 });
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'debounce:\n  loneQuiet: 30ms\n  settledQuiet: 2ms\n');
    expect((await loadSettings({ cwd: tmp.dir, isTTY: false })).debounce).toMatchObject({ loneQuietMs: 30, settledQuietMs: 2 });
  });

  it('a settledQuiet set longer than loneQuiet is refused, at settledQuiet', async () => {
    const e = await errorFor('debounce:\n  settledQuiet: 20ms\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:17 debounce.settledQuiet: 20ms is longer than debounce.loneQuiet (15ms, the default): a save known complete would wait longer than one that is not (settledQuiet is capped at loneQuiet)\n' +
        '  fix: make debounce.settledQuiet at most debounce.loneQuiet: e.g. set debounce.settledQuiet: 15ms, or also set debounce.loneQuiet: 20ms',
    );
  });

  it('run.backoffMax below backoffInitial points at the key the file sets', async () => {
    const e = await errorFor('run:\n  backoffInitial: 10s\n  backoffMax: 1s\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:19 run.backoffInitial: 10s is longer than run.backoffMax (1s): backoffMax caps every restart delay, the first one included\n' +
        '  fix: make run.backoffInitial at most run.backoffMax: e.g. set run.backoffInitial: 1s, or also set run.backoffMax: 10s',
    );
    const e2 = await errorFor('run:\n  backoffMax: 100ms\n');
    expect(e2.format()).toMatch(
      /^watcher\.config\.yaml:2:15 run\.backoffMax: 100ms is shorter than run\.backoffInitial \(500ms, the default\)/,
    );
  });

  it('build.timeout and run.backoffInitial of zero are refused, saying what zero would do; gracePeriod 0s is allowed', async () => {
    const e = await errorFor('build:\n  timeout: 0s\n');
    expect(e.format()).toBe(
      'watcher.config.yaml:2:12 build.timeout: "0s" is zero: every build would be killed as soon as it starts\n' +
        '  fix: give it a length above zero, or remove the key to use the default',
    );
    const e2 = await errorFor('run:\n  onCrash: restart\n  backoffInitial: 0ms\n');
    expect(e2.format()).toMatch(
      /^watcher\.config\.yaml:3:19 run\.backoffInitial: "0ms" is zero: a crashing app would be restarted in a tight loop\n/,
    );
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'run:\n  gracePeriod: 0s\n');
    expect((await loadSettings({ cwd: tmp.dir, isTTY: false })).run.gracePeriodMs).toBe(0);
  });
});

/**
 * `hotwatch init --from-air`: real .air.toml files (air's own example and project-style configs, see
 * each fixture's origin note) converted, written, and loaded back with hotwatch's own loader; every key
 * of each file either converted or reported, and the reported ones exactly those hotwatch cannot honour.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { HotwatchError } from '../../src/errors.js';
import { parseGoBuild, shellWords } from '../../src/init/air/command.js';
import { convertAir, type AirConversion } from '../../src/init/air/convert.js';
import { killDelayMs } from '../../src/init/air/convert-run.js';
import { stepArgv } from '../../src/init/air/convert-steps.js';
import { readAirToml } from '../../src/init/air/read.js';
import { regexToGlob } from '../../src/init/air/regex.js';
import { createFilter } from '../../src/watch/tree/filter.js';
import { renderConfig } from '../../src/init/render.js';
import { validateConfigJson } from '../helpers/config-json-schema.js';
import { makeTmpDir } from '../helpers/tmp.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/air/', import.meta.url));
const defaults = ConfigSchema.parse({});
const tmps: Array<{ cleanup: () => void }> = [];
afterEach(() => {
  for (const t of tmps.splice(0)) t.cleanup();
});

/** A project root holding `dirs` and `files` (empty files). */
function project(dirs: string[] = [], files: string[] = []): string {
  const t = makeTmpDir('hotwatch-air-');
  tmps.push(t);
  for (const d of dirs) fs.mkdirSync(path.join(t.dir, d), { recursive: true });
  for (const f of files) fs.writeFileSync(path.join(t.dir, f), '');
  return t.dir;
}

function convert(text: string, root: string): { conv: AirConversion; yaml: string } {
  const conv = convertAir(readAirToml(text, '.air.toml'), '.air.toml', { root, platform: 'linux', defaults });
  return { conv, yaml: renderConfig(conv.draft, './schema.json') };
}

/** Every key a TOML text sets, by dotted path (arrays, arrays of tables included, are leaves). */
function keysOf(text: string): string[] {
  const out: string[] = [];
  const walk = (o: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(o)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)) walk(v as Record<string, unknown>, key);
      else out.push(key);
    }
  };
  walk(parseToml(text) as Record<string, unknown>, '');
  return out.sort();
}

/** Writes the converted file into the project and loads it as `hotwatch run` would. */
async function load(root: string, yaml: string) {
  fs.writeFileSync(path.join(root, 'watcher.config.yaml'), yaml);
  return loadSettings({ cwd: root, isTTY: false });
}

interface Case {
  fixture: string;
  dirs?: string[];
  files?: string[];
  unmapped: string[];
}

const CASES: Case[] = [
  {
    fixture: 'air-every-key.toml',
    files: ['.env'],
    unmapped: [
      'build.follow_symlink',
      'build.post_cmd',
      'build.log',
      'build.windows.cmd',
      'build.windows.bin',
      'build.windows.entrypoint',
      'log.time',
      'color.main',
      'color.watcher',
      'color.build',
      'color.runner',
      'screen.keep_scroll',
      'misc.clean_on_exit',
    ],
  },
  {
    fixture: 'web-cmd-server.toml',
    unmapped: ['build.log', 'misc.clean_on_exit'],
  },
  { fixture: 'makefile-poll.toml', unmapped: ['watch_dir', 'build.log', 'build.exclude_regex', 'build.follow_symlink', 'color.main'] },
  {
    fixture: 'cli-platforms.toml',
    dirs: ['cmd/app', 'internal/mock', 'config', 'docs', 'web', '.github'],
    files: ['.env'],
    unmapped: ['build.windows.cmd', 'build.windows.bin', 'build.rules', 'color.mode'],
  },
];

describe.each(CASES)('$fixture', ({ fixture, dirs, files, unmapped }) => {
  const text = fs.readFileSync(path.join(FIXTURES, fixture), 'utf8');

  it('converts to a config that validates against the JSON Schema and loads', async () => {
    const root = project(dirs, files);
    const { yaml } = convert(text, root);
    expect(yaml.split('\n')[0]).toBe('# yaml-language-server: $schema=./schema.json');
    expect(validateConfigJson(parseYaml(yaml) ?? {})).toEqual([]);
    await expect(load(root, yaml)).resolves.toBeDefined();
  });

  it('every key is converted or reported, and the reported ones are exactly those hotwatch cannot honour', () => {
    const { conv, yaml } = convert(text, project(dirs, files));
    const mapped = [...conv.mapped.keys()];
    const reported = conv.unmapped.map((u) => u.key);
    expect(
      mapped.filter((k) => reported.includes(k)),
      'converted and reported at once',
    ).toEqual([]);
    expect([...mapped, ...reported].sort()).toEqual(keysOf(text));
    expect(reported.sort()).toEqual([...unmapped].sort());
    for (const u of conv.unmapped) {
      expect(u.reason.length, `${u.key} has a reason`).toBeGreaterThan(20);
      expect(yaml, `${u.key} is listed in the file`).toContain(u.key);
    }
  });
});

describe('what the conversions set', () => {
  const convertFixture = async (fixture: string, dirs: string[] = [], files: string[] = []) => {
    const root = project(dirs, files);
    const { conv, yaml } = convert(fs.readFileSync(path.join(FIXTURES, fixture), 'utf8'), root);
    return { root, conv, yaml, s: await load(root, yaml) };
  };

  it("every air key: the go build becomes hotwatch's own, full_bin's variables and args_bin reach the app", async () => {
    const { root, s, yaml } = await convertFixture('air-every-key.toml', [], ['.env']);
    expect(s.build.cmd).toBeUndefined();
    expect(s.build.package).toBe('.');
    expect(s.build.output).toBe(path.join(root, '.hotwatch/bin/app'));
    expect(s.run.env).toEqual({ APP_ENV: 'dev', APP_USER: 'air' });
    expect(s.run.args).toEqual(['hello', 'world']);
    expect(s.run.port).toBeUndefined();
    expect(s.proxy).toMatchObject({ enabled: true, port: 8090, appPort: 8080, proveNewVersion: false, readyTimeoutMs: 5000 });
    expect(s.run.envFiles).toEqual([path.join(root, '.env')]);
    expect(s.build.onFailure).toBe('stop');
    expect(s.run.stopSignal).toBe('SIGTERM');
    expect(s.watch.exclude.sort()).toEqual(['**/*_test.go', 'assets/**', 'frontend/node_modules/**']);
    expect(yaml).toMatch(/air killed the app with SIGKILL at once/);
    expect(yaml).toMatch(/air built right after the first change \(delay = 0\)/);
    expect(yaml).toMatch(/air's build wrote \.\/tmp\/main; hotwatch builds into \.hotwatch\/bin\/app/);
  });

  it('a cmd/server web app: package, SIGINT with its grace, the proxied port, regexes as globs', async () => {
    const { s } = await convertFixture('web-cmd-server.toml');
    expect(s.build.package).toBe('./cmd/server');
    expect(s.run.args).toEqual(['-addr', ':8080']);
    expect([s.run.stopSignal, s.run.gracePeriodMs, s.run.port]).toEqual(['SIGINT', 2000, undefined]);
    expect(s.proxy).toMatchObject({ enabled: true, port: 8090, appPort: 8080, proveNewVersion: false, readyTimeoutMs: 30_000 });
    expect(s.watch.extensions.sort()).toEqual(['.go', '.html', '.json', '.s', '.sx', '.syso', '.tmpl', '.tpl']);
    expect(s.watch.exclude.sort()).toEqual(['**/*_templ.go*', '**/*_test.go', 'assets/**', 'bin/**', 'frontend/**']);
    expect(s.run.envFiles).toEqual([]); // .env does not exist in this project
  });

  it("air's [proxy]: hotwatch's proxy on proxy_port, the app on app_port (stop, then start), each difference said", async () => {
    const root = project();
    const air = '[proxy]\nenabled = true\nproxy_port = 3000\napp_port = 4000\napp_start_timeout = 2500\n';
    const { conv, yaml } = convert(air, root);
    expect(validateConfigJson(parseYaml(yaml) ?? {})).toEqual([]);
    const s = await load(root, yaml);
    expect(s.proxy).toMatchObject({ enabled: true, port: 3000, appPort: 4000, proveNewVersion: false, readyTimeoutMs: 2500 });
    // air rebuilt and restarted for every watched file: hotwatch's page-reload-only and restart-only defaults are off.
    expect([s.proxy.reloadOnly, s.proxy.restartOnly]).toEqual([[], []]);
    expect(conv.unmapped).toEqual([]);
    expect(conv.mapped.get('proxy.proxy_port')).toBe('proxy.port');
    const comments = yaml.replace(/\n\s*#\s*/g, ' '); // wrapped comment lines, joined
    expect(comments).toMatch(/holds requests \(up to proxy\.holdTimeout\) instead of failing them/);
    expect(comments).toMatch(/listens on 127\.0\.0\.1 only/);
    expect(comments).toMatch(/make the app listen on \$PORT, remove appPort and this key/);
    expect(comments).toMatch(/Empty, as air behaved: every watched file rebuilds and restarts/);
    // Without app_port: blue-green stays on (the app is told its port in $PORT).
    const bare = await load(root, convert('[proxy]\nenabled = true\nproxy_port = 3000\n', root).yaml);
    expect(bare.proxy).toMatchObject({ enabled: true, port: 3000, appPort: 0, proveNewVersion: true });
    // Off: nothing set, every key accounted for.
    const off = convert('[proxy]\nenabled = false\nproxy_port = 3000\napp_port = 4000\n', root);
    expect((await load(root, off.yaml)).proxy.enabled).toBe(false);
    expect(off.conv.mapped.get('proxy.app_port')).toMatch(/no effect in air/);
    // Ports that cannot work are reported, not converted.
    const bad = convert('[proxy]\nenabled = true\nproxy_port = 4000\napp_port = 4000\n', root);
    expect(bad.conv.unmapped).toEqual([{ key: 'proxy.proxy_port', reason: expect.stringMatching(/cannot listen on the same port/) }]);
    await expect(load(root, bad.yaml)).resolves.toBeDefined();
  });

  it("air's pre_cmd becomes before-steps, clear_on_rebuild build.clear; post_cmd (run at air's exit) is reported", async () => {
    const web = await convertFixture('web-cmd-server.toml');
    expect(web.s.build.steps).toEqual([{ run: ['templ', 'generate'], when: 'before', files: [] }]);
    expect(web.s.build.clear).toBe(true);
    expect(web.yaml).toMatch(/From air's build\.pre_cmd: run before each build/);
    const every = await convertFixture('air-every-key.toml', [], ['.env']);
    expect(every.s.build.steps).toEqual([{ run: ['go', 'generate', './...'], when: 'before', files: [] }]);
    expect(every.conv.unmapped.find((u) => u.key === 'build.post_cmd')?.reason).toMatch(/when it exited \(after Ctrl-C\)/);
    expect(stepArgv('templ generate && sqlc generate')).toEqual(['sh', '-c', 'templ generate && sqlc generate']);
    expect(stepArgv('  go generate ./... ')).toEqual(['go', 'generate', './...']);
    // A variable set for the command is the shell's syntax: as argv its program would be "NODE_ENV=production".
    expect(stepArgv('NODE_ENV=production templ generate')).toEqual(['sh', '-c', 'NODE_ENV=production templ generate']);
    // A watcher air left running in the background: said, as hotwatch stops what a step leaves behind.
    const root = project();
    const bg = convert('[build]\npre_cmd = ["./css-watch.sh &", "templ generate && go generate ./..."]\n', root);
    expect(bg.conv.differences).toEqual([
      { key: 'build.pre_cmd', reason: expect.stringMatching(/^"\.\/css-watch\.sh &" runs in the background \(&\): air left it running/) },
    ]);
  });

  it('a Makefile build kept whole, polling, a 1.5 s delay, reruns at a fixed delay', async () => {
    const { root, s, yaml } = await convertFixture('makefile-poll.toml');
    expect(s.build.cmd).toBe('make LDFLAGS="" build');
    expect(s.build.output).toBe(path.join(root, 'bin/balance'));
    expect([s.watch.backend, s.watch.pollIntervalMs]).toEqual(['poll', 1000]);
    expect([s.debounce.quietMs, s.debounce.maxWaitMs]).toEqual([1500, 1500]);
    expect([s.run.onCrash, s.run.backoff.initialMs, s.run.backoff.maxMs]).toEqual(['restart', 2000, 2000]);
    expect(s.log.level).toBe('warn');
    expect(s.watch.include).toEqual(['go.mod', 'go.sum', 'config.yaml']);
    expect(s.watch.exclude.sort()).toEqual(['**/*.pb.go', 'bin/**', 'migrations/testdata/**', 'web/node_modules/**']);
    expect(yaml).toMatch(/air did not exclude tests here/);
    expect(yaml).toMatch(/"\^\(gen\|mock\)\/": anchored with \^/);
  });

  it('the [build.linux] block wins; include_dir becomes the directories outside it; a missing env file is left out', async () => {
    const { root, s, yaml } = await convertFixture(
      'cli-platforms.toml',
      ['cmd/app', 'internal/mock', 'config', 'docs', 'web', '.github'],
      ['.env'],
    );
    expect(s.build.package).toBe('./cmd/app');
    expect(s.build.flags).toEqual(['-ldflags', '-s -w']);
    expect(s.build.env).toEqual({ CGO_ENABLED: '0' });
    expect(s.run.env).toEqual({ GIN_MODE: 'debug' });
    expect(s.run.args).toEqual(['server', '-c', 'config/config.yaml']);
    expect([s.run.stopSignal, s.run.gracePeriodMs, s.build.onFailure, s.log.level]).toEqual(['SIGINT', 0, 'keep-running', 'error']);
    expect(s.run.envFiles).toEqual([path.join(root, '.env')]);
    expect(yaml).toMatch(/do not exist here[^\n]*\n[^\n]*\.env\.development/);
    expect(s.watch.include).toEqual(['go.mod', 'go.sum', 'config/config.yaml']);
    expect(s.watch.exclude.sort()).toEqual([
      '**/*_test.go',
      '**/mocks/**',
      'docs/**',
      'internal/assets/**',
      'internal/mock/*.go',
      'web/**',
    ]);
  });
});

describe('what air did that the converted config cannot do the same way: said as a difference', () => {
  it('an include_dir outside the root: not watched, said (the dirs inside are converted; "." is the whole root)', async () => {
    const root = project();
    fs.mkdirSync(path.join(root, 'web'));
    const { conv, yaml } = convert('[build]\ninclude_dir = [".", "../shared"]\n', root);
    expect(conv.differences).toEqual([
      { key: 'build.include_dir', reason: expect.stringMatching(/^\.\.\/shared is outside the root, and not watched/) },
    ]);
    expect(yaml).toMatch(/Converted, but not as air behaved \(1\):/);
    expect((await load(root, yaml)).watch.exclude).not.toContain('web/**');
  });

  it("env_files' toolchain variables (GOFLAGS=-tags=dev), which air's go build saw: copied into build.env, said", async () => {
    const root = project();
    fs.writeFileSync(path.join(root, '.env'), 'GOFLAGS=-tags=dev\nCGO_ENABLED=0\nDATABASE_URL=postgres://x\n');
    const { conv, yaml } = convert('env_files = [".env"]\n[build]\ncmd = "CGO_ENABLED=1 go build -o ./tmp/main ."\n', root);
    const s = await load(root, yaml);
    expect(s.build.env).toEqual({ CGO_ENABLED: '1', GOFLAGS: '-tags=dev' }); // the command's own prefix wins, as in air
    expect(s.run.envFiles).toEqual([path.join(root, '.env')]);
    expect(conv.differences).toEqual([{ key: 'env_files', reason: expect.stringMatching(/^GOFLAGS \(\.env\): air's go build saw them/) }]);
  });
});

describe('env files air read', () => {
  it('${VAR} in them (air expanded it) and a git-ignored one (a clone without it cannot start): each said as a difference', async () => {
    const root = project();
    spawnSync('git', ['init', '-q'], { cwd: root });
    fs.writeFileSync(path.join(root, '.gitignore'), '.env\n');
    fs.writeFileSync(path.join(root, '.env'), 'DB_USER=admin\nDATABASE_URL=postgres://${DB_USER}@${DB_HOST}/app\n');
    const { conv } = convert('env_files = [".env"]\n', root);
    expect(conv.differences.map((d) => d.reason)).toEqual([
      expect.stringMatching(/^\.env uses \$\{DB_USER\}, \$\{DB_HOST\}: air \(godotenv\) expanded them, hotwatch passes the text as it is/),
      expect.stringMatching(/^\.env is git-ignored: air skipped a missing env file, hotwatch refuses to start without one/),
    ]);
  });
});

describe('bad and odd .air.toml files', () => {
  const read = (text: string) => readAirToml(text, '.air.toml');
  const caught = (f: () => unknown): HotwatchError => {
    try {
      f();
    } catch (e) {
      if (e instanceof HotwatchError) return e;
      throw e;
    }
    throw new Error('no error thrown');
  };

  it('a TOML syntax error names file:line:col and the fix', () => {
    const e = caught(() => read('root = "."\n[build]\ncmd = "go build\n'));
    expect([e.code, e.exitCode, e.where]).toEqual(['CONFIG_PARSE', 2, '.air.toml:3:16']);
    expect(e.format()).toMatch(/invalid TOML: .*\n {2}fix: fix the TOML syntax/);
  });

  it('a value of the wrong type names the key, its line and the type air reads', () => {
    const e = caught(() => read('[build]\ncmd = "go build ."\n\ndelay = "1s"\n'));
    expect([e.code, e.where]).toEqual(['CONFIG_INVALID', '.air.toml:4']);
    expect(e.message).toMatch(/^build\.delay: air reads this as a whole number/);
    expect(e.hint).toMatch(/write delay as a whole number/);
  });

  it('a key air does not know is reported, with the key it probably meant', () => {
    const { conv } = convert('[env]\nfiles = [".env"]\n', project());
    expect(conv.unmapped).toEqual([{ key: 'env.files', reason: expect.stringMatching(/did you mean env_files\?/) }]);
  });

  it('an entrypoint that runs a debugger is reported; the build is still converted', () => {
    const { conv } = convert(
      '[build]\ncmd = "go build -gcflags \'all=-N -l\' -o ./tmp/main ."\nentrypoint = ["dlv", "exec", "--headless", "./tmp/main"]\n',
      project(),
    );
    expect(conv.unmapped.map((u) => u.key)).toEqual(['build.entrypoint']);
    expect(conv.unmapped[0]!.reason).toMatch(/runs dlv from PATH/);
    expect(conv.draft.values['build.flags']).toEqual(['-gcflags', 'all=-N -l']);
    expect(conv.draft.values['run.args'], "the debugger's arguments are not the app's").toBeUndefined();
  });

  it('an exclude_file that is no valid glob is reported; a directory outside the root needs no exclusion', async () => {
    const root = project();
    const { conv, yaml } = convert('[build]\nexclude_file = ["{a,b", "x.go"]\nexclude_dir = ["/abs/dir", "../up", "logs"]\n', root);
    expect(conv.unmapped).toEqual([
      { key: 'build.exclude_file', reason: expect.stringMatching(/not converted: bad glob "\{a,b": "\{" is never closed/) },
    ]);
    expect((await load(root, yaml)).watch.exclude).toEqual(['**/*_test.go', 'x.go', 'logs/**']);
  });

  it("a bin with arguments (air runs it through the shell): the binary is hotwatch's build, its words are run.args", async () => {
    const root = project();
    fs.writeFileSync(path.join(root, 'go.mod'), 'module example.com/x\n\ngo 1.22\n');
    fs.writeFileSync(path.join(root, 'main.go'), 'package main\n\nfunc main() {}\n');
    const { conv, yaml } = convert('[build]\ncmd = "go build -o ./tmp/main ."\nbin = "./tmp/main serve --verbose"\n', root);
    expect(conv.draft.values['run.args']).toEqual(['serve', '--verbose']);
    expect(conv.draft.values['build.cmd']).toBeUndefined(); // the plain go build is hotwatch's own
    const s = await load(root, yaml);
    expect(s.run.args).toEqual(['serve', '--verbose']);
    expect(s.build.cmd).toBeUndefined();
  });

  it('a full_bin the shell would expand is reported, not guessed', () => {
    const { conv } = convert('[build]\nfull_bin = "PORT=$APP_PORT ./tmp/main"\n', project());
    expect(conv.unmapped.map((u) => u.key)).toEqual(['build.full_bin']);
    expect(conv.draft.values['run.env']).toBeUndefined();
  });
});

describe('the pieces of a conversion', () => {
  it.each([
    ['_test\\.go', '**/*_test.go'],
    ['_test.go', '**/*_test.go'],
    ['\\.pb\\.go$', '**/*.pb.go'],
    ['.*_templ.go', '**/*_templ.go*'],
    ['_gen\\.go$', '**/*_gen.go'],
    ['generated', '**/*generated*'],
    ['gen/', '**/*gen/**'],
    ['/mocks/', '**/mocks/**'],
    // air's .* crosses "/": gen/sub/x.go is excluded as it was
    ['gen/.*\\.go$', '**/*gen/**/*.go'],
    ['foo.*/bar\\.go$', '**/*foo*/**/bar.go'],
    ['gen/.*', '**/*gen/*'],
  ])('exclude_regex %s → %s', (re, glob) => {
    expect(regexToGlob(re)).toEqual({ globs: [glob] });
  });

  it('a .* inside a name is read both ways: within the directory, and across directories', () => {
    expect(regexToGlob('gen.*\\.go$')).toEqual({ globs: ['**/*gen*.go', '**/*gen*/**/*.go'] });
    expect(regexToGlob('a.*b.*c.*d')).toEqual({ reason: expect.stringContaining('write the globs by hand') });
  });

  it('the converted config excludes what air excluded, at any depth', async () => {
    const root = project();
    const { yaml } = convert('[build]\nexclude_regex = ["_test\\\\.go", "gen/.*\\\\.go$"]\n', root);
    const filter = createFilter((await load(root, yaml)).watch);
    const air = /gen\/.*\.go$/;
    for (const file of ['gen/x.go', 'gen/sub/x.go', 'api/gen/deep/er/x.go', 'main.go', 'generate/x.go', 'api/x.go']) {
      const abs = path.join(root, file);
      const excluded =
        !filter.isRelevantFile(abs) ||
        path
          .dirname(file)
          .split('/')
          .some((_, i, a) => filter.isExcludedDir(path.join(root, ...a.slice(0, i + 1))));
      expect(excluded, file).toBe(air.test(file));
    }
  });

  it.each(['^vendor/', '(foo|bar)\\.go', '[a-z]+_test\\.go', 'x\\d', 'a.'])(
    'exclude_regex %s is left to the person, with the reason',
    (re) => {
      expect(regexToGlob(re)).toEqual({ reason: expect.any(String) });
    },
  );

  it.each([
    [500, 500],
    [0, 0],
    [2_000_000_000, 2000], // nanoseconds, as air's Go side reads a large integer
    ['2s', 2000],
    ['1m30s', 90_000],
    ['1500us', 1],
    ['soon', undefined],
  ])('kill_delay %j → %j ms', (v, want) => {
    expect(killDelayMs(v)).toBe(want);
  });

  it('go build command lines: plain ones are taken apart, anything else is kept whole', () => {
    expect(parseGoBuild('CGO_ENABLED=0 go build -race -ldflags "-s -w" -o ./tmp/app ./cmd/api')).toEqual({
      env: { CGO_ENABLED: '0' },
      flags: ['-race', '-ldflags', '-s -w'],
      output: './tmp/app',
      pkg: './cmd/api',
    });
    expect(parseGoBuild('go build -o=bin/x')).toMatchObject({ output: 'bin/x', pkg: '.' });
    for (const kept of [
      'go build -o ./tmp/main main.go',
      'go build -o x ./...',
      'go build ./cmd/api',
      'go build -o x cmd/api',
      'make build',
      'go build -o x . && echo ok',
      'go build -C sub -o x .',
      'templ generate && go build -o x .',
    ]) {
      expect(parseGoBuild(kept), kept).toBeUndefined();
    }
  });

  it('watch lists are written as changes to their defaults: additions, and "!entry" for a default air did not have', async () => {
    const root = project();
    const { conv, yaml } = convert('[build]\ninclude_ext = ["go", "sql"]\nexclude_regex = ["\\\\.pb\\\\.go$"]\n', root);
    expect(conv.draft.values['watch.extensions']).toEqual(['sql', '!tmpl', '!tpl', '!html']);
    expect(conv.draft.values['watch.exclude']).toEqual(['**/*.pb.go', 'assets/**', '!**/*_test.go']);
    const s = await load(root, yaml);
    expect([s.watch.extensions, s.watch.exclude]).toEqual([
      ['.go', '.s', '.sx', '.syso', '.sql'],
      ['**/*.pb.go', 'assets/**'],
    ]);
  });

  it('shell words: quotes and escapes are undone; expansions and operators make a line not plain', () => {
    expect(shellWords(`A="x y" b\\ c 'd $e' ""`)).toEqual(['A=x y', 'b c', 'd $e', '']);
    for (const line of ['echo $HOME', 'a && b', 'a | b', 'a > f', 'ls *.go', 'echo "$(date)"', 'a; b', '"open'])
      expect(shellWords(line), line).toBeUndefined();
  });
});

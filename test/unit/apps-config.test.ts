/**
 * `apps:` in the config: inheritance from build: and run:, the subset the command line names, and the
 * config errors (file:line:col, exit 2) of apps that would collide.
 */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/parse-config.js';
import { resolveSettings } from '../../src/config/settings.js';
import { selectApps } from '../../src/config/apps.js';
import { HotwatchError } from '../../src/errors.js';

const settingsOf = (text: string) =>
  resolveSettings(parseConfigText(text, 'watcher.config.yaml').config, {
    baseDir: '/m',
    configFile: '/m/watcher.config.yaml',
    isTTY: false,
  });

function errorOf(f: () => unknown): HotwatchError {
  try {
    f();
  } catch (e) {
    if (e instanceof HotwatchError) return e;
    throw e;
  }
  throw new Error('expected a HotwatchError');
}

describe('apps: resolution', () => {
  it('no apps: is one app, as before', () => {
    expect(settingsOf('run: { port: 8080 }\n').apps).toBeUndefined();
  });

  it('each app inherits build: and run:, and its own keys override them (env and envFiles add)', () => {
    const s = settingsOf(`build: { flags: ["-race"] }
run:
  args: ["-v"]
  env: { A: "1", B: "1" }
  envFiles: [".env"]
  stopSignal: SIGINT
  gracePeriod: 2s
apps:
  api: { package: ./cmd/api, port: 8081, env: { B: "2" }, envFiles: [api.env] }
  worker: { package: ./cmd/worker, output: bin/w, args: [], stopSignal: SIGTERM, gracePeriod: 100ms, onCrash: restart, flags: [] }
`);
    const [api, worker] = s.apps!;
    expect(api!.name).toBe('api');
    expect(api!.build).toMatchObject({ package: './cmd/api', output: '/m/.hotwatch/bin/api', flags: ['-race'] });
    expect(api!.run).toMatchObject({
      binary: '/m/.hotwatch/bin/api',
      args: ['-v'],
      env: { A: '1', B: '2' },
      envFiles: ['/m/.env', '/m/api.env'],
      port: 8081,
      stopSignal: 'SIGINT',
      gracePeriodMs: 2000,
      onCrash: 'wait-for-change',
    });
    expect(worker!.build).toMatchObject({ package: './cmd/worker', output: '/m/bin/w', flags: [] });
    expect(worker!.run).toMatchObject({
      binary: '/m/bin/w',
      args: [],
      stopSignal: 'SIGTERM',
      gracePeriodMs: 100,
      onCrash: 'restart',
      port: undefined,
    });
  });

  it('a subset by name; an unknown name lists the apps; single-app flags are refused with apps:', () => {
    const apps = settingsOf('apps:\n  api: { package: ./a }\n  worker: { package: ./w }\n  cron: { package: ./c }\n').apps;
    expect(selectApps(apps, []).map((a) => a.name)).toEqual(['api', 'worker', 'cron']);
    expect(selectApps(apps, ['cron', 'api']).map((a) => a.name)).toEqual(['api', 'cron']);
    const unknown = errorOf(() => selectApps(apps, ['api', 'nope']));
    expect(unknown.code).toBe('FLAG_INVALID');
    expect(unknown.message).toBe('no app named "nope" in apps: (the apps are api, worker, cron)');
    expect(errorOf(() => selectApps(apps, [], { package: './x' })).message).toContain('--package sets one app');
    expect(errorOf(() => selectApps(apps, ['api', 'worker'], { proxy: true })).message).toContain('the proxy fronts one app');
    expect(selectApps(apps, ['api'], { proxy: true }).map((a) => a.name)).toEqual(['api']);
  });
});

describe('apps: config errors', () => {
  const parse = (text: string): HotwatchError => errorOf(() => parseConfigText(text, 'watcher.config.yaml'));

  it('two apps building to one path (an explicit output or a default one)', () => {
    const e = parse('apps:\n  api:\n    package: ./a\n  worker:\n    package: ./w\n    output: .hotwatch/bin/api\n');
    expect(e.exitCode).toBe(2);
    expect(e.format()).toMatch(/^watcher\.config\.yaml:6:13 apps\.api and apps\.worker both build to \.hotwatch\/bin\/api/);
  });

  it('two apps on one fixed port', () => {
    const e = parse('apps:\n  api: { package: ./a, port: 8080 }\n  worker: { package: ./w, port: 8080 }\n');
    expect(e.format()).toMatch(/^watcher\.config\.yaml:3:\d+ apps\.api and apps\.worker both listen on port 8080/);
  });

  it('build.cmd and the proxy beside several apps', () => {
    expect(parse('build: { cmd: make }\napps:\n  api: { package: ./a }\n').format()).toMatch(
      /^watcher\.config\.yaml:1:\d+ build\.cmd builds one binary/,
    );
    // The only app refused on its own (a port in quotes): said alone, not "apps: names 0 ()".
    const refused = parse('build: { cmd: make }\napps:\n  api: { package: ./a, port: "8080" }\n').format();
    expect(refused).toMatch(/apps\.api\.port: expected a number/);
    expect(refused).not.toContain('names 0');
    expect(parse('proxy: { enabled: true }\napps:\n  a: { package: ./a }\n  b: { package: ./b }\n').format()).toMatch(
      /^watcher\.config\.yaml:1:\d+ the proxy fronts one app, but apps: names 2 \(a, b\)/,
    );
  });

  it('a bad app name, a missing package, an unknown key', () => {
    expect(parse('apps:\n  "my app": { package: ./a }\n').format()).toContain('an app name is letters, digits');
    expect(parse('apps:\n  api: { port: 1 }\n').format()).toContain('package');
    expect(parse('apps:\n  api: { package: ./a, prot: 1 }\n').format()).toContain('prot');
  });
});

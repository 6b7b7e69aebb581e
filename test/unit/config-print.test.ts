/**
 * `hotwatch config`: the effective configuration with the source of each value (default, file:line:col,
 * flag), as YAML that validates back to the same configuration when pasted into watcher.config.yaml.
 * And the flags' values are no longer located in the file they override.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configPosition, loadConfig } from '../../src/config/load.js';
import { parseConfigText } from '../../src/config/parse-config.js';
import { printConfig } from '../../src/config/print-config.js';
import { allSchemaPaths } from '../../src/config/schema-keys.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = makeTmpDir('hotwatch-print-');
});
afterEach(() => tmp.cleanup());

const FILE = [
  'build:',
  '  package: ./cmd/api',
  '  flags: ["-race"]',
  'run:',
  '  port: 8080',
  '  env:',
  '    A: "1"',
  'debounce:',
  '  loneQuiet: 30ms',
  'watch:',
  '  exclude: ["**/*_test.go", "web/**"]',
  '',
].join('\n');

function setup(): void {
  fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), FILE);
  fs.writeFileSync(path.join(tmp.dir, 'dev.env'), 'X=1\n');
}

/** The comment after `key:` on its line of the output (indentation gives the section). */
function lineOf(text: string, dotted: string): string {
  const [section, key] = dotted.includes('.') ? dotted.split('.') : [undefined, dotted];
  const lines = text.split('\n');
  const from = section === undefined ? 0 : lines.indexOf(`${section}:`);
  expect(from, `section ${section}`).toBeGreaterThanOrEqual(0);
  const indent = section === undefined ? '' : '  ';
  const line = lines.slice(from).find((l) => l.startsWith(`${indent}${key}:`) || l.startsWith(`${indent}# ${key}:`));
  expect(line, dotted).toBeDefined();
  return line!;
}

describe('sources of values', () => {
  it('default, file:line:col, flag, and the loneQuiet rule', async () => {
    setup();
    const { sourceOf, settings } = await loadConfig({
      cwd: tmp.dir,
      isTTY: false,
      overrides: { run: { port: 9090, envFiles: [path.join(tmp.dir, 'dev.env')] }, watch: { backend: 'poll' } },
    });
    expect(sourceOf(['build', 'package'])).toEqual({ kind: 'file', where: 'watcher.config.yaml:2:12' });
    expect(sourceOf(['run', 'port'])).toEqual({ kind: 'flag', flag: '--port' });
    expect(sourceOf(['run', 'envFiles', 0])).toEqual({ kind: 'flag', flag: '--env-file' });
    expect(sourceOf(['watch', 'backend'])).toEqual({ kind: 'flag', flag: '--poll' });
    expect(sourceOf(['build', 'output'])).toEqual({ kind: 'default' });
    expect(sourceOf(['debounce', 'settledQuiet'])).toMatchObject({ kind: 'derived', from: 'debounce.loneQuiet' });
    // A value a flag overrides is not "at" its old place in the file any more (messages must not point there).
    expect(configPosition(settings, ['run', 'port'])).toBeUndefined();
    expect(configPosition(settings, ['build', 'package'])).toBe('watcher.config.yaml:2:12');
    expect(settings.run.port).toBe(9090);
  });

  it("--package overrides build.package, --env-file replaces run.envFiles (the file's missing one is not read)", async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'build:\n  package: ./cmd/api\nrun:\n  envFiles: [nope.env]\n');
    fs.writeFileSync(path.join(tmp.dir, 'dev.env'), 'X=1\n');
    const { settings } = await loadConfig({
      cwd: tmp.dir,
      isTTY: false,
      overrides: { build: { package: './cmd/worker' }, run: { envFiles: [path.join(tmp.dir, 'dev.env')] } },
    });
    expect(settings.build.package).toBe('./cmd/worker');
    expect(settings.run.envFiles).toEqual([path.join(tmp.dir, 'dev.env')]);
  });

  it('an --env-file that does not exist is exit 2 naming the flag, not the file', async () => {
    const e = await loadConfig({ cwd: tmp.dir, isTTY: false, overrides: { run: { envFiles: [path.join(tmp.dir, 'missing.env')] } } }).catch(
      (x: unknown) => x,
    );
    expect(String((e as Error).message)).toBe(
      `--env-file ${path.join(tmp.dir, 'missing.env')}: env file ${path.join(tmp.dir, 'missing.env')} does not exist`,
    );
    expect((e as { hint: string }).hint).toBe('pass an existing dotenv file (relative to the current directory), or leave out --env-file');
  });
});

describe('printConfig', () => {
  it('every key, each with its source; pasted back it validates to the same configuration', async () => {
    setup();
    const loaded = await loadConfig({
      cwd: tmp.dir,
      isTTY: false,
      overrides: { run: { port: 9090, envFiles: [path.join(tmp.dir, 'dev.env')], args: ['-v'] }, log: { level: 'debug' } },
    });
    const text = printConfig(loaded.config, loaded.sourceOf, { root: loaded.settings.root, configFile: 'watcher.config.yaml' });
    expect(text).toContain(`# root: ${tmp.dir}\n# config file: watcher.config.yaml\n`);
    expect(lineOf(text, 'build.package')).toMatch(/^ {2}package: \.\/cmd\/api +# watcher\.config\.yaml:2:12$/);
    expect(lineOf(text, 'build.flags')).toMatch(/^ {2}flags: \[-race\] +# watcher\.config\.yaml:3:10$/);
    expect(lineOf(text, 'run.port')).toMatch(/^ {2}port: 9090 +# flag --port$/);
    expect(lineOf(text, 'run.envFiles')).toMatch(new RegExp(`^ {2}envFiles: \\[${tmp.dir}/dev.env\\] +# flag --env-file$`));
    expect(lineOf(text, 'run.args')).toMatch(/^ {2}args: \[-v\] +# flag -- ARGS$/);
    expect(lineOf(text, 'run.env')).toMatch(/^ {2}env: \{ ?A: "1" ?\} +# watcher\.config\.yaml:7:5$/);
    expect(lineOf(text, 'log.level')).toMatch(/^ {2}level: debug +# flag --log-level$/);
    expect(lineOf(text, 'watch.exclude')).toMatch(/^ {2}exclude: \["\*\*\/\*_test\.go", web\/\*\*\] +# watcher\.config\.yaml:11:12$/);
    expect(lineOf(text, 'build.output')).toMatch(/^ {2}output: \.hotwatch\/bin\/app +# default$/);
    expect(lineOf(text, 'debounce.settledQuiet')).toMatch(
      /^ {2}settledQuiet: 30ms +# = debounce\.loneQuiet \(the file sets loneQuiet but not settledQuiet\)$/,
    );
    expect(lineOf(text, 'build.cmd')).toMatch(/^ {2}# cmd: +# not set: go build -o <output> <package>$/);
    // Every key of the schema is on a line of its own.
    for (const key of allSchemaPaths()) lineOf(text, key);
    // Pasteable: the output is a config file that gives back exactly this configuration.
    expect(parseConfigText(text, 'pasted.yaml').config).toEqual(loaded.config);
  });

  it('zero config: every value a default, and still valid YAML', async () => {
    const loaded = await loadConfig({ cwd: tmp.dir, isTTY: false });
    const text = printConfig(loaded.config, loaded.sourceOf, { root: tmp.dir, configFile: undefined });
    expect(text).toContain('# config file: none (zero config: every value is a default)');
    const values = text.split('\n').filter((l) => /^\s*[a-zA-Z]+: \S/.test(l));
    expect(values.length).toBeGreaterThan(30);
    expect(values.every((l) => l.endsWith('# default'))).toBe(true);
    expect(parseConfigText(text, 'pasted.yaml').config).toEqual(loaded.config);
  });
});

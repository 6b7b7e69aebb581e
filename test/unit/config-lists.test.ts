/** The watch lists extend their defaults; "!name" drops one (src/config/lists.ts). */
import { describe, expect, it } from 'vitest';
import { describeListChanges, effectiveList, LIST_DEFAULTS, listProblems } from '../../src/config/lists.js';
import { parseConfigText } from '../../src/config/parse-config.js';
import { resolveSettings } from '../../src/config/settings.js';
import { isHotwatchError } from '../../src/errors.js';

const settingsOf = (yaml: string) =>
  resolveSettings(parseConfigText(yaml, 'watcher.config.yaml').config, { baseDir: '/src/app', configFile: undefined, isTTY: false });

describe('watch lists extend their defaults', () => {
  it('an entry is added to the defaults, in order, once', () => {
    expect(effectiveList('excludeDirs', ['pb_data', '.git'])).toEqual([...LIST_DEFAULTS.excludeDirs, 'pb_data']);
    expect(effectiveList('exclude', ['pb_data/**'])).toEqual(['**/*_test.go', 'pb_data/**']);
    expect(effectiveList('include', undefined)).toEqual(['go.mod', 'go.sum']);
  });

  it('"!name" drops a default; extensions compare with or without the dot', () => {
    expect(effectiveList('excludeDirs', ['!vendor', 'data'])).toEqual([
      '.git',
      'node_modules',
      'testdata',
      '.hotwatch',
      '.idea',
      '.vscode',
      'tmp',
      'data',
    ]);
    expect(effectiveList('extensions', ['!.html', '.sql', 'go'])).toEqual(['go', 'tmpl', 'tpl', 's', 'sx', 'syso', '.sql']);
  });

  it('a "!name" that names no default is a config error at its entry, with a fix that is accepted when applied', () => {
    expect(listProblems('excludeDirs', ['!vendr'])).toEqual([
      { index: 0, message: expect.stringContaining('"!vendr" removes nothing'), fix: 'write "!vendor"' },
    ]);
    let err: unknown;
    try {
      parseConfigText('watch:\n  excludeDirs: [data, "!vendr"]\n', 'watcher.config.yaml');
    } catch (e) {
      err = e;
    }
    expect(isHotwatchError(err) && err.format()).toMatch(
      /^watcher\.config\.yaml:2:\d+ watch\.excludeDirs\[1\]: "!vendr" removes nothing[^\n]*\n {2}fix: write "!vendor"/,
    );
    // The fix, applied, validates and does what it says.
    expect(settingsOf('watch:\n  excludeDirs: [data, "!vendor"]\n').watch.excludeDirs).not.toContain('vendor');
  });

  it('the settings hold the effective lists (the watcher never sees a "!" entry)', () => {
    const s = settingsOf('watch:\n  excludeDirs: [pb_data]\n  exclude: ["pb_data/**"]\n  extensions: [sql]\n');
    expect(s.watch.excludeDirs).toEqual([...LIST_DEFAULTS.excludeDirs, 'pb_data']);
    expect(s.watch.exclude).toEqual(['**/*_test.go', 'pb_data/**']);
    expect(s.watch.extensions).toEqual(['.go', '.tmpl', '.tpl', '.html', '.s', '.sx', '.syso', '.sql']);
  });

  it('a list that differs from its defaults is described in one line; defaults give none', () => {
    expect(describeListChanges(settingsOf('root: .\n').watch)).toEqual([]);
    expect(describeListChanges(settingsOf('watch:\n  excludeDirs: [pb_data, "!vendor"]\n').watch)).toEqual([
      'watch.excludeDirs adds pb_data to the defaults and drops vendor: .git, node_modules, testdata, .hotwatch, .idea, .vscode, tmp, pb_data',
    ]);
    expect(describeListChanges(settingsOf('watch:\n  extensions: [sql]\n').watch)).toEqual([
      'watch.extensions adds sql to the defaults: go, tmpl, tpl, html, s, sx, syso, sql (a "!name" entry drops a default)',
    ]);
  });
});

/** What a config reload changes, and how each change is applied (src/config/diff.ts): pure. */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/parse-config.js';
import { resolveSettings } from '../../src/config/settings.js';
import { describeDiff, diffSettings, isEmptyDiff, pathsOf } from '../../src/config/diff.js';

const settings = (yaml: string) =>
  resolveSettings(parseConfigText(yaml, 'watcher.config.yaml').config, {
    baseDir: '/src/app',
    configFile: '/src/app/watcher.config.yaml',
    isTTY: false,
  });

describe('diffSettings', () => {
  it('the same file: no change', () => {
    const d = diffSettings(settings('run:\n  args: [a]\n'), settings('run:\n  args: [a]\n'));
    expect(isEmptyDiff(d)).toBe(true);
    expect(describeDiff(d)).toBe('no setting changed');
  });

  it('puts each changed key in the class that says how it applies, named as in the config file', () => {
    const before = settings('watch:\n  exclude: [a/**]\nbuild:\n  flags: [-race]\nrun:\n  args: [x]\n  gracePeriod: 2s\n');
    const after = settings(
      'watch:\n  exclude: [b/**]\n  extensions: [txt]\nbuild:\n  flags: []\nrun:\n  args: [y]\n  gracePeriod: 3s\n  port: 9000\ndebounce:\n  quiet: 80ms\nproxy:\n  port: 9001\n',
    );
    expect(diffSettings(before, after)).toEqual({
      watch: ['watch.exclude', 'watch.extensions'],
      build: ['build.flags'],
      run: ['run.args'],
      live: ['run.gracePeriod'],
      restart: ['debounce.quiet', 'proxy.port', 'run.port'],
    });
  });

  it('a build change and a run change: one rebuild (its restart applies the run change); restart keys said', () => {
    const d = diffSettings(settings('build:\n  flags: [-race]\n'), settings('build:\n  flags: []\nrun:\n  env:\n    A: b\nroot: ..\n'));
    expect(d.restart).toContain('root'); // and build.output, an absolute path under it
    const line = describeDiff(d);
    expect(line).toContain('build.flags: rebuilding');
    expect(line).toContain("run.env: applied by that rebuild's restart");
    expect(line).toContain('root: NOT applied, needs a restart of hotwatch');
    expect(line).not.toContain('restarting the app');
  });

  it('every path a reload copies into the running settings exists in Settings', () => {
    const s = settings('') as unknown as Record<string, Record<string, unknown>>;
    for (const cls of ['watch', 'build', 'run', 'live'] as const)
      for (const p of pathsOf(cls)) {
        const [section, field] = p.split('.') as [string, string];
        expect(Object.keys(s[section] ?? {}), p).toContain(field);
      }
  });
});

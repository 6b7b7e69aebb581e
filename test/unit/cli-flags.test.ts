/**
 * Flags: our own messages (did-you-mean among the command's flags, the config key to set when a flag
 * names one that has no flag), and run's new flags (--package, --port, --env-file) overriding the file.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../src/cli/flags.js';
import { RUN_FLAGS, parseRunFlags } from '../../src/cli/run-flags.js';
import { HotwatchError } from '../../src/errors.js';
import { selectApps } from '../../src/config/apps.js';

function failure(fn: () => unknown): HotwatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HotwatchError) {
      expect(e.exitCode).toBe(2);
      expect(e.code).toBe('FLAG_INVALID');
      return e;
    }
    throw e;
  }
  throw new Error('expected a FLAG_INVALID error');
}

/** Node's own parser quoted the flag with an unbalanced quote; ours must balance every quote. */
function balanced(text: string): boolean {
  return (text.match(/"/g) ?? []).length % 2 === 0 && (text.match(/'/g) ?? []).length % 2 === 0;
}

describe('unknown flags', () => {
  it('--prot suggests --port, in a message of our own', () => {
    const e = failure(() => parseRunFlags('run', ['--prot', '8080'], '/'));
    expect(e.format()).toBe('unknown flag --prot (did you mean --port?)\n  fix: hotwatch run --help lists its flags');
    expect(balanced(e.format())).toBe(true);
  });

  it('did-you-mean for other near misses, in each command', () => {
    expect(failure(() => parseRunFlags('run', ['--pacakge', './cmd/x'], '/')).message).toBe(
      'unknown flag --pacakge (did you mean --package?)',
    );
    expect(failure(() => parseRunFlags('run', ['--env_file', 'a'], '/')).message).toBe(
      'unknown flag --env_file (did you mean --env-file?)',
    );
    expect(failure(() => parseRunFlags('config', ['--log-levl', 'info'], '/')).message).toBe(
      'unknown flag --log-levl (did you mean --log-level?)',
    );
    const doctor = { json: { type: 'boolean' }, root: { type: 'string' } } as const;
    expect(failure(() => parseFlags('doctor', ['--jsn'], doctor)).format()).toBe(
      'unknown flag --jsn (did you mean --json?)\n  fix: hotwatch doctor --help lists its flags',
    );
  });

  it('a flag named like a config key without a flag points at the key', () => {
    expect(failure(() => parseRunFlags('run', ['--output', 'bin/x'], '/')).format()).toBe(
      'unknown flag --output: there is no flag for build.output\n  fix: set build.output in watcher.config.yaml (hotwatch run --help lists its flags)',
    );
    expect(failure(() => parseRunFlags('run', ['--env', 'A=1'], '/')).message).toBe(
      'unknown flag --env: there is no flag for build.env or run.env',
    );
    expect(failure(() => parseRunFlags('run', ['--args', '-v'], '/')).format()).toBe(
      "unknown flag --args: the app's arguments go after --\n  fix: hotwatch run -- ARGS... (they replace run.args)",
    );
  });

  it('nothing close: the flags of the command as the fix', () => {
    const e = failure(() => parseRunFlags('run', ['--frobnicate'], '/'));
    expect(e.format()).toBe(
      'unknown flag --frobnicate\n  fix: the flags of hotwatch run are --config, --root, --package, --port, --env-file, --poll, --proxy-port, --app-port, --log-format, --log-level, --clear, --exec, --watch, --help, -h (hotwatch run --help lists its flags)',
    );
    expect(failure(() => parseRunFlags('run', ['-x'], '/')).message).toBe('unknown flag -x');
  });

  it('a missing value, a value for a switch, a bad port', () => {
    expect(failure(() => parseRunFlags('run', ['--port'], '/')).message).toBe('--port needs a value');
    expect(failure(() => parseRunFlags('run', ['--port', '--poll'], '/')).message).toBe(
      '--port needs a value (--poll is a flag, not its value)',
    );
    expect(failure(() => parseRunFlags('run', ['--package='], '/')).message).toBe('--package needs a value');
    expect(failure(() => parseRunFlags('run', ['--poll=yes'], '/')).format()).toBe(
      '--poll takes no value (got "yes")\n  fix: write --poll alone',
    );
    for (const bad of ['0', '65536', 'http', '80.5', '-1']) {
      expect(failure(() => parseRunFlags('run', [`--port=${bad}`], '/')).message).toBe(
        `--port ${bad}: expected a port number from 1 to 65535`,
      );
    }
    // A word without apps: in the config is no app to choose (selectApps, once the config is read).
    expect(parseRunFlags('run', ['main.go'], '/').apps).toEqual(['main.go']);
    expect(failure(() => selectApps(undefined, ['main.go'])).format()).toBe(
      'unexpected argument "main.go": the config has no apps: to choose from\n  fix: app arguments go after --, e.g. hotwatch run -- -port 8080; to run several apps, name them under apps: in watcher.config.yaml',
    );
    expect(failure(() => parseRunFlags('config', ['main.go'], '/')).message).toBe('unexpected argument "main.go"');
  });
});

describe('hotwatch run flags → overrides', () => {
  it('--package, --port, --env-file (repeatable, relative to cwd), --poll, and the app args', () => {
    const f = parseRunFlags(
      'run',
      ['--package', './cmd/api', '--port', '8080', '--env-file', 'a.env', '--env-file=/etc/b.env', '--poll', '--', '-v'],
      '/work/mod',
    );
    expect(f.help).toBe(false);
    expect(f.load.overrides).toEqual({
      log: { format: undefined, level: undefined },
      watch: { backend: 'poll' },
      build: { package: './cmd/api' },
      run: { args: ['-v'], port: 8080, envFiles: [path.join('/work/mod', 'a.env'), '/etc/b.env'] },
      proxy: { port: undefined, appPort: undefined },
    });
  });

  it('every flag in RUN_FLAGS is parsed without error', () => {
    const argv = [
      '--config',
      'c.yaml',
      '--root',
      '.',
      '--package',
      '.',
      '--port',
      '1',
      '--env-file',
      'e',
      '--poll',
      '--proxy-port',
      '3000',
      '--app-port',
      '3001',
      '--log-format',
      'json',
      '--log-level',
      'debug',
      '--clear',
      '--exec',
      '--watch',
      '*.go',
      '-h',
    ];
    expect(Object.keys(RUN_FLAGS).every((k) => argv.some((a) => a === `--${k}` || (k === 'help' && a === '-h')))).toBe(true);
    expect(parseRunFlags('run', argv, '/').help).toBe(true);
  });
});

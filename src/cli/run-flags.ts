/**
 * The flags of `hotwatch run`, shared by `hotwatch config` (which prints what run would use): argv →
 * the LoadOptions that override the config file. Every bad flag is one FLAG_INVALID error (exit 2).
 */
import path from 'node:path';
import { HotwatchError } from '../errors.js';
import type { LoadOptions } from '../config/load.js';
import type { ExecFlags } from '../config/exec.js';
import { parseFlags, type FlagSpecs } from './flags.js';

export const RUN_FLAGS = {
  config: { type: 'string' },
  root: { type: 'string' },
  package: { type: 'string' },
  port: { type: 'string' },
  'env-file': { type: 'string', multiple: true },
  poll: { type: 'boolean' },
  'proxy-port': { type: 'string' },
  'app-port': { type: 'string' },
  'log-format': { type: 'string' },
  'log-level': { type: 'string' },
  clear: { type: 'boolean' },
  exec: { type: 'boolean' },
  watch: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpecs;

export const FORMATS = ['auto', 'pretty', 'json'] as const;
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export interface RunFlags {
  help: boolean;
  /** `hotwatch run api worker`: the apps of `apps:` to run (none named: all of them). */
  apps: string[];
  /** What the flags give loadSettings (cwd and isTTY are the caller's). */
  load: Pick<LoadOptions, 'configPath' | 'rootFlag' | 'overrides'>;
  /** --exec (or `hotwatch exec`): the command after -- runs on change, no build (config/exec.ts). */
  exec?: ExecFlags;
}

/** --exec and --watch: the command after -- is what runs; --watch without --exec is refused. */
function execFlags(exec: boolean, watch: string[] | undefined, rest: string[] | undefined): ExecFlags | undefined {
  if (!exec) {
    if (watch !== undefined)
      throw new HotwatchError('FLAG_INVALID', '--watch is for ad-hoc mode only', {
        hint: 'hotwatch exec --watch GLOB -- CMD ARGS... (a Go app: set watch.include in watcher.config.yaml)',
      });
    return undefined;
  }
  return { command: rest ?? [], watch: watch ?? [] };
}

function port(v: string, flag = '--port', hint = 'e.g. --port 8080 (the port the app listens on, as run.port)'): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 65535)) {
    throw new HotwatchError('FLAG_INVALID', `${flag} ${v}: expected a port number from 1 to 65535`, { hint });
  }
  return n;
}

const optionalPort = (v: string | undefined, flag: string, hint: string): number | undefined =>
  v === undefined ? undefined : port(v, flag, hint);

export function parseRunFlags(command: 'run' | 'config', argv: string[], cwd: string): RunFlags {
  const dashdash = argv.indexOf('--');
  const own = dashdash === -1 ? argv : argv.slice(0, dashdash);
  const appArgs = dashdash === -1 ? undefined : argv.slice(dashdash + 1);
  const { values, positionals } = parseFlags(command, own, RUN_FLAGS, { appArgs: true });
  // `hotwatch run NAME...` names apps of `apps:` (checked against the config once it is loaded).
  if (positionals.length > 0 && (command !== 'run' || values.exec === true)) {
    throw new HotwatchError('FLAG_INVALID', `unexpected argument "${positionals[0]}"`, {
      hint: `app arguments go after --, e.g. hotwatch ${command} -- -port 8080`,
    });
  }
  const fmt = values['log-format'];
  if (fmt !== undefined && !(FORMATS as readonly string[]).includes(fmt)) {
    throw new HotwatchError('FLAG_INVALID', `--log-format ${fmt}: expected auto, pretty or json`);
  }
  const lvl = values['log-level'];
  if (lvl !== undefined && !(LEVELS as readonly string[]).includes(lvl)) {
    throw new HotwatchError('FLAG_INVALID', `--log-level ${lvl}: expected trace, debug, info, warn or error`);
  }
  const exec = execFlags(values.exec === true, values.watch, appArgs);
  return {
    help: values.help === true,
    apps: positionals,
    ...(exec ? { exec } : {}),
    load: {
      configPath: values.config,
      rootFlag: values.root,
      overrides: {
        log: { format: fmt as (typeof FORMATS)[number] | undefined, level: lvl as (typeof LEVELS)[number] | undefined },
        watch: { backend: values.poll ? 'poll' : undefined },
        build: { package: values.package, clear: values.clear ? true : undefined },
        run: {
          args: exec ? undefined : appArgs,
          port: values.port === undefined ? undefined : port(values.port),
          envFiles: values['env-file']?.map((f) => path.resolve(cwd, f)),
        },
        proxy: {
          port: optionalPort(values['proxy-port'], '--proxy-port', 'e.g. --proxy-port 3000 (where browsers connect; turns the proxy on)'),
          appPort: optionalPort(
            values['app-port'],
            '--app-port',
            'e.g. --app-port 8081 (the app behind the proxy; default: a free port per start)',
          ),
        },
      },
    },
  };
}

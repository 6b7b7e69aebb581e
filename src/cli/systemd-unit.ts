/**
 * `hotwatch systemd-unit [--user] [--root DIR] [--config FILE] [--log-format pretty|json] [-- RUN ARGS...]`:
 * prints a ready unit for this module (src/service/systemd-unit.ts says why each line). Reads the config
 * for the numbers (grace period, build timeout, watchdog interval), so a broken config fails here, with
 * its usual message, rather than in the journal.
 */
import { userErrorExit } from './user-error.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selectApps } from '../config/apps.js';
import { loadSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { longestGrace, systemdUnit } from '../service/systemd-unit.js';
import { parseRunFlags } from './run-flags.js';
import { parseArgsProblem } from './flags.js';

export interface SystemdUnitIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

const HELP = `Usage: hotwatch systemd-unit [--user] [--root DIR] [--config FILE] [--log-format pretty|json] [-- RUN ARGS...]

Prints a systemd unit that runs \`hotwatch run\` for this Go module (Type=notify, watchdog, graceful stop,
restart on hotwatch's own failures), with the install commands at its top.

  --user               a user unit (systemctl --user), else a system unit running as the repository's owner
  --root DIR           the module root (default: the current directory, or root: in the config)
  --config FILE        the config file (passed on to hotwatch run)
  --log-format FORMAT  pretty (default: plain lines, levels for journald) or json
  -- RUN ARGS...       more arguments for hotwatch run (e.g. -- --poll -- -port 8080)
`;

/** The package's own files, found from this module (src/cli, dist/cli or dist/bundle: two levels down). */
const packageFile = (rel: string): string => fs.realpathSync(fileURLToPath(new URL(`../../${rel}`, import.meta.url)));

/** The first executable `name` on PATH. */
function which(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(':')) {
    if (!path.isAbsolute(dir)) continue;
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return path.join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The owner of `root` by name (numeric when /etc/passwd does not list it; User= takes both). */
function ownerOf(root: string): string {
  const uid = fs.statSync(root).uid;
  try {
    const line = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid));
    if (line) return line.split(':')[0]!;
  } catch {
    // no passwd file
  }
  return String(uid);
}

/**
 * The grace period hotwatch's stop can take: the longest of the apps the unit's `hotwatch run` runs (the
 * apps named after --, else all of apps:; ad-hoc mode runs a command, with run.gracePeriod).
 */
function unitGrace(s: Settings, runArgs: string[], cwd: string): { ms: number; key: string } {
  const flags = parseRunFlags('run', runArgs, cwd);
  // As `hotwatch run` would choose them, refusing what it refuses with apps: (--port, --proxy-port...):
  // a unit whose ExecStart exits 2 at every start is not printed.
  const { build, run, proxy } = flags.load.overrides ?? {};
  const proxied = proxy?.port !== undefined || s.proxy.enabled;
  const apps = flags.exec ? undefined : selectApps(s.apps, flags.apps, { ...build, ...run, proxy: proxied });
  const graces = apps?.map((a) => ({ name: a.name, gracePeriodMs: a.run.gracePeriodMs, own: a.overrides.gracePeriod !== undefined }));
  return longestGrace(s.run.gracePeriodMs, graces);
}

const parse = (own: string[]) =>
  parseArgs({
    args: own,
    options: {
      user: { type: 'boolean', default: false },
      root: { type: 'string' },
      config: { type: 'string' },
      'log-format': { type: 'string', default: 'pretty' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;

/** --config FILE for hotwatch run, by its absolute path, when it was given. */
const configArgs = (flags: ReturnType<typeof parse>, s: Settings): string[] =>
  s.configFile && flags.config !== undefined ? ['--config', s.configFile] : [];

/** The arguments that print this unit again from any directory (root and config by absolute path). */
function sameUnitArgs(flags: ReturnType<typeof parse>, s: Settings, runArgs: string[]): string[] {
  return [
    'systemd-unit',
    ...(flags.user ? ['--user'] : []),
    '--root',
    s.root,
    ...configArgs(flags, s),
    ...(flags['log-format'] === 'pretty' ? [] : ['--log-format', flags['log-format']!]),
    ...(runArgs.length > 0 ? ['--', ...runArgs] : []),
  ];
}

/** The variables that change what go builds or where it fetches from, as set here (CC and CXX for cgo too). */
export function toolchainEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && /^(GO[A-Z0-9_]*|CGO_[A-Z0-9_]+|CC|CXX)$/.test(k)) out[k] = v;
  return out;
}

export async function systemdUnitCommand(argv: string[], io: SystemdUnitIO): Promise<number> {
  const dashdash = argv.indexOf('--');
  const runArgs = dashdash === -1 ? [] : argv.slice(dashdash + 1);
  let flags: ReturnType<typeof parse>;
  try {
    flags = parse(dashdash === -1 ? argv : argv.slice(0, dashdash));
    if (!['pretty', 'json'].includes(flags['log-format']!)) throw new Error(`--log-format ${flags['log-format']}: expected pretty or json`);
  } catch (e) {
    io.stderr.write(`hotwatch: ${parseArgsProblem('systemd-unit', e, ['user', 'root', 'config', 'log-format', 'help'])}\n`);
    return 2;
  }
  if (flags.help) {
    io.stdout.write(HELP);
    return 0;
  }
  try {
    const s = await loadSettings({ cwd: io.cwd, configPath: flags.config, rootFlag: flags.root, isTTY: false });
    const grace = unitGrace(s, runArgs, io.cwd);
    const go = which('go', process.env);
    if (!go) io.stderr.write("hotwatch: warning: go is not on PATH here; add its directory to the unit's PATH= line\n");
    const dirs = [
      go && path.dirname(go),
      path.dirname(process.execPath),
      ...(process.env.PATH ?? '').split(':').filter((d) => path.isAbsolute(d)),
    ];
    const pkg = JSON.parse(fs.readFileSync(packageFile('package.json'), 'utf8')) as { version: string };
    io.stdout.write(
      systemdUnit({
        user: flags.user!,
        root: s.root,
        node: process.execPath,
        bin: packageFile('bin/hotwatch.js'),
        unitArgs: sameUnitArgs(flags, s, runArgs),
        runArgs: [...configArgs(flags, s), ...runArgs],
        gracePeriodMs: grace.ms,
        gracePeriodKey: grace.key,
        buildTimeoutMs: s.build.timeoutMs,
        watchdogIntervalMs: s.watchdog.intervalMs,
        path: [...new Set(dirs.filter((d): d is string => Boolean(d)))],
        goEnv: toolchainEnv(process.env),
        account: flags.user ? undefined : ownerOf(s.root),
        logFormat: flags['log-format'] as 'pretty' | 'json',
        version: pkg.version,
      }),
    );
    return 0;
  } catch (e) {
    return userErrorExit(e, io);
  }
}

/**
 * The systemd unit `hotwatch systemd-unit` prints: every line commented with why it is there. Pure: the
 * CLI gathers the paths and the config's numbers. Checked by `systemd-analyze verify` in the tests.
 */
import { shellWord } from '../shell-word.js';

export interface UnitInputs {
  /** A user unit (~/.config/systemd/user/) rather than a system one. */
  user: boolean;
  root: string;
  /** Absolute paths of node and of hotwatch's bin/hotwatch.js. */
  node: string;
  bin: string;
  /** The `hotwatch systemd-unit` arguments that print this unit again (the install line runs them). */
  unitArgs: string[];
  /** Extra `hotwatch run` arguments (after the CLI's --), e.g. ["--config", "x.yaml", "--", "-port", "8080"]. */
  runArgs: string[];
  /** The longest grace period of the apps that run (ms) and the key it comes from (longestGrace), build.timeout and watchdog.interval (ms). */
  gracePeriodMs: number;
  gracePeriodKey: string;
  buildTimeoutMs: number;
  watchdogIntervalMs: number;
  /** PATH for the service: where go and node are, then the usual directories. */
  path: string[];
  /** The Go toolchain's variables set where the unit was printed (GOFLAGS, GOWORK, GOPRIVATE, CGO_ENABLED...). */
  goEnv: Record<string, string>;
  /** The system unit's User= (the repository's owner). */
  account: string | undefined;
  /** pretty: plain lines journald files by level; json: one JSON object per line for a log shipper. */
  logFormat: 'pretty' | 'json';
  version: string;
}

/** A unit name from the root's directory name: systemd allows [A-Za-z0-9:_.-] (and \x escapes, avoided). */
export function unitName(root: string): string {
  const base = root.split('/').filter(Boolean).pop() ?? 'root';
  return `hotwatch-${base.replace(/[^A-Za-z0-9:_.-]/g, '-').replace(/^[.-]+/, '') || 'root'}.service`;
}

/** `%` starts a specifier in every unit setting; doubled it is a plain `%`. */
const specifiers = (s: string): string => s.replace(/%/g, '%%');

/** One ExecStart= word: `$` doubled (no variable expansion), quoted when it has anything but plain characters. */
export function execWord(a: string): string {
  const s = specifiers(a).replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

/** One Environment= assignment, quoted whole (no `$` expansion happens there). */
export function envAssignment(name: string, value: string): string {
  return `"${specifiers(`${name}=${value}`).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const sec = (ms: number): number => Math.ceil(ms / 1000);

/** One app that runs: its grace period, and whether apps.NAME.gracePeriod sets it (else it is run.gracePeriod's). */
export interface AppGrace {
  name: string;
  gracePeriodMs: number;
  own: boolean;
}

/**
 * The grace period a stop can take: hotwatch stops all its apps at once, so the longest of the apps that
 * run (run.gracePeriod when there is no apps:, or when no app that runs sets a longer one of its own).
 */
export function longestGrace(runGraceMs: number, apps: readonly AppGrace[] | undefined): { ms: number; key: string } {
  const run = { ms: runGraceMs, key: 'run.gracePeriod' };
  const each = apps?.map((a) => (a.own ? { ms: a.gracePeriodMs, key: `apps.${a.name}.gracePeriod` } : run)) ?? [];
  return each.reduce((longest, g) => (g.ms > longest.ms ? g : longest), each[0] ?? run);
}

/** The numbers, each derived from hotwatch's own timings. */
export function unitTimings(i: Pick<UnitInputs, 'gracePeriodMs' | 'buildTimeoutMs' | 'watchdogIntervalMs'>) {
  return {
    // Shutdown: abort the build, stop signal, the (longest) grace period, SIGKILL, the sweep; 10 s above the grace for the rest.
    stopSec: sec(i.gracePeriodMs) + 10,
    // Start-up: READY=1 comes after the first build, which build.timeout bounds; 60 s for the rest (arming 10,000 directories takes ~1 s).
    startSec: sec(i.buildTimeoutMs) + 60,
    // The pings go on through a deafness the watchdog repairs (~0.1 s) and stop after 30 s of one it cannot;
    // 10 sentinel intervals tolerate a starved machine's stalls. At least 30 s.
    watchdogSec: Math.max(30, 10 * sec(i.watchdogIntervalMs)),
  };
}

/**
 * hotwatch as this unit runs it: node and the bin script by absolute path (no PATH lookup), with `--`
 * between them: node reads `--env-file` even after the script's name (nodejs/node#54232), and a missing
 * one ended hotwatch with node's own exit 9 before it ran (a code RestartPreventExitStatus=2 does not
 * stop: systemd restarted it in a loop). After `--`, every word is hotwatch's.
 */
const hotwatch = (i: Pick<UnitInputs, 'node' | 'bin'>): string[] => [i.node, '--', i.bin];

export function systemdUnit(i: UnitInputs): string {
  const t = unitTimings(i);
  const name = unitName(i.root);
  const own = i.runArgs.includes('--') ? i.runArgs.slice(0, i.runArgs.indexOf('--')) : i.runArgs; // after that: the app's
  const format = own.some((a) => a === '--log-format' || a.startsWith('--log-format=')) ? [] : ['--log-format', i.logFormat];
  const flags = ['run', '--root', i.root, ...format, ...i.runArgs];
  const exec = [...hotwatch(i), ...flags].map(execWord).join(' ');
  const manager = i.user ? 'systemctl --user' : 'sudo systemctl';
  // Pasted into a shell: hotwatch as this unit runs it (it may not be on PATH), every word quoted.
  const sh = (args: string[]): string => [...hotwatch(i), ...args].map(shellWord).join(' ');
  const install = i.user
    ? `mkdir -p ~/.config/systemd/user && ${sh(i.unitArgs)} > ~/.config/systemd/user/${name}`
    : `${sh(i.unitArgs)} | sudo tee /etc/systemd/system/${name} >/dev/null`;
  return `# ${name}: hotwatch ${i.version} for ${i.root}
# Install:  ${install}
#           ${manager} daemon-reload && ${manager} enable --now ${name}${i.user ? '\n#           loginctl enable-linger "$USER"   # keep it running without a login session' : ''}
# Watch:    ${i.user ? 'journalctl --user' : 'journalctl'} -u ${name} -f        ${sh(['status', '--root', i.root])}

[Unit]
Description=hotwatch: rebuild and restart the Go app in ${specifiers(i.root)} on every save
${i.user ? '' : '# The app usually serves on the network: start after it is up.\nAfter=network.target\n'}# Restart limits (with Restart= below): hotwatch absorbs the app's crashes itself (the app is restarted or
# waits for an edit; the unit never sees them), so only hotwatch's own failures count here. 5 starts within
# 120 s end in start-limit-hit: a hotwatch that cannot start (exit 1 every time) stops retrying and says so
# in systemctl status. A restart through the watchdog comes after 30 s of deafness plus WatchdogSec
# (${t.watchdogSec} s), so those never reach the limit: a watcher deaf for good is restarted about once a minute.
StartLimitIntervalSec=120
StartLimitBurst=5

${serviceSection(i, exec, name)}[Install]
WantedBy=${i.user ? 'default.target' : 'multi-user.target'}
`;
}

/**
 * A service inherits none of the shell's variables: GOFLAGS=-tags=dev, GOWORK or CGO_ENABLED set there
 * would silently build another program under the unit, and GOPRIVATE/GOPROXY fail private modules.
 */
function goEnvLines(env: Record<string, string>): string {
  const names = Object.keys(env).sort();
  if (names.length === 0)
    return '# No GO* or CGO_* variable was set where this unit was printed: add Environment= lines here if the build needs one.\n';
  const lines = names.map((n) => `Environment=${envAssignment(n, env[n]!)}\n`).join('');
  return `# The Go settings of the shell that printed this unit (a service inherits none; without them it would build another program):\n${lines}`;
}

/** The [Service] section: how hotwatch starts, is watched, stops and restarts. */
function serviceSection(i: UnitInputs, exec: string, name: string): string {
  const t = unitTimings(i);
  return `[Service]
# hotwatch says READY=1 once the first build is done (serving, or failed and waiting for an edit).
Type=notify
# all, not main: the datagrams come from hotwatch's notify helper, a child process (Node cannot send them).
NotifyAccess=all
# ${i.logFormat === 'json' ? '--log-format json: one JSON object per line, for a log shipper.' : '--log-format pretty: plain lines; under journald each carries its level, so journalctl -p warning filters.'}
ExecStart=${exec}
# systemctl reload: the running hotwatch reads its config again (as an edit of it does); an invalid one fails the reload and the old config runs on.
ExecReload=${[...hotwatch(i), 'reload', '--root', i.root].map(execWord).join(' ')}
WorkingDirectory=${specifiers(i.root)}
${i.user ? '' : `# The repository's owner: the build output, .hotwatch/ and the Go caches stay theirs (and HOME is set for go).\nUser=${i.account}\n`}# go, git and node for the builds: a service gets a minimal PATH otherwise.
Environment=${envAssignment('PATH', i.path.join(':'))}
${goEnvLines(i.goEnv)}# The app's own variables (DATABASE_URL...): run.env or run.envFiles in the config, or Environment= lines here.
# journald stores bytes: no colour escapes, even when a terminal is attached.
Environment=NO_COLOR=1
# journalctl -t ${name.replace(/\.service$/, '')} finds hotwatch's lines and the app's.
SyslogIdentifier=${name.replace(/\.service$/, '')}
# SIGTERM to hotwatch alone: it stops the app gracefully (stop signal, run.gracePeriod, then SIGKILL and a
# sweep of escaped children). Whatever is left when hotwatch has exited gets SIGKILL from systemd.
KillMode=mixed
# Above hotwatch's own stop: ${i.gracePeriodKey} (${sec(i.gracePeriodMs)} s${i.gracePeriodKey.startsWith('apps.') ? ', the longest of the apps that run' : ''}) + 10 s.
TimeoutStopSec=${t.stopSec}
# The first build may download modules: build.timeout (${sec(i.buildTimeoutMs)} s) + 60 s.
TimeoutStartSec=${t.startSec}
# WATCHDOG=1 every ${t.watchdogSec / 2} s while watching works; silence means a deaf watcher that could not be
# recovered (or a hung event loop): systemd then restarts hotwatch.
WatchdogSec=${t.watchdogSec}
# SIGTERM rather than SIGABRT on a missed watchdog: the app is still stopped gracefully when hotwatch can.
WatchdogSignal=SIGTERM
Restart=on-failure
RestartSec=5
# Exit 2 is bad input (the config, no go, no module, the port taken): retrying cannot fix it.
RestartPreventExitStatus=2
# Open files for hotwatch and the app together (the inotify watches are not files); 1024 is tight for a
# server under a local load test.
LimitNOFILE=65536
# Threads count: go build runs a compiler per core with several threads each; a runaway fork loop in the
# app stops here instead of at the machine's pid limit.
TasksMax=4096

`;
}

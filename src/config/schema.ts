/**
 * THE source of truth for watcher.config.yaml: validation, TypeScript types, defaults and the
 * generated JSON Schema (schema/watcher.config.schema.json, checked for drift by a test).
 * Everything is optional: zero config builds the main package at the module root. A run without a config
 * file never loads this module: its defaults and key paths are in config-facts.ts, generated from it.
 */
import { z } from 'zod';
import { parseDuration, repairDuration } from './duration.js';
import { globProblem } from './glob.js';
import { LIST_DEFAULTS, listProblems, type WatchListKey } from './lists.js';
import { takesNextValue } from '../os/go-command.js';

// A config is parsed once per run (again at a reload): zod's compiled fast path, generated on the first
// parse of each object schema, costs more than it saves there (~3 ms of every start, measured).
z.config({ jitless: true });

/** The longest delay Node's timers keep (a longer one fires after 1 ms). */
const MAX_DURATION_MS = 2 ** 31 - 1;

/** The same grammar as parseDuration, for editors (JSON Schema `pattern`); the refinement is the real check. */
const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?(ms|s|m|h))+\\s*$';

/** `positive`: why zero is refused for this key (e.g. it would kill every build at once); 0 is fine otherwise. */
const duration = (what: string, positive?: string) =>
  z
    .string({
      error: (iss) =>
        typeof iss.input === 'number'
          ? `a bare number is not a duration: add a unit, e.g. "${iss.input}ms" (units: ms, s, m, h)`
          : `expected a duration such as "300ms" or "5s" (${what})`,
    })
    .superRefine((s, ctx) => {
      const ms = parseDuration(s);
      // `alternatives`: concrete fixes (a value, or null: remove the key), offered only when the whole
      // config accepts them (parse-config.ts); `fix` is said otherwise.
      if (ms === undefined) {
        const repaired = repairDuration(s);
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(s)} is not a duration`,
          params: {
            fix: 'write a number with a unit ms, s, m or h, e.g. "300ms", "5s" or "1m30s"',
            alternatives:
              repaired === undefined
                ? []
                : [{ text: `write ${JSON.stringify(repaired)} (a number with a unit ms, s, m or h)`, value: repaired }],
          },
        });
      } else if (ms > MAX_DURATION_MS) {
        // Node's timers fire after 1 ms for any longer delay: a backoff of 1000h would be a hot loop.
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(s)} is longer than hotwatch can wait (Node's timers end at 2^31-1 ms, about 24.8 days)`,
          params: { fix: 'write at most "596h"', alternatives: [{ text: 'write "596h" (the longest wait)', value: '596h' }] },
        });
      } else if (ms === 0 && positive !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(s)} is zero: ${positive}`,
          params: {
            fix: 'give it a length above zero',
            alternatives: [{ text: 'give it a length above zero, or remove the key to use the default', value: null }],
          },
        });
      }
    })
    .meta({ pattern: DURATION_PATTERN })
    .describe(`${what}. A string with a unit: "300ms", "5s", "1m".`);

/** A picomatch glob; unbalanced brackets, never-matching and absolute patterns are rejected (see glob.ts). */
const glob = z.string().superRefine((g, ctx) => {
  const problem = globProblem(g.startsWith('!') ? g.slice(1) : g); // "!x" drops a default (lists.ts)
  if (problem) ctx.addIssue({ code: 'custom', message: problem.message, params: { fix: problem.fix, alternatives: problem.alternatives } });
});

/**
 * One argument to go each: a flag and its value in one item ("-tags dev", the way a shell line reads)
 * reach go as one word, and every build fails with "flag provided but not defined: -tags dev". An item
 * that is the value of the flag before it (`["-ldflags", "-s -w"]`) is left alone.
 */
const goFlags = z.array(z.string()).superRefine((flags, ctx) => {
  flags.forEach((f, i) => {
    if (i > 0 && takesNextValue(flags[i - 1]!)) return;
    const output = /^--?o(?:=(.*))?$/.exec(f);
    if (output) {
      // hotwatch puts `-o build.output` first: go takes the last -o, writes there, and every build "did not write" build.output.
      const to = output[1] ?? flags[i + 1];
      ctx.addIssue({
        code: 'custom',
        path: [i],
        message: `${JSON.stringify(f)} sets go's output: hotwatch passes -o build.output itself and runs that file, so go would write elsewhere and every build fail`,
        params: {
          fix: to
            ? `remove it${output[1] === undefined ? ` and ${JSON.stringify(to)}` : ''}, and set build.output: ${to}`
            : 'remove it, and set build.output',
        },
      });
      return;
    }
    const m = /^(--?[A-Za-z][\w.-]*)\s+(\S.*)$/.exec(f);
    if (!m) return;
    const [, name, value] = m;
    ctx.addIssue({
      code: 'custom',
      path: [i],
      message: `${JSON.stringify(f)} is one argument to go, a flag and its value in one word (go would fail every build: "flag provided but not defined")`,
      params: { fix: `write ${JSON.stringify(`${name}=${value}`)}, or two items: ${JSON.stringify(name)}, ${JSON.stringify(value)}` },
    });
  });
});

/** How a list's description states its defaults and the way to drop one. */
const extendsDefaults = (list: WatchListKey): string =>
  `Entries are added to the defaults (${LIST_DEFAULTS[list].join(', ')}); an entry "!name" drops the default "name".`;

/** A watch list: entries added to its defaults, `!entry` removing one (see lists.ts). */
const watchList = (list: WatchListKey, entry: z.ZodType<string>) =>
  z
    .array(entry)
    .default([])
    .superRefine((entries, ctx) => {
      for (const p of listProblems(list, entries))
        ctx.addIssue({ code: 'custom', message: p.message, path: [p.index], params: { fix: p.fix } });
    });

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGKILL'] as const;

const stringMap = z.record(z.string(), z.string());

export const WatchSchema = z
  .strictObject({
    include: watchList('include', glob).describe(
      `Globs (picomatch, relative to root) of files that trigger a rebuild, besides \`extensions\`. ${extendsDefaults('include')}`,
    ),
    exclude: watchList('exclude', glob).describe(
      `Globs of files that never trigger a rebuild. Directories matched here are never descended. ${extendsDefaults('exclude')}`,
    ),
    extensions: watchList(
      'extensions',
      z.string().regex(/^!?\.?[A-Za-z0-9_+-]+$/, { error: 'an extension is letters and digits, e.g. "go" or ".tmpl"' }),
    ).describe(`File extensions (with or without the dot) that trigger a rebuild. ${extendsDefaults('extensions')}`),
    excludeDirs: watchList('excludeDirs', glob).describe(
      `Directory names or globs never descended into (they cost no inotify watch). \`vendor\` is still watched when an \`include\` glob names it. A package the build compiles under a default entry (internal/tmp, vendor/… in vendor mode) is watched all the same; one under an entry you write is warned about. The build output directory is always excluded. ${extendsDefaults('excludeDirs')}`,
    ),
    backend: z
      .enum(['auto', 'native', 'poll'])
      .default('auto')
      .describe('auto: native (one inotify watch per directory), polling where a mount cannot deliver events; poll: always poll.'),
    pollInterval: duration('Polling interval when polling is used').default('1s'),
    bufferCapacity: z
      .number()
      .int()
      .min(16)
      .max(1_000_000)
      .default(8192)
      .describe('Capacity of the event ring buffer; overflow becomes one full rescan, never a lost edit.'),
    includeMounts: z
      .array(z.string())
      .default([])
      .describe('Paths (relative to root) of special mounts (tmpfs, proc, ...) to watch anyway.'),
    gitignore: z
      .boolean()
      .default(true)
      .describe(
        'Directories your .gitignore files (and .git/info/exclude) ignore are not descended (they cost no inotify watch), except those holding packages or embedded files the build uses (the go toolchain lists them). false: watch them too.',
      ),
  })
  .describe('What is watched.');

/** One build step (steps.ts runs them; build-steps.md in the README). */
export const BuildStepSchema = z
  .strictObject({
    run: z
      .array(z.string())
      .min(1, { error: 'a step needs a command: run: ["go", "generate", "./..."]' })
      .describe(
        'The command and its arguments, run in root without a shell (e.g. ["go", "generate", "./..."]). An argument "{changed}" becomes one argument per changed file (relative to root); $HOTWATCH_CHANGED holds them too, one per line.',
      ),
    when: z
      .enum(['before', 'after', 'instead'])
      .default('before')
      .describe(
        'before: before the build (a failure stops the cycle like a failed build, the old app keeps serving); after: once the new app has started; instead: in place of the build and restart, for a change of only files matching `files`.',
      ),
    files: z
      .array(glob)
      .default([])
      .describe(
        'Globs (relative to root): the step runs only when a changed file matches one (empty: every cycle, the first build included). Required for `instead`.',
      ),
  })
  .superRefine((step, ctx) => {
    if (step.when === 'instead' && step.files.length === 0)
      ctx.addIssue({
        code: 'custom',
        message: 'a step run instead of the build needs `files`: without them it would replace every build',
        path: ['files'],
        params: { fix: 'list the files it handles, e.g. files: ["**/*.css"], or use when: before' },
      });
  });

export const BuildSchema = z
  .strictObject({
    cmd: z.string().optional().describe('Build command run by /bin/sh in root. Default: go build -o <output> <package>.'),
    package: z.string().default('.').describe('The main package to build (default: the module root).'),
    output: z.string().default('.hotwatch/bin/app').describe('The binary the build writes and hotwatch runs (never watched).'),
    flags: goFlags.default([]).describe('Extra flags for the default go build, e.g. ["-race"].'),
    env: stringMap.default({}).describe('Extra environment for the build.'),
    timeout: duration('Build timeout (above zero)', 'every build would be killed as soon as it starts').default('5m'),
    onFailure: z
      .enum(['keep-running', 'stop'])
      .default('keep-running')
      .describe('keep-running: the last good binary keeps serving; stop: stop the app when a build fails.'),
    steps: z
      .array(BuildStepSchema)
      .default([])
      .describe(
        'Commands run around the build (go generate, templ generate, sqlc generate), in order, each with build.env and build.timeout. Each step: {run: [cmd, args...], when: before | after | instead, files: [globs]}, e.g. [{run: [go, generate, ./...]}]. Files a before or instead step writes do not trigger another cycle.',
      ),
    clear: z.boolean().default(false).describe('Clear the screen before each build (only when stdout is a terminal; --clear).'),
  })
  .describe('How the Go binary is built.');

export const RunSchema = z
  .strictObject({
    args: z.array(z.string()).default([]).describe('Arguments for the app (after `--` on the command line).'),
    env: stringMap.default({}).describe('Extra environment for the app.'),
    envFiles: z.array(z.string()).default([]).describe('dotenv files loaded into the app environment, in order.'),
    cwd: z.string().optional().describe('Working directory of the app (default: root).'),
    port: z.number().int().min(1).max(65535).optional().describe('The port the app listens on, checked before start and after stop.'),
    stopSignal: z.enum(SIGNALS).default('SIGTERM').describe('Signal sent to the app process group to stop it.'),
    gracePeriod: duration('Time between the stop signal and SIGKILL (0s: SIGKILL right after the stop signal)').default('5s'),
    onCrash: z
      .enum(['wait-for-change', 'restart'])
      .default('wait-for-change')
      .describe('wait-for-change: an app that exits stays down until the next change; restart: restart with backoff.'),
    backoffInitial: duration(
      'First restart delay with onCrash: restart (above zero)',
      'a crashing app would be restarted in a tight loop',
    ).default('500ms'),
    backoffMax: duration('Longest restart delay (at least backoffInitial)', 'a crashing app would be restarted in a tight loop').default(
      '30s',
    ),
    backoffReset: duration('Uptime after which the backoff starts over').default('10s'),
  })
  .describe('How the app is run and stopped.');

export const DebounceSchema = z
  .strictObject({
    quiet: duration('Quiet window for bursts: build once no event arrived for this long (at most maxWait)').default('50ms'),
    loneQuiet: duration(
      'Quiet window for a lone save after an idle moment (its events span less than this); bursts, and saves soon after a build started, wait for `quiet` (a loneQuiet set longer than quiet is refused)',
    ).default('15ms'),
    settledQuiet: duration(
      'Quiet window for a lone save whose writes the inotify helper saw finish (file closed, or renamed into place): nothing is left to guess, so it only waits for the other files of a "save all" (at most loneQuiet; set it equal to loneQuiet to turn this off). When the file sets loneQuiet but not this, it equals loneQuiet',
    ).default('5ms'),
    maxWait: duration('Longest wait under a continuous stream of writes').default('1s'),
  })
  .describe('How events are batched into one build.');

export const LogSchema = z
  .strictObject({
    format: z.enum(['auto', 'pretty', 'json']).default('auto').describe('auto: pretty on a TTY, JSON lines otherwise.'),
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  })
  .describe('Logging.');

export const WatchdogSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "The watchdog's own checks: the inotify budget before arming, sentinels and mount checks; false turns them off, never the recovery (re-arming, fallback to polling and back) of what the watcher reports.",
      ),
    interval: duration(
      'Each sentinel file must come back as an event within this long; one is written every half interval while the tree changes, backing off to every 30 s while it is quiet',
    ).default('2s'),
    auditInterval: duration('How often watches held are compared with directories watched, and polling retries native watching').default(
      '30s',
    ),
    overBudget: z
      .enum(['poll', 'refuse'])
      .default('poll')
      .describe(
        'When the tree needs more inotify watches or instances than are left: poll = watch natively what fits and poll the largest subtrees (the whole tree when no split fits or no instance is left); refuse = exit 2 before starting.',
      ),
  })
  .describe('The watchdog: never lose watches in silence.');

export const PROXY_RESTART_ONLY = ['templates/**', 'views/**', 'web/templates/**'];
export const PROXY_RELOAD_ONLY = ['static/**', 'public/**', 'assets/**', 'web/static/**', 'web/public/**'];

export const ProxySchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Put the reverse proxy in front of the app (--proxy-port turns it on).'),
    port: z.number().int().min(0).max(65535).default(8080).describe('The port browsers connect to (the proxy listens there).'),
    address: z
      .string()
      .default('127.0.0.1')
      .describe('The address the proxy listens on; another than loopback is allowed but warned (the app is served unauthenticated).'),
    appPort: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(0)
      .describe('The port the app listens on behind the proxy; 0 = a free loopback port at each start (needed by proveNewVersion).'),
    appPortEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'an environment variable name: letters, digits and _' })
      .default('PORT')
      .describe('The environment variable that gives the app its port at each start.'),
    holdTimeout: duration('How long a request waits for an app that is restarting before a 503 says why').default('30s'),
    healthPath: z
      .string()
      .regex(/^\//, { error: 'a path starting with /' })
      .optional()
      .describe('A path that answers 2xx once the app is ready (unset: a TCP accept on its port means ready).'),
    readyTimeout: duration('How long a new version has to become ready', 'no version could ever be ready').default('30s'),
    proveNewVersion: z
      .boolean()
      .default(true)
      .describe('Start the new version beside the old one and switch only once it is ready (blue-green); false: stop, then start.'),
    liveReload: z.boolean().default(true).describe('Inject the live-reload script (and the failure overlay) into HTML pages.'),
    csp: z
      .enum(['nonce', 'skip'])
      .default('nonce')
      .describe('Pages with a Content-Security-Policy: nonce = add a nonce for the reload script; skip = leave them alone.'),
    restartOnly: z
      .array(glob)
      .default(PROXY_RESTART_ONLY)
      .describe(
        'Globs (relative to root) of files read by the app at run time: an edit restarts it without a build (a file the binary embeds with //go:embed builds).',
      ),
    reloadOnly: z
      .array(glob)
      .default(PROXY_RELOAD_ONLY)
      .describe(
        'Globs (relative to root) of files served as they are: an edit only reloads the browser (a file the binary embeds with //go:embed builds).',
      ),
  })
  .describe('The reverse proxy in front of the app: requests wait through restarts, pages reload themselves.');

export const ServiceSchema = z
  .strictObject({
    statusPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        'Also serve /status and /metrics on this port of 127.0.0.1 (loopback only; the control socket .hotwatch/control.sock is always served).',
      ),
    sighup: z
      .enum(['stop', 'reload'])
      .default('stop')
      .describe(
        'What SIGHUP means: stop (a closed terminal stops hotwatch and the app, as Ctrl-C does) or reload (re-read the config, as `hotwatch reload`; for services, where systemctl reload sends SIGHUP).',
      ),
  })
  .describe('Service mode: the status endpoint.');

/** A name on the command line (`hotwatch run api worker`) and in log lines: no spaces, no path separators. */
const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** One app of `apps:`: unset keys inherit the top-level build: and run: values (src/config/apps.ts). */
export const AppSchema = z
  .strictObject({
    package: z.string().describe('The main package of this app, relative to root (e.g. ./cmd/api).'),
    output: z.string().optional().describe('The binary this app is built to (default: .hotwatch/bin/<name>).'),
    flags: goFlags.optional().describe('Extra go build flags (default: build.flags).'),
    args: z.array(z.string()).optional().describe('Arguments for this app (default: run.args).'),
    env: stringMap.optional().describe("Extra environment for this app, added over run.env (this app's value wins)."),
    envFiles: z.array(z.string()).optional().describe('dotenv files loaded after run.envFiles, for this app only.'),
    cwd: z.string().optional().describe('Working directory of this app (default: run.cwd, else root).'),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe('The port this app listens on (default: none; two apps cannot share one).'),
    stopSignal: z.enum(SIGNALS).optional().describe('Signal that stops this app (default: run.stopSignal).'),
    gracePeriod: duration('Time between the stop signal and SIGKILL for this app (default: run.gracePeriod)').optional(),
    onCrash: z.enum(['wait-for-change', 'restart']).optional().describe('What happens when this app exits (default: run.onCrash).'),
    include: z
      .array(glob)
      .default([])
      .describe('Globs (relative to root) of files besides Go packages that rebuild this app (Go files route by its imports).'),
  })
  .describe('One app: its main package, and what differs from the top-level build: and run:.');

export const AppsSchema = z
  .record(
    z.string().regex(APP_NAME, { error: 'an app name is letters, digits, "-", "_" and ".", starting with a letter or digit' }),
    AppSchema,
  )
  .optional()
  .describe(
    'Several apps from one hotwatch, by name: one watcher for all; a change rebuilds only the apps whose packages import what changed. `hotwatch run NAME...` runs some of them.',
  );

export const ConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of the JSON Schema (editor completion).'),
    root: z.string().default('.').describe('Root of the Go module to watch, relative to the config file.'),
    watch: WatchSchema.prefault({}),
    build: BuildSchema.prefault({}),
    run: RunSchema.prefault({}),
    debounce: DebounceSchema.prefault({}),
    log: LogSchema.prefault({}),
    watchdog: WatchdogSchema.prefault({}),
    proxy: ProxySchema.prefault({}),
    service: ServiceSchema.prefault({}),
    apps: AppsSchema,
  })
  .describe('hotwatch configuration (watcher.config.yaml).');

/** What the file may contain (everything optional). */
export type ConfigInput = z.input<typeof ConfigSchema>;
/** What validation returns: every default filled in, durations still strings. */
export type Config = z.output<typeof ConfigSchema>;

export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}

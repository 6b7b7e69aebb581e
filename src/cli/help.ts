/**
 * The help texts: what a person needs without opening anything else (flags, the config keys most people
 * set and their flags, the environment variables hotwatch reads), and where the full reference is, as
 * absolute paths computed from where this package is installed (src/cli/ in a clone, dist/bundle/ in
 * the package: both two levels below the package root).
 */
import { fileURLToPath } from 'node:url';

/** Absolute paths of the installed reference files. */
export function referencePaths(): { readme: string; schema: string; example: string; doctorSchema: string } {
  const at = (rel: string) => fileURLToPath(new URL(`../../${rel}`, import.meta.url));
  return {
    readme: at('README.md'),
    schema: at('schema/watcher.config.schema.json'),
    example: at('watcher.config.yaml'),
    doctorSchema: at('schema/doctor.schema.json'),
  };
}

function reference(): string {
  const r = referencePaths();
  return `Reference (this installation):
  README       ${r.readme}
               every key, what happens on a save, the watchdog, hotwatch doctor
  JSON Schema  ${r.schema}
               for editor completion: first line of watcher.config.yaml
               # yaml-language-server: $schema=${r.schema}
  example      ${r.example}
               every key with its default and what it does
`;
}

export function mainHelp(): string {
  return `hotwatch — hot reload for Go that never fails silently

Usage:
  hotwatch run    [--config FILE] [--root DIR] [--package PKG] [--port N] [--env-file FILE]... [--poll]
                  [--proxy-port P] [--app-port A] [--log-format auto|pretty|json] [--log-level LEVEL] [APP...] [-- APP ARGS...]
                  build the Go module's main package, run it, rebuild and restart on every change
                  (with apps: in the config, every app, or the APPs named)
  hotwatch exec   [--watch GLOB]... [the flags of run] -- CMD ARGS...
                  run any command on every change (tests, generators, another language): no build, no go.mod
  hotwatch config [the flags of run]
                  print the effective configuration, with where each value comes from
  hotwatch doctor [--root DIR] [--config FILE] [--json]
                  explain every limit and mount that can silence watching here, with the fix
  hotwatch init   [--root DIR] [--main PKG] [--from-air [FILE]] [--force]
                  write a commented watcher.config.yaml for this repo (or converted from .air.toml)
  hotwatch status [--root DIR] [--json] [--check]
                  what a running hotwatch is doing; --check: exit 0 only when the app serves and watching is healthy
  hotwatch reload [--root DIR]
                  make a running hotwatch re-read its config (an edit of the file does it by itself)
  hotwatch systemd-unit [--user] [--root DIR] [-- RUN ARGS...]
                  print a systemd unit that runs hotwatch here (Type=notify, watchdog, restart limits)
  hotwatch helpers
                  build the two small Go helpers now instead of on first use (container images)
  hotwatch --version
  hotwatch --help

Run \`hotwatch <command> --help\` for a command's flags (\`hotwatch run --help\`: config keys and environment).
Exit codes: 0 ok, 1 internal failure, 2 bad input.

${reference()}`;
}

const RUN_FLAGS_TEXT = `Flags (each overrides the config file):
  --config FILE        the config file (default: watcher.config.yaml in the root, if there is one)
  --root DIR           the Go module to watch (root), relative to the current directory
  --package PKG        the main package to build (build.package), relative to root, e.g. ./cmd/server
  --port N             the port the app listens on (run.port): checked free before start and after stop
  --env-file FILE      a dotenv file for the app (run.envFiles), relative to the current directory;
                       repeat it for several (later ones win); replaces the file's list
  --poll               poll instead of inotify (watch.backend: poll)
  --proxy-port P       put the reverse proxy on port P in front of the app (proxy.enabled, proxy.port):
                       requests wait through restarts, pages reload themselves
  --app-port A         the app's port behind the proxy (proxy.appPort; default: a free port per start,
                       given to the app in $PORT, proxy.appPortEnv)
  --log-format FORMAT  auto | pretty | json (log.format; auto = pretty on a terminal, else json)
  --log-level LEVEL    trace | debug | info | warn | error (log.level; default info)
  --clear              clear the screen before each build, when stdout is a terminal (build.clear)
  --exec               ad-hoc mode: the command after -- runs on every change instead of a built app
                       (\`hotwatch exec\` is the same); see hotwatch exec --help
  --watch GLOB         with --exec: what triggers a run, repeatable (default: every file under the root,
                       minus .git, node_modules, vendor, .hotwatch, .idea, .vscode, tmp)
  -h, --help           this help
  APP...               with apps: in the config: run only these apps (default: all of them)
  -- APP ARGS...       the app's arguments (run.args); with --exec: the command and its arguments
`;

/** \`hotwatch exec --help\` (and \`run --exec --help\`): ad-hoc mode. */
export function execHelp(): string {
  return `Usage: hotwatch exec [--watch GLOB]... [flags] -- CMD ARGS...
       (the same as hotwatch run --exec [--watch GLOB]... [flags] -- CMD ARGS...)

Runs CMD ARGS in the root at start and again on every change, with the watcher, debounce, process-tree
handling and watchdog of \`hotwatch run\`, but no build and no Go module needed: tests
(hotwatch exec -- go test ./...), code generators, a program in another language.

  What is watched: the --watch globs (picomatch, relative to the root, repeatable), or every file under
  the root, minus the directories never descended (.git, node_modules, vendor, .hotwatch, .idea,
  .vscode, tmp, and watch.excludeDirs); *_test.go files and testdata/ count.
  The changed files (relative to the root; none at the first run) reach the command:
    $HOTWATCH_CHANGED  one per line
    {changed}          an argument that is exactly {changed} becomes one argument per file
                       (hotwatch exec -- go vet {changed}); no shell is involved, so a file name is
                       never interpreted: write sh -c '...' yourself if you want one
  A command that ends is reported: "ok" at info, "exit N" at error; it runs again on the next change.
  A command still running at a change is stopped like an app (run.stopSignal, run.gracePeriod, then
  SIGKILL, its whole process tree) and started again.

${RUN_FLAGS_TEXT}`;
}

/** The keys people set first, in run --help. */
const RUN_KEYS_TEXT = `Config keys most people set (watcher.config.yaml in the root; \`hotwatch config\` prints every key
with its value and where it comes from):
  key              flag          what
  build.package    --package     the main package to build (default .)
  build.cmd                      a shell command instead of go build (default: go build -o <output> <package>)
  build.flags                    extra flags for go build, e.g. ["-race"]
  build.env                      extra environment for the build
  run.port         --port        the app's port, checked before start and after stop (default: none)
  run.envFiles     --env-file    dotenv files for the app, relative to root
  run.env                        extra environment for the app
  run.args         -- ARGS       the app's arguments
  run.onCrash                    wait-for-change (default) | restart (with backoff)
  build.steps                    commands before the build, after the start, or instead of a build for their
                                 files: [{run: [go, generate, ./...], when: before, files: ["**/*.go"]}]
  build.clear      --clear       clear the screen before each build, at a terminal (default false)
  watch.include                  globs that trigger a rebuild besides watch.extensions (default [go.mod, go.sum])
  watch.exclude                  globs that never do (default ["**/*_test.go"])
  watch.backend    --poll        auto (default) | native | poll
  proxy.enabled    --proxy-port  the reverse proxy: requests wait through restarts, pages reload (default false)
  proxy.port       --proxy-port  where browsers connect (default 8080)
  proxy.appPort    --app-port    the app's port behind the proxy (default 0: a free port per start, in $PORT)
  log.format       --log-format  auto (default) | pretty | json
  log.level        --log-level   info (default)
  service.sighup                 stop (default: a hang-up stops hotwatch) | reload (SIGHUP re-reads the config)
  apps             APP...        several apps by name, each { package, port, env, args, ... } over build:/run:;
                                 one watcher for all, a change rebuilds only the apps that import it`;

/** The environment hotwatch reads and sets, in run --help. */
const RUN_ENV_TEXT = `Environment:
  HOTWATCH_CACHE_DIR       where the inotify helper is built once and kept, and each run's first build is
                           remembered (first-builds/: the next run with the same flags here spawns it at
                           once) (default $XDG_CACHE_HOME/hotwatch, else $HOME/.cache/hotwatch; when that
                           directory is not yours alone: $XDG_RUNTIME_DIR/hotwatch, else a private temp dir
                           for the helper, and no first build is remembered)
  HOTWATCH_INOTIFY_HELPER  off (or false, 0, no): hold the watches with fs.watch instead of the Go helper
  HOTWATCH_ENGINE_THREAD   worker: run the watch engine in a worker thread, as it once ran (for measurement
                           only: the main thread costs 12 MB less; see the README's Lean section)
  HOTWATCH_V8_OPTIMIZER    on | off: V8's optimizing compiler from the start | never (for measurement only;
                           default: off, on once a start-up proves heavy; see the README's Memory section)
  NO_COLOR                 no colour in pretty logs or in the doctor's report
  PATH                     where \`go\` is found (builds, the helper); build.env can set PATH for builds
  CHOKIDAR_USEPOLLING, CHOKIDAR_INTERVAL
                           ignored: hidden from hotwatch's poll backend (set watch.backend, watch.pollInterval)
  HOTWATCH_TEST_FAULTS     for tests only: injects watcher faults (see the README); with it,
                           HOTWATCH_TEST_CLAIM_DELAY widens the claim on the root (tests of the lock),
                           and HOTWATCH_TEST_ARMING_GATE=FILE holds arming back until FILE exists
                           (tests of the first build while arming), HOTWATCH_TEST_STARTUP_GATE=FILE the
                           start-up right after the first build's early spawn, and
                           HOTWATCH_TEST_REMEMBERED_GATE=FILE right after the remembered first build's
  NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID
                           set by systemd (Type=notify): hotwatch reports READY, STATUS and watchdog
                           pings there (see hotwatch systemd-unit); JOURNAL_STREAM: logs carry journald levels
  GOWORK                   as go reads it: off = a go.work above the root is not in force (hotwatch asks go
                           which modules a build compiles, and accepts a go.work root with --package)
  GOFLAGS                  as go reads it; a -modfile=FILE there (or in build.flags) is followed: FILE is
                           watched as go.mod is, and its replace targets are watched roots
  GOOS, GOARCH, CGO_ENABLED
                           as go reads them: which main packages the search for them counts (go's build
                           constraints: a //go:build windows program is not one here); a binary built for
                           another GOOS is named before it is run, with the fix
  GOCACHE                  as go reads it: a BUILD FAILED that cannot write go's build cache names it
  CGO_CPPFLAGS             as go reads it; with cgo headers included from another directory (-I), each build
                           gets it with -DHOTWATCH_CGO_HEADERS=<digest of those headers> added (go's cache
                           does not key on them otherwise)
  HOTWATCH_PID1_INIT       off: as PID 1 (a container without --init), do not run under the built-in reaper
  Read by hotwatch doctor to describe this machine, nothing more: INVOCATION_ID, NOTIFY_SOCKET,
  KUBERNETES_SERVICE_HOST, WATCHPACK_POLLING, TSC_WATCHFILE, TSC_WATCHDIRECTORY, UV_THREADPOOL_SIZE, NODE_OPTIONS.
  Set by hotwatch: HOTWATCH_BUILD_ID in the build's and HOTWATCH_APP_ID in the app's environment (the
  markers it finds their processes by); HOTWATCH_CHANGED in build steps' and exec commands' environment
  (the changed files, relative to the root, one per line). The app gets hotwatch's environment, then run.envFiles, then run.env.`;

export function runHelp(): string {
  return `Usage: hotwatch run [flags] [APP...] [-- APP ARGS...]

Builds the main package of the module at --root (default: .) into .hotwatch/bin/app, runs it, and
rebuilds and restarts it on every relevant change (also in local modules outside the root it builds).

${RUN_FLAGS_TEXT}
${RUN_KEYS_TEXT}

${RUN_ENV_TEXT}

${reference()}
Ctrl-C stops the app gracefully and exits 0; a second Ctrl-C kills it at once.
An edit of the config file is applied live, as \`hotwatch reload\` (and SIGHUP with service.sighup: reload)
applies it: watch lists without touching the app, build settings with one rebuild, run settings with one
restart; an invalid file is rejected (file:line:col), the old config runs on; other keys need a restart.
Started without a config file, one written in the root later (hotwatch init) is applied the same way.
At a terminal: r rebuilds and restarts, c clears the screen, q quits, h lists the keys.
Exit codes: 0 clean shutdown, 1 internal failure, 2 bad input (flags, config, no go, no go.mod, port in use).
`;
}

export function configHelp(): string {
  return `Usage: hotwatch config [flags] [-- APP ARGS...]

Prints the configuration \`hotwatch run\` would use with the same flags, as YAML you can paste into
watcher.config.yaml: every key, each value followed by where it comes from (default, file:line:col of
the config file, or the flag). Keys without a value are shown commented out. Nothing is started.
Exit 0; 2 on bad input (flags, or a config file with mistakes: all of them are listed).

${RUN_FLAGS_TEXT}
${reference()}`;
}

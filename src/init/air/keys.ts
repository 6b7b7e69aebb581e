/**
 * The keys an air config (.air.toml) may hold, with the type air reads each as and the defaults air
 * applies to keys a file leaves out (they decide what the converted config must reproduce). Taken
 * from air's documented configuration keys.
 */
export type AirType = 'string' | 'int' | 'bool' | 'strings' | 'entrypoint' | 'duration' | 'table' | 'tables';

/** Keys a per-platform block ([build.linux] ...) may override. */
export const PLATFORM_KEYS = ['pre_cmd', 'cmd', 'post_cmd', 'bin', 'entrypoint', 'full_bin', 'args_bin'] as const;
export const PLATFORMS = ['linux', 'darwin', 'windows'] as const;

const BUILD: Record<string, AirType> = {
  pre_cmd: 'strings',
  cmd: 'string',
  post_cmd: 'strings',
  bin: 'string',
  entrypoint: 'entrypoint',
  full_bin: 'string',
  args_bin: 'strings',
  log: 'string',
  include_ext: 'strings',
  exclude_dir: 'strings',
  include_dir: 'strings',
  exclude_file: 'strings',
  include_file: 'strings',
  exclude_regex: 'strings',
  exclude_unchanged: 'bool',
  ignore_dangerous_root_dir: 'bool',
  follow_symlink: 'bool',
  poll: 'bool',
  poll_interval: 'int',
  delay: 'int',
  stop_on_error: 'bool',
  send_interrupt: 'bool',
  kill_delay: 'duration',
  rerun: 'bool',
  rerun_delay: 'int',
  rules: 'tables',
};

const prefixed = (prefix: string, keys: Record<string, AirType>): Record<string, AirType> =>
  Object.fromEntries(Object.entries(keys).map(([k, t]) => [`${prefix}.${k}`, t]));

const PLATFORM_BLOCKS: Record<string, AirType> = Object.fromEntries(
  PLATFORMS.flatMap((os) => [[`build.${os}`, 'table' as AirType], ...PLATFORM_KEYS.map((k) => [`build.${os}.${k}`, BUILD[k]!] as const)]),
);

/** Every air key by dotted path ('build.cmd'), tables included. */
export const AIR_KEYS: Readonly<Record<string, AirType>> = {
  root: 'string',
  tmp_dir: 'string',
  testdata_dir: 'string',
  env_files: 'strings',
  build: 'table',
  ...prefixed('build', BUILD),
  ...PLATFORM_BLOCKS,
  log: 'table',
  ...prefixed('log', { time: 'bool', main_only: 'bool', silent: 'bool' }),
  color: 'table',
  ...prefixed('color', { main: 'string', watcher: 'string', build: 'string', runner: 'string', mode: 'string', app: 'string' }),
  misc: 'table',
  ...prefixed('misc', { clean_on_exit: 'bool', startup_banner: 'string' }),
  screen: 'table',
  ...prefixed('screen', { clear_on_rebuild: 'bool', keep_scroll: 'bool' }),
  proxy: 'table',
  ...prefixed('proxy', { enabled: 'bool', proxy_port: 'int', app_port: 'int', app_start_timeout: 'int' }),
};

/** What air uses for a key the file leaves out (only those the conversion depends on). */
export const AIR_DEFAULTS = {
  tmp_dir: 'tmp',
  testdata_dir: 'testdata',
  cmd: (tmp: string) => `go build -o ./${tmp}/main .`,
  bin: (tmp: string) => `./${tmp}/main`,
  include_ext: ['go', 'tpl', 'tmpl', 'html'],
  exclude_dir: (tmp: string) => ['assets', tmp, 'vendor', 'testdata'],
  exclude_regex: ['_test.go'],
  delay: 1000,
  kill_delay: 0,
  rerun_delay: 500,
  poll_interval: 500,
} as const;

/** How a value of each type is written in TOML, for the fix of a wrong type. */
export const TYPE_EXAMPLE: Record<AirType, string> = {
  string: 'a string in quotes, e.g. "go build -o ./tmp/main ."',
  int: 'a whole number of milliseconds (or a port), e.g. 500',
  bool: 'true or false',
  strings: 'an array of strings, e.g. ["go", "tmpl"]',
  entrypoint: 'a string or an array of strings, e.g. ["./tmp/main", "serve"]',
  duration: 'milliseconds as a number, e.g. 500, or a duration string, e.g. "500ms"',
  table: 'a table: [name] on its own line, then its keys',
  tables: 'an array of tables: [[build.rules]] blocks',
};

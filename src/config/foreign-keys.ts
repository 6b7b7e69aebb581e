/**
 * Keys that are not hotwatch's but that people write in its config: go build's own flags as keys
 * (`build.ldflags: "-s -w"`, `build.tags: dev`) and air's keys (`build.bin`, `kill_delay`). An edit-distance
 * guess gets these wrong (`ldflags` → `flags: ["-s", "-w"]`, which go refuses at every build): each gets the
 * key that does what it meant, with its value, and a pointer to `hotwatch init --from-air` for air's.
 */
import { formatPath, type ConfigPath } from './config-path.js';

/** A fix as issues.ts's FixAlternative (structurally: issues.ts imports this file). */
interface FixAlternative {
  text: string;
  edits: Array<{ path: ConfigPath; remove: true } | { path: ConfigPath; set: unknown } | { path: ConfigPath; moveTo: ConfigPath }>;
}

/** go build flags a person may write as a key of build: (or apps.NAME:), with a value or as `true`. */
const GO_BUILD_FLAGS = new Set([
  'a',
  'asan',
  'asmflags',
  'buildmode',
  'buildvcs',
  'compiler',
  'cover',
  'covermode',
  'coverpkg',
  'gccgoflags',
  'gcflags',
  'installsuffix',
  'ldflags',
  'linkshared',
  'mod',
  'modcacherw',
  'modfile',
  'msan',
  'overlay',
  'pgo',
  'pkgdir',
  'race',
  'tags',
  'toolexec',
  'trimpath',
  'work',
]);

/** air's keys, by where air has them, and what hotwatch calls them (a move when the value means the same). */
const AIR_KEYS: Record<string, { to: string; move?: ConfigPath }> = {
  'build.bin': { to: 'build.output (the binary hotwatch runs)', move: ['build', 'output'] },
  'build.full_bin': { to: 'build.output, with run.env and run.args for what else the line holds' },
  'build.entrypoint': { to: 'build.output', move: ['build', 'output'] },
  'build.args_bin': { to: 'run.args', move: ['run', 'args'] },
  'build.include_ext': { to: 'watch.extensions', move: ['watch', 'extensions'] },
  'build.exclude_dir': { to: 'watch.exclude, as "dir/**" for each directory' },
  'build.include_dir': { to: 'watch.exclude of the directories outside it' },
  'build.include_file': { to: 'watch.include', move: ['watch', 'include'] },
  'build.exclude_file': { to: 'watch.exclude', move: ['watch', 'exclude'] },
  'build.exclude_regex': { to: 'watch.exclude, as globs' },
  'build.kill_delay': { to: 'run.gracePeriod', move: ['run', 'gracePeriod'] },
  'build.send_interrupt': { to: 'run.stopSignal: SIGINT' },
  'build.stop_on_error': { to: 'build.onFailure: stop' },
  'build.pre_cmd': { to: 'build.steps (each command a step, when: before)' },
  'build.post_cmd': { to: 'nothing: hotwatch runs no command at its exit' },
  'build.delay': { to: 'debounce.quiet (hotwatch waits 50 ms by default)' },
  'build.poll': { to: 'watch.backend: poll' },
  'build.poll_interval': { to: 'watch.pollInterval', move: ['watch', 'pollInterval'] },
  'build.rerun': { to: 'run.onCrash: restart' },
  'build.log': { to: 'nothing: the build output is shown under BUILD FAILED' },
  tmp_dir: { to: 'build.output (hotwatch builds into .hotwatch/bin/app)' },
  testdata_dir: { to: 'watch.excludeDirs (testdata is left out already)' },
  env_files: { to: 'run.envFiles', move: ['run', 'envFiles'] },
};

export interface ForeignKeyFix {
  message: string;
  hint: string;
  alternatives?: FixAlternative[];
}

/** `-ldflags=-s -w` from `ldflags: "-s -w"`; `-race` from `race: true`; `-tags=a,b` from `tags: [a, b]`. */
function flagOf(key: string, value: unknown): string | undefined {
  if (value === true) return `-${key}`;
  if (typeof value === 'string' && value.trim() !== '') return `-${key}=${value.trim()}`;
  if (typeof value === 'number') return `-${key}=${value}`;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return `-${key}=${value.join(',')}`;
  return undefined;
}

/** What to say about `key` under `parent` holding `value` (the section's flags as they are: `flags`), or undefined. */
export function foreignKey(parent: ConfigPath, key: string, value: unknown, flags: unknown): ForeignKeyFix | undefined {
  const dotted = [...parent, key].join('.');
  // A step's command (`cmd:`, `command:`) is its `run:`, not the build's build.cmd a search by name finds.
  if (parent.length === 3 && parent[0] === 'build' && parent[1] === 'steps' && ['cmd', 'command', 'exec'].includes(key)) {
    const at = formatPath([...parent, key]);
    const run = formatPath([...parent, 'run']);
    return {
      message: `${at}: unknown key: a step's command is its run: (a list: [go, generate, ./...])`,
      hint: `write it as ${run}`,
      alternatives: [{ text: `write it as ${run}`, edits: [{ path: [...parent, key], moveTo: [...parent, 'run'] }] }],
    };
  }
  const inBuild = (parent.length === 1 && parent[0] === 'build') || (parent.length === 2 && parent[0] === 'apps');
  if (inBuild && GO_BUILD_FLAGS.has(key.toLowerCase())) {
    const flag = flagOf(key.toLowerCase(), value);
    const flagsPath: ConfigPath = [...parent, 'flags'];
    const shown = [...parent, 'flags'].join('.');
    const existing = Array.isArray(flags) ? flags : [];
    const list = (l: unknown[]): string => `[${l.map((v) => JSON.stringify(v)).join(', ')}]`;
    return {
      message: `${dotted}: unknown key: go build's -${key.toLowerCase()} flag goes in ${shown}`,
      hint: flag ? `write it as ${shown}: ${list([...existing, flag])}` : `add "-${key.toLowerCase()}=…" to ${shown}`,
      ...(flag
        ? {
            alternatives: [
              {
                text: `write it as ${shown}: ${list([...existing, flag])}`,
                edits: [
                  { path: [...parent, key], remove: true as const },
                  { path: flagsPath, set: [...existing, flag] },
                ],
              },
            ],
          }
        : {}),
    };
  }
  const air = AIR_KEYS[dotted];
  if (!air) return undefined;
  const text = `${dotted}: unknown key: air's key; hotwatch's is ${air.to}`;
  const hint = 'a whole .air.toml converts with `hotwatch init --from-air`';
  if (!air.move) return { message: text, hint };
  const to = air.move.join('.');
  return {
    message: text,
    hint: `write it as ${to} (${hint})`,
    alternatives: [{ text: `write it as ${to}`, edits: [{ path: [...parent, key], moveTo: air.move }] }],
  };
}

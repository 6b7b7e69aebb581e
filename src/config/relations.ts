/**
 * Checks between keys that zod checks one at a time: a quiet window longer than the cap it lives under,
 * a backoff whose cap is below its start. Each names the key the file sets (file:line:col), and the
 * other side with its value ("1s, the default" when the file leaves it out). Exit 2, like any config error.
 * The fixes ("set quiet: 1s", "also set maxWait: 2s") are alternatives that parse-config.ts offers only
 * when the config accepts them (raising one cap can break the next: settledQuiet ≤ loneQuiet ≤ quiet).
 */
import path from 'node:path';
import { parseDuration } from './duration.js';
import type { ConfigProblem } from './issues.js';
import type { Config } from './schema.js';
import type { ConfigPath } from './yaml-position.js';
import { appsProblems } from './apps-relations.js';

/** Whether the file sets the key at `path`. */
type IsSet = (path: ConfigPath) => boolean;

/** `small` must not be longer than `big` (both durations); `only`: check only when the file sets `small`. */
function atMost(
  cfg: Config,
  isSet: IsSet,
  small: [string, string],
  big: [string, string],
  why: string,
  only = false,
): ConfigProblem | undefined {
  const value = (p: [string, string]): string => (cfg as unknown as Record<string, Record<string, string>>)[p[0]]![p[1]]!;
  const [s, b] = [value(small), value(big)];
  if (parseDuration(s)! <= parseDuration(b)!) return undefined;
  const smallSet = isSet(small);
  if (only && !smallSet) return undefined;
  // Point at the key the file sets; when it sets both, at `small`.
  const [at, other] = smallSet ? [small, big] : [big, small];
  const name = (p: [string, string]): string => p.join('.');
  const shown = (p: [string, string]): string => `${value(p)}${isSet(p) ? '' : ', the default'}`;
  const message =
    at === small
      ? `${name(small)}: ${s} is longer than ${name(big)} (${shown(big)}): ${why}`
      : `${name(big)}: ${b} is shorter than ${name(small)} (${shown(small)}): ${why}`;
  const head = `make ${name(small)} at most ${name(big)}`;
  return {
    path: at,
    anchor: 'value',
    message,
    hint: head,
    related: [small, big],
    alternatives: [
      { text: `set ${name(at)}: ${value(other)}`, edits: [{ path: at, set: value(other) }] },
      { text: `also set ${name(other)}: ${value(at)}`, edits: [{ path: other, set: value(at) }] },
    ],
    pick: 'all',
    finish: (ok) => ({ message, hint: ok.length > 0 ? `${head}: e.g. ${ok.map((a) => a.text).join(', or ')}` : head }),
  };
}

/** Two versions of the app cannot listen on one fixed port: blue-green needs appPort 0 (a fresh port each). */
function proveOnFixedPort(cfg: Config, isSet: IsSet): ConfigProblem | undefined {
  const { proveNewVersion, appPort } = cfg.proxy;
  if (!proveNewVersion || appPort === 0) return undefined;
  const at: ConfigPath = isSet(['proxy', 'appPort']) ? ['proxy', 'appPort'] : ['proxy', 'proveNewVersion'];
  const shown = isSet(['proxy', 'proveNewVersion']) ? 'true' : 'true, the default';
  const message = `proxy.appPort: ${appPort} is a fixed port, but proxy.proveNewVersion is ${shown}: the new version starts beside the old one, and two versions cannot listen on one port`;
  const head = 'let each version have its own port, or stop the old one before the new one starts';
  return {
    path: at,
    anchor: 'value',
    message,
    hint: head,
    related: [
      ['proxy', 'appPort'],
      ['proxy', 'proveNewVersion'],
    ],
    alternatives: [
      { text: 'set proxy.appPort: 0', edits: [{ path: ['proxy', 'appPort'], set: 0 }] },
      { text: 'set proxy.proveNewVersion: false', edits: [{ path: ['proxy', 'proveNewVersion'], set: false }] },
    ],
    pick: 'all',
  };
}

/** The proxy and the app behind it cannot share a port. */
function samePort(cfg: Config, isSet: IsSet): ConfigProblem | undefined {
  const { port, appPort } = cfg.proxy;
  if (appPort === 0 || port !== appPort) return undefined;
  const at: ConfigPath = isSet(['proxy', 'appPort']) ? ['proxy', 'appPort'] : ['proxy', 'port'];
  const message = `proxy.appPort: ${appPort} is proxy.port too: the proxy listens there, so the app cannot`;
  const head = 'give the app another port than the proxy';
  return {
    path: at,
    anchor: 'value',
    message,
    hint: head,
    related: [
      ['proxy', 'port'],
      ['proxy', 'appPort'],
    ],
    alternatives: [{ text: 'set proxy.appPort: 0', edits: [{ path: ['proxy', 'appPort'], set: 0 }] }],
    pick: 'all',
  };
}

/** The `-o` values of a shell command line (`go build -o ./tmp/main .`, `-o=bin/x`), quotes removed. */
export function outputsOf(cmd: string): string[] {
  return [...cmd.matchAll(/(?:^|[\s;&|(])-o(?:=|\s+)(?:"([^"]*)"|'([^']*)'|([^\s;&|)]+))/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

const samePath = (a: string, b: string): boolean =>
  path.posix.normalize(a.replace(/^\.\//, '')) === path.posix.normalize(b.replace(/^\.\//, ''));

/**
 * A build.cmd that writes its binary elsewhere (`go build -o ./tmp/main .`, the air habit) while
 * build.output is left at its default: the build says ok, and the app never starts ("does not exist").
 */
function cmdWritesElsewhere(cfg: Config, isSet: IsSet): ConfigProblem | undefined {
  const { cmd, output } = cfg.build;
  if (cmd === undefined || isSet(['build', 'output']) || cmd.includes(output)) return undefined;
  const written = outputsOf(cmd);
  if (written.length === 0 || written.some((w) => samePath(w, output))) return undefined;
  const first = written[0]!.replace(/^\.\//, '');
  const message = `build.cmd writes ${written[0]} (its -o), but hotwatch runs build.output (${output}, the default): the app would never start`;
  return {
    path: ['build', 'cmd'],
    anchor: 'value',
    message,
    hint: `set build.output: ${first}`,
    related: [
      ['build', 'cmd'],
      ['build', 'output'],
    ],
    alternatives: [{ text: `set build.output: ${first}`, edits: [{ path: ['build', 'output'], set: first }] }],
    pick: 'all',
  };
}

export function relationProblems(cfg: Config, isSet: IsSet): ConfigProblem[] {
  return [
    cmdWritesElsewhere(cfg, isSet),
    samePort(cfg, isSet),
    samePort(cfg, isSet) ? undefined : proveOnFixedPort(cfg, isSet),
    atMost(cfg, isSet, ['debounce', 'quiet'], ['debounce', 'maxWait'], 'maxWait is the longest a batch waits, so it caps the quiet window'),
    // loneQuiet defaults to 15ms: only a value the file sets is refused (a smaller quiet caps the default).
    atMost(
      cfg,
      isSet,
      ['debounce', 'loneQuiet'],
      ['debounce', 'quiet'],
      'a lone save would wait longer than a burst (loneQuiet is capped at quiet)',
      true,
    ),
    atMost(
      cfg,
      isSet,
      ['debounce', 'settledQuiet'],
      ['debounce', 'loneQuiet'],
      'a save known complete would wait longer than one that is not (settledQuiet is capped at loneQuiet)',
      true,
    ),
    atMost(cfg, isSet, ['run', 'backoffInitial'], ['run', 'backoffMax'], 'backoffMax caps every restart delay, the first one included'),
    ...appsProblems(cfg, isSet),
  ].filter((p): p is ConfigProblem => p !== undefined);
}

/**
 * A NUL byte anywhere in the config (a `"\0"` or `"\x00"` escape in a double-quoted YAML string, or a key
 * holding one). No value of the config can carry it: every string ends up a path, a glob, a command, an
 * argument or an environment variable, and the kernel's strings end at NUL. Node refuses such an
 * argument only when the app is spawned, after a build, with a message that points nowhere; so it is a
 * config error at its line instead.
 */
import type { ConfigProblem } from './issues.js';
import { formatPath, type ConfigPath } from './yaml-position.js';

const MAX_REPORTED = 10;

export function nulProblems(input: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const walk = (v: unknown, path: ConfigPath): void => {
    if (out.length >= MAX_REPORTED) return;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) out.push(problem(path, 'value'));
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], [...path, i]);
    } else if (typeof v === 'object' && v !== null)
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\u0000')) out.push(problem([...path, k], 'key'));
        else walk(x, [...path, k]);
      }
  };
  walk(input, []);
  return out;
}

function problem(path: ConfigPath, anchor: 'key' | 'value'): ConfigProblem {
  return {
    path,
    anchor,
    message: `${formatPath(path)}: ${anchor === 'key' ? 'the key' : 'the value'} holds a NUL byte, which no path, command, argument or environment variable can carry`,
    hint: 'remove it (in a double-quoted string, "\\0" and "\\x00" write one)',
  };
}

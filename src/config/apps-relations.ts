/**
 * Checks of `apps:` that zod checks one key at a time: two apps writing one binary, two apps on one
 * fixed port, build.cmd (one command, one binary) beside apps, the proxy in front of several apps. Each
 * names the key the file sets (file:line:col): exit 2, like any config error.
 */
import path from 'node:path';
import type { ConfigProblem } from './issues.js';
import type { Config } from './schema.js';
import type { ConfigPath } from './yaml-position.js';

type IsSet = (path: ConfigPath) => boolean;

/** The first pair of apps with one value of `key` (outputs compared as paths under the root). */
function clash(
  cfg: Config,
  isSet: IsSet,
  key: 'output' | 'port',
  valueFor: (name: string) => string | undefined,
): ConfigProblem | undefined {
  const seen = new Map<string, string>();
  for (const name of Object.keys(cfg.apps ?? {})) {
    const v = valueFor(name);
    if (v === undefined) continue;
    const first = seen.get(v);
    if (first === undefined) {
      seen.set(v, name);
      continue;
    }
    const at: ConfigPath = isSet(['apps', name, key]) ? ['apps', name, key] : ['apps', first, key];
    const what =
      key === 'output'
        ? `both build to ${v}: each build would overwrite the other's binary`
        : `both listen on port ${v}: the second could never start`;
    return {
      path: at,
      anchor: 'value',
      message: `apps.${first} and apps.${name} ${what}`,
      hint: `give apps.${name}.${key} ${key === 'output' ? 'its own path, or leave it out (default .hotwatch/bin/<name>)' : 'another port'}`,
      related: [
        ['apps', first, key],
        ['apps', name, key],
      ],
    };
  }
  return undefined;
}

export function appsProblems(cfg: Config, isSet: IsSet): ConfigProblem[] {
  const apps = cfg.apps;
  if (apps === undefined) return [];
  const names = Object.keys(apps);
  const problems: Array<ConfigProblem | undefined> = [
    clash(cfg, isSet, 'output', (n) => path.posix.normalize(apps[n]!.output ?? `.hotwatch/bin/${n}`)),
    clash(cfg, isSet, 'port', (n) => (apps[n]!.port === undefined ? undefined : String(apps[n]!.port))),
  ];
  // No app left (each refused on its own, its message said): nothing to say against build.cmd here.
  if (cfg.build.cmd !== undefined && names.length > 0) {
    problems.push({
      path: ['build', 'cmd'],
      anchor: 'value',
      message: `build.cmd builds one binary, but apps: names ${names.length} (${names.join(', ')}): each app is built with go build from its package`,
      hint: 'remove build.cmd (put go build flags in build.flags or apps.NAME.flags), or remove apps:',
    });
  }
  if (cfg.proxy.enabled && names.length > 1) {
    problems.push({
      path: ['proxy', 'enabled'],
      anchor: 'value',
      message: `the proxy fronts one app, but apps: names ${names.length} (${names.join(', ')})`,
      hint: `set proxy.enabled: false, or run one app behind it: hotwatch run ${names[0]}`,
    });
  }
  return problems.filter((p): p is ConfigProblem => p !== undefined);
}

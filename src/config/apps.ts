/** The apps of `apps:` the command line names (`hotwatch run api worker`), checked against the config. */
import { HotwatchError } from '../errors.js';
import type { AppSettings } from './settings.js';

export type { AppSettings } from './settings.js';

/** Flags that set one app's values: with `apps:` they would not say which app they are for. */
export interface SingleAppFlags {
  package?: string | undefined;
  port?: number | undefined;
  args?: string[] | undefined;
  /** The proxy is on (proxy.enabled, --proxy-port): it fronts one app. */
  proxy?: boolean | undefined;
}

/**
 * The apps named on the command line (all of them when none is named). Names without `apps:` in the
 * config, or not in it, are FLAG_INVALID (exit 2) with the names there are.
 */
export function selectApps(
  apps: AppSettings[] | undefined,
  names: readonly string[],
  flags: SingleAppFlags = {},
): AppSettings[] | undefined {
  if (apps === undefined) {
    if (names.length === 0) return undefined;
    throw new HotwatchError('FLAG_INVALID', `unexpected argument "${names[0]}": the config has no apps: to choose from`, {
      hint: 'app arguments go after --, e.g. hotwatch run -- -port 8080; to run several apps, name them under apps: in watcher.config.yaml',
    });
  }
  const known = apps.map((a) => a.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new HotwatchError(
      'FLAG_INVALID',
      `no app named ${unknown.map((n) => `"${n}"`).join(', ')} in apps: (the apps are ${known.join(', ')})`,
      {
        hint: `name apps of the config, e.g. hotwatch run ${known.slice(0, 2).join(' ')}; or none to run them all`,
      },
    );
  }
  const given = [flags.package !== undefined && '--package', flags.port !== undefined && '--port', flags.args !== undefined && '-- ARGS'];
  const flag = given.find((f): f is string => typeof f === 'string');
  if (flag !== undefined) {
    throw new HotwatchError('FLAG_INVALID', `${flag} sets one app's value, but the config has apps: (${known.join(', ')})`, {
      hint: `set it for the app under apps.NAME in watcher.config.yaml (package, port, args), and leave out ${flag}`,
    });
  }
  const chosen = names.length === 0 ? apps : apps.filter((a) => names.includes(a.name));
  if (flags.proxy && chosen.length > 1) {
    throw new HotwatchError(
      'FLAG_INVALID',
      `the proxy fronts one app, but this run has ${chosen.length} (${chosen.map((a) => a.name).join(', ')})`,
      {
        hint: `run one app behind it (hotwatch run ${chosen[0]!.name} --proxy-port PORT), or leave out --proxy-port`,
      },
    );
  }
  return chosen;
}

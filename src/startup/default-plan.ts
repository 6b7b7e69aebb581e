/**
 * The first build's plan when none was kept yet, for the one case that needs no config to know it: a
 * module with no watcher.config.yaml, a main package at its root, run with no flag that changes the
 * build (`hotwatch run`, with --log-level, --log-format, --root DIR, or app arguments after --). Its build is then the defaults':
 * `go build -o <root>/.hotwatch/bin/app .` in the module's directory. So a developer's very first
 * `hotwatch run` in a module starts building as soon as node has, as the next ones do
 * (remembered-build.ts).
 *
 * These defaults are written here a second time on purpose (the config's schema is the first): loading
 * the schema is what this start avoids. The two cannot drift unseen: test/unit/default-plan.test.ts
 * compares this plan with the one the start-up derives from the real settings, and at run time the
 * start-up adopts the build only when it is exactly the one the settings ask for (else it is stopped).
 */
import fs from 'node:fs';
import path from 'node:path';
import { packageNameInDir } from '../os/go-source.js';
import { findOnPath } from '../os/on-path.js';
import type { FirstBuildPlan, PlanPlace } from './first-build-plan.js';

/**
 * Flags that take a value and change nothing in the first build, with the values the flag parser accepts
 * (cli/run-flags.ts; test/unit/default-plan.test.ts holds them equal): any other value is an exit 2,
 * before which nothing may be spawned.
 */
const NEUTRAL_WITH_VALUE = new Map([
  ['--log-level', new Set(['trace', 'debug', 'info', 'warn', 'error'])],
  ['--log-format', new Set(['auto', 'pretty', 'json'])],
]);

/** The defaults' first build for `place`, or undefined when a config or a flag could change it. */
export function defaultPlan(place: PlanPlace): FirstBuildPlan | undefined {
  let rootFlag: string | undefined;
  const { argv } = place;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break; // the app's arguments: not the build's
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    const allowed = NEUTRAL_WITH_VALUE.get(name);
    if (allowed?.has(value ?? '')) continue;
    if (name === '--root' && rootFlag === undefined && value !== undefined && value !== '' && !value.startsWith('-')) {
      rootFlag = value;
      continue;
    }
    return undefined; // any other flag, or an app name: the start-up decides
  }
  let root: string;
  const rootAs = path.resolve(place.cwd, rootFlag ?? '.');
  try {
    root = fs.realpathSync(rootAs);
  } catch {
    return undefined; // said by the start-up
  }
  const here = (name: string): boolean => fs.existsSync(path.join(root, name));
  if (here('watcher.config.yaml') || here('watcher.config.yml') || !here('go.mod')) return undefined;
  // The start-up refuses a root that is not a main package, and a PATH without go (exit 2): no build then.
  if (packageNameInDir(root).name !== 'main' || findOnPath('go', place.env.PATH ?? '') === undefined) return undefined;
  const output = path.join(root, '.hotwatch', 'bin', 'app');
  return { root, rootAs, output, file: 'go', args: ['build', '-o', output, '.'], buildEnv: {}, inputs: [] };
}

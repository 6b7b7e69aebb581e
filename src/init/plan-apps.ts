/**
 * `hotwatch init --all` (or "all of them" at the prompt): every main package found becomes an app of one
 * hotwatch (`apps:`), named after its directory. One watcher for all; a change rebuilds only the apps
 * whose packages import what changed (README: "Several apps from one hotwatch").
 */
import path from 'node:path';
import type { ConfigDraft } from './render.js';
import type { RepoFacts } from './inspect.js';

/** What the prompt offers beside the packages, and what --all means. */
export const ALL_AS_APPS = 'all of them, as apps of one hotwatch';

/** An app name from a package path ('./cmd/api' → 'api'; '.' → the root's name), in the config's alphabet. */
export function appName(pkg: string, root: string): string {
  const base = pkg === '.' ? path.basename(root) : path.basename(pkg);
  const name = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return name === '' ? 'app' : name;
}

/** `apps:` with one app per main package; names made unique (api, api-2) in the order found. */
export function planApps(facts: RepoFacts, draft: ConfigDraft, found: string[]): void {
  const apps: Record<string, { package: string }> = {};
  for (const pkg of facts.mains) {
    const base = appName(pkg, facts.root);
    let name = base;
    for (let i = 2; name in apps; i++) name = `${base}-${i}`;
    apps[name] = { package: pkg };
  }
  draft.values.apps = apps;
  draft.notes.apps = [
    `Every main package found runs from this one hotwatch: ${Object.entries(apps)
      .map(([n, a]) => `${n} (${a.package})`)
      .join(
        ', ',
      )}. Each app inherits build: and run: below; set its port, env or args here (apps.NAME.env: { PORT: "8081" }). \`hotwatch run ${Object.keys(apps)[0]}\` runs only that one.`,
  ];
  found.push(`main packages: ${facts.mains.join(', ')} (all of them, as apps)`);
}

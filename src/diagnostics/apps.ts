/**
 * `hotwatch doctor` with apps: (several apps): the toolchain checks of each app (its package, output,
 * port), the machine-wide ones (go found, the module) said once, and a line listing the apps. The watch
 * budget needs no per-app part: one watcher serves all of them.
 */
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import type { AppFact, Check, ToolchainFacts } from './report-schema.js';

/** Checks about the machine and module, the same for every app: said once. */
const SHARED = new Set(['go.found', 'go.module', 'toolchain']);

type Toolchain = (s: Settings) => Promise<{ facts: ToolchainFacts | undefined; checks: Check[] }>;

export async function appsToolchain(
  s: Settings,
  toolchain: Toolchain,
): Promise<{ facts: ToolchainFacts | undefined; checks: Check[]; apps: AppFact[] }> {
  const apps = s.apps ?? [];
  const results = await Promise.all(apps.map((a) => toolchain({ ...s, build: a.build, run: a.run, apps: undefined })));
  const seen = new Set<string>();
  const checks: Check[] = [];
  results.forEach((r, i) => {
    const name = apps[i]!.name;
    for (const c of r.checks) {
      if (SHARED.has(c.id)) {
        if (!seen.has(c.id)) checks.push(c);
        seen.add(c.id);
      } else checks.push({ ...c, id: `${c.id}:${name}`, title: `${name}: ${c.title}` });
    }
  });
  const facts = apps.map((a) => ({
    name: a.name,
    package: a.build.package,
    output: a.build.output,
    ...(a.run.port !== undefined ? { port: a.run.port } : {}),
  }));
  const list = apps.map((a) => `${a.name} (${a.build.package} → ${path.relative(s.root, a.build.output)})`).join(', ');
  checks.unshift({
    id: 'apps',
    title: 'Apps',
    status: 'info',
    detail: `${apps.length} app${apps.length === 1 ? '' : 's'} from one watcher: ${list}; the watch budget is for all of them together`,
  });
  return { facts: results[0]?.facts, checks, apps: facts };
}

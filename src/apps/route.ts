/**
 * Which apps a batch concerns (pure): the watcher and the pipeline serve all apps together, and each
 * batch is split here, after debouncing, by what each app's build reads.
 *   - go.mod, go.sum, go.work: every app (the module graph changed);
 *   - a .go file: the apps whose build imports its directory's package (go list -deps, deps.ts);
 *   - an env file: the apps that load it (run.envFiles, apps.NAME.envFiles);
 *   - another file: the apps whose `include` globs match it, else the apps that import the package of
 *     the nearest directory above it (a template next to the code that embeds it), else every app: a
 *     top-level templates/ the apps read at run time belongs to no package (a single app restarts for it,
 *     so each app does; sent nowhere, its edit was silently never served);
 *   - a .go file no app imports goes to no app: nothing rebuilds, and the reason is logged at debug.
 * With dependencies unknown (go list failed), or a rescan, every app gets the whole batch: never a
 * missed build.
 */
import path from 'node:path';
import picomatch from 'picomatch';
import type { Batch } from '../pipeline/events.js';

export const MODULE_FILES = new Set(['go.mod', 'go.sum', 'go.work', 'go.work.sum']);

export interface RoutedApp {
  name: string;
  /** Matches a path relative to the root (apps.NAME.include). */
  includes: (rel: string) => boolean;
  envFiles: ReadonlySet<string>;
}

export interface Routing {
  /** The batch for each app that has something to do, in the apps' order. */
  batches: Map<string, Batch>;
  /** Files no app reads, with why (logged at debug). */
  unrouted: string[];
  /** Every app got the whole batch, and why; undefined when split. */
  all?: string;
}

export function routedApp(name: string, include: readonly string[], envFiles: readonly string[]): RoutedApp {
  const match = include.length > 0 ? picomatch([...include], { dot: true }) : () => false;
  return { name, includes: (rel) => match(rel), envFiles: new Set(envFiles) };
}

/** True when the batch names a file that can change what a package imports (a .go file, a module file). */
export function touchesImports(batch: Batch): boolean {
  return batch.paths.some((p) => p.endsWith('.go') || MODULE_FILES.has(path.basename(p)));
}

/** Splits `batch` among `apps`; `deps`: each app's package directories, undefined when not known. */
export function routeBatch(
  batch: Batch,
  root: string,
  apps: readonly RoutedApp[],
  deps: ReadonlyMap<string, ReadonlySet<string>> | undefined,
): Routing {
  const everyone = (why: string): Routing => ({ batches: new Map(apps.map((a) => [a.name, batch])), unrouted: [], all: why });
  if (batch.paths.length === 0) return everyone(batch.rescanReasons.join('; ') || 'a build of everything');
  if (batch.rescanReasons.length > 0) return everyone(`rescan: ${batch.rescanReasons.join('; ')}`);
  if (deps === undefined) return everyone('the packages each app imports are not known');
  const paths = new Map<string, string[]>(apps.map((a) => [a.name, []]));
  const unrouted: string[] = [];
  for (const p of batch.paths) {
    const to = appsFor(p, root, apps, deps);
    if (to.length === 0) unrouted.push(p);
    for (const name of to) paths.get(name)!.push(p);
  }
  const batches = new Map<string, Batch>();
  for (const [name, ps] of paths) if (ps.length > 0) batches.set(name, { ...batch, paths: ps });
  return { batches, unrouted };
}

function appsFor(p: string, root: string, apps: readonly RoutedApp[], deps: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  if (MODULE_FILES.has(path.basename(p))) return apps.map((a) => a.name);
  const dir = path.dirname(p);
  if (p.endsWith('.go')) return apps.filter((a) => deps.get(a.name)?.has(dir)).map((a) => a.name);
  const rel = path.relative(root, p).split(path.sep).join('/');
  const named = apps.filter((a) => a.envFiles.has(p) || a.includes(rel)).map((a) => a.name);
  if (named.length > 0) return named;
  // The nearest package directory above the file, inside the root: the package that may embed or read it.
  for (let d = dir; d === root || d.startsWith(root + path.sep); d = path.dirname(d)) {
    const readers = apps.filter((a) => deps.get(a.name)?.has(d)).map((a) => a.name);
    if (readers.length > 0) return readers;
    if (d === root) break;
  }
  return apps.map((a) => a.name);
}

/**
 * What `hotwatch init` knows about a repo before it writes anything: the project kind (module or
 * workspace), its main packages in the order they are offered, embedded files, template and static
 * directories, frontends, and the files it may change or convert (.air.toml, .gitignore).
 */
import fs from 'node:fs';
import { firstBadLine } from '../config/envfile.js';
import path from 'node:path';
import { projectKind, type ProjectKind } from './gowork.js';
import { walkTree, type TreeFacts } from './walk.js';
import { readRegularTextSync } from '../os/regular-file.js';

export interface RepoFacts extends TreeFacts {
  root: string;
  project: ProjectKind;
  /** Template extensions found in the template directories that the default extensions miss ('gohtml'). */
  templateExtensions: string[];
  airToml: boolean;
  gitignore: boolean;
  /** A `.env` at the root: 'ok' when every line is KEY=VALUE (run.envFiles takes it), else the first bad line's number. */
  dotenv: 'ok' | number | undefined;
  /** go.mod names templ as a tool (`tool github.com/a-h/templ/cmd/templ`): `go tool templ` runs it. */
  templTool: boolean;
}

/** File extensions that hold templates; one found in a template directory is added to watch.extensions. */
const TEMPLATE_EXTENSIONS = new Set([
  'gohtml',
  'gotmpl',
  'tmpl',
  'tpl',
  'html',
  'htm',
  'jet',
  'hbs',
  'mustache',
  'pug',
  'amber',
  'ace',
  'liquid',
  'django',
]);
const MAX_TEMPLATE_FILES = 500;

/** Extensions (lower case, no dot) of the files under `dir`, at most MAX_TEMPLATE_FILES looked at. */
function extensionsUnder(dir: string): Set<string> {
  const found = new Set<string>();
  let seen = 0;
  const visit = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (seen++ > MAX_TEMPLATE_FILES) return;
      if (e.isDirectory() && !e.name.startsWith('.')) visit(path.join(d, e.name));
      else if (e.isFile() && path.extname(e.name)) found.add(path.extname(e.name).slice(1).toLowerCase());
    }
  };
  visit(dir);
  return found;
}

const under = (rel: string, dir: string): boolean => dir !== '' && (rel === dir || rel.startsWith(`${dir}/`));

/** Where a main package stands in the list offered: the root, then a workspace module's root, then cmd/*, then the rest. */
function mainRank(p: string, moduleRoots: readonly string[]): number {
  if (p === '.') return 0;
  if (moduleRoots.includes(p)) return 1;
  const inCmd = (m: string): boolean => p.startsWith(`${m}/cmd/`) && !p.slice(m.length + 5).includes('/');
  if (moduleRoots.some(inCmd)) return 2;
  return 3;
}

export function sortMains(mains: readonly string[], moduleRoots: readonly string[]): string[] {
  const depth = (p: string): number => p.split('/').length;
  return [...mains].sort(
    (a, b) => mainRank(a, moduleRoots) - mainRank(b, moduleRoots) || depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0),
  );
}

export function inspectRepo(root: string, defaultExtensions: readonly string[]): RepoFacts {
  const project = projectKind(root);
  const modules = project.kind === 'workspace' ? project.uses : ['.'];
  const tree = walkTree(
    root,
    modules.map((m) => path.resolve(root, m)),
  );
  const inFrontend = (rel: string): boolean => tree.frontends.some((f) => under(rel, f));
  const holdsGo = (rel: string): boolean => tree.goDirs.includes(rel);
  // A Go package named template or assets is code, not templates or assets.
  const templateDirs = tree.templateDirs.filter((d) => !inFrontend(d) && !holdsGo(d));
  const known = new Set(defaultExtensions.map((e) => e.replace(/^\./, '').toLowerCase()));
  const templateExtensions = new Set<string>();
  for (const d of templateDirs) {
    for (const ext of extensionsUnder(path.join(root, d))) if (TEMPLATE_EXTENSIONS.has(ext) && !known.has(ext)) templateExtensions.add(ext);
  }
  return {
    ...tree,
    root,
    project,
    mains: sortMains(tree.mains, modules),
    templateDirs,
    staticDirs: tree.staticDirs.filter((d) => !inFrontend(d) && !holdsGo(d)),
    templateExtensions: [...templateExtensions].sort(),
    airToml: fs.existsSync(path.join(root, '.air.toml')),
    dotenv: dotenvAt(root),
    templTool: templAsTool(root),
    gitignore: fs.existsSync(path.join(root, '.gitignore')),
  };
}

/** The root's `.env`: absent (or not a regular file), fine, or the number of its first line run.envFiles would refuse. */
function dotenvAt(root: string): RepoFacts['dotenv'] {
  try {
    const file = path.join(root, '.env');
    if (!fs.lstatSync(file).isFile()) return undefined;
    const bad = firstBadLine(readRegularTextSync(file));
    return bad === 0 ? 'ok' : bad;
  } catch {
    return undefined;
  }
}

/** Whether the root's go.mod names templ as a tool (Go 1.24's `tool` directive, one line or a block). */
function templAsTool(root: string): boolean {
  try {
    return /^\s*(tool\s+|\t)github\.com\/a-h\/templ\/cmd\/templ\s*$/m.test(fs.readFileSync(path.join(root, 'go.mod'), 'utf8'));
  } catch {
    return false;
  }
}

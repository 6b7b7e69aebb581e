/**
 * From what `hotwatch init` found in the repo to the values of the config it writes, each with the
 * reason as a comment. Only what differs from the defaults is set; the defaults come from the schema.
 */
import picomatch from 'picomatch';
import { globProblem } from '../config/glob.js';
import { LIST_DEFAULTS } from '../config/lists.js';
import { PROXY_RELOAD_ONLY, PROXY_RESTART_ONLY } from '../config/schema.js';
import type { ConfigDraft } from './render.js';
import type { RepoFacts } from './inspect.js';
import { ALL_AS_APPS, planApps } from './plan-apps.js';

const under = (glob: string, dir: string): boolean => glob === dir || glob.startsWith(`${dir}/`);
const list = (xs: readonly string[]): string => xs.join(', ');

/**
 * Whether an embed glob takes in the directory `dir`: a glob under it (`web/static/**`), or one matching
 * it or a directory above it (`skel/*` embeds `skel/assets` whole: a matched directory is embedded with
 * everything in it).
 */
function embedsDir(glob: string, dir: string): boolean {
  if (under(glob, dir)) return true;
  const matches = picomatch(glob.replace(/\/\*\*$/, ''), { dot: true });
  const parts = dir.split('/');
  return parts.some((_, i) => matches(parts.slice(0, i + 1).join('/')));
}

function planBuild(facts: RepoFacts, main: string, draft: ConfigDraft, found: string[]): void {
  const others = facts.mains.filter((m) => m !== main);
  const p = facts.project;
  // build.package, never a build.cmd, at a workspace root too: with a package hotwatch asks go what the
  // build compiles and embeds (a workspace module in a git-ignored directory, a file ../shared embeds);
  // with a command it cannot, and those edits were not served.
  const key = 'build.package';
  const notes: string[] = [];
  if (main !== '.') draft.values['build.package'] = main;
  if (p.kind === 'workspace' && !p.rootModule) {
    notes.push(
      `This is a go.work workspace (${list(p.uses)}) without a go.mod at its root: go builds the main package from the workspace root, so every module of the workspace is watched and a change to any of them rebuilds.`,
    );
    found.push(`Go workspace: go.work (${list(p.uses)})${p.missing.length ? `; listed but missing: ${list(p.missing)}` : ''}`);
  } else found.push(p.kind === 'workspace' ? `Go workspace: go.work (${list(p.uses)}) with a go.mod at the root` : 'Go module: go.mod');
  found.push(`main package: ${main}${others.length ? ` (others: ${list(others)})` : ''}`);
  if (others.length > 0) {
    notes.push(
      `Other main packages here: ${list(others)}. To work on another, run \`hotwatch init --main ${others[0]} --force\`, or edit the package here (build.package: ${others[0]}); to run them all from one hotwatch (one watcher, apps:), \`hotwatch init --all --force\`.`,
    );
  }
  if (notes.length) draft.notes[key] = notes;
}

/** The watch lists extend their defaults (config/lists.ts): only what init adds is written. */
function planWatch(facts: RepoFacts, draft: ConfigDraft, found: string[]): void {
  const exclude: string[] = [];
  const include: string[] = [];
  const excludeNotes: string[] = [];
  for (const f of facts.frontends) {
    if (f === '') {
      found.push('frontend: at the root (its node_modules is never watched: watch.excludeDirs)');
      continue;
    }
    const embedded = facts.embeds.filter((e) => under(e.glob, f));
    const code = facts.goDirs.find((d) => under(d, f));
    if (code !== undefined) {
      excludeNotes.push(
        `${f}/ has a package.json or node_modules but also Go code (${code}): it stays watched (its node_modules never is).`,
      );
      found.push(`frontend: ${f} (kept watched: it holds Go code too)`);
    } else if (embedded.length > 0) {
      excludeNotes.push(
        `${f}/ holds a frontend, but ${embedded[0]!.from} embeds ${embedded[0]!.glob}: ${f}/ stays watched so a new frontend build rebuilds the app (its node_modules never is). Exclude its sources (e.g. "${f}/src/**") if their edits rebuild needlessly.`,
      );
      found.push(`frontend: ${f} (kept watched: embedded by ${embedded[0]!.from})`);
    } else {
      exclude.push(`${f}/**`);
      excludeNotes.push(`${f}/ is a frontend: its edits never need a Go rebuild, and it is never descended.`);
      found.push(`frontend: ${f} (excluded: watch.exclude)`);
    }
  }
  const embeds = facts.embeds.filter((e) => !globProblem(e.glob) && !LIST_DEFAULTS.include.includes(e.glob));
  for (const e of embeds) if (!include.includes(e.glob)) include.push(e.glob);
  if (embeds.length > 0) {
    draft.values['watch.include'] = include;
    draft.notes['watch.include'] = [
      `Embedded into the binary by //go:embed (${list([...new Set(embeds.map((e) => e.from))])}): a change to them needs a rebuild.`,
    ];
  }
  if (exclude.length > 0) draft.values['watch.exclude'] = exclude;
  if (excludeNotes.length) draft.notes['watch.exclude'] = excludeNotes;
  if (facts.templateExtensions.length > 0) {
    draft.values['watch.extensions'] = facts.templateExtensions;
    draft.notes['watch.extensions'] = [
      `${list(facts.templateExtensions.map((e) => `.${e}`))} found in ${list(facts.templateDirs)}: templates are read when the app starts, so a change restarts it.`,
    ];
  }
  for (const t of facts.templateDirs) found.push(`templates: ${t}`);
  for (const s of facts.staticDirs) {
    const embedded = facts.embeds.some((e) => embedsDir(e.glob, s));
    found.push(
      `static assets: ${s} (${embedded ? 'embedded: watched through watch.include' : 'not embedded: served from disk, a change needs no rebuild'})`,
    );
  }
  planProxyLists(facts, draft);
}

/**
 * Template and static directories the proxy's default lists do not reach (`ui/html`, `ui/static` of a
 * cmd/web layout), added to them: else behind the proxy a CSS edit there reloaded no page, said nothing,
 * and a template edit took a build. Embedded ones build (the binary holds them): not listed.
 */
function planProxyLists(facts: RepoFacts, draft: ConfigDraft): void {
  const lists = [
    {
      key: 'proxy.restartOnly',
      defaults: PROXY_RESTART_ONLY,
      dirs: facts.templateDirs,
      what: 'read by the app at run time: an edit restarts it, no build',
    },
    {
      key: 'proxy.reloadOnly',
      defaults: PROXY_RELOAD_ONLY,
      dirs: facts.staticDirs,
      what: 'served from disk: an edit only reloads the pages',
    },
  ];
  for (const l of lists) {
    const reached = picomatch(l.defaults, { dot: true });
    const added = l.dirs.filter((d) => !reached(`${d}/x`) && !facts.embeds.some((e) => embedsDir(e.glob, d))).map((d) => `${d}/**`);
    if (added.length === 0) continue;
    draft.values[l.key] = [...l.defaults, ...added];
    draft.notes[l.key] = [
      `${list(added)} added to the defaults (${list(l.defaults)}): ${l.what} (with the proxy on: --proxy-port or proxy.port).`,
    ];
  }
}

/**
 * Code generators the tree uses, as build steps: an edit of a `.templ` or `.sql` file runs the generator
 * before the build (it wrote nothing, no log line said why). templ as a go.mod tool (`go get -tool`) runs
 * with `go tool templ`, else from PATH; a step whose program is missing is refused at start, with the fix.
 */
function planGenerators(facts: RepoFacts, draft: ConfigDraft, found: string[]): void {
  const steps: Array<{ run: string[]; files: string[] }> = [];
  const notes: string[] = [];
  if (facts.generators.templ) {
    const run = facts.templTool ? ['go', 'tool', 'templ', 'generate'] : ['templ', 'generate'];
    steps.push({ run, files: ['**/*.templ'] });
    notes.push(
      `templ: *.templ files were found; an edit of one runs \`${run.join(' ')}\` before the build (what it writes does not trigger another).${facts.templTool ? '' : ' templ must be on PATH (go install github.com/a-h/templ/cmd/templ@latest), or add it as a tool (go get -tool github.com/a-h/templ/cmd/templ) and run [go, tool, templ, generate].'}`,
    );
    found.push(`templ: *.templ files → a build step: ${run.join(' ')}`);
  }
  if (facts.generators.sqlc) {
    steps.push({ run: ['sqlc', 'generate', '-f', facts.generators.sqlc], files: ['**/*.sql', facts.generators.sqlc] });
    notes.push(
      `sqlc: ${facts.generators.sqlc} was found; an edit of a .sql file or of it runs sqlc generate before the build (sqlc must be on PATH).`,
    );
    found.push(`sqlc: ${facts.generators.sqlc} → a build step: sqlc generate`);
  }
  if (steps.length === 0) return;
  draft.values['build.steps'] = steps;
  draft.notes['build.steps'] = notes;
}

/** The draft for `main`, and the lines saying what was found (for the header and the terminal). */
/**
 * A `.env` at the root: pointed at, not set. Set, it would give the app its variables and restart it on an
 * edit, but it is usually git-ignored while this file is committed (a clone without it could not start),
 * its values would override the shell's, and `${VAR}` in it is not expanded (godotenv does both the other
 * way): the person decides, with what it does said beside the key.
 */
function planDotenv(facts: RepoFacts, draft: ConfigDraft, found: string[]): void {
  if (facts.dotenv === undefined) return;
  if (facts.dotenv !== 'ok') {
    found.push(`.env: not suggested (line ${facts.dotenv} is not KEY=VALUE, which run.envFiles refuses)`);
    return;
  }
  draft.notes['run.envFiles'] = [
    'A .env is at the root. `envFiles: [.env]` gives the app its variables at each start and restarts it when the file changes; ' +
      "its values override the shell's, ${VAR} in it is not expanded, and a checkout without the file cannot start (it is usually git-ignored).",
  ];
  found.push('.env: found; run.envFiles: [.env] would give it to the app and restart the app on its edits (see the comment there)');
}

export function planFromRepo(facts: RepoFacts, main: string): { draft: ConfigDraft; found: string[] } {
  const draft: ConfigDraft = { values: {}, notes: {}, header: [] };
  const found: string[] = [];
  if (main === ALL_AS_APPS) planApps(facts, draft, found);
  else planBuild(facts, main, draft, found);
  planWatch(facts, draft, found);
  planGenerators(facts, draft, found);
  planDotenv(facts, draft, found);
  if (facts.airToml) found.push('.air.toml: not used; `hotwatch init --from-air --force` converts it instead');
  if (!facts.complete) found.push('(the repo is large: the search stopped after its first 5,000 directories)');
  draft.header = [
    'hotwatch configuration, written by `hotwatch init` from what it found here:',
    ...found.map((f) => `- ${f}`),
    'Every key shows its description and, commented out, its default; only the keys init set are active. Durations are strings with a unit ("300ms", "5s").',
  ];
  return { draft, found };
}

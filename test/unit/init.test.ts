/**
 * The pieces of `hotwatch init` below the command: the config rendered from the schema (so it cannot
 * drift from it), the .gitignore entry, the schema reference, go.work and //go:embed parsing, the walk
 * for main packages, and the numbered question.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_FILE } from '../../src/config/emit-schema.js';
import { parseConfigText } from '../../src/config/parse-config.js';
import { ConfigSchema, PROXY_RELOAD_ONLY, PROXY_RESTART_ONLY } from '../../src/config/schema.js';
import { allSchemaPaths } from '../../src/config/schema-keys.js';
import { ensureGitignored } from '../../src/init/gitignore.js';
import { parseGoWorkUses } from '../../src/init/gowork.js';
import { inspectRepo, sortMains } from '../../src/init/inspect.js';
import { planFromRepo } from '../../src/init/plan.js';
import { askChoice } from '../../src/init/prompt.js';
import { renderConfig, type ConfigDraft } from '../../src/init/render.js';
import { schemaRef } from '../../src/init/schema-ref.js';
import { embedPatterns, walkTree } from '../../src/init/walk.js';
import { validateConfigJson } from '../helpers/config-json-schema.js';
import { REPO } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';

const tmps: Array<{ cleanup: () => void }> = [];
afterEach(() => {
  for (const t of tmps.splice(0)) t.cleanup();
});
const tmpDir = (files: Record<string, string> = {}): string => {
  const t = makeTmpDir('hotwatch-init-unit-');
  tmps.push(t);
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(t.dir, p)), { recursive: true });
    fs.writeFileSync(path.join(t.dir, p), text);
  }
  return t.dir;
};
const draft = (values: Record<string, unknown> = {}): ConfigDraft => ({ values, notes: {}, header: ['test'] });

/**
 * Dotted keys of a rendered file with nothing set: a section header is `# watch:` alone, a top-level key
 * `# root: .`, a key of a commented-out section `#   include: [...]` (descriptions are `  # ...`).
 */
function commentedKeys(text: string): string[] {
  const out: string[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^# ([A-Za-z$][A-Za-z0-9]*):$/.exec(line);
    const top = /^# ([A-Za-z$][A-Za-z0-9]*): \S/.exec(line);
    const nested = /^# {3}([A-Za-z][A-Za-z0-9]*):(\s|$)/.exec(line);
    if (header) section = header[1]!;
    else if (top) out.push(top[1]!);
    else if (nested) out.push(`${section}.${nested[1]}`);
  }
  return out;
}

describe('the config rendered from the schema', () => {
  it('with nothing set: every schema key once, all commented out, parsing to exactly the defaults', () => {
    const text = renderConfig(draft(), './s.json');
    const expected = allSchemaPaths().filter((p) => p !== '$schema');
    expect(commentedKeys(text).sort()).toEqual(expected.filter((p) => p.includes('.') || p === 'root').sort());
    expect(text.split('\n').filter((l) => /^[A-Za-z]/.test(l))).toEqual([]); // nothing active
    expect(parseConfigText(text, 'w.yaml').config).toEqual(ConfigSchema.parse({}));
    expect(parseYaml(text)).toBeNull();
  });

  it('a value set is active and reaches the config; a value equal to the default is shown commented', () => {
    const text = renderConfig(draft({ 'build.package': './cmd/api', 'watch.exclude': [], 'run.env': { A: 'b c' } }), './s.json');
    expect(text).toMatch(/^build:\n(?: {2}#.*\n)* {2}package: \.\/cmd\/api$/m);
    expect(text).toMatch(/^# {3}exclude: \[\]$/m);
    expect(text).toMatch(/^# watch:$/m);
    const { config } = parseConfigText(text, 'w.yaml');
    expect([config.build.package, config.run.env]).toEqual(['./cmd/api', { A: 'b c' }]);
    expect(validateConfigJson(parseYaml(text))).toEqual([]);
  });

  it('a commented-out section is valid once its lines lose their "# "', () => {
    const text = renderConfig(draft({ 'build.package': './x' }), './s.json');
    const lines = text.split('\n');
    const start = lines.indexOf('# run:');
    const end = lines.findIndex((l, i) => i > start && l === '');
    const uncommented = lines
      .slice(start, end)
      .map((l) => l.replace(/^# /, ''))
      .join('\n');
    expect(parseConfigText(uncommented, 'w.yaml').config.run).toEqual(ConfigSchema.parse({}).run);
  });

  it('a value or note for a key the schema does not have is an internal error, not a dropped line', () => {
    expect(() => renderConfig(draft({ 'build.pkg': '.' }), './s.json')).toThrow(/the config schema has no key build\.pkg/);
  });
});

describe('.gitignore', () => {
  it.each([
    ['missing', undefined, "# hotwatch's state and build output\n.hotwatch/\n", 'created'],
    ['without a final newline', 'bin/', 'bin/\n.hotwatch/\n', 'added'],
    ['already ignoring it', 'x\n/.hotwatch\n', 'x\n/.hotwatch\n', 'present'],
    ['ignoring only a file inside', '.hotwatch/state.json\n', '.hotwatch/state.json\n.hotwatch/\n', 'added'],
  ])('%s', (_, before, after, change) => {
    const dir = tmpDir(before === undefined ? {} : { '.gitignore': before });
    expect(ensureGitignored(dir).change).toBe(change);
    expect(ensureGitignored(dir).change).toBe('present');
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe(after);
  });
});

describe('the schema reference', () => {
  it("relative through the repo's node_modules (a symlink too), the absolute installed file otherwise", () => {
    const dir = tmpDir();
    expect(schemaRef(dir)).toBe(fs.realpathSync(SCHEMA_FILE));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(REPO, path.join(dir, 'node_modules/hotwatch'));
    expect(schemaRef(dir)).toBe('./node_modules/hotwatch/schema/watcher.config.schema.json');
    expect(schemaRef(REPO)).toBe('./schema/watcher.config.schema.json');
  });
});

describe('repo facts', () => {
  it('go.work use directives, single and in a block, comments and quotes removed', () => {
    expect(parseGoWorkUses('go 1.22\n\nuse ./tools // dev only\nuse (\n\t./app\n\t"./lib"\n\t// ./old\n)\n')).toEqual([
      './tools',
      './app',
      './lib',
    ]);
  });

  it('//go:embed patterns: several per line, quoted ones, all: prefixes', () => {
    expect(embedPatterns('package web\n\n//go:embed static/* "my files/a.txt"\n//go:embed all:templates\nvar fs embed.FS\n')).toEqual([
      'static/*',
      'my files/a.txt',
      'templates',
    ]);
  });

  it('main packages: //go:build ignore programs, programs for another system and nested modules skipped, the root and cmd/* first', () => {
    const main = 'package main\n\nfunc main() {}\n';
    const dir = tmpDir({
      'go.mod': 'module x\n',
      'main.go': main,
      'server/main.go': main,
      'cmd/b/main.go': main,
      'cmd/a/main.go': main,
      'internal/gen/gen.go': `//go:build ignore\n\n${main}`,
      'internal/gen/lib.go': 'package gen\n',
      // A program for another system: not one to run here (go's build constraints exclude all its files).
      'cmd/winsvc/main.go': `//go:build windows\n\n${main}`,
      'cmd/winsvc/svc_windows.go': 'package main\n',
      'tools/go.mod': 'module tools\n',
      'tools/main.go': main,
      'web/static/x.css': '',
    });
    const facts = walkTree(dir);
    expect(sortMains(facts.mains, ['.'])).toEqual(['.', './cmd/a', './cmd/b', './server']);
    expect(facts.nestedMains).toEqual(['./tools']); // a module of its own: named in the fix, not built from here
    expect(facts.staticDirs).toEqual(['web/static']);
  });

  it('the numbered question: Enter takes the first, a wrong answer asks again, end of input is no answer', async () => {
    const ask = async (input: string) => {
      const inp = new PassThrough();
      const out = new PassThrough();
      let shown = '';
      out.on('data', (d) => (shown += d));
      inp.end(input);
      return { picked: await askChoice('Which?', ['./a', './b'], inp, out), shown };
    };
    expect((await ask('\n')).picked).toBe('./a');
    const again = await ask('x\n2\n');
    expect(again.picked).toBe('./b');
    expect(again.shown).toBe('Which?\n  1) ./a\n  2) ./b\nNumber [1]: "x" is not one of 1-2.\nNumber [1]: ');
    expect((await ask('')).picked).toBeUndefined();
    expect((await ask('9\n9\n9\n1\n')).picked).toBeUndefined();
  });
});

describe('what init plans from the repo', () => {
  const plan = (files: Record<string, string>) => {
    const defaults = ConfigSchema.parse({});
    return planFromRepo(inspectRepo(tmpDir(files), defaults.watch.extensions), '.');
  };
  const main = 'package main\n\nfunc main() {}\n';

  it('a .env at the root is pointed at, not set (usually git-ignored: a clone without it could not start); one run.envFiles would refuse is not suggested', () => {
    const good = plan({ 'go.mod': 'module x\n', 'main.go': main, '.env': '# local\nexport DB_URL=postgres://x\nPORT=8080\n' });
    expect(good.draft.values['run.envFiles']).toBeUndefined();
    expect(good.draft.notes['run.envFiles']?.[0]).toMatch(/^A \.env is at the root\. `envFiles: \[\.env\]` gives the app its variables/);
    expect(good.found.some((f) => f.startsWith('.env: found; run.envFiles: [.env] would give it to the app'))).toBe(true);
    const bad = plan({ 'go.mod': 'module x\n', 'main.go': main, '.env': 'A=1\nnot a pair\n' });
    expect(bad.draft.notes['run.envFiles']).toBeUndefined();
    expect(bad.found).toContain('.env: not suggested (line 2 is not KEY=VALUE, which run.envFiles refuses)');
  });

  it("a static directory embedded through a glob of its parent (skel/*, hugo's shape) is said to be embedded; one not embedded is served from disk", () => {
    const { found } = plan({
      'go.mod': 'module x\n',
      'main.go': `package main\n\nimport "embed"\n\n//go:embed skel/*\nvar skel embed.FS\n\nfunc main() { _ = skel }\n`,
      'skel/assets/app.css': '',
      'public/static/x.css': '',
    });
    expect(found).toContain('static assets: skel/assets (embedded: watched through watch.include)');
    expect(found).toContain('static assets: public/static (not embedded: served from disk, a change needs no rebuild)');
  });

  it('templ and sqlc: build steps that run them when their inputs change (templ as a go.mod tool through go tool); a valid config', () => {
    const { draft, found } = plan({
      'go.mod': 'module x\n\ngo 1.24\n\ntool github.com/a-h/templ/cmd/templ\n',
      'main.go': main,
      'views/page.templ': 'package views\n',
      'views/page_templ.go': '// Code generated by templ\npackage views\n',
      'db/sqlc.yaml': 'version: "2"\n',
      'db/query.sql': '-- name: X :one\n',
    });
    expect(draft.values['build.steps']).toEqual([
      { run: ['go', 'tool', 'templ', 'generate'], files: ['**/*.templ'] },
      { run: ['sqlc', 'generate', '-f', 'db/sqlc.yaml'], files: ['**/*.sql', 'db/sqlc.yaml'] },
    ]);
    expect(found).toContain('templ: *.templ files → a build step: go tool templ generate');
    expect(ConfigSchema.safeParse({ build: { steps: draft.values['build.steps'] } }).success).toBe(true);
    const fromPath = plan({ 'go.mod': 'module x\n', 'main.go': main, 'page.templ': 'package main\n' });
    expect(fromPath.draft.values['build.steps']).toEqual([{ run: ['templ', 'generate'], files: ['**/*.templ'] }]);
    expect(fromPath.draft.notes['build.steps']?.[0]).toMatch(
      /templ must be on PATH \(go install github\.com\/a-h\/templ\/cmd\/templ@latest\)/,
    );
    expect(plan({ 'go.mod': 'module x\n', 'main.go': main }).draft.values['build.steps']).toBeUndefined();
  });

  it("cmd/web with ui/html and ui/static (Let's Go): the proxy's lists reach them, added to their defaults; a valid config that parses to them", () => {
    const { draft, found } = plan({
      'go.mod': 'module x\n',
      'cmd/web/main.go': main,
      'ui/html/base.tmpl': '{{define "base"}}{{end}}\n',
      'ui/static/css/main.css': 'h1{}\n',
      'static/app.js': '',
    });
    expect(found).toContain('templates: ui/html');
    expect(draft.values['proxy.reloadOnly']).toEqual([...PROXY_RELOAD_ONLY, 'ui/static/**']);
    expect(draft.values['proxy.restartOnly']).toEqual([...PROXY_RESTART_ONLY, 'ui/html/**']);
    const parsed = parseConfigText(renderConfig(draft, './s.json'), 'watcher.config.yaml').config;
    expect(parsed.proxy.reloadOnly).toContain('ui/static/**');
    expect(parsed.proxy.restartOnly).toContain('ui/html/**');
    // Reached by the defaults already (static/): nothing written.
    expect(plan({ 'go.mod': 'module x\n', 'main.go': main, 'static/app.css': '' }).draft.values['proxy.reloadOnly']).toBeUndefined();
  });

  it('a frontend holding Go code stays watched; a Go package named template is not a template directory', () => {
    const { draft, found } = plan({
      'go.mod': 'module x\n',
      'main.go': main,
      'web/package.json': '{}',
      'web/handlers.go': 'package web\n',
      'internal/template/t.go': 'package template\n',
      'internal/template/x.gohtml': '',
    });
    expect(draft.values['watch.exclude']).toBeUndefined();
    expect(draft.values['watch.extensions']).toBeUndefined();
    expect(found).toContain('frontend: web (kept watched: it holds Go code too)');
    expect(found.some((f) => f.startsWith('templates:'))).toBe(false);
  });

  it('a frontend whose build the Go code embeds stays watched; a plain one is excluded; embedded files are included', () => {
    const { draft, found } = plan({
      'go.mod': 'module x\n',
      'main.go': `${main}\n//go:embed ui/dist\nvar dist embed.FS\n`,
      'ui/package.json': '{}',
      'ui/dist/index.html': '',
      'admin/node_modules/x/i.js': '',
      'templates/page.gohtml': '',
    });
    // The watch lists extend their defaults: only the additions are written.
    expect(draft.values['watch.exclude']).toEqual(['admin/**']);
    expect(draft.values['watch.include']).toEqual(['ui/dist/**']);
    expect(draft.values['watch.extensions']).toEqual(['gohtml']);
    expect(found).toContain('frontend: ui (kept watched: embedded by main.go)');
  });
});

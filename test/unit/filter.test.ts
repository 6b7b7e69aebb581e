import { describe, expect, it } from 'vitest';
import picomatch from 'picomatch';
import { createFilter, matcher } from '../../src/watch/tree/filter.js';
import { REPO_ROOT, repoWatchSettings } from '../helpers/watch-settings.js';

const ROOT = REPO_ROOT;
const settings = repoWatchSettings;
const abs = (rel: string) => (rel === '' ? ROOT : `${ROOT}/${rel}`);

describe('createFilter: files', () => {
  const f = createFilter(settings());
  it.each([
    ['main.go', true],
    ['internal/api/handler.go', true],
    ['web/index.html', true],
    ['web/page.tmpl', true],
    ['go.mod', true],
    ['go.sum', true],
    ['sub/go.mod', false], // include globs are relative to root
    ['README.md', false],
    ['main_test.go', false],
    ['internal/api/handler_test.go', false],
    ['main.go~', false],
    ['.main.go.swp', false],
    ['.#main.go', false], // Emacs's lock file (a dangling symlink): go ignores '.' names anyway
    ['web/.#index.html', false],
    ['_scratch.go', false], // go ignores '_' names
    ['web/_partial.html', true], // only .go files: a template may be named so
    ['MAIN.GO', true], // extension match is case-insensitive
    ['node_modules/x/index.go', false],
    ['vendor/github.com/x/y.go', false],
    ['a/testdata/fixture.go', false],
    ['.git/HEAD', false],
    ['.hotwatch/sentinel.go', false],
    ['.hotwatch/bin/app', false],
    ['tmp/main.go', false],
    ['.hidden/x.go', true],
  ])('%s → %s', (rel, want) => {
    expect(f.isRelevantFile(abs(rel))).toBe(want);
  });

  it('editors’ own files are never relevant, whatever glob includes them (templates/** behind the proxy)', () => {
    const g = createFilter(settings({ include: ['go.mod', 'go.sum', 'templates/**', 'static/**'] }));
    for (const name of [
      '.index.tmpl.swp',
      '.index.tmpl.swx',
      '4913',
      '5036',
      'index.tmpl~',
      '#index.tmpl#',
      '.#index.tmpl',
      'index.tmpl___jb_tmp___',
      'index.tmpl___jb_old___',
      '.goutputstream-AB12CD',
      'sedJiNEYg',
    ])
      expect(g.isRelevantFile(abs(`templates/${name}`)), name).toBe(false);
    for (const name of ['index.tmpl', 'app.css', 'logo.svg', '4914', 'sediment.txt', 'sed.txt', '2024', 'notes~draft.md'])
      expect(g.isRelevantFile(abs(`static/${name}`)), name).toBe(true);
  });

  it('rejects paths outside the root and the root itself', () => {
    expect(f.isRelevantFile('/other/main.go')).toBe(false);
    expect(f.isRelevantFile('/repository/main.go')).toBe(false);
    expect(f.isRelevantFile(ROOT)).toBe(false);
  });

  it('paths spelled unnormalized under the root get the verdict of their normalized form', () => {
    // The walk's normalized paths take a fast path (sliced, not resolved): these must not.
    expect(f.relative('/repo/a//b.go')).toBe('a/b.go');
    expect(f.relative('/repo/./a/b.go')).toBe('a/b.go');
    expect(f.relative('/repo/x/../a/b.go')).toBe('a/b.go');
    expect(f.relative('/repo/a/')).toBe('a');
    expect(f.relative('/repo/..')).toBeUndefined();
    expect(f.relative('/repo/../repo2/a.go')).toBeUndefined();
    expect(f.isRelevantFile('/repo/vendor/../main.go')).toBe(true);
    expect(f.isRelevantFile('/repo/vendor//x.go')).toBe(false);
    expect(f.isExcludedDir('/repo/a/../vendor')).toBe(true);
    expect(f.relative('/repo2/a.go')).toBeUndefined();
  });

  it('with no include globs, only the extension can make a file relevant', () => {
    const g = createFilter(settings({ include: [] }));
    expect(g.isRelevantFile(abs('go.mod'))).toBe(false);
    expect(g.isRelevantFile(abs('a/b.go'))).toBe(true);
    expect(g.isRelevantFile(abs('a/B.GO'))).toBe(true);
    expect(g.isRelevantFile(abs('a/b_test.go'))).toBe(false);
  });

  it('an extension is compared case-insensitively, a dot file has none, only the last one counts', () => {
    const f = createFilter(settings({ extensions: ['go', '.TMPL', '.'] }));
    for (const [rel, want] of [
      ['a.GO', true],
      ['a.Go', true],
      ['b.tmpl', true],
      ['.go', false],
      ['x.go.bak', false],
      ['x.bak.go', true],
      ['a.', true],
      ['..', false],
    ] as const)
      expect([rel, f.isRelevantFile(abs(rel))]).toEqual([rel, want]);
  });

  it('keptFiles: what the helper may leave out of a listing (every relevant file is kept, by extension or name)', () => {
    expect(createFilter(settings()).keptFiles).toEqual({
      extensions: ['.go', '.tmpl', '.tpl', '.html', '.s', '.sx', '.syso'],
      names: ['go.mod', 'go.sum'],
    });
    expect(createFilter(settings({ include: [] })).keptFiles).toEqual({
      extensions: ['.go', '.tmpl', '.tpl', '.html', '.s', '.sx', '.syso'],
      names: [],
    });
    expect(createFilter(settings({ include: ['web/app.js', 'cfg/x.yaml'] })).keptFiles?.names).toEqual(['app.js', 'x.yaml']);
    // A glob may name any file, and a non-ASCII extension is lower-cased by node's rules only: every file is listed.
    expect(createFilter(settings({ include: ['web/**/*.js'] })).keptFiles).toBeUndefined();
    expect(createFilter(settings({ extensions: ['.go', '.Ĝo'] })).keptFiles).toBeUndefined();
  });

  it('accepts extensions without the dot', () => {
    const g = createFilter(settings({ extensions: ['go', 'sql'] }));
    expect(g.isRelevantFile(abs('db/q.sql'))).toBe(true);
    expect(g.isRelevantFile(abs('db/q.txt'))).toBe(false);
  });

  it('include globs add files, exclude globs win over include', () => {
    const g = createFilter(
      settings({ include: ['**/*.sql', 'config/*.yaml', './assets/**'], exclude: ['config/secret.yaml', '**/*.gen.go'] }),
    );
    expect(g.isRelevantFile(abs('db/migrations/1.sql'))).toBe(true);
    expect(g.isRelevantFile(abs('config/app.yaml'))).toBe(true);
    expect(g.isRelevantFile(abs('config/secret.yaml'))).toBe(false);
    expect(g.isRelevantFile(abs('assets/logo.png'))).toBe(true);
    expect(g.isRelevantFile(abs('x/types.gen.go'))).toBe(false);
    expect(g.isRelevantFile(abs('node_modules/a/b.sql'))).toBe(false); // base-less globs never reopen excluded dirs
  });

  it('includes that are plain paths (the fast path) give the verdicts the globs give', () => {
    // Plain paths skip picomatch; a glob that matches nothing forces picomatch for every path: same verdicts.
    const plain = ['go.mod', 'go.sum', './config/app.yaml', 'vendor/me/lib.txt', 'a b/c#1.txt', '.env'];
    const fast = createFilter(settings({ include: plain }));
    const globbed = createFilter(settings({ include: [...plain, '**/*.never-matches'] }));
    const paths = ['go.mod', 'sub/go.mod', 'GO.MOD', 'go.sum', 'config/app.yaml', 'config/app.yml', 'app.yaml', 'vendor/me/lib.txt']
      .concat(['vendor/me/other.txt', 'vendor/x/y.go', 'a b/c#1.txt', 'a b/c.txt', '.env', 'x/.env', 'main.go', 'README.md', 'x_test.go'])
      .concat(['.hotwatch/go.mod', 'tmp/config/app.yaml', 'web/INDEX.HTML']);
    for (const p of paths) expect([p, fast.isRelevantFile(abs(p))]).toEqual([p, globbed.isRelevantFile(abs(p))]);
    expect(fast.isRelevantFile(abs('config/app.yaml'))).toBe(true);
    expect(fast.isRelevantFile(abs('vendor/me/lib.txt'))).toBe(true);
    expect(fast.isRelevantFile(abs('config/app.yml'))).toBe(false);
  });
});

describe('createFilter: filesIn (a walk asks by directory)', () => {
  const names = [
    'main.go',
    'MAIN.GO',
    'x_test.go',
    'go.mod',
    'go.sum',
    'README.md',
    '.go',
    '.x.go',
    'a.',
    'page.tmpl',
    'gen.pb.go',
    '.hotwatch-sentinel-1',
    'index.html',
  ];
  const dirs = [
    '',
    'internal/api',
    'vendor',
    'vendor/me',
    'vendor/other',
    'gen',
    'gen/api',
    'node_modules/x',
    '.hotwatch',
    'a/testdata',
    'docs',
  ];
  it.each([
    ['defaults', settings()],
    ['include globs', settings({ include: ['go.mod', 'vendor/me/**', 'docs/*.md'] })],
    ['exclude globs', settings({ exclude: ['**/*_test.go', 'gen/**', '**/*.pb.go', 'internal/api/skip.go'] })],
    ['no include', settings({ include: [] })],
    ['excludes that test the name only', settings({ exclude: ['**/*_test.go', '**/*.pb.go'] })],
  ])('gives the verdict isRelevantFile gives, for every name in every kind of directory (%s)', (_label, s) => {
    const f = createFilter(s);
    for (const d of dirs) {
      const inDir = f.filesIn(abs(d));
      for (const n of names) expect(inDir(n), `${d}/${n}`).toBe(f.isRelevantFile(abs(d === '' ? n : `${d}/${n}`)));
    }
  });

  it('nothing is relevant in a directory outside the root', () => {
    expect(createFilter(settings()).filesIn('/elsewhere')('main.go')).toBe(false);
  });
});

describe('createFilter: directories', () => {
  const f = createFilter(settings());
  it.each([
    ['', false],
    ['internal', false],
    ['internal/api', false],
    ['.git', true],
    ['.git/objects', true],
    ['node_modules', true],
    ['web/node_modules', true],
    ['web/node_modules/pkg/lib', true],
    ['vendor', true],
    ['pkg/testdata', true],
    ['.hotwatch', true],
    ['.hotwatch/bin', true],
    ['tmp', true],
    ['tmpl', false],
    ['.github', false],
  ])('%s excluded → %s', (rel, want) => {
    expect(f.isExcludedDir(abs(rel))).toBe(want);
  });

  it('dirs outside the root are excluded', () => {
    expect(f.isExcludedDir('/etc')).toBe(true);
    expect(f.isExcludedDir('/repo2')).toBe(true);
  });

  it('excludeDirs accepts globs and relative paths', () => {
    const g = createFilter(settings({ excludeDirs: ['build-*', 'docs/generated', '**/mocks'] }));
    expect(g.isExcludedDir(abs('build-linux'))).toBe(true);
    expect(g.isExcludedDir(abs('a/build-x'))).toBe(true); // basename match
    expect(g.isExcludedDir(abs('docs/generated'))).toBe(true);
    expect(g.isExcludedDir(abs('other/generated'))).toBe(false);
    expect(g.isExcludedDir(abs('a/b/mocks'))).toBe(true);
    expect(g.isExcludedDir(abs('docs'))).toBe(false);
  });

  it('a dir glob in exclude excludes the dir itself and its subtree', () => {
    const g = createFilter(settings({ exclude: ['internal/gen/**', '**/*_test.go', 'third_party'] }));
    expect(g.isExcludedDir(abs('internal/gen'))).toBe(true);
    expect(g.isExcludedDir(abs('internal/gen/v1'))).toBe(true);
    expect(g.isExcludedDir(abs('internal'))).toBe(false);
    expect(g.isExcludedDir(abs('internal/generator'))).toBe(false);
    expect(g.isExcludedDir(abs('third_party'))).toBe(true);
    expect(g.isRelevantFile(abs('internal/gen/v1/x.go'))).toBe(false);
    expect(g.isRelevantFile(abs('internal/generator/x.go'))).toBe(true);
  });

  it('the output dir and everything under it is excluded, wherever it is', () => {
    const g = createFilter(settings({ outputDir: '/repo/build/out', excludeDirs: [] }));
    expect(g.isExcludedDir(abs('build/out'))).toBe(true);
    expect(g.isExcludedDir(abs('build/out/x'))).toBe(true);
    expect(g.isExcludedDir(abs('build'))).toBe(false);
    expect(g.isExcludedDir(abs('.hotwatch'))).toBe(true); // always, even when not listed
    expect(g.isRelevantFile(abs('build/out/gen.go'))).toBe(false);
    expect(g.isRelevantFile(abs('build/x.go'))).toBe(true);
  });

  it('an output dir equal to the root does not exclude the root', () => {
    const g = createFilter(settings({ outputDir: ROOT }));
    expect(g.isExcludedDir(ROOT)).toBe(false);
    expect(g.isRelevantFile(abs('main.go'))).toBe(true);
  });

  it('vendor is descended when an include glob names it, and only included files matter there', () => {
    const g = createFilter(settings({ include: ['go.mod', 'vendor/**'] }));
    expect(g.isExcludedDir(abs('vendor'))).toBe(false);
    expect(g.isExcludedDir(abs('vendor/github.com/x'))).toBe(false);
    expect(g.isRelevantFile(abs('vendor/github.com/x/y.go'))).toBe(true);
    expect(g.isRelevantFile(abs('vendor/modules.txt'))).toBe(true);
    expect(g.isExcludedDir(abs('node_modules'))).toBe(true);
    // Another dir named vendor is not named by the include: it stays excluded.
    expect(g.isExcludedDir(abs('sub/vendor'))).toBe(true);
  });

  it('a narrow include opens only the path it names', () => {
    const g = createFilter(settings({ include: ['vendor/github.com/me/lib/**'] }));
    expect(g.isExcludedDir(abs('vendor'))).toBe(false);
    expect(g.isExcludedDir(abs('vendor/github.com'))).toBe(false);
    expect(g.isExcludedDir(abs('vendor/github.com/me/lib/sub'))).toBe(false);
    expect(g.isExcludedDir(abs('vendor/github.com/other'))).toBe(true);
    expect(g.isExcludedDir(abs('vendor/golang.org'))).toBe(true);
    expect(g.isRelevantFile(abs('vendor/github.com/me/lib/a.go'))).toBe(true);
    expect(g.isRelevantFile(abs('vendor/github.com/x.go'))).toBe(false); // extension alone is not enough here
  });

  it('include cannot reopen the output dir, .hotwatch or an exclude glob', () => {
    const g = createFilter(settings({ include: ['.hotwatch/**', 'gen/**'], exclude: ['gen/**'] }));
    expect(g.isExcludedDir(abs('.hotwatch'))).toBe(true);
    expect(g.isExcludedDir(abs('gen'))).toBe(true);
    expect(g.isRelevantFile(abs('gen/a.go'))).toBe(false);
  });

  it('ignores empty globs instead of throwing', () => {
    const g = createFilter(settings({ include: [''], exclude: [' '], excludeDirs: [''] }));
    expect(g.isRelevantFile(abs('main.go'))).toBe(true);
    expect(g.isExcludedDir(abs('src'))).toBe(false);
  });

  it('relative() gives POSIX paths under the root', () => {
    expect(f.relative(abs('a/b.go'))).toBe('a/b.go');
    expect(f.relative(ROOT)).toBe('');
    expect(f.relative('/elsewhere')).toBeUndefined();
  });

  it('relative() of a path with empty, . or .. segments is what path.resolve makes of it', () => {
    expect(f.relative(`${ROOT}/a//b.go`)).toBe('a/b.go');
    expect(f.relative(`${ROOT}/a/./b.go`)).toBe('a/b.go');
    expect(f.relative(`${ROOT}/a/../b.go`)).toBe('b.go');
    expect(f.relative(`${ROOT}/a/`)).toBe('a');
    expect(f.relative(`${ROOT}/`)).toBe('');
    expect(f.relative(`${ROOT}/..`)).toBeUndefined();
    expect(f.relative(`${ROOT}/a/../../etc/passwd`)).toBeUndefined();
    expect(f.relative(`${ROOT}other/a.go`)).toBeUndefined(); // a sibling whose name starts like the root
    expect(f.relative(`${ROOT}/.hidden/..x/a.go`)).toBe('.hidden/..x/a.go'); // dot names are plain names
    expect(f.isRelevantFile(`${ROOT}/vendor/../main.go`)).toBe(true);
  });
});

describe('matcher: picomatch verdicts, cheaper', () => {
  // Plain paths go to a set, "**/X" (X one segment) to X on the last segment: the same verdicts as picomatch
  // on normalized relative paths, for every kind of pattern.
  const patterns = ['go.mod', 'web/index.html', '**/*_test.go', '**/gen', '**/.env*', '**/*.{sql,yaml}', '**/x/*.go', '**/**'].concat([
    'vendor',
    '.git',
    'internal/gen/**',
    'a/*',
    '*.go',
    '!(x).go',
    '**/[ab].go',
    '/abs',
    'dir/',
    'a\\*b',
    '**/@(a|b).go',
  ]);
  const paths = ['go.mod', 'a/go.mod', 'web/index.html', 'web/index.htm', 'main_test.go', 'a/b/c_test.go', 'a/b/c.go', 'gen']
    .concat(['a/gen', 'a/gen/x.go', '.env', 'a/.env.local', 'q.sql', 'a/b/q.yaml', 'x/y.go', 'a/x/y.go', 'vendor', 'a/vendor'])
    .concat(['.git', 'internal/gen', 'internal/gen/a/b.go', 'a/b', 'x.go', 'a.go', 'b.go', 'abs', 'dir', 'a*b', 'a/b.go', '.hidden/a.go']);
  it.each(patterns)('%s', (pattern) => {
    const ours = matcher([pattern]);
    const theirs = picomatch([pattern], { dot: true });
    for (const p of paths) expect([p, ours(p)]).toEqual([p, theirs(p)]);
  });

  it('"**/*<literal>" (an endsWith): the verdicts picomatch gives, on names and on paths', () => {
    const names = [
      'a_test.go',
      '_test.go',
      '.x_test.go',
      'a_test.gox',
      'A_TEST.GO',
      'x.pb.go',
      '.pb.go',
      'foo~',
      '~',
      '.',
      '..',
      'x',
      '.x',
    ];
    for (const pattern of ['**/*_test.go', '**/*.pb.go', '**/*~', '**/*x', '**/*']) {
      const ours = matcher([pattern]);
      const byName = picomatch(pattern.slice(3), { dot: true });
      const theirs = picomatch(pattern, { dot: true });
      for (const n of names) {
        expect([pattern, n, ours.lastSegment(n)]).toEqual([pattern, n, byName(n)]);
        expect([pattern, n, ours(`a/b/${n}`)]).toEqual([pattern, n, theirs(`a/b/${n}`)]);
      }
    }
  });

  it('a list: any pattern of it', () => {
    const ours = matcher(patterns);
    const theirs = picomatch(patterns, { dot: true });
    for (const p of paths) expect([p, ours(p)]).toEqual([p, theirs(p)]);
    expect(matcher([' ', ''])('x')).toBe(false);
  });
});

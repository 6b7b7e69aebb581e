/**
 * Git-ignored directories (watch.gitignore): src/watch/tree/gitignore.ts with real ignore files and real
 * directories, and the build's own directories from the real go toolchain (src/os/go-packages.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultWatchSettings } from '../../src/config/settings.js';
import { buildDirs } from '../../src/os/go-packages.js';
import { planIgnored, buildDirsOnce, buildInputs } from '../../src/watch/roots/ignored-excludes.js';
import { excludeGlobs, refineIgnored, topIgnoredDirs } from '../../src/watch/tree/gitignore.js';
import { createFilter } from '../../src/watch/tree/filter.js';
import { scanTree } from '../../src/watch/tree/scan.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir> | undefined;
afterEach(() => tmp?.cleanup());

const signal = new AbortController().signal;
const env = { ...process.env, GOWORK: '', GOFLAGS: '' };

function write(rel: string, text = ''): void {
  const p = path.join(tmp!.dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
}

describe('git-ignored directories', () => {
  it('nested .gitignore files, negation, .git/info/exclude and a .gitignore above the root all apply', async () => {
    tmp = makeTmpDir();
    const root = path.join(tmp.dir, 'svc');
    write('.git/info/exclude', 'scratch/\n');
    write('.gitignore', 'uploads/\n');
    write('svc/.gitignore', 'data/\ncache*/\n!cache-keep/\n');
    write('svc/web/.gitignore', 'dist\n');
    for (const d of ['data/db/x', 'uploads/a', 'scratch', 'cache1', 'cache-keep', 'web/dist/js', 'web/src', 'node_modules/p', 'api'])
      fs.mkdirSync(path.join(root, d), { recursive: true });
    const top = await topIgnoredDirs(defaultWatchSettings(root), signal);
    // node_modules is excluded by the watch rules already (never read); cache-keep is re-included.
    expect(top.map((d) => path.relative(root, d))).toEqual(['cache1', 'data', 'scratch', 'uploads', 'web/dist']);
  });

  it("patterns match with the case git uses: its core.ignorecase, else case-sensitive on Linux (a tracked bzimage/ is not ignored by 'bzImage')", async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    write('.git/config', '[core]\n\trepositoryformatversion = 0\n');
    write('.gitignore', 'bzImage\nBuild\n');
    for (const d of ['pkg/boot/bzimage', 'build', 'out/bzImage']) fs.mkdirSync(path.join(root, d), { recursive: true });
    const rel = async () => (await topIgnoredDirs(defaultWatchSettings(root), signal)).map((d) => path.relative(root, d));
    expect(await rel()).toEqual(['out/bzImage']);
    // A repository git made on a case-insensitive file system says so: then case does not matter.
    write('.git/config', '[core]\n\tignorecase = true\n');
    expect(await rel()).toEqual(['build', 'out/bzImage', 'pkg/boot/bzimage']);
  });

  it('an ignored directory holding a package (or embedded files) the build reads is kept; the rest excluded', async () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    write('go.mod', 'module example.com/t\n\ngo 1.22\n');
    write('.gitignore', 'gen/\ndata/\nweb/dist/\n');
    write('gen/api/api.go', 'package api\n\nconst V = 1\n');
    write('gen/other/other.go', 'package other\n');
    write('data/db/x.go', 'package db\n');
    write('web/dist/index.html', '<p>hi</p>');
    write('web/web.go', 'package web\n\nimport "embed"\n\n//go:embed dist\nvar FS embed.FS\n');
    write('main.go', 'package main\n\nimport (\n\t_ "example.com/t/gen/api"\n\t_ "example.com/t/web"\n)\n\nfunc main() {}\n');
    const dirs = await buildDirs(root, '.', signal, env);
    expect(dirs.has(path.join(root, 'gen', 'api'))).toBe(true);
    expect(dirs.has(path.join(root, 'web', 'dist'))).toBe(true);
    const s = defaultWatchSettings(root);
    const v = refineIgnored(root, await topIgnoredDirs(s, signal), dirs);
    expect(v.excluded.map((d) => path.relative(root, d)).sort()).toEqual(['data', 'gen/other']);
    expect(v.kept.map((d) => path.relative(root, d)).sort()).toEqual(['gen/api', 'web/dist']);

    const plan = await planIgnored(s, buildDirsOnce({ root, package: '.', env, flags: [] }, signal), signal);
    const f = createFilter(plan.settings);
    expect(f.isExcludedDir(path.join(root, 'data', 'db'))).toBe(true);
    expect(f.isRelevantFile(path.join(root, 'data', 'db', 'x.go'))).toBe(false);
    expect(f.isRelevantFile(path.join(root, 'gen', 'api', 'api.go'))).toBe(true);
    const scanned = (await scanTree(plan.settings, { signal })).dirs.map((d) => path.relative(root, d) || '.');
    expect(scanned.sort()).toEqual(['.', 'gen', 'gen/api', 'web', 'web/dist']);

    // With a build.cmd the whole module counts (a Makefile may build anything): every package is kept.
    const inputs = buildInputs(root, { cmd: 'make', package: '.', env: { GOWORK: '', GOFLAGS: '' }, flags: ['-race'] });
    expect(inputs).toMatchObject({ package: './...', flags: [] });
    const all = refineIgnored(root, await topIgnoredDirs(s, signal), await buildDirs(root, inputs.package, signal, inputs.env));
    expect(all.excluded).toEqual([]);
    expect(all.kept.map((d) => path.relative(root, d)).sort()).toEqual(['data/db', 'gen/api', 'gen/other', 'web/dist']);

    // watch.gitignore: false watches everything.
    const off = await planIgnored({ ...s, gitignore: false }, buildDirsOnce({ root, package: '.', env, flags: [] }, signal), signal);
    expect(off.settings.exclude).toEqual(s.exclude);
  });

  it('outside a git repository, without a .gitignore at the root, nothing is walked for ignore files', async () => {
    tmp = makeTmpDir();
    write('web/.gitignore', 'dist\n');
    fs.mkdirSync(path.join(tmp.dir, 'web', 'dist'));
    expect(await topIgnoredDirs(defaultWatchSettings(tmp.dir), signal)).toEqual([]);
    fs.mkdirSync(path.join(tmp.dir, '.git'));
    expect(await topIgnoredDirs(defaultWatchSettings(tmp.dir), signal)).toEqual([path.join(tmp.dir, 'web', 'dist')]);
  });

  it('directory names with glob characters are excluded literally', () => {
    const globs = excludeGlobs('/r', ['/r/a[1]', '/r/b*c/{x}']);
    const f = createFilter({ ...defaultWatchSettings('/r'), exclude: globs });
    expect(f.isExcludedDir('/r/a[1]')).toBe(true);
    expect(f.isExcludedDir('/r/a1')).toBe(false);
    expect(f.isExcludedDir('/r/b*c/{x}/deep')).toBe(true);
    expect(f.isExcludedDir('/r/bXc/x')).toBe(false);
  });
});

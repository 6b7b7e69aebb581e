/**
 * Which directories the watch set adds to the root (issue 15): src/watch/roots/module-roots.ts, with the
 * real go toolchain and real directories: realpath, ownership, the module cache, nesting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planRoots, rootsOf, rulesFor, withLinked } from '../../src/watch/roots/module-roots.js';
import { createFilter } from '../../src/watch/tree/filter.js';
import { defaultWatchSettings } from '../../src/config/settings.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir> | undefined;
afterEach(() => tmp?.cleanup());

function mod(dir: string, name: string, extra = ''): string {
  const abs = path.join(tmp!.dir, dir);
  fs.mkdirSync(abs, { recursive: true });
  fs.writeFileSync(path.join(abs, 'go.mod'), `module ${name}\n\ngo 1.21\n${extra}`);
  return abs;
}

const signal = new AbortController().signal;
const env = { ...process.env, GOWORK: '', GOFLAGS: '' };
const replace = (target: string) => `require example.com/lib v0.0.0\nreplace example.com/lib => ${target}\n`;

describe('the roots of the watch set', () => {
  it('a replace through a symlink is watched at its real path', async () => {
    tmp = makeTmpDir();
    const lib = mod('real-lib', 'example.com/lib');
    fs.symlinkSync(lib, path.join(tmp.dir, 'lib'));
    const app = mod('app', 'example.com/app', replace('../lib'));
    const plan = await planRoots(app, signal, env);
    expect(plan.extra).toEqual([{ dir: lib, why: 'replace target of example.com/lib', nested: [] }]);
    expect(plan.skipped).toEqual([]);
  });

  it('a module dir owned by another user is skipped loudly; a file and a missing dir are not watched', async () => {
    tmp = makeTmpDir();
    const theirs = mod('theirs', 'example.com/lib');
    fs.chownSync(theirs, 4242, 4242);
    const app = mod('app', 'example.com/app', replace('../theirs'));
    const plan = await planRoots(app, signal, env);
    expect(plan.extra).toEqual([]);
    expect(plan.skipped).toEqual([
      { dir: theirs, why: 'replace target of example.com/lib', reason: expect.stringContaining('owned by uid 4242'), loud: true },
    ]);
    fs.writeFileSync(path.join(tmp.dir, 'afile'), 'x');
    const app2 = mod('app2', 'example.com/app', `${replace('../afile')}`);
    expect((await planRoots(app2, signal, env)).skipped).toMatchObject([{ reason: 'is not a directory', loud: true }]);
    const app3 = mod('app3', 'example.com/app', `${replace('../nowhere')}`);
    expect((await planRoots(app3, signal, env)).skipped).toMatchObject([{ loud: false }]);
  });

  it('the module cache is never watched; a module inside the root or inside another extra root is not watched twice', () => {
    tmp = makeTmpDir();
    const root = tmp.dir;
    const app = mod('ws/app', 'example.com/app');
    const cache = mod('cache/example.com/x@v1', 'example.com/x');
    const inner = mod('ws/app/internal/sub', 'example.com/sub');
    const lib = mod('ws/lib', 'example.com/lib');
    const libInner = mod('ws/lib/deeper', 'example.com/deeper');
    const ws = path.join(root, 'ws');
    fs.writeFileSync(path.join(ws, 'go.mod'), 'module example.com/ws\n\ngo 1.21\n');
    const plan = rootsOf(
      {
        workspace: path.join(ws, 'go.work'),
        gomod: path.join(app, 'go.mod'),
        modcache: path.join(root, 'cache'),
        modules: [
          { dir: app, why: 'main module' },
          { dir: inner, why: 'go.work use (app/internal/sub)' },
          { dir: cache, why: 'replace target of example.com/x' },
          { dir: libInner, why: 'go.work use (lib/deeper)' },
          { dir: lib, why: 'go.work use (lib)' },
          { dir: ws, why: 'go.work use (.)' },
        ],
      },
      app,
    );
    // ws holds lib, lib/deeper and the root: one extra root, which does not descend the root.
    expect(plan.extra).toEqual([{ dir: ws, why: 'go.work use (.)', nested: [app] }]);
    expect(plan.skipped).toMatchObject([{ dir: cache, loud: false, reason: expect.stringContaining('module cache') }]);
    const f = createFilter(rulesFor(defaultWatchSettings(app), plan.extra[0]!));
    expect(f.isExcludedDir(path.join(ws, 'app'))).toBe(true);
    expect(f.isExcludedDir(path.join(ws, 'lib'))).toBe(false);
    expect(f.isRelevantFile(path.join(ws, 'lib', 'x.go'))).toBe(true);
    expect(f.isRelevantFile(path.join(ws, 'go.work'))).toBe(true);
  });

  it('a go.work module moved away since go listed it is missing (the build says so), not a linked directory of another user to chown', () => {
    tmp = makeTmpDir();
    const app = mod('ws/app', 'example.com/app');
    const gone = path.join(tmp.dir, 'ext');
    const plan = withLinked(
      rootsOf(
        {
          workspace: undefined,
          gomod: path.join(app, 'go.mod'),
          modcache: undefined,
          modules: [{ dir: gone, why: 'go.work use (../ext)' }],
        },
        app,
      ),
      [{ dir: gone, from: gone }],
      app,
    );
    expect(plan.extra).toEqual([]);
    expect(plan.skipped).toMatchObject([{ dir: gone, loud: false, missing: true }]);
  });

  it('a root below its module go.mod (hotwatch run in cmd/api): the module directory is an extra root, minus the root', () => {
    tmp = makeTmpDir();
    const top = mod('svc', 'example.com/svc');
    const api = path.join(top, 'cmd', 'api');
    fs.mkdirSync(api, { recursive: true });
    const plan = rootsOf(
      { workspace: undefined, gomod: path.join(top, 'go.mod'), modcache: undefined, modules: [{ dir: top, why: 'main module' }] },
      api,
    );
    expect(plan.extra).toEqual([{ dir: top, why: 'the module the root is in', nested: [api] }]);
    const f = createFilter(rulesFor(defaultWatchSettings(api), plan.extra[0]!));
    expect(f.isExcludedDir(api)).toBe(true); // watched as the root, not twice
    expect(f.isRelevantFile(path.join(top, 'internal', 'msg', 'msg.go'))).toBe(true);
    // At the module's own directory the main module is the root's: nothing extra.
    expect(
      rootsOf(
        { workspace: undefined, gomod: path.join(top, 'go.mod'), modcache: undefined, modules: [{ dir: top, why: 'main module' }] },
        top,
      ).extra,
    ).toEqual([]);
  });
});

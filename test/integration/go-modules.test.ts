/** Which local modules a build uses, asked of the real go toolchain (issue 15): src/os/go-modules.ts. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localModules } from '../../src/os/go-modules.js';
import { makeTmpDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTmpDir> | undefined;
afterEach(() => tmp?.cleanup());

/** A module at `dir` (relative to the temp root) with `go.mod` lines appended. */
function mod(dir: string, name: string, extra = ''): string {
  const abs = path.join(tmp!.dir, dir);
  fs.mkdirSync(abs, { recursive: true });
  fs.writeFileSync(path.join(abs, 'go.mod'), `module ${name}\n\ngo 1.21\n${extra}`);
  return abs;
}

const signal = new AbortController().signal;
const env = { ...process.env, GOWORK: '', GOFLAGS: '' };

describe('localModules', () => {
  it('a module with no replace: only itself', async () => {
    tmp = makeTmpDir();
    const app = mod('app', 'example.com/app');
    expect(await localModules(app, signal, env)).toEqual({
      workspace: undefined,
      gomod: path.join(app, 'go.mod'),
      modules: [{ dir: app, why: 'main module' }],
      modcache: expect.stringMatching(/^\/.+/),
    });
  });

  it('a local replace to a sibling outside the root is listed, a version replace is not', async () => {
    tmp = makeTmpDir();
    const app = mod(
      'app',
      'example.com/app',
      'require example.com/lib v0.0.0\nreplace example.com/lib => ../lib\nreplace example.com/x => example.com/y v1.2.3\n',
    );
    const lib = mod('lib', 'example.com/lib');
    const r = await localModules(app, signal, env);
    expect(r.modules).toEqual([
      { dir: app, why: 'main module' },
      { dir: lib, why: 'replace target of example.com/lib' },
    ]);
  });

  it('a go.work workspace: every used module, their replaces, from a member or from the workspace root', async () => {
    tmp = makeTmpDir();
    const app = mod('ws/app', 'example.com/app', 'replace example.com/fork => ../../forks/fork\n');
    const lib = mod('ws/lib', 'example.com/lib');
    const fork = mod('forks/fork', 'example.com/fork'); // outside the workspace's directory altogether
    const ws = path.join(tmp.dir, 'ws');
    fs.writeFileSync(path.join(ws, 'go.work'), 'go 1.21\n\nuse (\n\t./app\n\t./lib\n)\n');
    const fromMember = await localModules(app, signal, env);
    expect(fromMember.workspace).toBe(path.join(ws, 'go.work'));
    expect(fromMember.modules).toEqual([
      { dir: app, why: 'main module' },
      { dir: lib, why: 'go.work use (lib)' },
      { dir: fork, why: 'replace target of example.com/fork' },
    ]);
    const fromRoot = await localModules(ws, signal, env);
    expect(fromRoot.gomod).toBeUndefined();
    expect(fromRoot.modules.map((m) => m.dir)).toEqual([app, lib, fork]);
    expect(fromRoot.modules[0]!.why).toBe('go.work use (app)');
  });

  it('GOWORK=off: the workspace is not in force', async () => {
    tmp = makeTmpDir();
    const app = mod('app', 'example.com/app');
    mod('lib', 'example.com/lib');
    fs.writeFileSync(path.join(tmp.dir, 'go.work'), 'go 1.21\n\nuse (\n\t./app\n\t./lib\n)\n');
    const r = await localModules(app, signal, { ...env, GOWORK: 'off' });
    expect(r.workspace).toBeUndefined();
    expect(r.modules).toEqual([{ dir: app, why: 'main module' }]);
  });

  it('a broken go.mod is a clear error naming the command and the file', async () => {
    tmp = makeTmpDir();
    const app = mod('app', 'example.com/app', 'replace example.com/lib =>\n');
    await expect(localModules(app, signal, env)).rejects.toThrow(/^`go mod edit -json .*go\.mod` in .* failed: .*go\.mod:4/);
  });
});

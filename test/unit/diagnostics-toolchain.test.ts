import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema, type ConfigInput } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/settings.js';
import { findGoInstall, goMissingFix, packageNameInDir, parsePackageClause, toolchainChecks } from '../../src/diagnostics/toolchain.js';
import { makeTmpDir } from '../helpers/tmp.js';

describe('parsePackageClause', () => {
  it.each([
    ['package main\n', 'main'],
    ['// Copyright\n//go:build linux\n\n/* block\npackage nope */\npackage server // trailing\n', 'server'],
    ['\ufeffpackage main', 'main'], // Go accepts a leading byte order mark
    ['func main() {}\n', undefined],
    ['', undefined],
  ])('%j → %s', (src, name) => {
    expect(parsePackageClause(src)).toBe(name);
  });
});

const tmps: { cleanup: () => void }[] = [];
afterEach(() => {
  while (tmps.length) tmps.pop()!.cleanup();
});

function module(files: Record<string, string>): string {
  const t = makeTmpDir();
  tmps.push(t);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(t.dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(t.dir, rel), content);
  }
  return t.dir;
}

const settings = (root: string, cfg: ConfigInput = {}) =>
  resolveSettings(ConfigSchema.parse(cfg), { baseDir: root, configFile: undefined, isTTY: false });
const run = async (root: string, cfg: ConfigInput = {}) => {
  const r = await toolchainChecks(settings(root, cfg), { signal: AbortSignal.timeout(30_000), timeoutMs: 20_000 });
  return { ...r, byId: Object.fromEntries(r.checks.map((c) => [c.id, c])) };
};

const GOOD = {
  'go.mod': 'module example.com/app\n\ngo 1.22\n',
  'main.go': 'package main\n\nfunc main() {}\n',
  'lib/lib.go': 'package lib\n',
  'cmd/srv/main.go': '// srv\npackage main\nfunc main(){}\n',
  'cmd/srv/x_test.go': 'package main_test\n',
};

describe('toolchainChecks with the real go', () => {
  it('a good module: go found with its version, module, main package, output writable', async () => {
    const root = module(GOOD);
    const r = await run(root);
    expect(r.byId['go.found']).toMatchObject({ status: 'ok' });
    expect(r.facts.go.version).toMatch(/^go version go1\./);
    expect(r.byId['go.module']).toMatchObject({ status: 'ok', detail: path.join(root, 'go.mod') });
    expect(r.byId['go.package']).toMatchObject({ status: 'ok' });
    expect(r.facts.packageName).toBe('main');
    expect(r.byId['build.output']).toMatchObject({ status: 'ok' });
    expect(r.byId['run.port']).toBeUndefined();
  });

  it('a non-main package fails with the config key; a sub-command directory passes', async () => {
    const root = module(GOOD);
    expect((await run(root, { build: { package: './lib' } })).byId['go.package']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('package lib, not main'),
    });
    expect((await run(root, { build: { package: './lib' } })).byId['go.package']!.fix!.text).toContain('build:\n  package:');
    expect((await run(root, { build: { package: './cmd/srv' } })).byId['go.package']!.status).toBe('ok');
    expect((await run(root, { build: { package: './nothing' } })).byId['go.package']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('has no Go files'),
    });
    expect((await run(root, { build: { package: './...' } })).byId['go.package']!.status).toBe('fail');
  });

  it('an import path is resolved with go list', async () => {
    const root = module(GOOD);
    expect((await run(root, { build: { package: 'example.com/app/cmd/srv' } })).byId['go.package']!.status).toBe('ok');
    expect((await run(root, { build: { package: 'example.com/app/lib' } })).byId['go.package']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('not main'),
    });
  });

  it('no go.mod: fail with go mod init', async () => {
    const root = module({ 'main.go': 'package main\nfunc main(){}\n' });
    const c = (await run(root)).byId['go.module']!;
    expect(c.status).toBe('fail');
    expect(c.fix!.commands![0]).toContain('go mod init');
  });

  it('go not on PATH: fail, or info when build.cmd is set', async () => {
    const root = module(GOOD);
    const r = await run(root, { build: { env: { PATH: '/nonexistent' } } });
    expect(r.byId['go.found']).toMatchObject({ status: 'fail', detail: expect.stringContaining('/nonexistent') });
    expect(r.byId['go.module']).toBeUndefined();
    const custom = await run(root, { build: { cmd: 'make', env: { PATH: '/nonexistent' } } });
    expect(custom.byId['go.found']!.status).toBe('info');
    expect(custom.byId['go.package']!.status).toBe('info');
  });

  it('go not on PATH: the fix names the install found on this machine', async () => {
    const root = module(GOOD);
    const c = (await run(root, { build: { env: { PATH: '/nonexistent' } } })).byId['go.found']!;
    const found = findGoInstall(process.env.HOME);
    expect(found).toBeDefined(); // this machine has go (the other tests run it)
    expect(c.fix!.text).toContain(`Go is installed in ${found}`);
    expect(c.fix!.commands).toEqual([`export PATH="$PATH:${found}"`]);
  });

  it('findGoInstall probes the usual places: ~/sdk/go*/bin (newest first), /usr/lib/go-*/bin; else how to install', () => {
    const home = module({});
    const exe = (rel: string) => {
      fs.mkdirSync(path.join(home, path.dirname(rel)), { recursive: true });
      fs.writeFileSync(path.join(home, rel), '#!/bin/sh\n', { mode: 0o755 });
    };
    exe('sdk/go1.22.9/bin/go');
    exe('sdk/go1.22.10/bin/go');
    expect(findGoInstall(home, ['/nonexistent/go/bin', '~/sdk/go*/bin'])).toBe(path.join(home, 'sdk/go1.22.10/bin'));
    expect(findGoInstall(home, [`${home}/sd*/bin`])).toBeUndefined(); // sdk/bin/go does not exist
    expect(findGoInstall(undefined, ['~/sdk/go*/bin'])).toBeUndefined();
    const none = goMissingFix(home, ['/nonexistent/go/bin']);
    expect(none!.text).toContain('https://go.dev/dl/');
    expect(none!.commands).toBeUndefined(); // no PATH line for a directory that does not exist
  });

  it('an output path below a regular file is not writable', async () => {
    const root = module({ ...GOOD, blocker: 'x' });
    const c = (await run(root, { build: { output: 'blocker/bin/app' } })).byId['build.output']!;
    expect(c.status).toBe('fail');
    expect(c.detail).toContain(path.join(root, 'blocker', 'bin'));
  });

  it('what hotwatch run refuses on the way to the output fails here too (it said "writable"): a .hotwatch symlink, a device as build.output', async () => {
    const root = module({ ...GOOD });
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, path.join(root, '.hotwatch'));
    const linked = (await run(root, {})).byId['build.output']!;
    expect(linked.status).toBe('fail');
    expect(linked.detail).toBe(`${path.join(root, '.hotwatch')} is a symbolic link (to ${elsewhere}): hotwatch run refuses to build there`);
    fs.rmSync(path.join(root, '.hotwatch'));
    const device = (await run(root, { build: { output: '/dev/null' } })).byId['build.output']!;
    expect(device.status).toBe('fail');
    expect(device.detail).toMatch(
      /^\/dev\/null (is not a regular file|is owned by uid 0, not by you .*): hotwatch run refuses to build there$/,
    );
  });

  it('packageNameInDir prefers main and ignores tests', () => {
    const root = module({ 'a.go': 'package main\n', 'b_test.go': 'package other\n', 'doc.go': '// Package documentation\npackage main\n' });
    expect(packageNameInDir(root)).toEqual({ name: 'main', files: 2 });
    expect(packageNameInDir(path.join(root, 'missing'))).toEqual({ name: undefined, files: 0 });
  });
});

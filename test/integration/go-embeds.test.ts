/**
 * Which files the binary embeds (`//go:embed`), asked of the real Go toolchain (src/os/go-embeds.ts), and
 * what that means behind the proxy (src/proxy-embeds.ts, src/proxy-changes.ts): a proxy.restartOnly or
 * proxy.reloadOnly file the binary embeds builds; one the app reads from disk does not; when go cannot
 * tell, the change builds and the log says why. Real files in a temp module, real `go list`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROXY_RELOAD_ONLY, PROXY_RESTART_ONLY } from '../../src/config/schema.js';
import type { ProxySettings } from '../../src/config/settings.js';
import { listEmbeddingPackages } from '../../src/os/go-embeds.js';
import { ProxyChanges } from '../../src/proxy-changes.js';
import { EmbedIndex } from '../../src/proxy-embeds.js';
import type { Batch } from '../../src/pipeline/events.js';
import { captureLog } from '../helpers/log-capture.js';
import { makeTmpDir } from '../helpers/tmp.js';

const MAIN = `package main

import (
\t"fmt"
\t"os"

\t"example.com/emb/web"
)

func main() {
\tb, _ := os.ReadFile("templates/page.tmpl")
\tfmt.Println(web.Page(), string(b))
}
`;
const WEB = `package web

import "embed"

//go:embed templates/*
var pages embed.FS

//go:embed static
var assets embed.FS

func Page() string { b, _ := pages.ReadFile("templates/index.html"); return string(b) }
`;

let tmp: ReturnType<typeof makeTmpDir>;
const at = (...p: string[]): string => path.join(tmp.dir, ...p);
const write = (rel: string, text: string): void => {
  fs.mkdirSync(path.dirname(at(rel)), { recursive: true });
  fs.writeFileSync(at(rel), text);
};
const proxySettings = (): ProxySettings => ({
  enabled: true,
  port: 0,
  address: '127.0.0.1',
  appPort: 0,
  appPortEnv: 'PORT',
  holdTimeoutMs: 30_000,
  healthPath: undefined,
  readyTimeoutMs: 30_000,
  proveNewVersion: true,
  liveReload: true,
  csp: 'nonce',
  restartOnly: [...PROXY_RESTART_ONLY],
  reloadOnly: [...PROXY_RELOAD_ONLY],
});

beforeEach(() => {
  tmp = makeTmpDir();
  write('go.mod', 'module example.com/emb\n\ngo 1.22\n');
  write('main.go', MAIN);
  write('web/web.go', WEB);
  write('web/templates/index.html', '<p>one</p>\n');
  write('web/static/css/app.css', 'body{}\n');
  write('web/static/.hidden', 'x\n');
  write('templates/page.tmpl', 'from disk\n');
  write('static/app.js', '1\n');
});
afterEach(() => tmp.cleanup());

const query = () => ({ cwd: tmp.dir, pkg: '.', root: tmp.dir, env: process.env, flags: [] as string[] });

describe('go list: the packages under the root that embed files', () => {
  it('names each with its patterns and the files they resolve to (not the standard library, not dot files of a directory)', async () => {
    const found = await listEmbeddingPackages({ ...query(), signal: AbortSignal.timeout(60_000) });
    expect(found).toEqual([
      {
        importPath: 'example.com/emb/web',
        dir: at('web'),
        patterns: ['static', 'templates/*'],
        files: [at('web/static/css/app.css'), at('web/templates/index.html')],
      },
    ]);
  }, 60_000);

  it('with ./... (build.cmd: the package it builds is unknown), every package of the module counts', async () => {
    fs.mkdirSync(at('cmd/server'), { recursive: true });
    fs.renameSync(at('main.go'), at('cmd/server/main.go'));
    write('tools/gen.go', 'package tools\n\nimport _ "embed"\n\n//go:embed gen.tmpl\nvar Gen string\n');
    write('tools/gen.tmpl', 'x\n');
    const found = await listEmbeddingPackages({ ...query(), pkg: './...', signal: AbortSignal.timeout(60_000) });
    expect(found.map((p) => [p.importPath, p.files]).sort()).toEqual([
      ['example.com/emb/tools', [at('tools/gen.tmpl')]],
      ['example.com/emb/web', [at('web/static/css/app.css'), at('web/templates/index.html')]],
    ]);
  }, 60_000);

  it('rejects with go’s own words when the module is broken', async () => {
    write('go.mod', 'module example.com/emb\n\ngo 1.22\nrequire (\n');
    await expect(listEmbeddingPackages({ ...query(), signal: AbortSignal.timeout(60_000) })).rejects.toThrow(
      /go list .* failed: .*go\.mod/,
    );
  }, 60_000);
});

describe('behind the proxy: what a changed file needs', () => {
  const setup = () => {
    const cap = captureLog();
    const embeds = new EmbedIndex(query(), cap.log, AbortSignal.timeout(120_000));
    const changes = new ProxyChanges(tmp.dir, { ...proxySettings(), restartOnly: ['templates/**', 'web/templates/**'] }, embeds, cap.log);
    const got: Array<{ how: 'submit' | 'revert'; batch: Batch }> = [];
    const gate = changes.inOrder({
      submit: (batch) => got.push({ how: 'submit', batch }),
      revert: (batch) => got.push({ how: 'revert', batch }),
    });
    const deliver = async (how: 'submit' | 'revert', ...rels: string[]): Promise<Batch> => {
      const batch: Batch = { paths: rels.map((r) => at(r)), rescanReasons: [], firstAt: 1, lastAt: 2 };
      const before = got.length;
      gate[how](batch);
      for (let i = 0; i < 600 && got.length === before; i++) await new Promise((r) => setTimeout(r, 50));
      return got[got.length - 1]!.batch;
    };
    return { cap, embeds, changes, got, gate, deliver };
  };

  it('an embedded template builds and says why; one read from disk restarts; a static file served from disk reloads', async () => {
    const { cap, changes, deliver } = setup();
    await deliver('submit', 'web/templates/index.html');
    expect(changes.kind(at('web/templates/index.html'))).toBe('build');
    expect(cap.events('proxy.embedded').at(-1)?.msg).toBe(
      'web/templates/index.html is embedded by ./web (//go:embed): rebuilding (a restart would show its old content; proxy.restartOnly does not apply)',
    );
    expect(changes.kind(at('templates/page.tmpl'))).toBe('restart');
    expect(changes.kind(at('static/app.js'))).toBe('reload');
    // web/static is embedded as a directory: its files build (a reload would serve the old bytes) ...
    expect(changes.kind(at('web/static/css/app.css'))).toBe('build');
    // ... and so does one created after go was asked, inside a directory a pattern names; not a dot file.
    write('web/static/img/new.svg', '<svg/>');
    expect(changes.kind(at('web/static/img/new.svg'))).toBe('build');
    expect(cap.events('proxy.embedded').at(-1)).toMatchObject({ file: 'web/static/img/new.svg', package: './web' });
    expect(changes.kind(at('web/static/.cache'))).toBe('reload');
    expect(changes.kind(at('main.go'))).toBe('build');
  }, 60_000);

  it('a Go edit that embeds a template read from disk until now: the next edit of it builds', async () => {
    const { changes, deliver } = setup();
    await deliver('submit', 'templates/page.tmpl');
    expect(changes.kind(at('templates/page.tmpl'))).toBe('restart');
    write(
      'main.go',
      MAIN.replace('import (', 'import (\n\t_ "embed"').replace(
        'func main() {',
        '//go:embed templates/page.tmpl\nvar page string\n\nfunc main() {',
      ),
    );
    await deliver('submit', 'main.go');
    await deliver('submit', 'templates/page.tmpl');
    expect(changes.kind(at('templates/page.tmpl'))).toBe('build');
  }, 60_000);

  it('go cannot answer: the change builds, the warning says why once, and the next answer is asked for again', async () => {
    const { cap, changes, deliver } = setup();
    write('go.mod', 'module example.com/emb\n\ngo 1.22\nrequire (\n');
    await deliver('submit', 'go.mod');
    await deliver('submit', 'templates/page.tmpl');
    expect(changes.kind(at('templates/page.tmpl'))).toBe('build');
    const warned = cap.lines.filter((l) => l.event === 'proxy.embeds-unknown' && l.level === 40);
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toMatch(/could not ask go which files are embedded .*go\.mod.*rebuild to be safe/);
    expect(cap.events('proxy.embedded-unknown').at(-1)?.msg).toMatch(
      /templates\/page\.tmpl: whether the binary embeds it .* is unknown .*rebuilding to be safe/,
    );
    // The same failure again: said at debug only.
    await deliver('submit', 'templates/page.tmpl');
    expect(cap.lines.filter((l) => l.event === 'proxy.embeds-unknown' && l.level === 40)).toHaveLength(1);
    // Fixed: asked again, and the template is a restart again.
    write('go.mod', 'module example.com/emb\n\ngo 1.22\n');
    await deliver('submit', 'go.mod');
    await deliver('submit', 'templates/page.tmpl');
    expect(changes.kind(at('templates/page.tmpl'))).toBe('restart');
  }, 60_000);

  it('delivers in order: a revert never overtakes the batch waiting for go list before it', async () => {
    const { got, gate, embeds } = setup();
    embeds.invalidate();
    const batch = (rel: string): Batch => ({ paths: [at(rel)], rescanReasons: [], firstAt: 1, lastAt: 2 });
    gate.submit(batch('templates/page.tmpl')); // waits for go list
    gate.revert(batch('templates/page.tmpl'));
    gate.submit(batch('main.go'));
    expect(got).toEqual([]);
    for (let i = 0; i < 600 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(got.map((g) => g.how)).toEqual(['submit', 'revert', 'submit']);
    expect(got[2]!.batch.paths).toEqual([at('main.go')]);
  }, 60_000);
});

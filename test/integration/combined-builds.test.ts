/**
 * Several apps' builds as one `go build -o DIR/ pkgA pkgB …` (src/apps/combined-builds.ts), with real go
 * builds in a temp module: each app gets its own binary and its own outcome, builds that cannot share a
 * directory are split, an app called off leaves without stopping the others, and a planted symlink at an
 * output is replaced, never written through.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildSlots } from '../../src/apps/build-slots.js';
import { CombinedBuilds } from '../../src/apps/combined-builds.js';
import { combinedName, ownOutput } from '../../src/apps/combined-output.js';
import type { BuildSettings } from '../../src/config/settings.js';
import { silentLogger } from '../../src/log/logger.js';
import type { BuildResult } from '../../src/supervisor/build.js';
import { makeTmpDir } from '../helpers/tmp.js';

const log = silentLogger();
/** Main packages, by directory; each prints its own directory when run. */
const MAINS = ['cmd/api', 'cmd/worker', 'tools/api'];

function writeModule(dir: string): void {
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/comb\n\ngo 1.22\n');
  fs.mkdirSync(path.join(dir, 'shared'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'shared/shared.go'), 'package shared\n\nconst V = "v1"\n');
  for (const m of MAINS) {
    fs.mkdirSync(path.join(dir, m), { recursive: true });
    fs.writeFileSync(
      path.join(dir, m, 'main.go'),
      `package main\n\nimport (\n\t"fmt"\n\n\t"example.com/comb/shared"\n)\n\nfunc main() { fmt.Println("${m}", shared.V) }\n`,
    );
  }
}

function settings(root: string, pkg: string, output: string): BuildSettings {
  return {
    root,
    cmd: undefined,
    package: pkg,
    output,
    flags: [],
    env: {},
    timeoutMs: 120_000,
    onFailure: 'keep-running',
    steps: [],
    clear: false,
  };
}

const runs = (bin: string): string => execFileSync(bin, { encoding: 'utf8' }).trim();

describe('combined builds (real go build)', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  const out = (name: string): string => path.join(tmp.dir, '.hotwatch/bin', name);

  beforeAll(() => {
    tmp = makeTmpDir();
    writeModule(tmp.dir);
    fs.mkdirSync(path.join(tmp.dir, '.hotwatch/bin'), { recursive: true, mode: 0o700 });
  });
  afterAll(() => tmp?.cleanup());

  it('builds each app into its own output; two packages named alike go to separate go builds', async () => {
    const lines: string[] = [];
    const builds = new CombinedBuilds(new BuildSlots(4), log);
    const signal = new AbortController().signal;
    const results = await Promise.all(
      MAINS.map((m) => builds.run(settings(tmp.dir, `./${m}`, out(m.replace('/', '-'))), { signal, log, onLine: (l) => lines.push(l) })),
    );
    for (const r of results) expect(r.ok, r.output).toBe(true);
    for (const m of MAINS) expect(runs(out(m.replace('/', '-')))).toBe(`${m} v1`);
    // cmd/api and cmd/worker in one go build; tools/api (also "api") alone.
    expect(results[0]!.command).toContain('./cmd/api ./cmd/worker');
    expect(results[2]!.command).not.toContain('./cmd/');
    for (const m of MAINS) expect(fs.statSync(out(m.replace('/', '-'))).mode & 0o022).toBe(0);
    // Nothing of the shared directory is left beside the outputs.
    expect(fs.readdirSync(path.join(tmp.dir, '.hotwatch/bin')).filter((f) => f.startsWith('.combined-'))).toEqual([]);
  }, 180_000);

  /** cmd/api and cmd/worker built at once (one go build, or apart as it falls out). */
  const apiAndWorker = (): Promise<BuildResult[]> => {
    const builds = new CombinedBuilds(new BuildSlots(4), log);
    const signal = new AbortController().signal;
    return Promise.all([
      builds.run(settings(tmp.dir, './cmd/api', out('cmd-api')), { signal, log }),
      builds.run(settings(tmp.dir, './cmd/worker', out('cmd-worker')), { signal, log }),
    ]);
  };

  it('a broken main fails with its own error only; the other app in the same go build is built', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'cmd/worker/broken.go'), 'package main\n\nvar _ = notDefinedHere\n');
    fs.writeFileSync(path.join(tmp.dir, 'shared/shared.go'), 'package shared\n\nconst V = "v2"\n');
    try {
      const [api, worker] = await apiAndWorker();
      expect(api!.ok, api!.output).toBe(true);
      expect(api!.command).toContain('./cmd/worker');
      expect(runs(out('cmd-api'))).toBe('cmd/api v2');
      expect(worker!.ok).toBe(false);
      expect(worker!.exitCode).not.toBe(0);
      expect(worker!.output).toContain('notDefinedHere');
      expect(runs(out('cmd-worker')), 'the last good worker binary is left in place').toBe('cmd/worker v1');
    } finally {
      fs.rmSync(path.join(tmp.dir, 'cmd/worker/broken.go'));
    }
  }, 180_000);

  it('an app whose package cannot be loaded (go stops before compiling anything) fails alone: the other app is built on its own', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'cmd/worker/missing.go'), 'package main\n\nimport _ "example.com/nowhere/at/all"\n');
    fs.writeFileSync(path.join(tmp.dir, 'shared/shared.go'), 'package shared\n\nconst V = "v3"\n');
    try {
      const [api, worker] = await apiAndWorker();
      expect(api!.ok, api!.output).toBe(true);
      expect(runs(out('cmd-api'))).toBe('cmd/api v3');
      expect(worker!.ok).toBe(false);
      expect(worker!.output).toContain('example.com/nowhere/at/all');
    } finally {
      fs.rmSync(path.join(tmp.dir, 'cmd/worker/missing.go'));
    }
  }, 180_000);

  it('an app called off leaves at once as canceled; the other is built', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'shared/shared.go'), 'package shared\n\nconst V = "v3"\n');
    const builds = new CombinedBuilds(new BuildSlots(4), log);
    const keep = new AbortController();
    const leave = new AbortController();
    const api = builds.run(settings(tmp.dir, './cmd/api', out('cmd-api')), { signal: keep.signal, log });
    const worker = builds.run(settings(tmp.dir, './cmd/worker', out('cmd-worker')), { signal: leave.signal, log });
    await new Promise((r) => setTimeout(r, 50)); // gathered and started
    leave.abort();
    const left = await worker;
    expect(left.canceled).toBe(true);
    const built = await api;
    expect(built.ok, built.output).toBe(true);
    expect(runs(out('cmd-api'))).toBe('cmd/api v3');
    expect(runs(out('cmd-worker')), 'the worker called off keeps its old binary').toBe('cmd/worker v1');
  }, 180_000);

  it('every app called off stops the go build', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'shared/shared.go'), 'package shared\n\nconst V = "v4"\n');
    const builds = new CombinedBuilds(new BuildSlots(4), log);
    const ctrl = new AbortController();
    const pending: Array<Promise<BuildResult>> = ['cmd/api', 'cmd/worker'].map((m) =>
      builds.run(settings(tmp.dir, `./${m}`, out(m.replace('/', '-'))), { signal: ctrl.signal, log }),
    );
    await new Promise((r) => setTimeout(r, 50));
    ctrl.abort();
    for (const r of await Promise.all(pending)) expect(r.canceled).toBe(true);
    expect(runs(out('cmd-api'))).toBe('cmd/api v3');
  }, 180_000);

  it('a symlink planted at an output is replaced by the binary, its target untouched', async () => {
    const victim = path.join(tmp.dir, 'victim.txt');
    fs.writeFileSync(victim, 'precious');
    fs.rmSync(out('cmd-api'), { force: true });
    fs.symlinkSync(victim, out('cmd-api'));
    const builds = new CombinedBuilds(new BuildSlots(4), log);
    const signal = new AbortController().signal;
    const results = await Promise.all(
      ['cmd/api', 'cmd/worker'].map((m) => builds.run(settings(tmp.dir, `./${m}`, out(m.replace('/', '-'))), { signal, log })),
    );
    for (const r of results) expect(r.ok, r.output).toBe(true);
    expect(fs.lstatSync(out('cmd-api')).isSymbolicLink()).toBe(false);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious');
    expect(runs(out('cmd-api'))).toBe('cmd/api v4');
  }, 180_000);
});

describe('combinedName and ownOutput', () => {
  const s = (pkg: string, more: Partial<BuildSettings> = {}): BuildSettings => ({ ...settings('/r', pkg, '/r/o'), ...more });

  it('names the binary go writes, or refuses where go may name it otherwise', () => {
    expect(combinedName(s('./cmd/api'))).toBe('api');
    expect(combinedName(s('./cmd/api/'))).toBe('api');
    expect(combinedName(s('example.com/m/cmd/worker'))).toBe('worker');
    for (const pkg of ['.', './', './cmd/v2', './cmd/...', 'main.go', '-x']) expect(combinedName(s(pkg)), pkg).toBeUndefined();
    expect(combinedName(s('./cmd/api', { cmd: 'make' }))).toBeUndefined();
    expect(combinedName(s('./cmd/api', { flags: ['-o', 'x'] }))).toBeUndefined();
  });

  it("drops the sections of the other apps' main packages, keeps everything else", () => {
    const output = [
      'go: warning: something',
      '# example.com/m/cmd/worker',
      'cmd/worker/x.go:3:9: undefined: a',
      '# example.com/m/internal/shared',
      'internal/shared/s.go:1:1: bad',
      '# example.com/m/cmd/api',
      'cmd/api/main.go:2:2: undefined: b',
    ].join('\n');
    const forApi = ownOutput(output, ['./cmd/worker']);
    expect(forApi).not.toContain('undefined: a');
    expect(forApi).toContain('internal/shared/s.go');
    expect(forApi).toContain('undefined: b');
    expect(forApi).toContain('go: warning');
  });
});

/**
 * `hotwatch config` and `hotwatch run --help` through the built CLI: the effective configuration with
 * the source of each value, for the same flags as run; the help naming the installed reference files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { REPO, goMain, runCli } from '../helpers/hotwatch.js';

let tmp: ReturnType<typeof makeTmpDir>;
beforeEach(() => {
  tmp = makeTmpDir();
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/cfg\n\ngo 1.22\n');
  fs.writeFileSync(path.join(tmp.dir, 'main.go'), goMain('v1'));
});
afterEach(() => tmp.cleanup());

describe('hotwatch config (e2e)', () => {
  it('prints every value with its source; flags as in run override the file; exit 0, nothing started', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'run:\n  port: 8080\n  onCrash: restart\n');
    fs.writeFileSync(path.join(tmp.dir, 'dev.env'), 'A=1\n');
    const r = await runCli(['config', '--port', '9090', '--env-file', 'dev.env', '--package', '.', '--', '-v'], { cwd: tmp.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}port: 9090 +# flag --port$/m);
    expect(r.stdout).toMatch(/^ {2}onCrash: restart +# watcher\.config\.yaml:3:12$/m);
    expect(r.stdout).toMatch(new RegExp(`^ {2}envFiles: \\[${tmp.dir}/dev\\.env\\] +# flag --env-file$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}package: \. +# flag --package$/m);
    expect(r.stdout).toMatch(/^ {2}args: \[-v\] +# flag -- ARGS$/m);
    expect(r.stdout).toMatch(/^ {2}gracePeriod: 5s +# default$/m);
    expect(fs.existsSync(path.join(tmp.dir, '.hotwatch')), 'nothing started').toBe(false);
  });

  it('bad input is exit 2 with the same message as run', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'build:\n  cmnd: x\n');
    const [c, r] = await Promise.all([runCli(['config'], { cwd: tmp.dir }), runCli(['run'], { cwd: tmp.dir })]);
    expect(c.code).toBe(2);
    expect(c.stderr).toBe(r.stderr);
    expect(c.stderr).toContain('watcher.config.yaml:2:3 build.cmnd: unknown key (did you mean build.cmd?)');
  });
});

describe('hotwatch run --help (e2e)', () => {
  it('names the README and the JSON Schema of this installation by absolute path', async () => {
    const r = await runCli(['run', '--help'], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`README       ${path.join(REPO, 'README.md')}\n`);
    expect(r.stdout).toContain(`JSON Schema  ${path.join(REPO, 'schema/watcher.config.schema.json')}\n`);
    expect(r.stdout).toContain('HOTWATCH_CACHE_DIR');
    expect(r.stdout).toMatch(/^ {2}run\.port +--port /m);
  });
});

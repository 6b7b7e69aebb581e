/**
 * Bad input ends in one clear message, exit 2, nothing started (issue 2, "what it must show" 6, through
 * the real CLI; the loader's own tests cover every config error class in detail).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { goMain, runCli } from '../helpers/hotwatch.js';

let tmp: ReturnType<typeof makeTmpDir>;

beforeEach(() => {
  tmp = makeTmpDir();
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/bad\n\ngo 1.22\n');
  fs.writeFileSync(path.join(tmp.dir, 'main.go'), goMain('v1'));
});
afterEach(() => tmp.cleanup());

const nothingStarted = () => expect(fs.existsSync(path.join(tmp.dir, '.hotwatch/bin/app')), 'no build ran').toBe(false);

describe('bad input (e2e)', () => {
  it('--version and --help', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^hotwatch \d+\.\d+\.\d+/);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/hotwatch run/);
    expect(h.stdout).toMatch(/hotwatch doctor/);
  });

  it('an unknown key names file:line:col, the key and the likely fix', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'build:\n  output: .hotwatch/bin/app\n  cmnd: go build\n');
    const r = await runCli(['run'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('watcher.config.yaml:3:3 build.cmnd: unknown key (did you mean build.cmd?)');
    nothingStarted();
  });

  it('a bare-number duration says to add a unit', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'debounce:\n  quiet: 300\n');
    const r = await runCli(['run'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/watcher\.config\.yaml:2:10 debounce\.quiet: .*unit/);
    nothingStarted();
  });

  it('a missing --config file, an unknown flag, an unknown command, a missing root', async () => {
    const a = await runCli(['run', '--config', 'nope.yaml'], { cwd: tmp.dir });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/nope\.yaml/);
    const b = await runCli(['run', '--frobnicate'], { cwd: tmp.dir });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/frobnicate/);
    const c = await runCli(['frobnicate'], { cwd: tmp.dir });
    expect(c.code).toBe(2);
    const d = await runCli(['run', '--root', path.join(tmp.dir, 'missing')], { cwd: tmp.dir });
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/missing/);
    nothingStarted();
  });

  it('no Go toolchain on PATH → exit 2 with the fix', async () => {
    const nodeDir = path.dirname(process.execPath);
    const r = await runCli(['run'], { cwd: tmp.dir, env: { ...process.env, PATH: nodeDir } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Go toolchain .*not on PATH/);
    expect(r.stderr).toMatch(/fix: install Go/);
    nothingStarted();
  });

  it('not a Go module → exit 2', async () => {
    fs.rmSync(path.join(tmp.dir, 'go.mod'));
    const r = await runCli(['run'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no go\.mod/);
    expect(r.stderr).toMatch(/go mod init/);
  });

  it('run.port already in use → exit 2 naming the holder', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), `run:\n  port: ${port}\n`);
      const r = await runCli(['run'], { cwd: tmp.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`port ${port}`);
      expect(r.stderr).toContain(`pid ${process.pid}`);
      nothingStarted();
    } finally {
      srv.close();
    }
  });
});

/**
 * Bad input ends in one clear message, exit 2, nothing started (issue 2, "what it must show" 6, through
 * the real CLI; the loader's own tests cover every config error class in detail).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { BIN, goMain, runCli } from '../helpers/hotwatch.js';
import { requireNamespaces } from '../helpers/faults-ns.js';

let tmp: ReturnType<typeof makeTmpDir>;

beforeEach(() => {
  tmp = makeTmpDir();
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/bad\n\ngo 1.22\n');
  fs.writeFileSync(path.join(tmp.dir, 'main.go'), goMain('v1'));
});
afterEach(() => tmp.cleanup());

const nothingStarted = () => expect(fs.existsSync(path.join(tmp.dir, '.hotwatch/bin/app')), 'no build ran').toBe(false);

describe('bad input (e2e)', () => {
  it.skipIf(process.getuid?.() !== 0)(
    "a tree another uid owns (a dev container whose user is not the checkout's): the fix names both uids, not a chmod only the owner could run",
    () => {
      // uid 1000 runs hotwatch on a tree uid 1001 owns (mode 755: readable, not writable).
      fs.chmodSync(tmp.dir, 0o755);
      spawnSync('chown', ['-R', '1001:1001', tmp.dir]);
      const r = spawnSync('setpriv', ['--reuid', '1000', '--regid', '1000', '--clear-groups', process.execPath, BIN, 'run'], {
        cwd: tmp.dir,
        env: { PATH: process.env.PATH, HOME: tmp.dir },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`cannot write ${path.join(tmp.dir, '.hotwatch')} (permission denied)`);
      expect(r.stderr).toContain(`fix: ${tmp.dir} belongs to uid 1001, and hotwatch runs as uid 1000: run it as uid 1001`);
      expect(r.stderr).not.toContain('chmod u+w');
      nothingStarted();
    },
  );

  it('an open-files limit too low to load hotwatch itself (ulimit -n 20): exit 2 naming the limit and the fix, not an internal error with a stack', () => {
    const r = spawnSync('sh', ['-c', 'ulimit -n 20 && exec "$0" "$1" run', process.execPath, BIN], {
      cwd: tmp.dir,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^hotwatch: too many open files \(EMFILE\) while starting: /);
    expect(r.stderr).toContain('fix: raise it (ulimit -n 1024, or LimitNOFILE= in a unit) and start hotwatch again');
    expect(r.stderr).not.toContain('internal error');
  });

  it('--version and --help', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^hotwatch \d+\.\d+\.\d+/);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/hotwatch run/);
    expect(h.stdout).toMatch(/hotwatch doctor/);
  });

  it('a planted named pipe as the env file or the config file: exit 2 at once, naming it (it blocked open(2), deaf to Ctrl-C)', async () => {
    spawnSync('mkfifo', [path.join(tmp.dir, '.env')]);
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'run:\n  envFiles: [.env]\n');
    const r = await runCli(['run'], { cwd: tmp.dir, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/env file .*\.env is a named pipe \(FIFO\), not a regular file/);
    nothingStarted();
    fs.rmSync(path.join(tmp.dir, 'watcher.config.yaml'));
    spawnSync('mkfifo', [path.join(tmp.dir, 'watcher.config.yaml')]);
    const c = await runCli(['run'], { cwd: tmp.dir, timeoutMs: 20_000 });
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('watcher.config.yaml: is a named pipe (FIFO), not a regular file');
    nothingStarted();
  });

  it('a build.output outside .hotwatch/ that is not a file of yours (a FIFO here; /dev/null alike): exit 2 at its key, nothing removed', async () => {
    const fifo = path.join(tmp.dir, 'out.fifo');
    spawnSync('mkfifo', [fifo]);
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'build:\n  output: out.fifo\n');
    const r = await runCli(['run'], { cwd: tmp.dir, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /watcher\.config\.yaml:2:11 build\.output .*out\.fifo is not a regular file: hotwatch runs the binary it builds there/,
    );
    expect(fs.lstatSync(fifo).isFIFO(), 'left as it was').toBe(true);
    nothingStarted();
  });

  it('an unknown key names file:line:col, the key and the likely fix', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'build:\n  output: .hotwatch/bin/app\n  cmnd: go build\n');
    const r = await runCli(['run'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('watcher.config.yaml:3:3 build.cmnd: unknown key (did you mean build.cmd?)');
    nothingStarted();
  });

  it('a file with three mistakes: all three reported together, each at file:line:col, exit 2', async () => {
    fs.writeFileSync(
      path.join(tmp.dir, 'watcher.config.yaml'),
      'watch:\n  extensions: go, html\nbuild:\n  cmnd: go build\nrun:\n  port: "8080"\n',
    );
    const r = await runCli(['run'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'hotwatch: watcher.config.yaml: 3 problems\n' +
        'watcher.config.yaml:2:15 watch.extensions: expected a list, got a string ("go, html")\n' +
        '  fix: write a list: ["go", "html"]\n' +
        'watcher.config.yaml:4:3 build.cmnd: unknown key (did you mean build.cmd?)\n' +
        'watcher.config.yaml:6:9 run.port: expected a number, got a string ("8080")\n' +
        '  fix: remove the quotes: 8080\n',
    );
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

  it("an unknown flag: our own message with did-you-mean (not node's, with its unbalanced quote), exit 2", async () => {
    const r = await runCli(['run', '--prot', '8080'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('hotwatch: unknown flag --prot (did you mean --port?)\n  fix: hotwatch run --help lists its flags\n');
    const d = await runCli(['doctor', '--jsn'], { cwd: tmp.dir });
    expect(d.code).toBe(2);
    expect(d.stderr).toBe('hotwatch: unknown flag --jsn (did you mean --json?)\n  fix: hotwatch doctor --help lists its flags\n');
    // The commands on node's own parser say it the same way.
    for (const [cmd, typo, meant] of [
      ['init', '--forse', '--force'],
      ['status', '--jsno', '--json'],
      ['reload', '--rot', '--root'],
      ['systemd-unit', '--usr', '--user'],
    ]) {
      const c = await runCli([cmd!, typo!], { cwd: tmp.dir });
      expect(c.code, c.stderr).toBe(2);
      expect(c.stderr).toBe(`hotwatch: unknown flag ${typo} (did you mean ${meant}?)\n  fix: hotwatch ${cmd} --help lists its flags\n`);
    }
    expect(fs.existsSync(path.join(tmp.dir, 'watcher.config.yaml')), 'init wrote nothing').toBe(false);
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

  // Each of these used to start: a RangeError stack (exit 1), or a hotwatch retrying forever (hence the bound).
  it('values that contradict each other or make no sense → exit 2 at the value, with the fix', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        'debounce:\n  quiet: 2s\n',
        /^hotwatch: watcher\.config\.yaml:2:10 debounce\.quiet: 2s is longer than debounce\.maxWait \(1s, the default\).*\n {2}fix: /,
      ],
      [
        'run:\n  backoffInitial: 10s\n  backoffMax: 1s\n',
        /^hotwatch: watcher\.config\.yaml:2:19 run\.backoffInitial: 10s is longer than run\.backoffMax \(1s\).*\n {2}fix: /,
      ],
      ['build:\n  timeout: 0s\n', /^hotwatch: watcher\.config\.yaml:2:12 build\.timeout: "0s" is zero: .*\n {2}fix: /],
      ['run:\n  cwd: srv\n', /^hotwatch: watcher\.config\.yaml:2:8 run\.cwd: .*srv does not exist\n {2}fix: /],
      [
        'run:\n  port: 18090\nproxy:\n  enabled: true\n  port: 18090\n',
        /^hotwatch: watcher\.config\.yaml:2:9 run\.port 18090 is proxy\.port too: .*\n {2}fix: give the proxy another port .*or drop run\.port/,
      ],
    ];
    for (const [yaml, expected] of cases) {
      fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), yaml);
      const r = await runCli(['run'], { cwd: tmp.dir, timeoutMs: 15_000 });
      expect(r.code, yaml).toBe(2);
      expect(r.stderr, yaml).toMatch(expected);
      expect(r.stderr, yaml).not.toMatch(/\n\s+at /); // no stack
      nothingStarted();
    }
  });

  it('the cmd/server layout (nothing, or a library, at the root) → exit 2 naming the main package to set', async () => {
    fs.rmSync(path.join(tmp.dir, 'main.go'));
    fs.mkdirSync(path.join(tmp.dir, 'cmd/server'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'cmd/server/main.go'), goMain('v1'));
    for (const rootFile of [undefined, 'package bad\n']) {
      if (rootFile) fs.writeFileSync(path.join(tmp.dir, 'lib.go'), rootFile);
      const r = await runCli(['run'], { cwd: tmp.dir, timeoutMs: 15_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        rootFile ? /build\.package "\.": .* is package bad \(a library\), not package main/ : /build\.package "\.": no Go files in /,
      );
      expect(r.stderr).toContain(
        'fix: run it: hotwatch run --package ./cmd/server, or write a config that names it: hotwatch init --main ./cmd/server (main packages under the root: ./cmd/server)',
      );
      nothingStarted();
    }
  });

  it('a custom build.cmd that runs go, without go on PATH → exit 2 at build.cmd', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), 'build:\n  cmd: go build -o .hotwatch/bin/app .\n');
    const nodeOnly = path.join(tmp.dir, 'node-only');
    fs.mkdirSync(nodeOnly);
    fs.symlinkSync(process.execPath, path.join(nodeOnly, 'node'));
    const r = await runCli(['run'], { cwd: tmp.dir, env: { ...process.env, PATH: nodeOnly }, timeoutMs: 15_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hotwatch: watcher\.config\.yaml:2:8 build\.cmd: runs `go`, but the Go toolchain is not on PATH\n {2}fix: /);
    nothingStarted();
  });

  it('a read-only root → exit 2 saying .hotwatch/ cannot be written, no stack (a real ro bind mount in unshare -Urm)', () => {
    requireNamespaces('-Urm');
    const script = 'set -e; mount --bind "$1" "$1"; mount -o remount,bind,ro "$1" "$1"; cd "$1"; exec "$2" "$3" run';
    const r = spawnSync('unshare', ['-Urm', 'sh', '-c', script, 'ro-root', tmp.dir, process.execPath, BIN], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(
      `hotwatch: cannot write ${tmp.dir}/.hotwatch (the root is on a read-only file system): hotwatch keeps its state there, and by default the built binary\n` +
        '  fix: run hotwatch on a writable checkout, or mount this one read-write\n',
    );
    expect(fs.existsSync(path.join(tmp.dir, '.hotwatch')), 'nothing written').toBe(false);
  });

  it('run.port already in use → exit 2 naming the holder', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), `run:\n  port: ${port}\n`);
      const r = await runCli(['run'], { cwd: tmp.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`watcher.config.yaml:2:9 port ${port}`);
      expect(r.stderr).toContain(`pid ${process.pid}`);
      nothingStarted();
    } finally {
      srv.close();
    }
  });
});

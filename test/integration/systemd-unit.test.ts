/**
 * `hotwatch systemd-unit` against systemd's own parser: the unit, system and user forms, passes
 * `systemd-analyze verify` without a word (a setting systemd rejects is only a warning there, so the
 * test reads stderr, and a planted bad setting shows the check sees it).
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemdUnitCommand } from '../../src/cli/systemd-unit.js';
import { runCli } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function tmp(): string {
  const t = makeTmpDir('hotwatch-unit-');
  cleanups.push(t.cleanup);
  return t.dir;
}

async function generate(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, cwd } as never;
  return { code: await systemdUnitCommand(argv, io), out, err };
}

function verify(unitFile: string, user: boolean): Promise<{ code: number; stderr: string }> {
  const runtime = tmp(); // a user manager's runtime directory: --user verify needs one
  fs.chmodSync(runtime, 0o700);
  const args = [...(user ? ['--user'] : []), 'verify', '--man=no', '--generators=no', unitFile];
  return new Promise((resolve) =>
    execFile('systemd-analyze', args, { env: { ...process.env, XDG_RUNTIME_DIR: runtime } }, (e, _o, stderr) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
}

/** A Go module in a directory whose name needs quoting and escaping in a unit (a space, a %). */
function goModule(): string {
  const root = path.join(tmp(), 'my app 100%');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'go.mod'), 'module example.com/x\n\ngo 1.22\n');
  fs.writeFileSync(path.join(root, 'main.go'), 'package main\n\nfunc main() {}\n');
  fs.writeFileSync(path.join(root, 'watcher.config.yaml'), 'run:\n  gracePeriod: 12s\n');
  return root;
}

describe('hotwatch systemd-unit', () => {
  for (const user of [false, true]) {
    it(`prints a ${user ? 'user' : 'system'} unit that systemd-analyze verify accepts without a warning`, async () => {
      const root = goModule();
      const g = await generate([...(user ? ['--user'] : []), '--', '--poll', '--', '-port', '8080'], root);
      expect(g).toMatchObject({ code: 0, err: '' });
      const file = path.join(tmp(), 'hotwatch-my-app-100-.service');
      fs.writeFileSync(file, g.out);
      const v = await verify(file, user);
      expect(v.stderr.split('\n').filter((l) => l.includes(path.basename(file)))).toEqual([]);
      expect(v.code).toBe(0);

      // The check reads what systemd says: a setting it cannot parse shows up.
      fs.writeFileSync(file, g.out.replace('NotifyAccess=all', 'NotifyAccess=children'));
      expect((await verify(file, user)).stderr).toContain('notify access');
    });
  }

  it('derives its numbers from the config and says why on every line', async () => {
    const root = goModule();
    const { out } = await generate(['--user'], root);
    const settings = Object.fromEntries(
      out
        .split('\n')
        .filter((l) => /^[A-Z]\w+=/.test(l))
        .map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1)]),
    );
    expect(settings).toMatchObject({
      Type: 'notify',
      NotifyAccess: 'all', // the notify helper is a child
      KillMode: 'mixed',
      TimeoutStopSec: '22', // run.gracePeriod 12 s + 10
      WatchdogSec: '30',
      Restart: 'on-failure',
      RestartPreventExitStatus: '2',
      WantedBy: 'default.target',
      WorkingDirectory: root.replace('%', '%%'),
      ExecStart: `${process.execPath} -- ${fs.realpathSync('bin/hotwatch.js')} run --root "${root.replace('%', '%%')}" --log-format pretty`,
    });
    expect(out).not.toMatch(/^User=/m); // a user unit runs as its user
    // Every setting has a comment above it, or is one of the few that speak for themselves.
    const lines = out.split('\n');
    // (Environment= lines of one kind share the comment above the first.)
    const bare = lines.filter(
      (l, k) =>
        /^[A-Z]\w+=/.test(l) &&
        !lines[k - 1]!.startsWith('#') &&
        !lines[k - 1]!.startsWith('[') &&
        !(l.startsWith('Environment=') && lines[k - 1]!.startsWith('Environment=')),
    );
    expect(bare.map((l) => l.split('=')[0])).toEqual(['StartLimitBurst', 'WorkingDirectory', 'Restart', 'RestartSec']);
  });

  it("carries the shell's Go settings (GOFLAGS, CGO_ENABLED...): a service inherits none, and would build another program", async () => {
    const root = goModule();
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (/^(GO|CGO_)/.test(k)) delete process.env[k];
    try {
      expect((await generate(['--user'], root)).out).toMatch(/^# No GO\* or CGO_\* variable was set where this unit was printed/m);
      Object.assign(process.env, { GOFLAGS: '-tags=dev -mod=mod', CGO_ENABLED: '0', GOPRIVATE: 'git.example.com/*' });
      const g = await generate(['--user'], root);
      expect(g.out).toContain(
        '# The Go settings of the shell that printed this unit (a service inherits none; without them it would build another program):\nEnvironment="CGO_ENABLED=0"\nEnvironment="GOFLAGS=-tags=dev -mod=mod"\nEnvironment="GOPRIVATE=git.example.com/*"\n',
      );
      const file = path.join(tmp(), 'hotwatch-x.service');
      fs.writeFileSync(file, g.out);
      expect((await verify(file, true)).code).toBe(0);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('waits for the longest grace period of the apps that run, and names its key', async () => {
    const root = goModule();
    for (const app of ['api', 'worker']) {
      fs.mkdirSync(path.join(root, 'cmd', app), { recursive: true });
      fs.writeFileSync(path.join(root, 'cmd', app, 'main.go'), 'package main\n\nfunc main() {}\n');
    }
    fs.writeFileSync(
      path.join(root, 'watcher.config.yaml'),
      'run:\n  gracePeriod: 2s\napps:\n  api:\n    package: ./cmd/api\n    gracePeriod: 60s\n  worker:\n    package: ./cmd/worker\n',
    );
    const stop = (out: string) =>
      out
        .split('\n')
        .slice(out.split('\n').findIndex((l) => l.startsWith('TimeoutStopSec=')) - 1)
        .slice(0, 2);
    const all = await generate(['--user'], root);
    expect(all).toMatchObject({ code: 0, err: '' });
    expect(stop(all.out)).toEqual([
      "# Above hotwatch's own stop: apps.api.gracePeriod (60 s, the longest of the apps that run) + 10 s.",
      'TimeoutStopSec=70',
    ]);
    // Only the worker runs (named after --): it inherits run.gracePeriod.
    const worker = await generate(['--user', '--', 'worker'], root);
    expect(stop(worker.out)).toEqual(["# Above hotwatch's own stop: run.gracePeriod (2 s) + 10 s.", 'TimeoutStopSec=12']);
    // An app the config does not have fails here, as hotwatch run would in the journal.
    const unknown = await generate(['--user', '--', 'web'], root);
    expect(unknown).toMatchObject({ code: 2, out: '' });
    expect(unknown.err).toContain('no app named "web"');
  });

  it('prints install lines that work pasted into sh: hotwatch as invoked (not on PATH), every word quoted', async () => {
    const root = goModule(); // "my app 100%": a space and a %
    const home = tmp();
    const elsewhere = tmp();
    // No hotwatch on this PATH (a clone or an npm install --prefix): the built CLI, run by its path.
    const go = spawnSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).stdout.trim();
    const env = { ...process.env, HOME: home, PATH: `${path.dirname(process.execPath)}:${path.dirname(go)}:/usr/bin:/bin` };
    expect(spawnSync('sh', ['-c', 'command -v hotwatch'], { env }).status).not.toBe(0);
    const sh = (line: string) => spawnSync('sh', ['-c', line], { cwd: elsewhere, env, encoding: 'utf8' });
    const installLine = (unit: string) =>
      unit
        .split('\n')
        .find((l) => l.startsWith('# Install:  '))!
        .slice('# Install:  '.length);

    const user = await runCli(['systemd-unit', '--user', '--', '--poll', '--', '-msg', "it's"], { cwd: root, env });
    expect(user).toMatchObject({ code: 0, stderr: '' });
    const ran = sh(installLine(user.stdout));
    expect(ran).toMatchObject({ status: 0, stderr: '' });
    const written = fs.readFileSync(path.join(home, '.config/systemd/user/hotwatch-my-app-100-.service'), 'utf8');
    expect(written).toContain('ExecStart=');
    expect(written).toBe(user.stdout);

    // The system unit's line: up to sudo tee, it prints the same unit (tee and the /etc path are systemd's).
    const system = await runCli(['systemd-unit', '--log-format', 'json', '--config', 'watcher.config.yaml'], { cwd: root, env });
    expect(system).toMatchObject({ code: 0, stderr: '' });
    const [generate, rest] = installLine(system.stdout).split(' | ');
    expect(rest).toBe('sudo tee /etc/systemd/system/hotwatch-my-app-100-.service >/dev/null');
    expect(sh(generate!)).toMatchObject({ status: 0, stderr: '', stdout: system.stdout });
    // The Watch line's status command names hotwatch the same way.
    expect(system.stdout).toContain(`${process.execPath} -- ${fs.realpathSync('bin/hotwatch.js')} status --root '${root}'`);
  });

  it("runs hotwatch after `node --`: a missing --env-file is hotwatch's exit 2 with its fix, not node's own exit 9", async () => {
    const root = goModule();
    const missing = path.join(root, 'missing.env');
    const g = await generate(['--', '--env-file', missing], root);
    expect(g.code).toBe(0);
    const exec = /^ExecStart=(.*)$/m.exec(g.out)![1]!;
    expect(exec.startsWith(`${process.execPath} -- `), exec).toBe(true);
    // The unit's words up to hotwatch's own arguments, then the same run by hand (systemd would exec it so).
    const r = spawnSync(process.execPath, ['--', fs.realpathSync('bin/hotwatch.js'), 'run', '--root', root, '--env-file', missing], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(missing);
  });

  it('fails like hotwatch run on a broken config (exit 2, the place and the fix), printing no unit', async () => {
    const root = goModule();
    fs.writeFileSync(path.join(root, 'watcher.config.yaml'), 'run:\n  gracePerod: 12s\n');
    const g = await generate([], root);
    expect(g.code).toBe(2);
    expect(g.out).toBe('');
    expect(g.err).toContain('did you mean run.gracePeriod');
  });

  it('refuses what hotwatch run refuses with apps: (--port, --proxy-port for several apps): no unit that exits 2 at each start', async () => {
    const root = goModule();
    fs.writeFileSync(
      path.join(root, 'watcher.config.yaml'),
      'apps:\n  a:\n    package: .\n  b:\n    package: .\n    output: .hotwatch/bin/b\n',
    );
    for (const args of [
      ['--port', '1'],
      ['--proxy-port', '8000'],
    ]) {
      const g = await generate(['--', ...args], root);
      expect(g.code, g.err).toBe(2);
      expect(g.out).toBe('');
    }
    const one = await generate(['--', 'a', '--proxy-port', '8000'], root);
    expect(one.code, one.err).toBe(0);
  });
});

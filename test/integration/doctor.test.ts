/**
 * `hotwatch doctor` as a real process (dist/cli/doctor-entry.js, built by `npm run build`): real /proc,
 * real kernel limits lowered inside `unshare -Ur`, a real tmpfs mounted inside `unshare -Urm`, a real
 * process holding the configured port. The JSON output is validated against schema/doctor.schema.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DoctorReportSchema, type DoctorReport } from '../../src/diagnostics/report-schema.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';
import { validateJsonSchema } from '../helpers/json-schema.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = path.join(REPO, 'dist/cli/doctor-entry.js');
const BIN = path.join(REPO, 'bin/hotwatch.js');
const SCHEMA = JSON.parse(fs.readFileSync(path.join(REPO, 'schema/doctor.schema.json'), 'utf8')) as Record<string, unknown>;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion, bounded in time (killed and rejected on overrun). */
function exec(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const doctor = (args: string[], cwd?: string) => exec(process.execPath, [ENTRY, ...args], { cwd });
/** The doctor inside a shell prelude (e.g. in `unshare`), with the prelude's own commands first. */
const doctorIn = (unshare: string[], prelude: string, args: string[]) =>
  exec('unshare', [...unshare, 'sh', '-c', `${prelude} && exec "$0" "$@"`, process.execPath, ENTRY, ...args]);

function parseJson(r: Result): DoctorReport {
  const json = JSON.parse(r.stdout) as unknown;
  expect(validateJsonSchema(SCHEMA, json)).toEqual([]);
  return DoctorReportSchema.parse(json);
}

const tmps: { cleanup: () => void }[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill('SIGKILL');
    await waitFor(() => c.pid === undefined || !isAlive(c.pid), { timeoutMs: 5000, description: `child ${c.pid} gone` });
  }
  while (tmps.length) tmps.pop()!.cleanup();
});

/** A Go module with `dirs` directories in total (root included), spread over a few levels. */
function goModule(dirs: number, extra: Record<string, string> = {}): string {
  const t = makeTmpDir('hotwatch-doctor-');
  tmps.push(t);
  fs.writeFileSync(path.join(t.dir, 'go.mod'), 'module example.com/app\n\ngo 1.22\n');
  fs.writeFileSync(path.join(t.dir, 'main.go'), 'package main\n\nfunc main() {}\n');
  const rest = dirs - 1;
  if (rest <= 10) for (let i = 0; i < rest; i++) fs.mkdirSync(path.join(t.dir, `d${i}`));
  else {
    for (let i = 0; i < 10; i++) fs.mkdirSync(path.join(t.dir, `pkg${i}`));
    for (let i = 0; i < rest - 10; i++) fs.mkdirSync(path.join(t.dir, `pkg${i % 10}`, `d${i}`));
  }
  for (const [rel, content] of Object.entries(extra)) {
    fs.mkdirSync(path.dirname(path.join(t.dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(t.dir, rel), content);
  }
  return t.dir;
}

function countDirs(root: string): number {
  let n = 0;
  const walk = (d: string) => {
    n++;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(root);
  return n;
}

beforeAll(() => {
  if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npx tsc -p .\` (npm run build) first`);
});

describe('hotwatch doctor as a process', () => {
  it('a healthy module: ✓ checks, exit 0; --json validates against the schema', async () => {
    const root = goModule(20);
    expect(countDirs(root)).toBe(20);
    const r = await doctor(['--root', root]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      "✓ inotify watches: this repo needs 21 watches (20 directories after excludes, plus 1 for the watchdog's sentinel directory)",
    );
    expect(r.stdout).toContain('✓ Main package');
    expect(r.stdout).toContain('✓ watching will work here');
    expect(r.code).toBe(0);
    const j = await doctor(['--json'], root);
    expect(j.code).toBe(0);
    const report = parseJson(j);
    expect(report).toMatchObject({ verdict: 'ok', root, facts: { budget: { dirs: 20, watchesNeeded: 21 } } });
  });

  it('polling configured: degraded, exit 1', async () => {
    const root = goModule(3, { 'watcher.config.yaml': 'watch:\n  backend: poll\n' });
    const r = await doctor([], root);
    expect(r.stdout).toContain('⚠ Root filesystem');
    expect(r.stdout).toContain('backend: auto');
    expect(r.code).toBe(1);
  });

  it('bad input: exit 2 with the reason on stderr; --help exits 0', async () => {
    const bad = await doctor(['--frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/frobnicate/);
    expect(bad.stdout).toBe('');
    const root = goModule(2, { 'watcher.config.yaml': 'watch:\n  backend: sometimes\n' });
    const cfg = await doctor([], root);
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toContain('watcher.config.yaml');
    expect(cfg.stdout).toBe('');
    const help = await doctor(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--json');
  });

  it('bad input with --json: a valid report on stdout (broken, the problem as a failing check), the message on stderr', async () => {
    const r = await doctor(['--root', '/nonexistent/hotwatch-root', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/hotwatch-root does not exist');
    const report = parseJson(r);
    expect(report).toMatchObject({ verdict: 'broken', root: '/nonexistent/hotwatch-root', facts: {} });
    expect(report.checks).toEqual([
      expect.objectContaining({
        id: 'input.root_unreadable',
        status: 'fail',
        detail: expect.stringContaining('does not exist'),
        fix: { text: expect.stringContaining('Go module') },
      }),
    ]);
    const flag = parseJson(await doctor(['--json', '--frobnicate']));
    expect(flag.checks[0]).toMatchObject({ id: 'input.flag_invalid', status: 'fail', detail: expect.stringContaining('frobnicate') });
  });

  // 300 directories + the sentinel directory = 301 watches, 100 left → 9 subtrees (269 directories: 8 × 30 + 29) polled.
  const lower = 'echo 100 > /proc/sys/user/max_inotify_watches';

  /** `hotwatch run` in the same kind of namespace: its JSON log lines up to watch.fallback, then stopped. */
  async function runLogs(root: string): Promise<Record<string, unknown>[]> {
    const child = spawn('unshare', ['-Ur', 'sh', '-c', `${lower} && exec "$0" "$@"`, process.execPath, BIN, 'run', '--root', root], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    children.push(child);
    const lines: Record<string, unknown>[] = [];
    let buf = '';
    const onData = (b: Buffer) => {
      buf += b.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    await waitFor(() => lines.find((l) => l.event === 'watch.fallback'), {
      timeoutMs: 20_000,
      description: 'hotwatch run logs watch.fallback',
    });
    child.kill('SIGTERM');
    await waitFor(() => child.exitCode !== null || child.signalCode !== null || undefined, {
      timeoutMs: 10_000,
      description: 'hotwatch run stopped',
    });
    return lines;
  }

  it('(a) user-namespace watch limit below the tree: ⚠ naming the polled subtrees, with the namespace fix, exit 1', async () => {
    const root = goModule(300);
    const r = await doctorIn(['-Ur'], lower, ['--root', root]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      "⚠ inotify watches: not enough inotify watches: this repo needs 301 watches (300 directories after excludes, plus 1 for the watchdog's sentinel directory)",
    );
    expect(r.stdout).toContain('user.max_inotify_watches=100');
    expect(r.stdout).toContain(
      '`hotwatch run` polls 9 subtrees (269 directories) every 1s: ./pkg0 (30 dirs), ./pkg1 (30 dirs), ./pkg2 (30 dirs) and 6 more; it watches the other 32 natively',
    );
    expect(r.stdout).toContain('watchdog.overBudget: refuse');
    // The namespace's own limit binds: raised by its root, no sudo, no sysctl.d file.
    expect(r.stdout).toContain('$ sysctl -w user.max_inotify_watches=524288');
    expect(r.stdout).not.toContain('sudo sysctl -w user.');
    expect(r.stdout).not.toContain('file /etc/sysctl.d/');
    expect(r.stdout).toContain('⚠ watching will work, degraded');
    expect(r.code).toBe(1);

    const j = await doctorIn(['-Ur'], lower, ['--root', root, '--json']);
    expect(j.code).toBe(1);
    const report = parseJson(j);
    expect(report.verdict).toBe('degraded');
    expect(report.facts.inotify!.effective.watches).toBe(100);
    expect(report.facts.budget).toMatchObject({
      dirs: 300,
      watchesNeeded: 301,
      watchesAvailable: 100,
      overBudget: { action: 'poll-subtrees', polledDirs: 269, nativeDirs: 32 },
    });
    expect(report.facts.budget!.overBudget!.subtrees).toHaveLength(9);
    const c = report.checks.find((x) => x.id === 'inotify.watches')!;
    expect(c.status).toBe('warn');
    expect(c.fix!.commands).toEqual(['sysctl -w user.max_inotify_watches=524288']);

    // `hotwatch run` on the same tree and limit counts the same watches and polls the same subtrees.
    const logs = await runLogs(root);
    const budget = logs.find((l) => l.event === 'watch.budget')!;
    const fallback = logs.find((l) => l.event === 'watch.fallback')!;
    expect(budget).toMatchObject({
      dirs: report.facts.budget!.watchesNeeded,
      available: report.facts.budget!.watchesAvailable,
      fits: false,
    });
    expect(fallback).toMatchObject({
      scope: 'dir',
      polledDirs: 269,
      nativeDirs: 32,
      paths: report.facts.budget!.overBudget!.subtrees.map((x) => x.path),
    });
  }, 60_000);

  it('(a) with watchdog.overBudget: refuse: ✗ with the sysctl fix, exit 2', async () => {
    const root = goModule(300, { 'watcher.config.yaml': 'watchdog:\n  overBudget: refuse\n' });
    const r = await doctorIn(['-Ur'], lower, ['--root', root]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('✗ inotify watches: not enough inotify watches: this repo needs 301 watches');
    expect(r.stdout).toContain('`hotwatch run` refuses to start (watchdog.overBudget: refuse; exit 2)');
    expect(r.stdout).toContain('$ sysctl -w user.max_inotify_watches=524288');
    expect(r.stdout).toContain('watchdog.overBudget: poll');
    expect(r.stdout).toContain('✗ watching will not work here');
    expect(r.code).toBe(2);
    const report = parseJson(await doctorIn(['-Ur'], lower, ['--root', root, '--json']));
    expect(report.verdict).toBe('broken');
    expect(report.facts.budget!.overBudget).toMatchObject({ action: 'refuse' });
  });

  it('(b) a tmpfs mounted inside the tree is reported as tmpfs', async () => {
    const root = goModule(5);
    fs.mkdirSync(path.join(root, 'scratch'));
    const mount = `mount -t tmpfs tmpfs '${root}/scratch'`;
    const r = await doctorIn(['-Urm'], mount, ['--root', root]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('⚠ Mount ./scratch: ./scratch is a tmpfs mount (source tmpfs)');
    expect(r.stdout).toContain('includeMounts: ["scratch"]');
    expect(r.code).toBe(1);
    const report = parseJson(await doctorIn(['-Urm'], mount, ['--root', root, '--json']));
    expect(report.facts.mounts).toContainEqual(
      expect.objectContaining({ mountPoint: path.join(root, 'scratch'), fsType: 'tmpfs', events: 'skip', excluded: false }),
    );
    expect(report.facts.budget).toMatchObject({ dirs: 6 - 1, skippedMounts: 1 }); // scratch itself is not watched
    // Control: without the mount, scratch is an ordinary directory.
    const plain = parseJson(await doctor(['--root', root, '--json']));
    expect(plain.facts.mounts!.some((m) => m.mountPoint.endsWith('/scratch'))).toBe(false);
    expect(plain.facts.budget!.dirs).toBe(6);
  });

  it('(c) another process holding run.port is named with its pid, exit 2', async () => {
    const server = spawn(
      process.execPath,
      [
        '-e',
        `const s = require('node:net').createServer().listen(0, '127.0.0.1', () => process.stdout.write('port ' + s.address().port + '\\n'))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(server);
    let out = '';
    server.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const port = await waitFor(() => Number(/port (\d+)/.exec(out)?.[1]) || undefined, {
      timeoutMs: 10_000,
      description: 'server reports its port',
    });
    const root = goModule(2, { 'watcher.config.yaml': `run:\n  port: ${port}\n` });
    const r = await doctor([], root);
    expect(r.stdout).toContain(`✗ Port ${port}: port ${port} (run.port) is in use by pid ${server.pid} (${process.execPath} -e`);
    expect(r.stdout).toContain(`$ kill ${server.pid}`);
    expect(r.code).toBe(2);
    const report = parseJson(await doctor(['--json'], root));
    expect(report.facts.toolchain!.port).toMatchObject({ port, free: false, holders: [{ pid: server.pid }] });
    // Once it is gone the port is free again.
    server.kill('SIGKILL');
    await waitFor(() => !isAlive(server.pid!), { timeoutMs: 5000, description: 'server gone' });
    const after = await doctor([], root);
    expect(after.stdout).toContain(`✓ Port ${port}: port ${port} (run.port) is free`);
    expect(after.code).toBe(0);
  });
});

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
import { validateJsonSchema } from './doctor-json-schema.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = path.join(REPO, 'dist/cli/doctor-entry.js');
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
    expect(r.stdout).toContain('✓ inotify watches: this repo needs 20 watches');
    expect(r.stdout).toContain('✓ Main package');
    expect(r.stdout).toContain('✓ watching will work here');
    expect(r.code).toBe(0);
    const j = await doctor(['--json'], root);
    expect(j.code).toBe(0);
    const report = parseJson(j);
    expect(report).toMatchObject({ verdict: 'ok', root, facts: { budget: { dirs: 20 } } });
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
    const root = goModule(2, { 'watcher.config.yaml': 'watch:\n  backend: sometimes\n' });
    const cfg = await doctor([], root);
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toContain('watcher.config.yaml');
    expect(cfg.stdout).toBe('');
    const help = await doctor(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--json');
  });

  it('(a) user-namespace watch limit below the tree: ✗ with the sysctl fix, exit 2', async () => {
    const root = goModule(300);
    const lower = 'echo 100 > /proc/sys/user/max_inotify_watches';
    const r = await doctorIn(['-Ur'], lower, ['--root', root]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('✗ inotify watches: not enough inotify watches: this repo needs 300 watches');
    expect(r.stdout).toContain('user.max_inotify_watches=100');
    expect(r.stdout).toContain('file /etc/sysctl.d/60-hotwatch.conf:');
    expect(r.stdout).toContain('fs.inotify.max_user_watches = 524288');
    expect(r.stdout).toContain('$ sudo sysctl --system');
    expect(r.stdout).toContain('$ sudo sysctl -w user.max_inotify_watches=524288');
    expect(r.stdout).toContain('✗ watching will not work here');
    expect(r.code).toBe(2);

    const j = await doctorIn(['-Ur'], lower, ['--root', root, '--json']);
    expect(j.code).toBe(2);
    const report = parseJson(j);
    expect(report.verdict).toBe('broken');
    expect(report.facts.inotify!.effective.watches).toBe(100);
    const c = report.checks.find((x) => x.id === 'inotify.watches')!;
    expect(c.status).toBe('fail');
    expect(c.fix!.files).toEqual([{ path: '/etc/sysctl.d/60-hotwatch.conf', content: expect.stringContaining('fs.inotify.max_user_watches = 524288') }]);
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
    expect(report.facts.mounts).toContainEqual(expect.objectContaining({ mountPoint: path.join(root, 'scratch'), fsType: 'tmpfs', events: 'skip', excluded: false }));
    expect(report.facts.budget).toMatchObject({ dirs: 6 - 1, skippedMounts: 1 }); // scratch itself is not watched
    // Control: without the mount, scratch is an ordinary directory.
    const plain = parseJson(await doctor(['--root', root, '--json']));
    expect(plain.facts.mounts!.some((m) => m.mountPoint.endsWith('/scratch'))).toBe(false);
    expect(plain.facts.budget!.dirs).toBe(6);
  });

  it('(c) another process holding run.port is named with its pid, exit 2', async () => {
    const server = spawn(
      process.execPath,
      ['-e', `const s = require('node:net').createServer().listen(0, '127.0.0.1', () => process.stdout.write('port ' + s.address().port + '\\n'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(server);
    let out = '';
    server.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const port = await waitFor(() => Number(/port (\d+)/.exec(out)?.[1]) || undefined, { timeoutMs: 10_000, description: 'server reports its port' });
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

/**
 * runBuild with real `go build` of a fixture copied into a temp dir: success, compile errors, cancel and
 * timeout of a long `go build -a` (the whole tree - go, compile, link, sh - must be gone when runBuild
 * resolves), and a missing Go toolchain.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuild } from '../../src/supervisor/build.js';
import type { BuildSettings } from '../../src/config/settings.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { Writable } from 'node:stream';
import { listPids, pidsWithEnv, readCmdline } from '../../src/os/procfs.js';
import { isHotwatchError } from '../../src/errors.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/go/crasher');
const log = silentLogger();
const tmp = makeTmpDir('hotwatch-build-');
let src: string;

function settings(over: Partial<BuildSettings> = {}): BuildSettings {
  return {
    root: src,
    cmd: undefined,
    package: '.',
    output: path.join(tmp.dir, 'out', 'app'),
    flags: [],
    env: {},
    timeoutMs: 60_000,
    onFailure: 'keep-running',
    steps: [],
    clear: false,
    ...over,
  };
}

beforeAll(() => {
  src = path.join(tmp.dir, 'src');
  fs.cpSync(FIXTURE, src, { recursive: true });
});
afterAll(() => tmp.cleanup());

function captureLog() {
  const text: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      text.push(String(chunk));
      cb();
    },
  });
  const lines = (): { event?: string; level: number }[] =>
    text
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event?: string; level: number });
  return { log: createLogger({ format: 'json', level: 'debug', destination }), lines };
}

/** Starts a `go build -a` (slow: rebuilds the standard library) and waits until a compile process runs. */
async function startLongBuild(over: Partial<BuildSettings>, stop: AbortController) {
  const mark = randomUUID();
  const seen = new Set<number>();
  const promise = runBuild(settings({ flags: ['-a'], ...over }), {
    signal: stop.signal,
    log,
    env: { ...process.env, HW_TEST_MARK: mark },
  });
  await waitFor(
    () => {
      const pids = pidsWithEnv('HW_TEST_MARK', mark);
      pids.forEach((p) => seen.add(p));
      return pids.some((p) => /\/compile( |$)/.test(readCmdline(p)));
    },
    { timeoutMs: 30_000, description: 'a compile process of the build is running' },
  );
  return { mark, seen, promise };
}

describe('runBuild', () => {
  it('builds the package into a new nested output directory', async () => {
    const output = path.join(tmp.dir, 'deep', 'er', 'bin', 'app');
    const lines: string[] = [];
    const res = await runBuild(settings({ output }), { signal: new AbortController().signal, log, onLine: (l) => lines.push(l) });
    expect(res).toMatchObject({ ok: true, canceled: false, timedOut: false, exitCode: 0 });
    expect(res.command).toBe(`go build -o ${output} .`);
    expect(fs.statSync(output).mode & 0o111).not.toBe(0);
  });

  it('captures compiler errors in output and line by line', async () => {
    const broken = path.join(tmp.dir, 'broken');
    fs.cpSync(FIXTURE, broken, { recursive: true });
    fs.appendFileSync(path.join(broken, 'main.go'), '\nfunc broken( {\n');
    const lines: string[] = [];
    const res = await runBuild(settings({ root: broken }), { signal: new AbortController().signal, log, onLine: (l) => lines.push(l) });
    expect(res).toMatchObject({ ok: false, canceled: false, timedOut: false, exitCode: 1 });
    expect(res.output).toMatch(/main\.go:\d+:\d+: syntax error/);
    expect(lines.some((l) => /main\.go:\d+:\d+: syntax error/.test(l))).toBe(true);
  });

  it('runs build.cmd through /bin/sh with build.env on top of the base env', async () => {
    const out = path.join(tmp.dir, 'cmd-out.txt');
    const res = await runBuild(settings({ cmd: `printf '%s\\n' "$HW_A-$HW_B" > ${out}; echo done`, env: { HW_B: 'cfg' } }), {
      signal: new AbortController().signal,
      log,
      env: { ...process.env, HW_A: 'base', HW_B: 'base' },
    });
    expect(res).toMatchObject({ ok: true, exitCode: 0, output: 'done\n' });
    expect(fs.readFileSync(out, 'utf8')).toBe('base-cfg\n');
  });

  it('a long output keeps its first and last lines whole (the first errors are the cause); the middle is said as left out', async () => {
    // 12,000 numbered lines (~300 KB), then exit 1: as a build with thousands of errors prints them.
    const res = await runBuild(
      settings({ cmd: `i=1; while [ $i -le 12000 ]; do echo "x.go:$i:1: error number $i"; i=$((i+1)); done; exit 1` }),
      {
        signal: new AbortController().signal,
        log,
      },
    );
    expect(res.ok).toBe(false);
    const lines = res.output.trimEnd().split('\n');
    expect(lines[0]).toBe('x.go:1:1: error number 1');
    expect(lines.at(-1)).toBe('x.go:12000:1: error number 12000');
    const marker = lines.findIndex((l) => /^\.\.\. \(\d+ characters of output left out\) \.\.\.$/.test(l));
    expect(marker).toBeGreaterThan(0);
    // Whole lines on both sides of the cut, in order.
    for (const l of [...lines.slice(0, marker), ...lines.slice(marker + 1)]) expect(l).toMatch(/^x\.go:(\d+):1: error number \1$/);
    expect(res.output.length).toBeLessThan(70 * 1024);
  }, 60_000);

  it('cancel mid-build leaves no go, compile or link process alive', async () => {
    const stop = new AbortController();
    const { mark, seen, promise } = await startLongBuild({}, stop);
    stop.abort();
    const res = await promise;
    expect(res).toMatchObject({ ok: false, canceled: true, timedOut: false });
    expect(pidsWithEnv('HW_TEST_MARK', mark)).toEqual([]);
    expect([...seen].filter(isAlive)).toEqual([]);
  });

  it('cancel of a shell build.cmd kills the shell and the go it forked', async () => {
    const stop = new AbortController();
    const output = path.join(tmp.dir, 'out', 'sh-app');
    const { mark, seen, promise } = await startLongBuild({ cmd: `go build -a -o ${output} . ; echo after` }, stop);
    expect([...seen].some((p) => readCmdline(p).startsWith('/bin/sh -c'))).toBe(true);
    stop.abort();
    const res = await promise;
    expect(res).toMatchObject({ ok: false, canceled: true, timedOut: false });
    expect(res.output).not.toContain('after');
    expect(pidsWithEnv('HW_TEST_MARK', mark)).toEqual([]);
    expect([...seen].filter(isAlive)).toEqual([]);
  });

  it('a build over its timeout is stopped and reported as timedOut', async () => {
    const mark = randomUUID();
    const res = await runBuild(settings({ flags: ['-a'], timeoutMs: 1_500 }), {
      signal: new AbortController().signal,
      log,
      env: { ...process.env, HW_TEST_MARK: mark },
    });
    expect(res).toMatchObject({ ok: false, canceled: false, timedOut: true });
    expect(res.durationMs).toBeGreaterThanOrEqual(1_500);
    expect(pidsWithEnv('HW_TEST_MARK', mark)).toEqual([]);
  });

  it('processes a build.cmd leaves behind holding its output are stopped, with a warning', async () => {
    const mark = randomUUID();
    const { log: capture, lines } = captureLog();
    const res = await runBuild(settings({ cmd: 'sleep 1000 & echo started' }), {
      signal: new AbortController().signal,
      log: capture,
      env: { ...process.env, HW_TEST_MARK: mark },
    });
    expect(res).toMatchObject({ ok: true, exitCode: 0, output: 'started\n' });
    expect(pidsWithEnv('HW_TEST_MARK', mark)).toEqual([]);
    const left = lines().find((l) => l.event === 'build.leftover' && l.level === 40);
    // Named: the command, and the process it left (a step is named as a step: build-steps e2e).
    expect(String(left?.msg)).toMatch(
      /^the build command `sleep 1000 & echo started` exited but left processes behind: pid \d+ \(sleep 1000\): stopping them/,
    );
  });

  it('an escapee with no marker holding the output pipe cannot block the build forever', async () => {
    const tag = `${1000 + Math.floor(Math.random() * 1e6)}.5`;
    const { log: capture, lines } = captureLog();
    try {
      const res = await runBuild(settings({ cmd: `setsid env -i sleep ${tag} & echo started` }), {
        signal: new AbortController().signal,
        log: capture,
      });
      expect(res).toMatchObject({ ok: true, exitCode: 0 });
      expect(lines().some((l) => l.event === 'build.pipe_held' && l.level === 50)).toBe(true);
    } finally {
      for (const pid of listPids()) if (readCmdline(pid) === `sleep ${tag}`) process.kill(pid, 'SIGKILL');
    }
  });

  it('an already aborted signal starts nothing', async () => {
    const stop = new AbortController();
    stop.abort();
    const output = path.join(tmp.dir, 'never', 'app');
    const res = await runBuild(settings({ output }), { signal: stop.signal, log });
    expect(res).toMatchObject({ ok: false, canceled: true, exitCode: undefined });
    expect(fs.existsSync(output)).toBe(false);
  });

  it('a missing go on PATH throws GO_MISSING with the PATH searched', async () => {
    const emptyBin = path.join(tmp.dir, 'empty-bin');
    fs.mkdirSync(emptyBin);
    const err = await runBuild(settings(), { signal: new AbortController().signal, log, env: { ...process.env, PATH: emptyBin } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isHotwatchError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'GO_MISSING', exitCode: 2 });
    expect((err as Error & { hint: string }).hint).toContain(emptyBin);
  });
});

/**
 * spawnBuildProcess with real processes (/bin/sh): output of both streams, exit codes and signals, a
 * cancel that needs SIGKILL, an output held open by a grandchild, and a command that cannot start.
 * runBuild's own behaviour on top of it is in build.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { spawnBuildProcess, type BuildProcessOptions } from '../../src/supervisor/build-process.js';
import { isAlive } from '../helpers/wait.js';

function sh(script: string, over: Partial<BuildProcessOptions> = {}) {
  const chunks: string[] = [];
  const p = spawnBuildProcess('/bin/sh', ['-c', script], {
    cwd: '/',
    env: { PATH: process.env.PATH },
    stop: new AbortController().signal,
    killSignal: 'SIGTERM',
    forceKillAfterMs: 500,
    onOutput: (t) => chunks.push(t),
    onOutputError: (e) => {
      throw e;
    },
    ...over,
  });
  return { ...p, output: () => chunks.join('') };
}

describe('spawnBuildProcess', () => {
  it('hands over stdout and stderr as text, and a zero exit is not a failure', async () => {
    const p = sh('printf "out é\\n"; printf "err\\n" >&2');
    const r = await p.result;
    expect(r).toEqual({ failed: false, exitCode: 0, signal: undefined, isCanceled: false, startError: undefined });
    expect(p.output()).toContain('out é\n');
    expect(p.output()).toContain('err\n');
  });

  it('a non-zero exit is a failure with its code', async () => {
    const r = await sh('exit 3').result;
    expect(r).toMatchObject({ failed: true, exitCode: 3, signal: undefined, isCanceled: false });
  });

  it('runs in a process group of its own and gets only the environment given', async () => {
    const p = sh('echo "pgid=$(ps -o pgid= -p $$ | tr -d " ") home=$HOME"');
    await p.result;
    expect(p.output().trim()).toBe(`pgid=${p.child.pid} home=`);
  });

  it('a cancel sends the kill signal, then SIGKILL to a process that ignores it', async () => {
    const stop = new AbortController();
    const p = sh('trap "" TERM; echo armed; while :; do sleep 0.05; done', { stop: stop.signal });
    while (!p.output().includes('armed')) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    const r = await p.result;
    expect(r).toMatchObject({ failed: true, exitCode: undefined, signal: 'SIGKILL', isCanceled: true });
    expect(isAlive(p.child.pid!)).toBe(false);
  });

  it('an already aborted stop cancels at once', async () => {
    const stop = new AbortController();
    stop.abort();
    const r = await sh('exec sleep 30', { stop: stop.signal }).result;
    expect(r).toMatchObject({ failed: true, signal: 'SIGTERM', isCanceled: true });
  });

  it('settles only once the output is closed, not when the process exits', async () => {
    const p = sh('(sleep 0.6; echo late) & echo early');
    let exited = false;
    p.child.once('exit', () => (exited = true));
    const r = await p.result;
    expect(exited).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(p.output()).toContain('late');
  });

  it('a command that cannot start reports its error, not an exit code', async () => {
    const p = spawnBuildProcess('/nonexistent/hotwatch-no-such-command', [], {
      cwd: '/',
      env: {},
      stop: new AbortController().signal,
      killSignal: 'SIGTERM',
      forceKillAfterMs: 500,
      onOutput: () => undefined,
      onOutputError: () => undefined,
    });
    const r = await p.result;
    expect(r.failed).toBe(true);
    expect(r.exitCode).toBeUndefined();
    expect(r.startError?.code).toBe('ENOENT');
  });
});

/**
 * How the job's reports read (src/supervisor/report.ts): the exact log line for the messages a person
 * acts on, through a real pino logger writing JSON to memory.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { formatSeconds, ordinal, reportJob, type ReportContext } from '../../src/supervisor/report.js';
import type { Report } from '../../src/supervisor/job.js';

const CTX: ReportContext = {
  onFailure: 'keep-running',
  stopSignal: 'SIGTERM',
  gracePeriodMs: 5000,
  buildDir: '/src/repo/app',
  cwd: '/src/repo',
};

function lines(r: Report): { level: number; event: string; msg: string; [k: string]: unknown }[] {
  const out: string[] = [];
  reportJob(pino({ level: 'debug' }, { write: (s: string) => out.push(s) }), r, CTX);
  return out.map((s) => JSON.parse(s));
}

describe('report wording', () => {
  it('a crash restart says the delay in seconds and which crash in a row it is (not "exit 2")', () => {
    const exit = { code: 2, signal: null, uptimeMs: 120 };
    expect(lines({ kind: 'app.exit', pid: 7, exit, next: 'restart', restartInMs: 1000, crashes: 2 })).toEqual([
      expect.objectContaining({
        level: 40,
        event: 'app.exit',
        code: 2,
        restartInMs: 1000,
        crashes: 2,
        msg: 'app exited with code 2 after 120ms; restarting in 1.0 s (2nd crash in a row; run.onCrash: restart)',
      }),
    ]);
    expect(lines({ kind: 'app.exit', pid: 7, exit, next: 'restart', restartInMs: 500, crashes: 1 })[0]!.msg).toBe(
      'app exited with code 2 after 120ms; restarting in 0.5 s (first crash; run.onCrash: restart)',
    );
  });

  it('a clean exit (code 0) restarted is said as an exit, not a crash', () => {
    const exit = { code: 0, signal: null, uptimeMs: 120 };
    expect(lines({ kind: 'app.exit', pid: 7, exit, next: 'restart', restartInMs: 500, crashes: 1 })[0]!.msg).toBe(
      'app exited with code 0 after 120ms; restarting in 0.5 s (first exit; run.onCrash: restart)',
    );
    expect(lines({ kind: 'app.exit', pid: 7, exit, next: 'restart', restartInMs: 1000, crashes: 2 })[0]!.msg).toBe(
      'app exited with code 0 after 120ms; restarting in 1.0 s (2nd exit in a row; run.onCrash: restart)',
    );
  });

  it('an exit with wait-for-change, and one during a build', () => {
    const exit = { code: null, signal: 'SIGSEGV' as const, uptimeMs: 3000 };
    expect(lines({ kind: 'app.exit', pid: 7, exit, next: 'wait-for-change' })[0]!.msg).toBe(
      'app was killed by SIGSEGV after 3s; waiting for a change to rebuild (run.onCrash: wait-for-change)',
    );
    expect(lines({ kind: 'app.exit', pid: 7, exit, next: 'build-running' })[0]!.msg).toBe(
      'app was killed by SIGSEGV after 3s; a build is running: the new version starts if it succeeds',
    );
    // A clean exit (a CLI's end) is no crash: at info, run.onCrash not named.
    const clean = lines({ kind: 'app.exit', pid: 7, exit: { code: 0, signal: null, uptimeMs: 112 }, next: 'wait-for-change' })[0]!;
    expect(clean).toMatchObject({ level: 30, msg: 'app exited with code 0 after 112ms; waiting for a change to rebuild and run it again' });
  });

  it('a crash during a build, with run.onCrash: restart, and the failed build that then restarts it', () => {
    const exit = { code: 1, signal: null, uptimeMs: 800 };
    expect(lines({ kind: 'app.exit', pid: 7, exit, next: 'build-running', restartInMs: 500, crashes: 1 })[0]).toMatchObject({
      restartInMs: 500,
      msg: 'app exited with code 1 after 800ms; a build is running: the new version starts if it succeeds, else this one restarts in 0.5 s (run.onCrash: restart)',
    });
    const result = { ok: false, canceled: false, timedOut: false, exitCode: 1, durationMs: 300, output: '', command: 'go build' };
    expect(lines({ kind: 'build.failed', result, appRunning: false, restartInMs: 200 })[0]!.msg).toBe(
      'BUILD FAILED (exit 1, 300ms): the previous version, which crashed, restarts in 0.2 s (run.onCrash: restart)\n    (the build printed nothing)',
    );
  });

  it('a failed build prints its output once, located from where hotwatch was started, and counts the errors', () => {
    const output = '# example.com/app\n./main.go:3:1: syntax error\n./util.go:7:2: undefined: x\n';
    const result = { ok: false, canceled: false, timedOut: false, exitCode: 1, durationMs: 300, output, command: 'go build' };
    const [line] = lines({ kind: 'build.failed', result, appRunning: true });
    expect(line).toMatchObject({
      level: 50,
      event: 'build.failed',
      errorCount: 2,
      errors: ['app/main.go:3:1: syntax error', 'app/util.go:7:2: undefined: x'],
      msg: 'BUILD FAILED (exit 1, 300ms, 2 errors): the previous version keeps serving\n    # example.com/app\n    app/main.go:3:1: syntax error\n    app/util.go:7:2: undefined: x',
    });
    const one = lines({ kind: 'build.failed', result: { ...result, output: './main.go:3:1: syntax error' }, appRunning: true })[0]!;
    expect(one.msg.split('\n')[0]).toBe('BUILD FAILED (exit 1, 300ms, 1 error): the previous version keeps serving');
  });

  it('a stop, with what it swept and a port still held', () => {
    const result = {
      how: 'killed' as const,
      durationMs: 5012,
      exit: { code: null, signal: 'SIGKILL' as const, uptimeMs: 9000 },
      swept: [{ pid: 12, cmd: 'escapee' }],
      portsStillHeld: [{ port: 8080, holders: [{ pid: 13, cmd: 'holder' }] }],
    };
    const out = lines({ kind: 'app.stop', pid: 11, why: 'restart', result });
    expect(out.map((l) => [l.event, l.msg])).toEqual([
      ['app.stop', 'app (pid 11) did not stop within 5000ms of SIGTERM: killed in 5012ms (restart)'],
      ['app.swept', "killed leftover process 12 (escapee) that escaped the app's process group"],
      ['port.held', 'port 8080 is still held after the app stopped, by pid 13 (holder): the new app may fail to listen'],
    ]);
  });

  it('the stop of an app that had daemonized names the daemon that got the stop signal', () => {
    const result = {
      how: 'already-exited' as const,
      durationMs: 30,
      exit: { code: 0, signal: null, uptimeMs: 9000 },
      swept: [],
      portsStillHeld: [],
      daemons: [{ pid: 12, cmd: '/m/.hotwatch/bin/app' }],
    };
    expect(lines({ kind: 'app.stop', pid: 11, why: 'restart', result })[0]).toMatchObject({
      daemons: [{ pid: 12, cmd: '/m/.hotwatch/bin/app' }],
      msg: 'app (pid 11) had already exited with code 0 after 9s in 30ms (restart); it had daemonized: pid 12 (/m/.hotwatch/bin/app) got SIGTERM',
    });
  });

  it('build lines keep their event names and texts', () => {
    expect(lines({ kind: 'build.canceled', buildMs: 40, shuttingDown: true })[0]).toMatchObject({
      event: 'build.canceled',
      msg: 'build canceled after 40ms (shutting down)',
    });
    expect(lines({ kind: 'build.canceled', buildMs: 40, shuttingDown: false })[0]!.msg).toBe(
      'build canceled after 40ms: a newer change is next',
    );
    expect(lines({ kind: 'build.stale', during: 'stop' })[0]).toMatchObject({ event: 'build.stale', level: 30 });
    expect(lines({ kind: 'app.start', pid: 5, reason: 'main.go', stopMs: 30, startMs: 2 })[0]!.msg).toBe(
      'app started (pid 5, stop 30ms, start 2ms)',
    );
  });

  it('seconds keep the precision the value needs', () => {
    expect([100, 250, 1000, 1500, 30_000, 1].map(formatSeconds)).toEqual(['0.1 s', '0.25 s', '1.0 s', '1.5 s', '30.0 s', '0.001 s']);
  });

  it('ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
      '101st',
      '111th',
    ]);
  });
});

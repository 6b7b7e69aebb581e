/**
 * An app that daemonizes (issue 14, e2e: real go build, real processes, real HTTP). The app is a launcher
 * that re-execs itself detached (setsid) and exits; the child serves the port. The child carries the
 * app's environment marker, so hotwatch says the app daemonized (naming the pid and the port) and keeps
 * it as the running app: an edit restarts it (the new version serves), and Ctrl-C stops it, so "nothing
 * left running" is true and the port is free.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, pidsWithEnvMarker, startHotwatch } from '../helpers/hotwatch.js';

function launcher(version: string): string {
  return `package main

import (
\t"fmt"
\t"net/http"
\t"os"
\t"os/exec"
\t"syscall"
)

const version = "${version}"

func main() {
\tif os.Getenv("DAEMON_CHILD") != "1" {
\t\tcmd := exec.Command(os.Args[0])
\t\tcmd.Env = append(os.Environ(), "DAEMON_CHILD=1")
\t\tcmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
\t\tif err := cmd.Start(); err != nil {
\t\t\tfmt.Fprintln(os.Stderr, err)
\t\t\tos.Exit(1)
\t\t}
\t\tos.Exit(0)
\t}
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v=%s", version) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;
}

const session = hotwatchSession((dir) => {
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
  fs.writeFileSync(path.join(dir, 'main.go'), launcher('v1'));
});

function portFree(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('an app that daemonizes (e2e)', () => {
  it('is said, kept as the running app: an edit serves the new version, Ctrl-C leaves nothing running', async () => {
    const runId = crypto.randomUUID();
    const hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), HW_E2E_RUN: runId } });
    session.hw = hw;
    await session.serves('v1');
    const daemon = await hw.waitForLog((l) => l.event === 'app.daemonized', 'the daemon is noticed');
    expect(daemon.ports).toEqual([session.port]);
    expect(daemon.msg).toMatch(new RegExp(`the app daemonized: pid ${(daemon.pids as number[])[0]} \\(.*\\) holds :${session.port}`));
    expect(hw.events('app.exit')).toEqual([]); // not "exited with code 0"

    const mark = hw.logs.length;
    fs.writeFileSync(path.join(session.dir, 'main.go'), launcher('v2'));
    await session.serves('v2');
    const stop = await hw.waitForLog((l) => l.event === 'app.stop', 'the daemonized v1 is stopped', { from: mark });
    expect(stop.daemons).toEqual([expect.objectContaining({ pid: (daemon.pids as number[])[0] })]);
    await hw.waitForLog((l) => l.event === 'app.daemonized', 'v2 daemonizes too', { from: mark });

    session.hw = undefined;
    const r = await hw.stop('SIGINT');
    expect(r, hw.stderr().slice(-3000)).toEqual({ code: 0, signal: null });
    expect(hw.events('exit')).toMatchObject([{ level: 30, msg: 'stopped; nothing left running' }]);
    expect(pidsWithEnvMarker('HW_E2E_RUN', runId)).toEqual([]);
    expect(await portFree(session.port)).toBe(true);
  }, 90_000);

  it('after a SIGKILL of hotwatch, the next run stops the daemon (it carries the app marker) and says so', async () => {
    const runId = crypto.randomUUID();
    const first = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), HW_E2E_RUN: runId } });
    await session.serves('v1');
    const daemon = await first.waitForLog((l) => l.event === 'app.daemonized', 'the daemon is noticed');
    const daemonPid = (daemon.pids as number[])[0]!;
    first.proc.kill('SIGKILL');
    await first.exited;
    // hotwatch is gone; its daemon still serves v1 and holds the port.
    expect(pidsWithEnvMarker('HW_E2E_RUN', runId)).toContain(daemonPid);
    expect(await portFree(session.port)).toBe(false);

    const second = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), HW_E2E_RUN: runId } });
    session.hw = second;
    const leftover = await second.waitForLog((l) => l.event === 'app.leftover', 'the leftover daemon is stopped');
    expect(leftover.pids).toEqual([daemonPid]);
    expect(leftover.msg).toMatch(new RegExp(`stopped pid ${daemonPid} \\(.*\\): the app daemonized under a previous hotwatch`));
    // The new run's own app serves (the port was freed for it).
    await session.serves('v1');
    await second.waitForLog((l) => l.event === 'app.daemonized', "the new run's app daemonizes");
  }, 90_000);

  it('a daemon that ends on its own: the app ended, said without the leader exit code (not "exited with code 0")', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    const daemon = await hw.waitForLog((l) => l.event === 'app.daemonized', 'the daemon is noticed');
    const pid = (daemon.pids as number[])[0]!;
    process.kill(pid, 'SIGKILL'); // it dies, with no code hotwatch could see
    const exit = await hw.waitForLog((l) => l.event === 'app.exit', 'the end of the app is said');
    expect(exit.daemons).toEqual([pid]);
    expect(String(exit.msg)).toMatch(
      new RegExp(`^app ended after .*: its daemon \\(pid ${pid}\\) is gone, how it ended is not known to hotwatch`),
    );
    expect(String(exit.msg)).not.toContain('exited with code');
  });
});

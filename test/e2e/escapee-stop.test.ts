/**
 * A worker the app starts in a session of its own (setsid: outside the app's process group) gets the stop
 * signal too, and the grace period, before any SIGKILL (e2e: real go build, real processes, real signals).
 * It was SIGKILLed at once by the sweep, at every save: a worker that flushes a queue, a database file or
 * a pid file on SIGTERM lost that work.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession } from '../helpers/hotwatch.js';
import { startHotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const APP = (version: string) => `package main

import (
\t"fmt"
\t"net/http"
\t"os"
\t"os/exec"
\t"os/signal"
\t"syscall"
\t"time"
)

func main() {
\tif len(os.Args) > 1 && os.Args[1] == "worker" {
\t\tterm := make(chan os.Signal, 1)
\t\tsignal.Notify(term, syscall.SIGTERM)
\t\tos.WriteFile(os.Getenv("STATE")+"/worker-${version}.pid", []byte(fmt.Sprint(os.Getpid())), 0o644)
\t\t<-term
\t\ttime.Sleep(200 * time.Millisecond) // flushing
\t\tos.WriteFile(os.Getenv("STATE")+"/worker-${version}.clean", []byte("flushed"), 0o644)
\t\treturn
\t}
\tw := exec.Command(os.Args[0], "worker")
\tw.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
\tif err := w.Start(); err != nil {
\t\tpanic(err)
\t}
\thttp.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) { fmt.Fprint(rw, "v=${version}") })
\thttp.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`;

describe('a setsid worker of the app (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/escapee\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), APP('v1'));
    fs.mkdirSync(path.join(dir, 'state'));
  });

  it('gets the stop signal and its grace period at a restart and at the exit, and ends cleanly', async () => {
    const state = path.join(session.dir, 'state');
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port), STATE: state } }));
    await session.serves('v1');
    await waitFor(() => fs.existsSync(path.join(state, 'worker-v1.pid')), { description: 'the v1 worker started' });
    fs.writeFileSync(path.join(session.dir, 'main.go'), APP('v2'));
    await session.serves('v2');
    await waitFor(() => fs.existsSync(path.join(state, 'worker-v1.clean')), { description: 'the v1 worker flushed on SIGTERM' });
    const stop = await hw.waitForLog((l) => l.event === 'app.stop' && Array.isArray(l.escaped), 'the stop names the worker');
    expect(String(stop.msg)).toMatch(/outside its process group \(setsid or setpgid\), got SIGTERM too/);
    expect(hw.events('app.swept')).toEqual([]);
    await waitFor(() => fs.existsSync(path.join(state, 'worker-v2.pid')), { description: 'the v2 worker started' });
    session.hw = undefined;
    expect((await hw.stop()).code).toBe(0);
    expect(fs.existsSync(path.join(state, 'worker-v2.clean')), 'the v2 worker flushed on hotwatch exit').toBe(true);
  }, 120_000);
});

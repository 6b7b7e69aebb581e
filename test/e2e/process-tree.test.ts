/**
 * Issue 2, "what it must show" 3 and 7: an app whose child ignores SIGTERM and whose grandchild calls
 * setsid (and holds a second port) leaves nothing behind after a restart or after hotwatch exits; SIGTERM
 * to hotwatch reaches the app, and hotwatch exits 0.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';
import { freePort, httpGet, pidsWithEnvMarker, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';

const TREE_APP = (version: string) => `package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

const version = "${version}"

func record(role string) {
	_ = os.WriteFile(filepath.Join(os.Getenv("PIDDIR"), fmt.Sprintf("%s-%s-%d", version, role, os.Getpid())), nil, 0o644)
}

func main() {
	switch os.Getenv("ROLE") {
	case "stubborn": // ignores SIGTERM, and starts a grandchild that leaves the process group
		signal.Ignore(syscall.SIGTERM)
		record("stubborn")
		g := exec.Command(os.Args[0])
		g.Env = append(os.Environ(), "ROLE=escapee")
		g.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		_ = g.Start()
		time.Sleep(time.Hour)
		return
	case "escapee": // setsid'd grandchild holding PORT2
		signal.Ignore(syscall.SIGTERM)
		record("escapee")
		ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT2"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "escapee:", err)
		}
		_ = ln
		time.Sleep(time.Hour)
		return
	}
	c := exec.Command(os.Args[0])
	c.Env = append(os.Environ(), "ROLE=stubborn")
	_ = c.Start()
	record("app")
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	go func() {
		s := <-sigs
		_ = os.WriteFile(filepath.Join(os.Getenv("PIDDIR"), "got-"+s.String()+"-"+version), nil, 0o644)
		os.Exit(0)
	}()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "v=%s", version) })
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`;

let tmp: ReturnType<typeof makeTmpDir>;
let pidDir: string;
let hw: Hotwatch | undefined;
let port: number;
let port2: number;
let marker: string;

beforeEach(async () => {
  tmp = makeTmpDir();
  pidDir = path.join(makeTmpDir('hotwatch-pids-').dir);
  port = await freePort();
  port2 = await freePort();
  marker = crypto.randomUUID();
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/tree\n\ngo 1.22\n');
  fs.writeFileSync(path.join(tmp.dir, 'main.go'), TREE_APP('v1'));
});

afterEach(async () => {
  if (hw) await hw.stop('SIGKILL');
  for (const pid of pidsWithEnvMarker('E2E_MARKER', marker)) process.kill(pid, 'SIGKILL');
  hw = undefined;
  tmp.cleanup();
  fs.rmSync(pidDir, { recursive: true, force: true });
});

const pidsOf = (version: string) =>
  fs
    .readdirSync(pidDir)
    .filter((f) => f.startsWith(`${version}-`))
    .map((f) => ({ role: f.split('-')[1]!, pid: Number(f.split('-')[2]) }));

const portFree = async (p: number) => (await httpGet(p)) === undefined && !(await isListening(p));

async function isListening(p: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.connect(p, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('process tree (e2e)', () => {
  it('a restart and the exit kill the SIGTERM-ignoring child and the setsid grandchild, and free the ports', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'hw.yaml'), 'run:\n  gracePeriod: 1s\n');
    hw = startHotwatch(['--config', path.join(tmp.dir, 'hw.yaml')], {
      cwd: tmp.dir,
      env: { PORT: String(port), PORT2: String(port2), PIDDIR: pidDir, E2E_MARKER: marker },
    });
    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
    await waitFor(() => pidsOf('v1').length === 3 && isListening(port2), { description: 'v1 app, child and grandchild started' });
    const v1 = pidsOf('v1');

    fs.writeFileSync(path.join(tmp.dir, 'main.go'), TREE_APP('v2'));
    await waitFor(async () => (await httpGet(port)) === 'v=v2', { description: 'v2 serves', timeoutMs: 60_000 });
    for (const { role, pid } of v1) expect(isAlive(pid), `v1 ${role} (pid ${pid}) is gone after the restart`).toBe(false);
    expect(hw.events('app.swept').length, 'the escapee was swept').toBeGreaterThanOrEqual(1);
    await waitFor(() => pidsOf('v2').length === 3, { description: 'v2 tree started' });

    const r = await hw.stop('SIGINT');
    expect(r.code).toBe(0);
    for (const { role, pid } of pidsOf('v2')) expect(isAlive(pid), `v2 ${role} (pid ${pid}) is gone after exit`).toBe(false);
    expect(pidsWithEnvMarker('E2E_MARKER', marker)).toEqual([]);
    expect(await portFree(port)).toBe(true);
    expect(await portFree(port2)).toBe(true);
  });

  it('SIGTERM to hotwatch: the app gets SIGTERM, hotwatch exits 0, nothing is left', async () => {
    hw = startHotwatch([], { cwd: tmp.dir, env: { PORT: String(port), PORT2: String(port2), PIDDIR: pidDir, E2E_MARKER: marker } });
    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
    await waitFor(() => pidsOf('v1').length === 3, { description: 'the tree started' });
    const r = await hw.stop('SIGTERM');
    expect(r).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(pidDir, 'got-terminated-v1'))).toBe(true);
    expect(pidsWithEnvMarker('E2E_MARKER', marker)).toEqual([]);
    expect(await portFree(port)).toBe(true);
  });

  it('a second Ctrl-C ends the grace period at once: the stubborn tree is killed and hotwatch exits 0 long before the grace', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'hw.yaml'), 'run:\n  gracePeriod: 30s\n');
    hw = startHotwatch(['--config', path.join(tmp.dir, 'hw.yaml')], {
      cwd: tmp.dir,
      env: { PORT: String(port), PORT2: String(port2), PIDDIR: pidDir, E2E_MARKER: marker },
    });
    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });
    await waitFor(() => pidsOf('v1').length === 3, { description: 'the tree started' });
    const t0 = Date.now();
    hw.proc.kill('SIGINT'); // the app exits; its child ignores SIGTERM: the 30 s grace begins
    await hw.waitForLog((l) => l.event === 'shutdown', 'the first SIGINT is taken');
    // The long wait is said, not silent: what is waited for, and until when.
    const still = await hw.waitForLog((l) => l.event === 'app.still-stopping', 'the wait for the stubborn tree is said');
    expect(String(still.msg)).toMatch(
      /exited, its processes still running 3\.0 s after SIGTERM: SIGKILL once run\.gracePeriod \(30\.0 s\) is over/,
    );
    const r = await hw.stop('SIGINT'); // the second one
    expect(r).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0, 'well before the 30 s grace period ends').toBeLessThan(15_000);
    expect(hw.events('app.force-kill').length).toBe(1);
    expect(pidsWithEnvMarker('E2E_MARKER', marker)).toEqual([]);
    expect(await portFree(port)).toBe(true);
    expect(await portFree(port2)).toBe(true);
  });
});

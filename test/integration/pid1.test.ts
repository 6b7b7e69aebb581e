/**
 * `hotwatch run` as PID 1 of a PID namespace (a container without an init), with an app that double-forks
 * 30 orphans which exit at once. With the reaper (the default) no zombie is left and SIGTERM to PID 1 stops
 * everything cleanly; with HOTWATCH_PID1_INIT=off the zombies pile up and the message with the fix is
 * there (which also shows the zombie count below can see them). Zombies are counted from outside: every
 * process whose /proc/<pid>/ns/pid is the namespace's, in state Z.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const ORPHANS = 30;

const APP = `package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"
)

func main() {
	go func() {
		// Each sh forks a sleep and exits: the sleep is orphaned, and exits 50 ms later.
		for i := 0; i < ${ORPHANS}; i++ {
			_ = exec.Command("sh", "-c", "sleep 0.05 & exit 0").Run()
			time.Sleep(10 * time.Millisecond)
		}
		_ = os.WriteFile(os.Getenv("MARKER"), []byte("done"), 0o644)
	}()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const stat = (pid: number | string): string[] | undefined => {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return [s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), ...s.slice(s.lastIndexOf(')') + 2).split(' ')];
  } catch {
    return undefined;
  }
};

/** The host pid of the namespace's PID 1: unshare's only child. */
function nsInit(unsharePid: number): number | undefined {
  try {
    const kids = fs.readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** Processes of the PID namespace `init` is PID 1 of: [command, state]. */
function nsProcesses(init: number): Array<[string, string]> {
  const ns = fs.readlinkSync(`/proc/${init}/ns/pid`);
  const out: Array<[string, string]> = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readlinkSync(`/proc/${p}/ns/pid`) !== ns) continue;
    } catch {
      continue; // gone meanwhile
    }
    const s = stat(p);
    if (s) out.push([s[0]!, s[1]!]);
  }
  return out;
}

const zombies = (init: number) => nsProcesses(init).filter(([, st]) => st === 'Z').length;

async function startAsPid1(env: NodeJS.ProcessEnv): Promise<{ hw: Hotwatch; init: number; marker: string }> {
  const tmp = makeTmpDir('hotwatch-pid1-');
  cleanups.push(tmp.cleanup);
  const root = path.join(tmp.dir, 'app');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'go.mod'), 'module example.com/pid1\n\ngo 1.22\n');
  fs.writeFileSync(path.join(root, 'main.go'), APP);
  const marker = path.join(tmp.dir, 'spawned');
  // --kill-child: if this test dies, the namespace dies with unshare.
  const hw = startHotwatch(['--root', root], {
    cwd: root,
    wrap: ['unshare', '-Urpf', '--kill-child', '--mount-proc'],
    env: { ...env, PORT: String(await freePort()), MARKER: marker },
  });
  cleanups.push(() => hw.stop('SIGKILL'));
  const init = await waitFor(() => nsInit(hw.pid), { description: 'the namespace PID 1', timeoutMs: 10_000 });
  return { hw, init, marker };
}

describe('hotwatch as PID 1', () => {
  it('ends cleanly on docker stop while its reaper is still being built (a PID 1 ignores signals it has no handler for)', async () => {
    const cache = makeTmpDir('hotwatch-pid1-cache-');
    cleanups.push(cache.cleanup);
    const cacheDir = `${cache.dir}/hotwatch`; // made when the helper's build starts
    const { hw, init } = await startAsPid1({ HOTWATCH_CACHE_DIR: cacheDir });
    await waitFor(() => fs.existsSync(cacheDir), { description: 'the reaper build under way', timeoutMs: 20_000 });
    process.kill(init, 'SIGTERM');
    expect(await hw.exited).toEqual({ code: 0, signal: null });
    expect(hw.stderr()).toContain('hotwatch: SIGTERM while starting: stopped; nothing was started');
  });

  it('runs under its reaper: the orphans are reaped, and SIGTERM to PID 1 stops it all cleanly', async () => {
    const { hw, init, marker } = await startAsPid1({});
    await hw.waitForLog((l) => l.event === 'app.listening', 'the app listening');
    await waitFor(() => fs.existsSync(marker), { description: `the app spawned ${ORPHANS} orphans`, timeoutMs: 30_000 });
    expect(hw.stderr()).toContain('running as PID 1 without an init: hotwatch runs under its own reaper');
    expect(nsProcesses(init).map(([c]) => c)).toEqual(expect.arrayContaining(['node', 'hotwatch-servic', 'app']));
    // Every orphan has exited (no sleep left) and none stays a zombie.
    await waitFor(() => !nsProcesses(init).some(([c]) => c === 'sleep') && zombies(init) === 0, {
      description: `no sleep left and no zombie (now: ${JSON.stringify(nsProcesses(init))})`,
      timeoutMs: 10_000,
    });

    process.kill(init, 'SIGTERM'); // what docker stop does: PID 1 only
    const exit = await hw.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(hw.events('exit')).toHaveLength(1); // the real hotwatch's clean "stopped; nothing left running"
  });

  it('without the reaper (HOTWATCH_PID1_INIT=off) says what PID 1 means and the fix, and the zombies show', async () => {
    const { hw, init, marker } = await startAsPid1({ HOTWATCH_PID1_INIT: 'off' });
    await hw.waitForLog((l) => l.event === 'app.listening', 'the app listening');
    await waitFor(() => fs.existsSync(marker), { description: `the app spawned ${ORPHANS} orphans`, timeoutMs: 30_000 });
    expect(hw.stderr()).toContain('running as PID 1 without an init (HOTWATCH_PID1_INIT=off): orphaned processes of the app stay zombies');
    expect(hw.stderr()).toContain('fix: docker run --init');
    await waitFor(() => zombies(init) >= ORPHANS, { description: `${ORPHANS} zombies (now ${zombies(init)})`, timeoutMs: 10_000 });
    process.kill(init, 'SIGTERM');
    expect(await hw.exited).toEqual({ code: 0, signal: null });
  });
});

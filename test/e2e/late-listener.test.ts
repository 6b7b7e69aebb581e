/**
 * An app that binds its port late (a cache warm-up, a database it waits for): 12 s after its start. The
 * look for its listening sockets gave up after 10 s, so it was "not listening yet" for good: no serving
 * line, and `hotwatch status --check` (a container's HEALTHCHECK) failed while it served.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, httpGet, runCli, startHotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const LATE_APP = `package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	fmt.Println("warming up for 12s")
	time.Sleep(12 * time.Second)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "late") })
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`;

describe('an app that listens late (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/late\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), LATE_APP);
  });

  it('binding 12 s after its start: status --check says serving once it does, and the serving line is logged', async () => {
    const { dir, port } = session;
    const hw = (session.hw = startHotwatch(['--port', String(port)], { cwd: dir, env: { PORT: String(port) } }));
    await hw.waitForLog((l) => l.event === 'app.start', 'the app starts', 60_000);
    const check = (): Promise<{ code: number | null; stdout: string }> => runCli(['status', '--check'], { cwd: dir, timeoutMs: 20_000 });
    const early = await check();
    expect(early.code, early.stdout).toBe(1);
    expect(early.stdout).toContain('not listening yet');
    await waitFor(async () => (await httpGet(port)) === 'late', { description: 'the app answers', timeoutMs: 60_000 });
    const late = await check();
    expect(late.code, `${late.stdout}\n${hw.stderr().slice(-2000)}`).toBe(0);
    const line = await hw.waitForLog((l) => l.event === 'app.listening', 'the serving line, late', 30_000);
    expect(line.readyMs as number).toBeGreaterThanOrEqual(11_000);
  }, 120_000);
});

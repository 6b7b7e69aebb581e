/**
 * hotwatch's last word is true: a process that left the app's tree unseen (its own session, the
 * HOTWATCH_* marker removed) and still holds the app's listening socket after the app stopped is named
 * at exit with its pid, the port and the fix, never "nothing left running". The spawner fixture's
 * SPAWNER_LEAK=1 double-forks such a leaker. The built CLI, a real go build, real processes and sockets.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, httpGet, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/go/spawner');

/** The leader starts `setsid -f env -i <itself> worker PORT` (no group, no marker) and exits 0; the worker serves. */
const WORKER_APP = `package main

import (
\t"fmt"
\t"net/http"
\t"os"
\t"os/exec"
)

func main() {
\tif len(os.Args) == 3 && os.Args[1] == "worker" {
\t\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "worker") })
\t\t_ = http.ListenAndServe("127.0.0.1:"+os.Args[2], nil)
\t\treturn
\t}
\tself, _ := os.Executable()
\tif err := exec.Command("setsid", "-f", "env", "-i", self, "worker", os.Getenv("PORT")).Run(); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;

let tmp: ReturnType<typeof makeTmpDir> | undefined;
let hw: Hotwatch | undefined;
const leaked = new Set<number>();

afterEach(async () => {
  if (hw) await hw.stop('SIGKILL');
  hw = undefined;
  for (const pid of leaked) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  leaked.clear();
  tmp?.cleanup();
});

describe('a process holding the app port after it stopped, outside its tree', () => {
  it('is named at exit with the port and the fix (kill PID), not "nothing left running"', async () => {
    tmp = makeTmpDir();
    fs.cpSync(FIXTURE, tmp.dir, { recursive: true });
    const port = await freePort();
    hw = startHotwatch([], { cwd: tmp.dir, env: { PORT: String(port), SPAWNER_CHILDREN: '0', SPAWNER_LEAK: '1' } });
    await waitFor(async () => (await httpGet(port)) === 'v=1', { description: 'the app serves', timeoutMs: 60_000 });
    // The leaker prints its line on the app's stdout (the terminal's: hotwatch's stdout here).
    const leaker = await waitFor(
      () => {
        const line = hw!
          .stdout()
          .split('\n')
          .find((l) => l.includes('"role":"leaker"'));
        return line ? (JSON.parse(line) as { pid: number }).pid : undefined;
      },
      { description: 'the leaker started' },
    );
    leaked.add(leaker);
    const h = hw;
    hw = undefined;
    const r = await h.stop('SIGINT');
    expect(r.code, 'not a clean stop: something of the app is left').toBe(1);
    expect(isAlive(leaker), 'the leaker is not the app by its marker: never signalled').toBe(true);
    expect(h.events('shutdown').map((l) => l.msg)).toEqual(['SIGINT: stopping (again to force)']); // the name, not the number
    const exit = h.events('exit').at(-1)!;
    expect(exit.level).toBe(50);
    expect(String(exit.msg)).toContain(`pid ${leaker} (`);
    expect(String(exit.msg)).toContain(`holding :${port}, the app's port, outside its tree`);
    expect(String(exit.msg)).toMatch(new RegExp(`fix: kill ${leaker}$`));
    expect(String(exit.msg)).not.toContain('nothing left running');
  });

  it('an app whose leader leaves a worker with a cleared environment and exits 0: the port holder is said at once, and at exit', async () => {
    tmp = makeTmpDir();
    fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/w\n\ngo 1.22\n');
    fs.writeFileSync(path.join(tmp.dir, 'main.go'), WORKER_APP);
    const port = await freePort();
    hw = startHotwatch([], { cwd: tmp.dir, env: { PORT: String(port) } });
    const held = await hw.waitForLog((l) => l.event === 'app.port-held', 'the port holder is said', { timeoutMs: 60_000 });
    const worker = (held.holders as { pid: number }[])[0]!.pid;
    leaked.add(worker);
    expect(held.port).toBe(port);
    expect(String(held.msg)).toContain(`its port :${port} is held by pid ${worker} (`);
    expect(String(held.msg)).toContain(`kill ${worker}`);
    expect(await httpGet(port)).toBe('worker');
    const h = hw;
    hw = undefined;
    expect((await h.stop('SIGINT')).code, 'not a clean stop: something of the app is left').toBe(1);
    const exit = h.events('exit').at(-1)!;
    expect(String(exit.msg)).toContain(`pid ${worker} (`);
    expect(String(exit.msg)).not.toContain('nothing left running');
  });
});

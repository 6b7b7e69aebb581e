/**
 * `hotwatch run` prints, at start, the environment problems `hotwatch doctor` would report: here, running
 * as PID 1 of a PID namespace (a container without an init), where orphaned grandchildren of the app
 * become zombies nobody reaps.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { freePort, httpGet, startHotwatch, type Hotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

let tmp: ReturnType<typeof makeTmpDir>;
let hw: Hotwatch | undefined;

beforeEach(() => {
  tmp = makeTmpDir();
  fs.writeFileSync(path.join(tmp.dir, 'go.mod'), 'module example.com/pid1\n\ngo 1.22\n');
  fs.writeFileSync(
    path.join(tmp.dir, 'main.go'),
    'package main\n\nimport (\n\t"fmt"\n\t"net/http"\n\t"os"\n)\n\nfunc main() {\n\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "pid1") })\n\t_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)\n}\n',
  );
});

afterEach(async () => {
  if (hw) await hw.stop('SIGTERM');
  hw = undefined;
  tmp.cleanup();
});

describe('start-up checks (e2e)', () => {
  it('as PID 1 of a PID namespace: one warning with the --init fix, and the app still serves', async () => {
    const port = await freePort();
    // --kill-child: should the test die, hotwatch (PID 1 inside) gets SIGTERM and stops the app.
    hw = startHotwatch([], {
      cwd: tmp.dir,
      env: { PORT: String(port) },
      wrap: ['unshare', '-Urpfm', '--mount-proc', '--kill-child=SIGTERM'],
    });
    // As PID 1, hotwatch runs itself under its own reaper (src/service/pid1.ts) and says once how an
    // init would save that process.
    await waitFor(() => /running as PID 1 without an init/.test(hw!.stderr()), { description: 'the PID 1 warning', timeoutMs: 20_000 });
    const warnings = hw
      .stderr()
      .split('\n')
      .filter((l) => /PID 1/.test(l));
    expect(warnings).toHaveLength(1);
    expect(hw.stderr()).toMatch(/--init|init: true/);
    await waitFor(async () => (await httpGet(port)) === 'pid1', { description: 'the app serves', timeoutMs: 60_000 });
    // unshare waits for its child and does not pass signals on: SIGTERM goes to hotwatch itself.
    const inner = Number(fs.readFileSync(`/proc/${hw.pid}/task/${hw.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    process.kill(inner, 'SIGTERM');
    expect(await hw.exited).toEqual({ code: 0, signal: null });
    expect(await httpGet(port)).toBeUndefined();
    hw = undefined;
  });
});

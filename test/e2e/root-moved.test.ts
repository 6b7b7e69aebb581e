/**
 * The root's parent renamed while hotwatch runs (`mv ~/src ~/code`): every watch stays on the same
 * directories, but each path hotwatch holds names nothing. It used to say the root was "deleted", blame
 * go ("spawn go ENOENT": the working directory was gone, not go) and make `hotwatch status` at the new
 * name promise a socket that never came. Now: where it went, the restart there as the fix, the status
 * socket still answering at the new name, and the app left serving.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { freePort, httpGet, runCli, startHotwatch, writeGoApp, type Hotwatch } from '../helpers/hotwatch.js';

let tmp: ReturnType<typeof makeTmpDir>;
let port: number;
let hw: Hotwatch | undefined;

beforeEach(async () => {
  tmp = makeTmpDir('hotwatch-moved-');
  port = await freePort();
});
afterEach(async () => {
  await hw?.stop();
  hw = undefined;
  tmp.cleanup();
});

describe('the root moved with its parent', () => {
  it('says where it went and the restart there; status answers at the new name; the app keeps serving', async () => {
    const before = path.join(tmp.dir, 'src', 'repo');
    fs.mkdirSync(before, { recursive: true });
    writeGoApp(before, 'v1');
    hw = startHotwatch([], { cwd: before, env: { PORT: String(port) } });
    await hw.waitForLog((l) => l.event === 'watch.ready', 'watching is ready', { timeoutMs: 60_000 });
    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves', timeoutMs: 60_000 });

    fs.renameSync(path.join(tmp.dir, 'src'), path.join(tmp.dir, 'code'));
    const after = path.join(tmp.dir, 'code', 'repo');
    const said = await hw.waitForLog((l) => String(l.msg ?? '').includes('was moved to'), 'the move is said', { timeoutMs: 30_000 });
    expect(said.level).toBe(50);
    expect(String(said.msg)).toContain(after);
    expect(String(said.msg)).toContain(`fix: restart hotwatch where the project is now: cd ${after} && hotwatch run`);

    // An edit at the new name cannot be built by the old one: said above, never blamed on go.
    fs.writeFileSync(path.join(after, 'main.go'), fs.readFileSync(path.join(after, 'main.go'), 'utf8').replace('v1', 'v2'));
    await new Promise((r) => setTimeout(r, 3000));
    expect(hw.stderr(), 'a missing directory said as a missing go').not.toMatch(/spawn go ENOENT|go` is not on PATH/);
    expect(await httpGet(port)).toBe('v=v1');

    // The socket moved with the directory and still answers there (after the 15 s look for it too).
    await new Promise((r) => setTimeout(r, 16_000));
    const st = await runCli(['status', '--root', after, '--check']);
    expect(st.stderr + st.stdout).toMatch(/root-missing/);
    expect(st.stderr + st.stdout).not.toMatch(/socket is gone/);
    expect(st.code).toBe(1);
  }, 120_000);
});

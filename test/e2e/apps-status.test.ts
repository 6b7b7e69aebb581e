/**
 * `hotwatch status` with apps: (several apps): the summary lines (health, state, app) describe the least
 * settled app and name it, through the real `hotwatch run`, real go builds and a real SIGKILL. They used
 * to describe whichever app reported last ("app none" while the api served, a SIGTERM of hotwatch's own
 * restart as the worker's exit).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, goMain, runCli, startHotwatch } from '../helpers/hotwatch.js';
import { makeTmpDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import type { StatusSnapshot } from '../../src/service/status.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('hotwatch status with apps: (e2e)', () => {
  it('the worker SIGKILLed while the api serves: the summary names the worker, its exit, and the api serving', async () => {
    const tmp = makeTmpDir('hotwatch-apps-status-');
    cleanups.push(tmp.cleanup);
    const dir = tmp.dir;
    const ports = { api: await freePort(), worker: await freePort() };
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/apps\n\ngo 1.22\n');
    for (const app of ['api', 'worker'] as const) {
      fs.mkdirSync(path.join(dir, 'cmd', app), { recursive: true });
      fs.writeFileSync(path.join(dir, 'cmd', app, 'main.go'), goMain(app));
    }
    const apps = (['api', 'worker'] as const)
      .map((a) => `  ${a}:\n    package: ./cmd/${a}\n    port: ${ports[a]}\n    env: { PORT: "${ports[a]}" }\n`)
      .join('');
    fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), `apps:\n${apps}`);
    const hw = startHotwatch([], { cwd: dir, waitTimeoutMs: 90_000 });
    cleanups.push(() => hw.stop());
    const listening = (app: string) => hw.waitForLog((l) => l.app === app && l.event === 'app.listening', `${app} listens`);
    const [api, worker] = [await listening('api'), await listening('worker')];
    const status = async () => {
      const r = await runCli(['status'], { cwd: dir, timeoutMs: 20_000 });
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    const json = async () => JSON.parse((await runCli(['status', '--json'], { cwd: dir, timeoutMs: 20_000 })).stdout) as StatusSnapshot;
    await waitFor(async () => (await json()).health.ok, { description: 'both apps serve: health ok', timeoutMs: 30_000 });

    process.kill(Number(worker.pid), 'SIGKILL');
    await hw.waitForLog((l) => l.app === 'worker' && l.event === 'app.exit', 'the worker exit is seen');
    const s = await waitFor(
      async () => {
        const j = await json();
        return j.state.name === 'exited' ? j : undefined;
      },
      { description: 'status says a worker exited', timeoutMs: 20_000 },
    );
    expect(s.state.app).toBe('worker');
    expect(s.health).toMatchObject({ ok: false, serving: false });
    expect(s.health.why).toMatch(/^not serving: the app worker exited \(SIGKILL\) \d+ s ago; waiting for a change$/);
    expect(s.apps?.map((a) => [a.name, a.state, a.pid])).toEqual([
      ['api', 'running', api.pid],
      ['worker', 'exited', null],
    ]);
    const text = await status();
    expect(text).toMatch(/^health {3}not serving: the app worker exited \(SIGKILL\)/m);
    expect(text).toMatch(/^state {4}exited for .* \(app worker, the least settled of 2 apps\)$/m);
    expect(text).toMatch(/^app {6}worker: none \(last exit SIGKILL, .* ago\)/m);
    expect(text).toMatch(new RegExp(`^apps {5}api: running \\(pid ${api.pid}\\)`, 'm'));
    expect((await runCli(['status', '--check'], { cwd: dir, timeoutMs: 20_000 })).code).toBe(1);

    // A save of the worker's file runs it again: the summary is whole again, and names which app it shows.
    fs.writeFileSync(path.join(dir, 'cmd', 'worker', 'main.go'), goMain('worker2'));
    await hw.waitForLog((l) => l.app === 'worker' && l.event === 'app.listening' && l.pid !== worker.pid, 'the worker serves again');
    await waitFor(async () => (await json()).health.ok, { description: 'health ok again', timeoutMs: 30_000 });
    expect(await status()).toMatch(/^app {6}(api|worker): pid \d+, serving on :\d+/m);

    // The worker's build fails (it keeps serving its previous version), then a build of the api succeeds:
    // the api's good build must not hide the worker's failure.
    let from = hw.logs.length;
    fs.writeFileSync(path.join(dir, 'cmd', 'worker', 'main.go'), `${goMain('worker3')}\nfunc broken( {\n`);
    await hw.waitForLog((l) => l.app === 'worker' && l.event === 'build.failed', 'the worker build fails', { from });
    from = hw.logs.length;
    fs.writeFileSync(path.join(dir, 'cmd', 'api', 'main.go'), goMain('api2'));
    await hw.waitForLog((l) => l.app === 'api' && l.event === 'app.listening', 'the api serves its edit', { from });
    const stale = await json();
    expect(stale.health).toMatchObject({ ok: false, serving: true, current: false });
    expect(stale.health.why).toMatch(/^serving the previous version: the last build of the app worker failed \d+ s ago/);
    expect(stale.apps?.find((a) => a.name === 'worker')?.lastBuild).toMatchObject({ outcome: 'failed' });
    expect(await status()).toMatch(/worker: running \(pid \d+\) for .*, last build FAILED .* ago: serving its previous version/);
    expect((await runCli(['status', '--check'], { cwd: dir, timeoutMs: 20_000 })).code).toBe(1);
    // Fixed: whole again.
    fs.writeFileSync(path.join(dir, 'cmd', 'worker', 'main.go'), goMain('worker4'));
    await waitFor(async () => (await json()).health.ok, { description: 'health ok once the worker builds', timeoutMs: 60_000 });
  }, 240_000);
});

/**
 * A hotwatch that dies without cleaning up (SIGKILL) leaves its app holding the port: the next
 * `hotwatch run` on that root stops it and says so. A second hotwatch on a live root is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../helpers/tmp.js';
import { isAlive, waitFor } from '../helpers/wait.js';
import { freePort, goMain, httpGet, runCli, startHotwatch, writeGoApp, type Hotwatch } from '../helpers/hotwatch.js';

let tmp: ReturnType<typeof makeTmpDir>;
let port: number;
const started: Hotwatch[] = [];
let orphan: number | undefined;

beforeEach(async () => {
  tmp = makeTmpDir();
  port = await freePort();
  writeGoApp(tmp.dir, 'v1');
});

afterEach(async () => {
  for (const hw of started.splice(0)) await hw.stop();
  if (orphan && isAlive(orphan)) process.kill(orphan, 'SIGKILL');
  tmp.cleanup();
});

describe('lifecycle (e2e)', () => {
  it.each([
    ['no port set', false],
    ['run.port set (its pre-flight check took the orphan for a stranger: exit 2, "kill N")', true],
  ])('an app orphaned by a SIGKILLed hotwatch is stopped by the next run, which then serves: %s', async (_, withPort) => {
    if (withPort) fs.writeFileSync(path.join(tmp.dir, 'watcher.config.yaml'), `run:\n  port: ${port}\n`);
    const first = startHotwatch([], { cwd: tmp.dir, env: { PORT: String(port) } });
    started.push(first);
    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves' });
    const appStart = await first.waitForLog((l) => l.event === 'app.start', 'the app started');
    orphan = Number(appStart.pid);
    await first.stop('SIGKILL');
    expect(isAlive(orphan), 'the orphaned app still runs after SIGKILL of hotwatch').toBe(true);
    expect(fs.readFileSync(path.join(tmp.dir, '.hotwatch/.gitignore'), 'utf8')).toMatch(/^\*$/m);

    fs.writeFileSync(path.join(tmp.dir, 'main.go'), goMain('v2'));
    const second = startHotwatch([], { cwd: tmp.dir, env: { PORT: String(port) } });
    started.push(second);
    const leftover = await second.waitForLog((l) => l.event === 'app.leftover', 'the leftover app is reported');
    expect(leftover.pid).toBe(orphan);
    expect(leftover.level).toBeGreaterThanOrEqual(40);
    await waitFor(async () => (await httpGet(port)) === 'v=v2', { description: 'v2 serves from the new hotwatch' });
    expect(isAlive(orphan)).toBe(false);
  });

  it('a second hotwatch on the same root is refused with exit 2', async () => {
    const first = startHotwatch([], { cwd: tmp.dir, env: { PORT: String(port) } });
    started.push(first);
    await waitFor(async () => (await httpGet(port)) === 'v=v1', { description: 'v1 serves' });
    const r = await runCli(['run'], { cwd: tmp.dir, env: { ...process.env, PORT: String(port) } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`another hotwatch (pid ${first.pid}`);
    expect(r.stderr).toMatch(/fix: stop it first/);
    expect(await httpGet(port)).toBe('v=v1');
  });
});

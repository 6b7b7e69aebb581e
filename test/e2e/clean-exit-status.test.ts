/**
 * An app that runs and exits 0 after each edit (a CLI, a one-shot job) is not a crash loop (e2e: real go
 * build, real processes, the real `hotwatch status`). Each run was an edit's, and with the default
 * run.onCrash: wait-for-change nothing restarts on its own: `hotwatch status` says the app exited with
 * code 0 and waits for a change, and `status --check` exits 1 with that reason (no app serves: the
 * README's definition of --check), never "crash loop: 3 exits in 3 s".
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, runCli, startHotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const cli = (version: string): string => `package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("done ${version}") }\n`;

describe('an app that exits 0 after each edit (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/e2e\n\ngo 1.22\n');
    fs.writeFileSync(path.join(dir, 'main.go'), cli('v0'));
  });

  it('is said to have exited (code 0), waiting for a change; not a crash loop', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    const ran = (v: string) => waitFor(() => hw.stdout().includes(`done ${v}\n`), { description: `the app ran ${v}`, timeoutMs: 60_000 });
    await ran('v0');
    // Each version's exit is seen before the next edit: an edit while it runs would stop it (no exit of its own).
    await waitFor(() => hw.events('app.exit').length > 0, { description: 'the exit of v0 is logged', timeoutMs: 30_000 });
    for (const v of ['v1', 'v2', 'v3']) {
      const exits = hw.events('app.exit').length;
      fs.writeFileSync(path.join(session.dir, 'main.go'), cli(v));
      await ran(v);
      await waitFor(() => hw.events('app.exit').length > exits, { description: `the exit of ${v} is logged`, timeoutMs: 30_000 });
    }
    expect(hw.events('app.exit').map((l) => l.code)).toEqual([0, 0, 0, 0]);

    const status = await runCli(['status'], { cwd: session.dir, timeoutMs: 20_000 });
    expect(status.stdout).not.toMatch(/crash/);
    expect(status.stdout).toMatch(/not serving: the app exited \(code 0\) \d+ s ago; waiting for a change/);
    const json = JSON.parse((await runCli(['status', '--json'], { cwd: session.dir, timeoutMs: 20_000 })).stdout);
    expect(json.crashLoop).toBeNull();
    expect(json.recentEvents.map((e: { event: string }) => e.event)).not.toContain('app.crashed');

    // --check: 0 only when the app serves; this one does not run, so 1, with the true reason.
    const check = await runCli(['status', '--check'], { cwd: session.dir, timeoutMs: 20_000 });
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toMatch(/^not serving: the app exited \(code 0\) \d+ s ago; waiting for a change\n$/);
  }, 120_000);
});

/** Issue 13: hotwatch doctor with another hotwatch running on the root says so, naming its pid, at info. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotwatchSession, runCli, startHotwatch } from '../helpers/hotwatch.js';

const session = hotwatchSession();

interface Report {
  verdict: string;
  app: string;
  checks: Array<{ id: string; status: string; detail: string; fix?: { commands?: string[] } }>;
}

async function doctor(): Promise<{ code: number | null; report: Report; stdout: string }> {
  const r = await runCli(['doctor', '--json'], { cwd: session.dir });
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stdout: r.stdout };
}

describe('hotwatch doctor and the claim on the root (e2e)', () => {
  it('nobody on the root: ok; a hotwatch running there: info naming its pid (not a broken verdict: it serves), and the doctor does not take the lock', async () => {
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), `run:\n  port: ${session.port}\n`);
    const before = await doctor();
    expect(before.report.checks.find((c) => c.id === 'run.claim')).toMatchObject({ status: 'ok' });
    expect(before.report.checks.find((c) => c.id === 'run.port')).toMatchObject({ status: 'ok' });

    const hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } });
    session.hw = hw;
    await session.serves('v1');
    const during = await doctor();
    const claim = during.report.checks.find((c) => c.id === 'run.claim')!;
    // Said at info, not as a broken app: that hotwatch serves (the doctor is run along the way).
    expect(claim.status).toBe('info');
    expect(claim.detail).toContain(`a hotwatch (pid ${hw.pid}`);
    expect(claim.detail).toContain('hotwatch status');
    expect(during.report.app).not.toBe('broken');
    expect(during.code).toBe(0);
    expect(during.report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual([]);
    // run.port is held by that hotwatch's own app: said as such, not as a stranger to kill.
    const port = during.report.checks.find((c) => c.id === 'run.port')!;
    expect(port.status).toBe('info');
    expect(port.detail).toContain(`the app of the hotwatch already running on this root (pid ${hw.pid})`);
    // The doctor only asked: the running hotwatch still holds its root (a second run is still refused).
    const second = await runCli(['run'], { cwd: session.dir, env: { ...process.env, PORT: String(session.port) } });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`pid ${hw.pid}`);
  }, 90_000);
});

/**
 * The one line per cycle (issue 18, e2e: real go build, real processes): once the new version listens,
 * the serving line says what changed, how long the build took, how long the app was down and where it
 * serves; behind the proxy, where people open it (the proxy), not the app's own port.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, goMain, hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';
import { waitFor } from '../helpers/wait.js';

const session = hotwatchSession();

describe('the cycle summary (e2e)', () => {
  it('main.go → built in N ms, restarted in N ms, serving on the address', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    const first = await hw.waitForLog((l) => l.event === 'app.listening', 'v1 listens');
    expect(first.msg).toMatch(
      new RegExp(`^initial build → built in \\d+ ms, started in \\d+ ms, serving on http://127\\.0\\.0\\.1:${session.port}$`),
    );
    fs.writeFileSync(path.join(session.dir, 'main.go'), goMain('v2'));
    const second = await hw.waitForLog((l) => l.event === 'app.listening', 'v2 listens', { from: hw.logs.indexOf(first) + 1 });
    expect(second.msg).toMatch(
      new RegExp(`^main\\.go → built in \\d+ ms, restarted in \\d+ ms, serving on http://127\\.0\\.0\\.1:${session.port}$`),
    );
    const built = Number(/built in (\d+) ms/.exec(second.msg)![1]);
    expect(built).toBe(hw.events('build.done').at(-1)!.buildMs);
    await session.serves('v2');
  }, 90_000);

  it('a long build is said while it runs, with its last output line (a first build downloading modules is not a silent minute)', async () => {
    fs.writeFileSync(
      path.join(session.dir, 'watcher.config.yaml'),
      `build:\n  cmd: 'sh -c "echo go: downloading example.com/slow v1.0.0 >&2; sleep 16; go build -o .hotwatch/bin/app ."'\n  timeout: 2m\n`,
    );
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    const still = await hw.waitForLog((l) => l.event === 'build.still-running', 'the long build is said', { timeoutMs: 40_000 });
    expect(still.msg).toMatch(/^still building after 1\d s \(its last line: go: downloading example\.com\/slow v1\.0\.0\)$/);
    await session.serves('v1');
  }, 90_000);

  it('behind the proxy: serving on the proxy address', async () => {
    const proxyPort = await freePort();
    const hw = (session.hw = startHotwatch(['--proxy-port', String(proxyPort)], { cwd: session.dir }));
    const line = await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens behind the proxy');
    expect(line.msg).toMatch(new RegExp(`serving on http://127\\.0\\.0\\.1:${proxyPort} \\(through the proxy\\)$`));
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${proxyPort}/`).then(
          (r) => r.text(),
          () => '',
        )) === 'v=v1',
      {
        description: 'v1 through the proxy',
      },
    );
  }, 90_000);
});
